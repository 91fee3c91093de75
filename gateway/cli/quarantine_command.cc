// `mugai quarantine`: the subcommands that only read or change the index.
#include "gateway/cli/quarantine_command.h"

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "gateway/cli/sanitize_command.h"
#include "gateway/service/roles.h"
#include "quarantine/utc_time.h"

namespace mugai {

const char kQuarantineHelp[] =
    R"(Usage: mugai quarantine COMMAND [OPTIONS]

Originals of blocked and converted items stay in the quarantine (隔離) under the state
folder. Releasing one needs a request by an operator and an approval by a different user
(申請者と承認者の兼務禁止); every step is written to the tamper-evident audit log.

Commands:
  list [--json] [--status S] [--entry cli|watch|milter] [--verdict blocked|sanitized]
       [--since UTC] [--until UTC] [--limit N] [--newest]
                         items, oldest first (--newest: the newest N, newest first) (S: quarantined, release_requested, approved,
                         rejected, released, purged)
  show ID [--json]       one item: record and processing report
  request-release ID [--user U] --reason TEXT [--original --expires YYYY-MM-DDTHH:MM:SSZ]
                         ask for a release. Without --original, approval re-runs the
                         pipeline with current signatures and delivers the sanitised result;
                         with --original the unsanitised original itself is delivered — an
                         exception that needs a reason and an expiry
  approve ID [--user U] [--out DIR] [--password PW] [--reason TEXT]
                         approve (U must be an approver and not the requester) and deliver
                         to DIR, or to the folder recorded when the item arrived
  reject ID [--user U] --reason TEXT
  resubmit ID [--user U] [--password PW] [--out DIR] [--report FILE|-]
                         run the pipeline again (e.g. a PPAP zip once its password arrived,
                         or after a signature update) and deliver what it allows
  download ID --out DIR  write a sanitised copy (the pipeline run again with current
                         signatures) into DIR; the original stays as it is. A recipient may
                         download their own items
  purge ID [--user U]    delete the original (overwritten, then removed) and record it
  purge --older-than DAYS [--user U]
  reconcile              compare the index with the stored originals (after a crash)

Options for every command:
  --service PATH         send the command to the mugai service at PATH (exit 3 if none
                         answers). Without --service and --state, a service listening at
                         service.socket (default /run/mugai/mugai.sock) is used when there is one
  --state DIR            work on this state folder directly instead (root or the service's
                         user; default ./mugai-state)
  --config FILE          TOML config: [roles] operators/approvers/auditors, classification
  --signatures PATH      ClamAV database (approve, resubmit; on the state folder only)
  -h, --help             show this help

Who you are (本人確認): through the service, the Unix user you are logged in as, which the
service learns from its socket; --user may be left out, and naming anyone else is refused.
On the state folder, the Unix user running the command. Only root names the person it acts
for with --user, recorded as "root as NAME" (with sudo: "root (YOU) as NAME"); NAME's roles
apply, and the person behind root can never approve what they requested under any name. Through the service, the files of approve/resubmit --out are written by this
command, as you; --report only as --report - (standard output).

Roles (config [roles]): operators request, resubmit and purge; approvers approve and reject;
auditors only read. Listing and showing need a role through the service; on the state
folder, access to it is enough.

Exit status: 0 done, 1 refused or blocked (the message says why), 2 usage or configuration
error, 3 internal failure.
)";

