// `mugai audit`: the tamper-evident audit log (docs/QUARANTINE.md).
#include "gateway/cli/audit_command.h"

#include <cstdio>
#include <cstdlib>

#include "gateway/cli/operator_context.h"
#include "gateway/cli/sanitize_command.h"
#include "quarantine/audit_log.h"
#include "quarantine/utc_time.h"

namespace mugai {

const char kAuditHelp[] =
    R"(Usage: mugai audit COMMAND [OPTIONS]

The audit log (<state>/audit.log, 監査ログ) records every processed, quarantined, delivered,
released, resubmitted and purged item, one JSON object per line, each carrying the sha256 of
the line before it.

Commands:
  verify [--with-archives] [--anchor SEQ:HASH]
                             check the hash chain: exit 0 when it holds, 1 naming the first
                             bad record (edited, deleted, inserted or reordered). With
                             --anchor, the log must also still hold that record unchanged: a
                             log cut back (and its audit.head rewritten) verifies on its own
                             but loses an anchor taken before the cut
  anchor                     print the chain's head as SEQ:HASH and its time, to keep off
                             this machine (a register, a ticket, another host), for verify
                             --anchor later (監査ログの先頭を外部に控える)
  export [--format json|csv] [--redact]
                             write the log to standard output; --redact masks e-mail
                             addresses, subjects and file names
  purge [--user U] [--older-than DAYS]
                             retention: move records older than DAYS (default: config
                             audit.retention_days, 1096 = 3 years) to an archive file, sealed
                             by a checkpoint record so that verify stays green

Options: --service PATH (send it to the mugai service; without --service and --state, the
one at service.socket when it listens), --state DIR (the state folder directly), --config
FILE, --user U (root names the person it acts for, recorded as "root as U"; otherwise you
are the Unix user you are logged in as), -h/--help. Through the service every command needs a
role that may (auditors read the log); on the state folder verify and export need one only
when --user is given.
Exit status: 0 ok, 1 the chain is broken or the operation was refused, 2 usage error,
3 internal failure.
)";

