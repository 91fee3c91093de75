// `mugai serve` front end: arguments → Config → Service → listen until stopped.
#include "gateway/cli/serve_command.h"

#include <cstdio>

#include "gateway/cli/cli_args.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/service/config.h"
#include "gateway/service/privileges.h"
#include "gateway/service/service.h"

namespace mugai {

namespace {

constexpr char kHelp[] = R"(Usage: mugai serve [OPTIONS]

The mugai host service (無害化サービス): one per host. It loads the ClamAV signatures once
(into its scanner process), keeps the quarantine and the audit log, and runs every item in
sandboxed workers for its clients: `mugai sanitize` and `mugai mail` hand it their inputs
through its socket (as open files: the service never reads their folders) and write the
outputs it hands back. It knows each client's Unix user from the socket (SO_PEERCRED) and
records that user in the audit log.

Options:
  --socket PATH         where to listen (service.socket, default /run/mugai/mugai.sock),
                        mode 0660, group service.socket_group
  --config FILE         TOML settings (docs/CONFIG.md)
  --signatures PATH     ClamAV database file or folder (default: /var/lib/clamav)
  --state DIR           quarantine and log folder (default: ./mugai-state)
  --allow-no-signatures run without malware signatures (demo/test only)
  -h, --help            show this help

Signals: SIGHUP loads the signatures again (beside the engine in use: no request waits);
SIGTERM or SIGINT stop accepting, let requests in progress finish, and exit 0.
The signatures are also reloaded when their folder changes (scan.reload_check_seconds).

Exit status: 0 stopped by a signal, 2 usage or configuration error, 3 internal failure.
Logs: <state>/mugai.log (grep event=service_listening, event=item_done).
)";

}  // namespace

int RunServeCommand(const std::vector<std::string>& args) {
  CliArgs a = ParseCliArgs(args, {"--socket", "--config", "--signatures", "--state"},
                           {"--allow-no-signatures", "--help"});
  if (a.Has("--help")) {
    std::fputs(kHelp, stdout);
    return kExitDelivered;
  }
  auto usage = [](const std::string& m) {
    std::fprintf(stderr, "mugai serve: %s\nTry 'mugai serve --help'.\n", m.c_str());
    return kExitUsage;
  };
  if (!a.error.empty()) return usage(a.error);
  if (!a.words.empty()) return usage("unexpected argument '" + a.words[0] + "'");
  Result<Config> loaded = CommandConfig(a);
  if (!loaded.ok()) return usage("config error: " + loaded.status().message());
  Config config = loaded.value();
  if (a.Has("--socket")) config.service_socket = a.Get("--socket");
  if (Status s = DropPrivileges(config.process_user); !s.ok()) return usage(s.message());
  ServiceOptions options;
  options.allow_no_signatures = a.Has("--allow-no-signatures");
  options.entry_point = "cli";  // its clients are the one-shot commands (sanitize, mail)
  Result<std::unique_ptr<Service>> service = Service::Create(config, options);
  if (!service.ok()) {
    std::fprintf(stderr, "mugai serve: %s\n", service.status().message().c_str());
    return service.status().code() == StatusCode::kConfig ? kExitUsage : kExitInternal;
  }
  return service.value()->Listen(config.service_socket, config.service_socket_group);
}

}  // namespace mugai
