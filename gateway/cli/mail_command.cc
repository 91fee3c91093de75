// `mugai mail` front end (ARCHITECTURE §6): stdin → a sealed memfd → the service (running, or
// in this process) → the sanitised message on stdout, the report where --report says.
#include "gateway/cli/mail_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <vector>

#include "common/file_util.h"
#include "converters/mail/mail_text.h"
#include "gateway/cli/cli_args.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/pipeline/pipeline.h"
#include "gateway/service/privileges.h"
#include "gateway/pipeline/report.h"
#include "gateway/service/service_client.h"

namespace mugai {

const char kMailHelp[] =
    R"(Usage: mugai mail [OPTIONS] < in.eml > out.eml

Sanitises one mail message (RFC 5322) read from standard input and writes the result to
standard output: text/plain parts are kept with their charset, HTML becomes plain text,
multipart/alternative keeps its text, every attachment goes through the pipeline by its real
type (archives, PDFs, images, Office files...), and each blocked part is replaced by a short
notice. A notice part in Japanese and English lists what was done, and the headers
X-Mugai-Verdict and X-Mugai-Actions summarise it. A message that needs no change is written
unchanged apart from those headers. The original is kept in the quarantine whenever
anything was removed or converted.

Options:
  --report FILE|-       JSON report to FILE ('-' is not allowed: stdout carries the message)
  --config FILE         TOML settings (docs/CONFIG.md; [mail] limits)
  --signatures PATH     ClamAV database file or folder (default: /var/lib/clamav)
  --state DIR           quarantine and log folder (default: ./mugai-state)
  --password PW         password for encrypted attachments (zip, 7z, RAR 5, PDF,
                        Word/Excel/PowerPoint, ODF; see docs/PASSWORDS.md)
  --service PATH        the mugai service's socket (default: service.socket); without it and
                        with no socket there, a service runs in this process
  --allow-no-signatures run without malware signatures (demo/test only)
  --quiet               no notice on standard error
  -h, --help            show this help

Exit status: 0 delivered (clean or sanitized), 1 blocked (nothing written to stdout),
2 usage or configuration error, 3 internal failure.
)";

int RunMailCommand(const std::vector<std::string>& args) {
  const std::string command = "mugai mail";
  CliArgs a = ParseCliArgs(args, {"--report", "--config", "--signatures", "--state", "--password",
                                  "--service"},
                           {"--allow-no-signatures", "--quiet", "--help"});
  if (a.Has("--help")) {
    std::fputs(kMailHelp, stdout);
    return kExitDelivered;
  }
  auto usage = [&command](const std::string& m) {
    std::fprintf(stderr, "%s: %s\nTry 'mugai mail --help'.\n", command.c_str(), m.c_str());
    return kExitUsage;
  };
  if (!a.error.empty()) return usage(a.error);
  if (!a.words.empty()) return usage("the message is read from standard input, not from '" + a.words[0] + "'");
  if (a.Get("--report") == "-") return usage("--report - would mix the report into the message; give a file");
  Result<Config> loaded = CommandConfig(a);
  if (!loaded.ok()) return usage("config error: " + loaded.status().message());
  Config config = loaded.value();
  struct stat socket_st;
  bool remote = a.Has("--service") || lstat(config.service_socket.c_str(), &socket_st) == 0;
  if (!remote) {
    if (Status s = DropPrivileges(config.process_user); !s.ok()) return usage(s.message());
  }
  // Read at most one byte beyond limits.max_input_bytes: a larger message reaches the
  // pipeline's intake only to be blocked as input_too_large, never held whole in memory.
  std::string message;
  {
    std::vector<char> chunk(1 << 16);
    while (message.size() <= config.max_input_bytes && std::cin) {
      std::cin.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      message.append(chunk.data(), static_cast<size_t>(std::cin.gcount()));
    }
    if (message.size() > config.max_input_bytes + 1) message.resize(config.max_input_bytes + 1);
  }
  if (message.empty()) return usage("no message on standard input");
  // The message goes to the service as a sealed in-memory file: no temporary file is
  // written, read back and deleted.
  int fd = SealedMemfd(message);
  if (fd < 0) {
    std::fprintf(stderr, "%s: cannot hold the message in memory\n", command.c_str());
    return kExitInternal;
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  message.clear();
  message.shrink_to_fit();
  Result<std::unique_ptr<ServiceConnection>> service = ServiceConnection::Open(
      config, a.Get("--service"), a.Has("--allow-no-signatures"), "mail");
  if (!service.ok()) {
    std::fprintf(stderr, "%s: %s\n", command.c_str(), service.status().message().c_str());
    return service.status().code() == StatusCode::kConfig ? kExitUsage : kExitInternal;
  }
  std::string out;
  bool written = false;
  ClientWriter writer = [&](size_t, const std::string&, const std::string& verdict,
                            const std::string& bytes) -> Result<std::string> {
    out = verdict == "clean" ? WithVerdictHeaders(bytes, "clean", "none") : bytes;
    written = true;
    return std::string("-");
  };
  Result<ClientOutcome> outcome =
      service.value()->Run("mail", {ClientItem{"message.eml", "stdin", fd, ""}},
                           a.Get("--password"), /*deliver=*/true, "stdout", writer);
  if (!outcome.ok()) {
    std::fprintf(stderr, "%s: %s\n", command.c_str(), outcome.status().message().c_str());
    return outcome.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInternal;
  }
  int rc = outcome->exit;
  if (rc == kExitDelivered && !written) {
    std::fprintf(stderr, "%s: the sanitised message was not written (see the log)\n",
                 command.c_str());
    rc = kExitInternal;
  }
  if (rc == kExitDelivered) {
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
      std::fprintf(stderr, "%s: cannot write the message to standard output\n", command.c_str());
      return kExitInternal;
    }
  }
  if (a.Has("--report")) {
    std::string json =
        outcome->report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (Status s = WriteUserFile(a.Get("--report"), json, 0640); !s.ok()) {
      std::fprintf(stderr, "%s: cannot write the report: %s\n", command.c_str(), s.message().c_str());
      return kExitInternal;
    }
  }
  if (!a.Has("--quiet")) std::fputs(outcome->notice.c_str(), stderr);
  return rc;
}

}  // namespace mugai