int RunAuditCommand(const std::vector<std::string>& args, const ServiceCaller* service) {
  const std::string command = "mugai audit";
  CliArgs a = ParseCliArgs(args, {"--state", "--config", "--user", "--format", "--older-than",
                                  "--service", "--anchor"},
                           {"--with-archives", "--redact", "--help"});
  if (a.Has("--help")) {
    std::fputs(kAuditHelp, OpOut());
    return kExitDelivered;
  }
  if (!a.error.empty()) return Fail(nullptr, command, a.error + "\nTry 'mugai audit --help'.", kExitUsage);
  if (a.words.size() != 1) return Fail(nullptr, command, "give one command: verify, anchor, export or purge (try --help)", kExitUsage);
  const std::string& sub = a.words[0];
  if (sub != "verify" && sub != "anchor" && sub != "export" && sub != "purge") {
    return Fail(nullptr, command, "unknown command '" + sub + "' (try --help)", kExitUsage);
  }
  int rc = kExitUsage;
  if (!service && RunThroughService("audit", args, a, &rc)) return rc;
  std::unique_ptr<OperatorContext> ctx = OpenOperatorContext(a, command, &rc, service);
  if (!ctx) return rc;
  std::string user;
  if (!ActorOf(*ctx, a, &user)) return kExitUsage;
  // Reading the log is open to whoever can read the state folder; through the service the
  // caller is always known, and must hold a role that may.
  const bool check = !a.Get("--user").empty() || ctx->service;
  if (sub == "verify" || sub == "anchor") {
    if (check && !Authorized(*ctx, user, Operation::kAuditVerify)) return kExitBlocked;
    std::optional<AuditAnchor> anchor;
    if (a.Has("--anchor")) {
      anchor = ParseAuditAnchor(a.Get("--anchor"));
      if (!anchor || sub != "verify") {
        return Fail(ctx.get(), command,
                    "--anchor goes with verify and is SEQ:HASH as `mugai audit anchor` printed "
                    "it (a number, a colon, 64 hex digits)",
                    kExitUsage);
      }
    }
    Result<AuditVerifyResult> v = ctx->audit->Verify(a.Has("--with-archives"), anchor);
    if (!v.ok()) return Fail(ctx.get(), command, v.status().message(), kExitInternal);
    if (v->ok() && sub == "anchor") {
      if (v->records == 0) {
        return Fail(ctx.get(), command, "the audit log is empty: nothing to anchor yet", kExitBlocked);
      }
      std::fprintf(OpOut(), "%llu:%s %s\n", static_cast<unsigned long long>(v->last_seq),
                   v->last_hash.c_str(), FormatUtc(v->last_time).c_str());
      return kExitDelivered;
    }
    if (v->ok() && anchor && !(v->anchor_seen && v->anchor_matches)) {
      std::fprintf(OpOut(),
                   "audit log BROKEN (改ざんの可能性): %s\n",
                   !v->anchor_seen
                       ? ("the anchored record seq " + std::to_string(anchor->seq) +
                          " is not in the log: records were cut from it (if they were purged "
                          "by retention, add --with-archives)")
                             .c_str()
                       : ("record seq " + std::to_string(anchor->seq) +
                          " is not the anchored one (its hash differs): the log was rewritten "
                          "from there on")
                             .c_str());
      return kExitBlocked;
    }
    if (v->ok()) {
      if (anchor) {
        std::fprintf(OpOut(), "anchor seq %llu found unchanged\n",
                     static_cast<unsigned long long>(anchor->seq));
      }
      std::fprintf(OpOut(), "audit log OK: %llu record(s), seq %llu..%llu, last hash %s\n",
                  static_cast<unsigned long long>(v->records),
                  static_cast<unsigned long long>(v->first_seq),
                  static_cast<unsigned long long>(v->last_seq), v->last_hash.c_str());
      return kExitDelivered;
    }
    const AuditProblem& p = *v->problem;
    std::fprintf(OpOut(), "audit log BROKEN (改ざんの可能性): first bad record at %s line %llu (seq %llu): %s\n",
                p.file.c_str(), static_cast<unsigned long long>(p.line),
                static_cast<unsigned long long>(p.seq), p.what.c_str());
    return kExitBlocked;
  }
  if (sub == "export") {
    if (check && !Authorized(*ctx, user, Operation::kAuditExport)) return kExitBlocked;
    std::string format = a.Has("--format") ? a.Get("--format") : "json";
    if (format != "json" && format != "csv") return Fail(ctx.get(), command, "--format is json or csv", kExitUsage);
    Result<std::string> out = ctx->audit->Export(
        format == "csv" ? AuditExportFormat::kCsv : AuditExportFormat::kJson, a.Has("--redact"));
    if (!out.ok()) return Fail(ctx.get(), command, out.status().message(), kExitInternal);
    std::fwrite(out->data(), 1, out->size(), OpOut());
    return kExitDelivered;
  }
  if (!Authorized(*ctx, user, Operation::kPurge)) return kExitBlocked;
  int days = a.Has("--older-than") ? std::atoi(a.Get("--older-than").c_str())
                                   : static_cast<int>(ctx->config.audit_retention_days);
  if (days <= 0) return Fail(ctx.get(), command, "--older-than must be a positive number of days", kExitUsage);
  Result<AuditPurgeResult> r = ctx->audit->Purge(days, user);
  if (!r.ok()) return Fail(ctx.get(), command, r.status().message(), kExitBlocked);
  std::fprintf(OpOut(), "moved %llu record(s) older than %d days to %s; %llu kept\n",
              static_cast<unsigned long long>(r->removed), days,
              r->archive.empty() ? "(none)" : r->archive.c_str(),
              static_cast<unsigned long long>(r->kept));
  return kExitDelivered;
}

}  // namespace mugai
