// `mugai mail` front end (ARCHITECTURE §6): stdin → a temporary item file → the pipeline →
// the sanitised message on stdout, the report where --report says.
#include "gateway/cli/mail_command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <vector>

#include "common/file_util.h"
#include "converters/mail/mail_builder.h"
#include "gateway/cli/cli_args.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/pipeline.h"
#include "gateway/privileges.h"
#include "gateway/report.h"

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
  --password PW         password for encrypted attachments (zip, PDF)
  --allow-no-signatures run without malware signatures (demo/test only)
  --quiet               no notice on standard error
  -h, --help            show this help

Exit status: 0 delivered (clean or sanitized), 1 blocked (nothing written to stdout),
2 usage or configuration error, 3 internal failure.
)";

int RunMailCommand(const std::vector<std::string>& args) {
  const std::string command = "mugai mail";
  CliArgs a = ParseCliArgs(args, {"--report", "--config", "--signatures", "--state", "--password"},
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
  Config config;
  if (a.Has("--config")) {
    Result<Config> loaded = LoadConfigFile(a.Get("--config"));
    if (!loaded.ok()) return usage("config error: " + loaded.status().message());
    config = loaded.value();
  }
  if (a.Has("--signatures")) config.signatures = a.Get("--signatures");
  if (a.Has("--state")) config.state_dir = a.Get("--state");
  if (Status s = DropPrivileges(config.process_user); !s.ok()) return usage(s.message());
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
  PipelineOptions options;
  options.allow_no_signatures = a.Has("--allow-no-signatures");
  options.password = a.Get("--password");
  options.entry_point = "cli";
  Result<std::unique_ptr<Pipeline>> p = Pipeline::Create(config, options);
  if (!p.ok()) {
    std::fprintf(stderr, "%s: %s\n", command.c_str(), p.status().message().c_str());
    return p.status().code() == StatusCode::kConfig ? kExitUsage : kExitInternal;
  }
  // The message becomes an item file in a private folder under the state folder.
  std::string work = config.state_dir + "/tmp/mail-" + std::to_string(getpid());
  std::filesystem::remove_all(work);
  if (Status s = MakeDirs(work + "/out", 0700); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", command.c_str(), s.message().c_str());
    return kExitInternal;
  }
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{work};
  if (Status s = WriteFileAtomically(work + "/message.eml", message, 0600, true); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", command.c_str(), s.message().c_str());
    return kExitInternal;
  }
  ItemInput item{work + "/message.eml", "message.eml", work + "/out", "stdin", "stdout"};
  item.mail = true;
  std::vector<NodeReport> reports = p.value()->Sanitize({item}, "");
  const NodeReport& r = reports.at(0);
  int rc = r.internal_failure ? kExitInternal
           : r.verdict == Verdict::kBlocked ? kExitBlocked
                                            : kExitDelivered;
  if (rc == kExitDelivered && r.outputs.empty()) {
    // Deliverable yet nothing written: never exit 0 with an empty standard output.
    std::fprintf(stderr, "%s: the sanitised message was not written (see the log)\n",
                 command.c_str());
    rc = kExitInternal;
  }
  if (rc == kExitDelivered) {
    Result<std::string> out = ReadFileLimited(r.outputs[0].path, UINT64_MAX);
    if (!out.ok()) return kExitInternal;
    std::string text = out.value();
    if (r.verdict == Verdict::kClean) text = WithVerdictHeaders(text, "clean", "none");
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
      std::fprintf(stderr, "%s: cannot write the message to standard output\n", command.c_str());
      return kExitInternal;
    }
  }
  if (a.Has("--report")) {
    std::string json = RunReport(p.value()->engine(), p.value()->scanning_enabled(), reports)
                           .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (Status s = WriteFileAtomically(a.Get("--report"), json, 0640, true); !s.ok()) {
      std::fprintf(stderr, "%s: cannot write the report: %s\n", command.c_str(), s.message().c_str());
      return kExitInternal;
    }
  }
  if (!a.Has("--quiet")) std::fputs(HumanNotice(reports).c_str(), stderr);
  return rc;
}

}  // namespace mugai
