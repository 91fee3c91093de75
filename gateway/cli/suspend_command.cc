// `mugai suspend` / `mugai resume`.
#include "gateway/cli/suspend_command.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "gateway/cli/sanitize_command.h"
#include "gateway/pipeline/pipeline.h"
#include "gateway/service/roles.h"
#include "gateway/service/suspension.h"
#include "quarantine/release_rules.h"
#include "quarantine/utc_time.h"

namespace mugai {

namespace {

const char kSuspendHelp[] =
    R"(Usage: mugai suspend --reason TEXT [OPTIONS]
       mugai resume [OPTIONS]

suspend stops every entry point at once (受付停止), e.g. while infection spreads by mail:
the milter answers 451 (4.3.2) to every message, so the sending MTA keeps it queued and
tries again later; watch leaves files in their inboxes; sanitize and mail exit 3. Nothing is
lost and nothing crosses. The switch is a file in the state folder (<state>/suspended), so it
holds across a restart of the service, until resume. Both are recorded in the audit log, and
the suspension shows in /healthz (503) and the metric mugai_suspended.

resume takes items again (受付再開).

Both need the admin role: your user name under [roles] admins in the config.

Options: --reason TEXT (suspend: why, recorded and shown to whoever asks), --service PATH
(send it to the mugai service; the default is the one at service.socket when it listens),
--state DIR (the state folder directly, when no service runs), --config FILE, --user U (on
the state folder, root names the admin it acts for), -h/--help.
Exit status: 0 done, 1 refused (no admin role), 2 usage error, 3 internal failure.
)";

}  // namespace

int RunSuspendCommand(const std::string& which, const std::vector<std::string>& args,
                      const ServiceCaller* service) {
  const std::string command = "mugai " + which;
  CliArgs a = ParseCliArgs(args, {"--state", "--config", "--user", "--service", "--reason"},
                           {"--help"});
  if (a.Has("--help")) {
    std::fputs(kSuspendHelp, OpOut());
    return kExitDelivered;
  }
  if (!a.error.empty()) {
    return Fail(nullptr, command, a.error + "\nTry '" + command + " --help'.", kExitUsage);
  }
  if (!a.words.empty()) {
    return Fail(nullptr, command, "unexpected argument '" + a.words[0] + "' (try --help)",
                kExitUsage);
  }
  const bool suspend = which == "suspend";
  const std::string reason = a.Get("--reason");
  if (suspend && reason.empty()) {
    return Fail(nullptr, command,
                "say why with --reason TEXT (it is recorded and shown while suspended)",
                kExitUsage);
  }
  if (!suspend && a.Has("--reason")) {
    return Fail(nullptr, command, "--reason is for suspend", kExitUsage);
  }
  int rc = kExitUsage;
  if (!service && RunThroughService(which, args, a, &rc)) return rc;
  std::unique_ptr<OperatorContext> ctx = OpenOperatorContext(a, command, &rc, service);
  if (!ctx) return rc;
  std::string user;
  if (!ActorOf(*ctx, a, &user)) return kExitUsage;
  if (user.empty() || !IsAdmin(ctx->config, ClaimedName(user))) {
    std::fprintf(OpErr(),
                 "%s: %s: only an admin may %s: list the user under [roles] admins in the "
                 "config\n"
                 "%s: 受付停止・再開は管理者 (設定ファイルの [roles] admins) だけが行えます。\n",
                 command.c_str(),
                 user.empty() ? "--user is required on the state folder"
                              : ("user '" + user + "' has no admin role").c_str(),
                 which.c_str(), command.c_str());
    return kExitBlocked;
  }
  const std::string& state = ctx->config.state_dir;
  Suspension before = ReadSuspension(state);
  nlohmann::json details = {{"reason", suspend ? reason : before.reason},
                            {"was_suspended", before.active}};
  // Both orders fail closed: a suspension takes effect before its record (a missing record
  // is then the only loss); a resumption is recorded before it takes effect (the gateway
  // never opens without a record of who opened it).
  if (suspend) {
    Suspension s;
    s.active = true;
    s.reason = reason;
    s.actor = user;
    s.since = static_cast<int64_t>(std::time(nullptr));
    if (Status w = WriteSuspension(state, s); !w.ok()) {
      return Fail(ctx.get(), command, w.message(), kExitInternal);
    }
    if (!AuditOrSay(*ctx, AuditEvent::kSuspended, user, "", details)) return kExitInternal;
  } else {
    if (!AuditOrSay(*ctx, AuditEvent::kResumed, user, "", details)) return kExitInternal;
    if (Status c = ClearSuspension(state); !c.ok()) {
      return Fail(ctx.get(), command,
                  c.message() + " (the resumption is recorded but not in effect: remove the "
                                "file, or run 'mugai resume' again)",
                  kExitInternal);
    }
  }
  if (ctx->pipeline) {
    ctx->pipeline->log().Write(suspend ? "warning" : "info", suspend ? "suspended" : "resumed",
                               {{"actor", user}, {"reason", suspend ? reason : before.reason}});
  }
  if (suspend) {
    std::fprintf(OpOut(),
                 "suspended: no mail or file is taken until 'mugai resume' (reason: %s)\n"
                 "受付を停止しました。再開するには 'mugai resume' を実行してください。\n",
                 reason.c_str());
  } else {
    std::fprintf(OpOut(), "%s\n%s\n",
                 before.active ? "resumed: items are taken again" : "was not suspended; nothing to do",
                 before.active ? "受付を再開しました。" : "停止していませんでした。");
  }
  return kExitDelivered;
}

}  // namespace mugai