namespace {

const std::set<std::string> kValueFlags = {
    "--state", "--config", "--signatures", "--user", "--reason", "--expires", "--out",
    "--password", "--status", "--entry", "--verdict", "--since", "--until", "--limit",
    "--older-than", "--report", "--service"};
const std::set<std::string> kSwitches = {"--json", "--original", "--help", "--newest"};

nlohmann::json RecordJson(const QuarantineRecord& r) {
  nlohmann::json j = {
      {"id", r.id},
      {"received_at", r.received_at},
      {"entry_point", r.entry_point},
      {"name", r.name},
      {"size", r.size},
      {"sha256", r.sha256},
      {"detected_type", r.detected_type},
      {"verdict", r.verdict},
      {"reasons", r.reasons},
      {"threats", r.threats},
      {"signature_version", r.signature_version},
      {"classification", r.classification},
      {"state", std::string(StateName(r.state))},
      {"requested_by", r.requested_by},
      {"request_reason", r.request_reason},
      {"approved_by", r.approved_by},
      {"rejected_by", r.rejected_by},
      {"released_at", r.released_at},
      {"release_destination", r.release_destination},
      {"exception", r.exception},
      {"exception_expires_at", r.exception_expires_at},
      {"purged_at", r.purged_at},
      {"node", r.node},  // which gateway node quarantined it (several share PostgreSQL)
  };
  nlohmann::json source = nlohmann::json::parse(r.source, nullptr, false);
  j["source"] = source.is_discarded() ? nlohmann::json(r.source) : source;
  // A mail's subject and envelope, for lists (the console shows them).
  nlohmann::json report = nlohmann::json::parse(r.report_json, nullptr, false);
  j["subject"] = report.is_object() && report.contains("subject") && report["subject"].is_string()
                     ? report["subject"] : nlohmann::json("");
  j["recipients"] = RecipientsOf(r);
  return j;
}

// `only_for`: a member of staff without a role sees the items addressed to them.
int List(OperatorContext& ctx, const CliArgs& a, const std::string& only_for) {
  QuarantineListFilter f;
  if (a.Has("--status")) {
    std::optional<QuarantineState> s = ParseState(a.Get("--status"));
    if (!s) return Fail(&ctx, ctx.command, "unknown --status '" + a.Get("--status") + "'", kExitUsage);
    f.state = s;
  }
  f.entry_point = a.Get("--entry");
  f.verdict = a.Get("--verdict");
  f.since = a.Get("--since");
  f.until = a.Get("--until");
  if (a.Has("--limit")) f.limit = std::atoi(a.Get("--limit").c_str());
  f.newest_first = a.Has("--newest");
  if (a.Has("--limit") && f.limit <= 0) return Fail(&ctx, ctx.command, "--limit must be a positive number", kExitUsage);
  if (!only_for.empty()) f.limit = kIndexListMax;  // filtered below, then cut to --limit
  Result<std::vector<QuarantineRecord>> rows = ctx.index->List(f);
  if (!rows.ok()) return Fail(&ctx, ctx.command, rows.status().message(), kExitInternal);
  if (!only_for.empty()) {
    std::vector<QuarantineRecord> own;
    const size_t limit = a.Has("--limit") ? static_cast<size_t>(std::atoi(a.Get("--limit").c_str())) : 100;
    for (auto& r : rows.value()) {
      if (AddressedTo(ctx.config, r, only_for)) own.push_back(std::move(r));
    }
    // Keep the newest `limit` of them, in the order asked for.
    if (own.size() > limit) {
      if (f.newest_first) own.resize(limit);
      else own.erase(own.begin(), own.end() - static_cast<long>(limit));
    }
    rows.value() = std::move(own);
  }
  if (a.Has("--json")) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : rows.value()) arr.push_back(RecordJson(r));
    std::fprintf(OpOut(), "%s\n", arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitDelivered;
  }
  std::fprintf(OpOut(), "%-20s %-20s %-6s %-9s %-17s %s\n", "ID", "RECEIVED (UTC)", "ENTRY", "VERDICT",
              "STATE", "NAME / REASON");
  for (const auto& r : rows.value()) {
    std::fprintf(OpOut(), "%-20s %-20s %-6s %-9s %-17s %s  [%s]\n", r.id.c_str(), r.received_at.c_str(),
                r.entry_point.c_str(), r.verdict.c_str(), std::string(StateName(r.state)).c_str(),
                r.name.c_str(), r.reasons.c_str());
  }
  return kExitDelivered;
}

