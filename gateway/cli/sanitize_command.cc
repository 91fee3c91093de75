// `mugai sanitize` front end: arguments → Config → the service (running, or started in this
// process) → outputs written here → reports → exit status.
#include "gateway/cli/sanitize_command.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "common/file_util.h"
#include "gateway/service/config.h"
#include "gateway/pipeline/pipeline.h"
#include "gateway/service/privileges.h"
#include "gateway/pipeline/report.h"
#include "gateway/service/service_client.h"

namespace mugai {

const char kSanitizeHelp[] =
    R"(Usage: mugai sanitize [OPTIONS] INPUT...

Sanitises each INPUT file (無害化): identifies its real type, scans it with ClamAV, and
delivers it unchanged (plain text), rebuilds it (HTML → text, PDF rebuilt, images re-encoded,
Word/Excel/PowerPoint 2007+ disarmed, legacy .doc/.xls/.ppt, RTF and ODF → PDF through
LibreOffice, archives unpacked and re-zipped), or blocks it. Only sanitised outputs are
written to --out; originals of blocked or converted files are kept in the quarantine under
the state folder.

Options:
  --out DIR             write deliverable outputs into DIR (created if missing). Without
                        --out nothing is written: the verdicts are reported only.
  --report FILE|-       write the JSON report to FILE, or to standard output with '-'
  --config FILE         read settings from a TOML file (see docs/CONFIG.md); every key has
                        a built-in default and unknown keys are errors
  --signatures PATH     ClamAV database file or folder (default: /var/lib/clamav)
  --state DIR           quarantine and log folder (default: ./mugai-state)
                        (these two and --jobs are the service's own when one is running)
  --password PW         password for encrypted inputs (zip, 7z, RAR 5, PDF,
                        Word/Excel/PowerPoint, ODF; see docs/PASSWORDS.md)
  --service PATH        the mugai service's socket (default: service.socket,
                        /run/mugai/mugai.sock). Inputs are opened here and handed to the
                        service; outputs come back and are written here. With no --service
                        and no socket there, a service runs in this process for this
                        command (loading the signatures takes a while with a real database)
  --jobs N              worker processes at once (default: one per CPU core)
  --allow-no-signatures run even when no signatures can be loaded (demo/test only: files
                        are NOT scanned for malware)
  --quiet               do not print the per-file notice on standard error
  --print-config        print the effective configuration as TOML and exit
  -h, --help            show this help

Exit status:
  0  every input was delivered (clean or sanitized)
  1  at least one input was blocked (the others were still delivered)
  2  usage or configuration error (nothing was processed)
  3  internal failure (nothing delivered for the failed input)

Examples:
  mugai sanitize --out /srv/lgwan/inbox --report - 請求書.html memo.txt
  mugai sanitize --config /etc/mugai/mugai.toml --out out/ *.txt

Logs: <state>/mugai.log, one line per event (grep event=item_done verdict=blocked).
)";

namespace {

struct SanitizeArgs {
  std::string out_dir, report, config_file, signatures, state, password, service;
  int jobs = -1;
  bool allow_no_signatures = false, quiet = false, print_config = false, help = false;
  std::vector<std::string> inputs;
};

int Usage(const std::string& message) {
  std::fprintf(stderr, "mugai sanitize: %s\nTry 'mugai sanitize --help'.\n", message.c_str());
  return kExitUsage;
}

// Parses `args`; returns -1 to continue or an exit status.
int Parse(const std::vector<std::string>& args, SanitizeArgs* a) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string* field) -> bool {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        *field = arg.substr(eq + 1);
        return true;
      }
      if (i + 1 >= args.size()) return false;
      *field = args[++i];
      return true;
    };
    auto is = [&](const char* flag) {
      return arg == flag || arg.rfind(std::string(flag) + "=", 0) == 0;
    };
    if (arg == "-h" || arg == "--help") {
      a->help = true;
    } else if (arg == "--allow-no-signatures") {
      a->allow_no_signatures = true;
    } else if (arg == "--quiet" || arg == "-q") {
      a->quiet = true;
    } else if (arg == "--print-config") {
      a->print_config = true;
    } else if (is("--out")) {
      if (!value(&a->out_dir)) return Usage("--out needs a folder");
    } else if (is("--report")) {
      if (!value(&a->report)) return Usage("--report needs a file name or '-'");
    } else if (is("--config")) {
      if (!value(&a->config_file)) return Usage("--config needs a file name");
    } else if (is("--signatures")) {
      if (!value(&a->signatures)) return Usage("--signatures needs a path");
    } else if (is("--state")) {
      if (!value(&a->state)) return Usage("--state needs a folder");
    } else if (is("--service")) {
      if (!value(&a->service)) return Usage("--service needs a socket path");
    } else if (is("--password")) {
      if (!value(&a->password)) return Usage("--password needs a value");
    } else if (is("--jobs")) {
      std::string v;
      if (!value(&v)) return Usage("--jobs needs a number");
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 1024) return Usage("--jobs must be 1..1024");
      a->jobs = static_cast<int>(n);
    } else if (arg == "--") {
      for (++i; i < args.size(); ++i) a->inputs.push_back(args[i]);
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return Usage("unknown option '" + arg + "'");
    } else {
      a->inputs.push_back(arg);
    }
  }
  return -1;
}

