// `mugai audit`: the tamper-evident audit log (docs/QUARANTINE.md).
#include "gateway/cli/audit_command.h"

#include <cstdio>
#include <cstdlib>

#include "gateway/cli/operator_context.h"
#include "gateway/cli/sanitize_command.h"

namespace mugai {

const char kAuditHelp[] =
    R"(Usage: mugai audit COMMAND [OPTIONS]

The audit log (<state>/audit.log, 監査ログ) records every processed, quarantined, delivered,
released, resubmitted and purged item, one JSON object per line, each carrying the sha256 of
the line before it.

Commands:
  verify [--with-archives]   check the hash chain: exit 0 when it holds, 1 naming the first
                             bad record (edited, deleted, inserted or reordered)
  export [--format json|csv] [--redact]
                             write the log to standard output; --redact masks e-mail
                             addresses, subjects and file names
  purge [--user U] [--older-than DAYS]
                             retention: move records older than DAYS (default: config
                             audit.retention_days, 1096 = 3 years) to an archive file, sealed
                             by a checkpoint record so that verify stays green

Options: --service PATH (send it to the mugai service; without --service and --state, the
one at service.socket when it listens), --state DIR (the state folder directly), --config
FILE, --user U (on the state folder, root names the person it acts for; otherwise you are
the Unix user you are logged in as), -h/--help. Through the service every command needs a
role that may (auditors read the log); on the state folder verify and export need one only
when --user is given.
Exit status: 0 ok, 1 the chain is broken or the operation was refused, 2 usage error,
3 internal failure.
)";

int RunAuditCommand(const std::vector<std::string>& args, const ServiceCaller* service) {
  const std::string command = "mugai audit";
  CliArgs a = ParseCliArgs(args, {"--state", "--config", "--user", "--format", "--older-than",
                                  "--service"},
                           {"--with-archives", "--redact", "--help"});
  if (a.Has("--help")) {
    std::fputs(kAuditHelp, OpOut());
    return kExitDelivered;
  }
  if (!a.error.empty()) return Fail(nullptr, command, a.error + "\nTry 'mugai audit --help'.", kExitUsage);
  if (a.words.size() != 1) return Fail(nullptr, command, "give one command: verify, export or purge (try --help)", kExitUsage);
  const std::string& sub = a.words[0];
  if (sub != "verify" && sub != "export" && sub != "purge") {
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
  if (sub == "verify") {
    if (check && !Authorized(*ctx, user, Operation::kAuditVerify)) return kExitBlocked;
    Result<AuditVerifyResult> v = ctx->audit->Verify(a.Has("--with-archives"));
    if (!v.ok()) return Fail(ctx.get(), command, v.status().message(), kExitInternal);
    if (v->ok()) {
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