int Show(OperatorContext& ctx, const CliArgs& a) {
  if (a.words.size() != 2) return Fail(&ctx, ctx.command, "show needs one ID", kExitUsage);
  Result<QuarantineRecord> r = QuarantineRecord{};
  if (ctx.service) {
    // Through the service: a role, or the item is addressed to the reader.
    std::string reader;
    if (!ActorOf(ctx, a, &reader)) return kExitUsage;
    if (!AuthorizedItem(ctx, reader, Operation::kShow, a.words[1], &r.value())) return kExitBlocked;
  } else {
    r = ctx.index->Get(a.words[1]);
    if (!r.ok()) return Fail(&ctx, ctx.command, r.status().message(), kExitBlocked);
  }
  nlohmann::json j = RecordJson(r.value());
  nlohmann::json report = nlohmann::json::parse(r->report_json, nullptr, false);
  j["report"] = report.is_discarded() ? nlohmann::json(nullptr) : report;
  std::fprintf(OpOut(), "%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return kExitDelivered;
}

int RequestRelease(OperatorContext& ctx, const CliArgs& a) {
  if (a.words.size() != 2) return Fail(&ctx, ctx.command, "request-release needs one ID", kExitUsage);
  std::string user;
  if (!ActorOf(ctx, a, &user)) return kExitUsage;
  QuarantineRecord item;
  if (!AuthorizedItem(ctx, user, Operation::kRequestRelease, a.words[1], &item)) return kExitBlocked;
  if (a.Get("--reason").empty()) return Fail(&ctx, ctx.command, "--reason is required", kExitUsage);
  ReleaseRequest req{user, a.Get("--reason"), a.Has("--original"), a.Get("--expires")};
  if (req.exception && req.exception_expires_at.empty()) {
    return Fail(&ctx, ctx.command,
                "--original releases the unsanitised original: it needs --expires "
                "YYYY-MM-DDTHH:MM:SSZ (UTC)",
                kExitUsage);
  }
  bool audit_failed = false;
  Status s = RecordedTransition(
      ctx, AuditEvent::kReleaseRequested, user, a.words[1],
      {{"reason", req.reason}, {"exception", req.exception}, {"expires", req.exception_expires_at}},
      [&] { return ctx.index->RequestRelease(a.words[1], req); }, &audit_failed);
  if (!s.ok()) return Fail(&ctx, ctx.command, s.message(), s.code() == StatusCode::kUnavailable ? kExitInternal : kExitBlocked);
  if (audit_failed) return kExitInternal;
  std::fprintf(OpOut(), "release requested: %s (an approver other than %s must approve it)\n",
              a.words[1].c_str(), user.c_str());
  return kExitDelivered;
}

int Reject(OperatorContext& ctx, const CliArgs& a) {
  if (a.words.size() != 2) return Fail(&ctx, ctx.command, "reject needs one ID", kExitUsage);
  std::string user;
  if (!ActorOf(ctx, a, &user)) return kExitUsage;
  if (!Authorized(ctx, user, Operation::kReject)) return kExitBlocked;
  if (a.Get("--reason").empty()) return Fail(&ctx, ctx.command, "--reason is required", kExitUsage);
  bool audit_failed = false;
  Status s = RecordedTransition(
      ctx, AuditEvent::kReleaseRejected, user, a.words[1], {{"reason", a.Get("--reason")}},
      [&] { return ctx.index->Reject(a.words[1], user, a.Get("--reason")); }, &audit_failed);
  if (!s.ok()) return Fail(&ctx, ctx.command, s.message(), s.code() == StatusCode::kUnavailable ? kExitInternal : kExitBlocked);
  if (audit_failed) return kExitInternal;
  std::fprintf(OpOut(), "rejected: %s\n", a.words[1].c_str());
  return kExitDelivered;
}

int PurgeOne(OperatorContext& ctx, const std::string& user, const QuarantineRecord& rec,
             const std::string& why) {
  std::string disposal;
  bool audit_failed = false;
  nlohmann::json details = {{"name", rec.name}, {"sha256", rec.sha256}, {"size", rec.size},
                            {"why", why}};
  if (ctx.index->postgres()) {
    // One transaction: the state, the original's removal and this record (details.original).
    Status s = RecordedTransition(ctx, AuditEvent::kPurged, user, rec.id, details,
                                  [&] { return ctx.index->Purge(rec.id, *ctx.blobs, &disposal); },
                                  &audit_failed);
    if (!s.ok()) {
      return Fail(&ctx, ctx.command, rec.id + ": " + s.message(),
                  s.code() == StatusCode::kUnavailable ? kExitInternal : kExitBlocked);
    }
  } else {
    if (Status s = ctx.index->Purge(rec.id, *ctx.blobs, &disposal); !s.ok()) {
      return Fail(&ctx, ctx.command, rec.id + ": " + s.message(), kExitBlocked);
    }
    details["original"] = disposal;
    if (!AuditOrSay(ctx, AuditEvent::kPurged, user, rec.id, details)) return kExitInternal;
  }
  std::fprintf(OpOut(), "purged: %s (%s)\n", rec.id.c_str(), rec.name.c_str());
  return kExitDelivered;
}

int Purge(OperatorContext& ctx, const CliArgs& a) {
  std::string user;
  if (!ActorOf(ctx, a, &user)) return kExitUsage;
  if (!Authorized(ctx, user, Operation::kPurge)) return kExitBlocked;
  if (a.Has("--older-than")) {
    int days = std::atoi(a.Get("--older-than").c_str());
    if (days <= 0 || a.words.size() != 1) {
      return Fail(&ctx, ctx.command, "purge --older-than needs a positive number of days and no ID",
                  kExitUsage);
    }
    Result<std::vector<QuarantineRecord>> old = ctx.index->ListOlderThan(days);
    if (!old.ok()) return Fail(&ctx, ctx.command, old.status().message(), kExitInternal);
    int rc = kExitDelivered;
    for (const auto& rec : old.value()) {
      int one = PurgeOne(ctx, user, rec, "older than " + std::to_string(days) + " days");
      if (one != kExitDelivered) rc = one;
    }
    std::fprintf(OpOut(), "%zu item(s) purged\n", old->size());
    return rc;
  }
  if (a.words.size() != 2) return Fail(&ctx, ctx.command, "purge needs one ID or --older-than DAYS", kExitUsage);
  Result<QuarantineRecord> rec = ctx.index->Get(a.words[1]);
  if (!rec.ok()) return Fail(&ctx, ctx.command, rec.status().message(), kExitBlocked);
  return PurgeOne(ctx, user, rec.value(), "operator request");
}

int Reconcile(OperatorContext& ctx) {
  Result<ReconcileReport> r = ctx.index->Reconcile(*ctx.blobs);
  if (!r.ok()) return Fail(&ctx, ctx.command, r.status().message(), kExitInternal);
  for (const auto& b : r->orphan_blobs) std::fprintf(OpOut(), "orphan original (no index row): %s\n", b.c_str());
  for (const auto& id : r->missing_blobs) std::fprintf(OpOut(), "missing original for item: %s\n", id.c_str());
  if (r->orphan_blobs.empty() && r->missing_blobs.empty()) {
    std::fprintf(OpOut(), "consistent: every item has its original and every original its item\n");
    return kExitDelivered;
  }
  return kExitBlocked;
}

}  // namespace