// Every input must be an existing regular file before anything is processed.
int CheckInputs(const std::vector<std::string>& inputs) {
  if (inputs.empty()) return Usage("no INPUT files given");
  for (const auto& path : inputs) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return Usage("cannot read '" + path + "': no such file");
    if (S_ISLNK(st.st_mode)) {
      return Usage("'" + path + "' is a symbolic link; pass the file it points to");
    }
    if (S_ISDIR(st.st_mode)) {
      return Usage("'" + path + "' is a folder; pass the files in it (e.g. '" + path + "/*')");
    }
    if (!S_ISREG(st.st_mode)) return Usage("'" + path + "' is not a regular file");
  }
  return -1;
}

int WriteReport(const std::string& target, const std::string& json) {
  if (target == "-") {
    if (std::fwrite(json.data(), 1, json.size(), stdout) != json.size() ||
        std::fflush(stdout) != 0) {
      std::fprintf(stderr, "mugai sanitize: cannot write the report to standard output\n");
      return kExitInternal;
    }
    return -1;
  }
  if (Status s = WriteUserFile(target, json, 0640); !s.ok()) {
    std::fprintf(stderr, "mugai sanitize: cannot write the report: %s\n", s.message().c_str());
    return kExitInternal;
  }
  return -1;
}

}  // namespace

int RunSanitizeCommand(const std::vector<std::string>& args) {
  SanitizeArgs a;
  if (int rc = Parse(args, &a); rc >= 0) return rc;
  if (a.help) {
    std::fputs(kSanitizeHelp, stdout);
    return kExitDelivered;
  }
  Config config;
  if (!a.config_file.empty()) {
    Result<Config> loaded = LoadConfigFile(a.config_file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "mugai sanitize: config error: %s\n", loaded.status().message().c_str());
      return kExitUsage;
    }
    config = loaded.value();
  }
  if (!a.signatures.empty()) config.signatures = a.signatures;
  if (!a.state.empty()) config.state_dir = a.state;
  if (a.jobs > 0) config.jobs = static_cast<uint32_t>(a.jobs);
  if (a.print_config) {
    std::fputs(ConfigToToml(config).c_str(), stdout);
    return kExitDelivered;
  }
  if (int rc = CheckInputs(a.inputs); rc >= 0) return rc;
  struct stat socket_st;
  bool remote = !a.service.empty() || lstat(config.service_socket.c_str(), &socket_st) == 0;
  if (!remote) {
    // In-process: this process becomes the service user before it touches the state folder.
    if (Status s = DropPrivileges(config.process_user); !s.ok()) {
      std::fprintf(stderr, "mugai sanitize: %s\n", s.message().c_str());
      return s.code() == StatusCode::kConfig ? kExitUsage : kExitInternal;
    }
  }
  if (!a.out_dir.empty()) {
    if (Status s = MakeDirs(a.out_dir, 0755); !s.ok()) {
      std::fprintf(stderr, "mugai sanitize: --out: %s\n", s.message().c_str());
      return kExitUsage;
    }
  }
  Result<std::unique_ptr<ServiceConnection>> service =
      ServiceConnection::Open(config, a.service, a.allow_no_signatures, "sanitize");
  if (!service.ok()) {
    std::fprintf(stderr, "mugai sanitize: %s\n", service.status().message().c_str());
    return service.status().code() == StatusCode::kConfig ? kExitUsage : kExitInternal;
  }
  if (!service.value()->in_process() &&
      (!a.signatures.empty() || !a.state.empty() || a.jobs > 0 || a.allow_no_signatures)) {
    std::fprintf(stderr, "mugai sanitize: note: a mugai service is running; --signatures, "
                         "--state, --jobs and --allow-no-signatures are its own settings and "
                         "are ignored here\n");
  }
  std::vector<ClientItem> items;
  for (const auto& path : a.inputs) items.push_back(ClientItem{BaseName(path), path, -1, path});
  const std::string out_dir = a.out_dir;
  ClientWriter writer = [&out_dir](size_t, const std::string& untrusted_name, const std::string&,
                                   const std::string& bytes) -> Result<std::string> {
    std::string name = BaseName(untrusted_name);
    if (name.empty() || name == "." || name == "..") {
      return Status{StatusCode::kProtocol, "the service named an output '" + untrusted_name + "'"};
    }
    return WriteNewFile(out_dir, name, bytes);
  };
  std::string destination;
  if (!a.out_dir.empty()) {
    char* real = realpath(a.out_dir.c_str(), nullptr);
    destination = real ? real : a.out_dir;
    free(real);
  }
  Result<ClientOutcome> outcome = service.value()->Run("sanitize", items, a.password,
                                                       !a.out_dir.empty(), destination, writer);
  if (!outcome.ok()) {
    std::fprintf(stderr, "mugai sanitize: %s\n", outcome.status().message().c_str());
    return outcome.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInternal;
  }
  int rc = outcome->exit;
  if (!a.report.empty()) {
    std::string json =
        outcome->report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (int w = WriteReport(a.report, json); w >= 0) rc = w;
  }
  if (!a.quiet) std::fputs(outcome->notice.c_str(), stderr);
  return rc;
}

}  // namespace mugai
