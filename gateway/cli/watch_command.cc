// `mugai watch` front end.
#include "gateway/cli/watch_command.h"

#include <cstdio>

#include "gateway/cli/sanitize_command.h"
#include "gateway/watch/watch_service.h"

namespace mugai {

const char kWatchHelp[] =
    R"(Usage: mugai watch [OPTIONS]

Watches drop folders on the Internet side and delivers sanitised copies into the matching
folders on the LGWAN side (無害化してLGWAN側のフォルダへ受け渡し). A file is taken once its
size and time have not changed for watch.stable_ms, or at once when it was moved in. Its
outputs appear atomically; when something was changed or blocked, <name>.mugai.txt (Japanese
and English) says what and why. Every original is kept in the quarantine. Sub-folders are
kept; hidden files (".name", "~$name") are ignored.

Options:
  --in DIR --out DIR    one inbox → outbox mapping (may be repeated in pairs)
  --config FILE         TOML settings; [[watch.mapping]] tables map many folders, and an
                        out folder containing {user} gives each user's sub-folder its own
                        outbox (see docs/CONFIG.md)
  --service PATH        hand every file to the mugai service listening at PATH (exit 3 if
                        none answers). Default: service.socket when a service listens there;
                        when no socket file exists there, a service runs inside this watcher
                        (its own ClamAV engine; --signatures and --state are for it)
  --signatures PATH     ClamAV database file or folder (default: /var/lib/clamav)
  --state DIR           quarantine and log folder (default: ./mugai-state)
  --once                process what is in the inboxes now, then exit
  --allow-no-signatures run without malware signatures (demo/test only)
  -h, --help            show this help

Signals: SIGTERM/SIGINT finish the current batch, then exit; SIGHUP reloads the config.
Crash safety: after a crash or kill -9, the next start finishes or retries every claimed
file (claims live in <inbox>/.mugai-work, staged outputs in <outbox>/.mugai-staging).
Through a service, the watcher only reads the inboxes and writes the outboxes: the service
keeps the originals, the audit log and the engine, and logs its side in its own log; the
watcher's lines go to standard error (the journal).
Exit status: 0 stopped normally, 2 configuration error, 3 cannot run (or no service answers
at --service PATH).
)";

int RunWatchCommand(const std::vector<std::string>& args) {
  WatchOptions o;
  std::string pending_in;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      std::fputs(kWatchHelp, stdout);
      return kExitDelivered;
    } else if (a == "--once") {
      o.once = true;
    } else if (a == "--allow-no-signatures") {
      o.allow_no_signatures = true;
    } else if (a == "--config" && value(&v)) {
      o.config_file = v;
    } else if (a == "--service" && value(&v)) {
      o.service = v;
    } else if (a == "--signatures" && value(&v)) {
      o.overrides.signatures = v;
      o.have_signatures_flag = true;
    } else if (a == "--state" && value(&v)) {
      o.overrides.state_dir = v;
      o.have_state_flag = true;
    } else if (a == "--in" && value(&v)) {
      pending_in = v;
    } else if (a == "--out" && value(&v)) {
      if (pending_in.empty()) {
        std::fprintf(stderr, "mugai watch: --out must follow an --in\nTry 'mugai watch --help'.\n");
        return kExitUsage;
      }
      if (pending_in[0] != '/' || v[0] != '/') {
        std::fprintf(stderr, "mugai watch: --in and --out need absolute paths\n");
        return kExitUsage;
      }
      o.extra_mappings.push_back(WatchMapping{pending_in, v});
      pending_in.clear();
    } else {
      std::fprintf(stderr, "mugai watch: unknown or incomplete option '%s'\nTry 'mugai watch --help'.\n",
                   a.c_str());
      return kExitUsage;
    }
  }
  if (!pending_in.empty()) {
    std::fprintf(stderr, "mugai watch: --in '%s' has no --out\n", pending_in.c_str());
    return kExitUsage;
  }
  return WatchService(std::move(o)).Run();
}

}  // namespace mugai