std::string RecordedDestination(const QuarantineRecord& rec, const CliArgs& args) {
  if (!args.Get("--out").empty()) return args.Get("--out");
  nlohmann::json source = nlohmann::json::parse(rec.source, nullptr, false);
  if (source.is_object() && source.contains("out_dir") && source["out_dir"].is_string()) {
    return source["out_dir"].get<std::string>();
  }
  return "";
}

int RunQuarantineCommand(const std::vector<std::string>& args, const ServiceCaller* service) {
  const std::string command = "mugai quarantine";
  CliArgs a = ParseCliArgs(args, kValueFlags, kSwitches);
  if (a.Has("--help") || (a.words.empty() && a.error.empty() && args.empty())) {
    std::fputs(kQuarantineHelp, a.Has("--help") ? OpOut() : OpErr());
    return a.Has("--help") ? kExitDelivered : kExitUsage;
  }
  if (!a.error.empty()) return Fail(nullptr, command, a.error + "\nTry 'mugai quarantine --help'.", kExitUsage);
  if (a.words.empty()) return Fail(nullptr, command, "no command given (try --help)", kExitUsage);
  const std::string& sub = a.words[0];
  static const std::set<std::string> kCommands = {"list", "show", "request-release", "approve",
                                                  "reject", "resubmit", "purge", "reconcile",
                                                  "download"};
  if (!kCommands.count(sub)) {
    return Fail(nullptr, command, "unknown command '" + sub + "' (try --help)", kExitUsage);
  }
  int rc = kExitUsage;
  if (!service && RunThroughService("quarantine", args, a, &rc)) return rc;
  std::unique_ptr<OperatorContext> ctx = OpenOperatorContext(a, command, &rc, service);
  if (!ctx) return rc;
  std::string only_for;
  if (service && (sub == "list" || sub == "reconcile")) {
    // Reading the quarantine through the service needs a role (operators, approvers or
    // auditors), or lists only the items addressed to the reader; on the state folder,
    // reading it is access enough. (show checks the item it shows.)
    std::string reader;
    if (!ActorOf(*ctx, a, &reader)) return kExitUsage;
    if (sub == "list" && !reader.empty() && RolesOf(ctx->config, ClaimedName(reader)).empty() &&
        !IsAdmin(ctx->config, ClaimedName(reader))) {
      only_for = std::string(ClaimedName(reader));
    } else if (!Authorized(*ctx, reader, Operation::kList)) {
      return kExitBlocked;
    }
  }
  if (sub == "list") return List(*ctx, a, only_for);
  if (sub == "download") return DownloadItem(*ctx, a);
  if (sub == "show") return Show(*ctx, a);
  if (sub == "request-release") return RequestRelease(*ctx, a);
  if (sub == "approve") return ApproveItem(*ctx, a);
  if (sub == "reject") return Reject(*ctx, a);
  if (sub == "resubmit") return ResubmitItem(*ctx, a);
  if (sub == "purge") return Purge(*ctx, a);
  return Reconcile(*ctx);
}

}  // namespace mugai
