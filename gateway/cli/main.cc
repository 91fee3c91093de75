// The mugai binary: a thin dispatcher over the gateway library's commands.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gateway/cli/audit_command.h"
#include "gateway/cli/mail_command.h"
#include "gateway/cli/milter_command.h"
#include "gateway/cli/serve_command.h"
#include "gateway/cli/quarantine_command.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/cli/watch_command.h"
#include "mugai/version.h"

namespace {

constexpr char kHelp[] = R"(mugai — file sanitisation gateway (無害化ゲートウェイ) for LGWAN networks

Usage: mugai COMMAND [OPTIONS] ...

Commands:
  serve      the host service: one engine, quarantine and audit log for every command
             below; they hand it their inputs through its socket (mugai serve --help)
  sanitize   sanitise files: identify, scan, convert or block (mugai sanitize --help)
  mail       sanitise one mail message: stdin → stdout (mugai mail --help)
  milter     the Postfix milter: every mail sanitised inline (mugai milter --help)
  watch      drop-folder transfer: inbox folders → sanitised outbox folders (mugai watch --help)
  quarantine list, inspect, release (with a second person's approval), resubmit, purge
             quarantined originals (mugai quarantine --help)
  audit      verify, export or prune the tamper-evident audit log (mugai audit --help)

mugai starts mugai-zygote itself (the worker zygote, the scanner process that holds the one
ClamAV engine, and the LibreOffice converters): see mugai-zygote --help.

Options:
  -h, --help     show this help
  --version      show the version

Every command takes --config FILE (TOML, see docs/CONFIG.md), --signatures PATH and
--state DIR. Exit status: 0 delivered, 1 blocked, 2 usage/config error, 3 internal failure.
)";

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a closed pipe is an error return, not a death
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kHelp, args.empty() ? stderr : stdout);
    return args.empty() ? mugai::kExitUsage : mugai::kExitDelivered;
  }
  if (args[0] == "--version") {
    std::printf("mugai %s\n", MUGAI_VERSION);
    return mugai::kExitDelivered;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "sanitize") return mugai::RunSanitizeCommand(args);
  if (command == "watch") return mugai::RunWatchCommand(args);
  if (command == "mail") return mugai::RunMailCommand(args);
  if (command == "milter") return mugai::RunMilterCommand(args);
  if (command == "quarantine") return mugai::RunQuarantineCommand(args);
  if (command == "audit") return mugai::RunAuditCommand(args);
  if (command == "serve") return mugai::RunServeCommand(args);
  std::fprintf(stderr, "mugai: unknown command '%s'\nTry 'mugai --help'.\n", command.c_str());
  return mugai::kExitUsage;
}
