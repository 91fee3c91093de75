// The mugai binary: a thin dispatcher over the gateway library's commands.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gateway/cli/audit_command.h"
#include "gateway/cli/console_command.h"
#include "gateway/cli/db_command.h"
#include "gateway/cli/mail_command.h"
#include "gateway/cli/milter_command.h"
#include "gateway/cli/serve_command.h"
#include "gateway/cli/quarantine_command.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/cli/watch_command.h"
#include "gateway/cli/suspend_command.h"
#include "gateway/service/config.h"
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
  audit      verify, anchor, export or prune the tamper-evident audit log (mugai audit --help)
  db         the quarantine database: status, migrate the schema, import a node's SQLite
             state folder into PostgreSQL for several nodes (mugai db --help)
  console    the web console: staff see their items and enter PPAP passwords, approvers
             decide on requests, auditors search the audit log (mugai console --help)
  user       the console's local users: add, passwd, disable, enable, list (mugai user --help)
  suspend    stop taking mail and files at once, e.g. while infection spreads (受付停止);
             resume takes them again (mugai suspend --help)
  check-config FILE
             validate a config file and print the effective configuration, every default
             included (設定ファイルの検査)

mugai starts mugai-zygote itself (the worker zygote, the scanner process that holds the one
ClamAV engine, and the LibreOffice converters): see mugai-zygote --help.

Options:
  -h, --help     show this help
  --version      show the version

Every command takes --config FILE (TOML, see docs/CONFIG.md), --signatures PATH and
--state DIR. Exit status: 0 delivered, 1 blocked, 2 usage/config error, 3 internal failure.
)";

constexpr char kCheckConfigHelp[] = R"(Usage: mugai check-config FILE

Validates FILE (TOML, docs/CONFIG.md) as every mugai command would read it: unknown keys,
wrong types and values out of range are errors that name the key. When it is valid, prints
the effective configuration: every key, the file's values and the built-in defaults for the
rest (mugai serve logs the same at start).
Exit status: 0 valid, 2 invalid or unreadable (the reason on standard error).
)";

int RunCheckConfig(const std::vector<std::string>& args) {
  if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help")) {
    std::fputs(kCheckConfigHelp, stdout);
    return mugai::kExitDelivered;
  }
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-') {
    std::fprintf(stderr, "mugai check-config: give one config file\n%s", kCheckConfigHelp);
    return mugai::kExitUsage;
  }
  mugai::Result<mugai::Config> config = mugai::LoadConfigFile(args[0]);
  if (!config.ok()) {
    std::fprintf(stderr, "mugai check-config: %s: %s\n設定ファイルに誤りがあります。\n",
                 args[0].c_str(), config.status().message().c_str());
    return mugai::kExitUsage;
  }
  std::printf("# %s: valid (設定は有効です). The effective configuration, defaults included:\n%s",
              args[0].c_str(), mugai::ConfigToToml(config.value()).c_str());
  return mugai::kExitDelivered;
}

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
  if (command == "check-config") return RunCheckConfig(args);
  if (command == "console") return mugai::RunConsoleCommand(args);
  if (command == "db") return mugai::RunDbCommand(args);
  if (command == "user") return mugai::RunUserCommand(args);
  if (command == "suspend" || command == "resume") return mugai::RunSuspendCommand(command, args);
  std::fprintf(stderr, "mugai: unknown command '%s'\nTry 'mugai --help'.\n", command.c_str());
  return mugai::kExitUsage;
}
