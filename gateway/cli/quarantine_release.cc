// `mugai quarantine approve` and `resubmit`: the two subcommands that deliver something.
// A sanitised release runs the whole pipeline again (current signatures, optional password)
// into a staging folder first, so an approval is recorded only for something deliverable.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/file_util.h"
#include "converters/mail/mail_text.h"
#include "gateway/cli/quarantine_command.h"
#include "gateway/service/roles.h"
#include "gateway/service/suspension.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/milter/smtp_forward.h"
#include "gateway/pipeline/pipeline.h"
#include "gateway/pipeline/report.h"

namespace mugai {

namespace {

// A new, empty folder `<parent>/<prefix>-XXXXXX` (mode 0700); "" if it cannot be made.
std::string MakeTempDir(const std::string& parent, const std::string& prefix) {
  if (!MakeDirs(parent, 0700).ok()) return "";
  std::string templ = parent + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  return mkdtemp(buf.data()) ? std::string(buf.data()) : "";
}

// Runs the pipeline on a quarantined original. Returns the item's report (or nullopt after
// printing why the pipeline could not start).
std::optional<NodeReport> Rerun(OperatorContext& ctx, const QuarantineRecord& rec,
                                const std::string& user, const std::string& password,
                                const std::string& out_dir, const std::string& destination,
                                std::string* report_json, bool keep_again = true) {
  std::string original = ctx.blobs->PathOf(rec.sha256);
  if (original.empty()) {
    Fail(&ctx, ctx.command,
         rec.id + ": the original cannot be read from the store (" +
             (ctx.blobs->in_database() ? "the database does not answer, or it is missing: "
                                       : "it is missing: ") +
             "run mugai quarantine reconcile)",
         kExitInternal);
    return std::nullopt;
  }
  // A database original's local copy goes as soon as the pipeline has read it.
  struct CopyRemover {
    BlobStore& blobs;
    std::string path;
    ~CopyRemover() { blobs.Release(path); }
  } remover{*ctx.blobs, original};
  // Inside `mugai serve` the service's own pipeline (its engine, its workers) runs it; on the
  // state folder, a pipeline is started for this command.
  std::unique_ptr<Pipeline> own;
  Pipeline* pipeline = ctx.pipeline;
  if (!pipeline) {
    PipelineOptions options;
    options.entry_point = rec.entry_point;
    Result<std::unique_ptr<Pipeline>> p = Pipeline::Create(ctx.config, options);
    if (!p.ok()) {
      Fail(&ctx, ctx.command, p.status().message(), kExitUsage);
      return std::nullopt;
    }
    own = std::move(p.value());
    pipeline = own.get();
  }
  // Suspended, or signatures stale with stale_action = "hold": nothing goes through.
  if (Status admit = pipeline->Admit(); !admit.ok()) {
    Fail(&ctx, ctx.command, admit.message(), kExitInternal);
    return std::nullopt;
  }
  ItemInput item;
  item.path = original;
  item.name = rec.name;
  item.out_dir = out_dir;
  item.source = "quarantine:" + rec.id;
  item.destination = destination;
  item.mail = rec.entry_point == "milter" || rec.detected_type == "message/rfc822";
  item.password = password;
  item.actor = user;
  item.entry_point = rec.entry_point;
  if (!keep_again) item.kept_as = rec.id;
  std::vector<NodeReport> reports = pipeline->Sanitize({item}, "");
  if (report_json) {
    *report_json = RunReport(pipeline->engine(), pipeline->scanning_enabled(), reports)
                       .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return reports.at(0);
}

// Moves every file of `staging` into `dest` without replacing anything there.
Status MoveOutputs(const std::string& staging, const std::string& dest,
                   std::vector<std::string>* delivered) {
  for (const auto& e : std::filesystem::directory_iterator(staging)) {
    std::string name = e.path().filename().string();
    std::string target = dest + "/" + name;
    for (int n = 1; access(target.c_str(), F_OK) == 0; ++n) {
      size_t dot = name.rfind('.');
      std::string numbered = dot == std::string::npos || dot == 0
                                 ? name + " (" + std::to_string(n) + ")"
                                 : name.substr(0, dot) + " (" + std::to_string(n) + ")" + name.substr(dot);
      target = dest + "/" + numbered;
    }
    if (renameat2(AT_FDCWD, e.path().c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
      return {StatusCode::kIo, "cannot move " + name + " into " + dest};
    }
    delivered->push_back(target);
  }
  return Status::Ok();
}

std::string ExceptionNote(const QuarantineRecord& rec, const std::string& approver) {
  return "【例外配送】この " + rec.name +
         " は無害化されていない原本です。承認に基づく例外として配送されました。\n"
         "EXCEPTION RELEASE: " + rec.name + " is the UNSANITISED ORIGINAL, released as an "
         "approved exception.\n\n"
         "item: " + rec.id + "\nsha256: " + rec.sha256 + "\nrequested by: " + rec.requested_by +
         "\nreason: " + rec.request_reason + "\napproved by: " + approver +
         "\nexpires: " + rec.exception_expires_at + "\noriginal verdict: " + rec.verdict + " (" +
         rec.reasons + ")\n";
}

bool IsMailItem(const QuarantineRecord& rec) { return rec.entry_point == "milter"; }

// A mail item goes back into SMTP, to milter.next_hop, for the envelope recorded at intake.
Status ForwardToNextHop(const OperatorContext& ctx, const QuarantineRecord& rec,
                        const std::string& message) {
  if (ctx.config.milter_next_hop.empty()) {
    return {StatusCode::kConfig,
            "mail is delivered through SMTP: set milter.next_hop = \"smtp://HOST:PORT\" in the config"};
  }
  nlohmann::json source = nlohmann::json::parse(rec.source, nullptr, false);
  nlohmann::json envelope =
      source.is_object() && source.contains("path") && source["path"].is_string()
          ? nlohmann::json::parse(source["path"].get<std::string>(), nullptr, false)
          : nlohmann::json();
  if (!envelope.is_object() || !envelope.contains("recipients")) {
    return {StatusCode::kInvalidArgument, rec.id + ": no envelope (sender, recipients) recorded"};
  }
  std::vector<std::string> rcpts;
  for (const auto& r : envelope["recipients"]) {
    if (r.is_string()) rcpts.push_back(r.get<std::string>());
  }
  std::string sender = envelope.value("sender", "");
  return ForwardMail(ctx.config.milter_next_hop, sender, rcpts, message);
}

// The message a pipeline run delivered (clean: the original, marked as such).
Result<std::string> DeliveredMessage(const NodeReport& r) {
  if (r.outputs.empty()) return Status{StatusCode::kInternal, "no output"};
  Result<std::string> text = ReadFileLimited(r.outputs[0].path, UINT64_MAX);
  if (!text.ok()) return text.status();
  if (r.verdict == Verdict::kClean) return WithVerdictHeaders(text.value(), "clean", "none");
  return text;
}

}  // namespace

// While suspended nothing crosses: not a release, not a resubmission (exit 3, retry later).
bool HeldBySuspension(OperatorContext& ctx) {
  Suspension s = ReadSuspension(ctx.config.state_dir);
  if (!s.active) return false;
  Fail(&ctx, ctx.command,
       "mugai is suspended (" + s.reason + "); nothing is delivered until an admin runs "
       "'mugai resume' (受付停止中)",
       kExitInternal);
  return true;
}

int ApproveItem(OperatorContext& ctx, const CliArgs& a) {
  if (a.words.size() != 2) return Fail(&ctx, ctx.command, "approve needs one ID", kExitUsage);
  std::string user;
  if (!ActorOf(ctx, a, &user)) return kExitUsage;
  if (HeldBySuspension(ctx)) return kExitInternal;
  if (!Authorized(ctx, user, Operation::kApprove)) return kExitBlocked;
  Result<QuarantineRecord> got = ctx.index->Get(a.words[1]);
  if (!got.ok()) return Fail(&ctx, ctx.command, got.status().message(), kExitBlocked);
  const QuarantineRecord& rec = got.value();
  if (rec.state != QuarantineState::kReleaseRequested) {
    return Fail(&ctx, ctx.command,
                rec.id + " is " + std::string(StateName(rec.state)) +
                    ": only a requested release can be approved",
                kExitBlocked);
  }
  if (SamePerson(rec.requested_by, user)) {
    return Fail(&ctx, ctx.command,
                "'" + rec.requested_by + "' requested this release and '" + user +
                    "' is the same person (the same name, or the same real user behind it), "
                    "who may not approve it: another approver must (申請者と承認者の兼務はできません)",
                kExitBlocked);
  }
  std::string dest = RecordedDestination(rec, a);
  bool mail = IsMailItem(rec) && a.Get("--out").empty();
  // Through the service with --out: staged in the service's own folder, then every file is
  // handed back to the client, which writes it into its folder itself.
  const bool hand_back = ctx.service && !a.Get("--out").empty();
  if (ctx.service && !mail && !hand_back) {
    // The folder recorded at intake was a client's: the service writes into no path a
    // client named (it could have become a link to anywhere since).
    return Fail(&ctx, ctx.command,
                "through the mugai service, give --out DIR: the released files are handed to "
                "this command, which writes them there as you",
                kExitUsage);
  }
  if (hand_back) dest = MakeTempDir(ctx.config.state_dir + "/tmp", "release-" + rec.id);
  if (hand_back && dest.empty()) {
    return Fail(&ctx, ctx.command, "cannot make a staging folder in the state folder", kExitInternal);
  }
  if (mail) {
    if (ctx.config.milter_next_hop.empty()) {
      return Fail(&ctx, ctx.command,
                  "mail is released through SMTP: set milter.next_hop in the config (or give "
                  "--out DIR to write the message to a folder)",
                  kExitUsage);
    }
    dest = MakeTempDir(ctx.config.state_dir + "/tmp", "release-" + rec.id);  // staging only
  }
  if (dest.empty()) {
    return Fail(&ctx, ctx.command, "no destination is recorded for " + rec.id + ": give --out DIR",
                kExitUsage);
  }
  if (Status s = MakeDirs(dest, 0755); !s.ok()) {
    return Fail(&ctx, ctx.command, "--out: " + s.message(), kExitUsage);
  }
  std::vector<std::string> delivered;
  std::string mail_text;  // the message to re-inject (mail items)
  std::string staging = dest + "/.mugai-release-" + rec.id;
  if (!rec.exception) {
    std::filesystem::remove_all(staging);
    if (Status s = MakeDirs(staging, 0700); !s.ok()) return Fail(&ctx, ctx.command, s.message(), kExitInternal);
    std::optional<NodeReport> r = Rerun(ctx, rec, user, a.Get("--password"), staging,
                                        hand_back ? "" : dest, nullptr);
    if (!r) {
      std::filesystem::remove_all(staging);
      return kExitInternal;
    }
    if (mail && r->verdict != Verdict::kBlocked && !r->internal_failure) {
      Result<std::string> text = DeliveredMessage(*r);
      if (!text.ok()) return Fail(&ctx, ctx.command, text.status().message(), kExitInternal);
      mail_text = text.value();
    }
    if (r->verdict == Verdict::kBlocked || r->internal_failure) {
      std::filesystem::remove_all(staging);
      std::fputs(HumanNotice({*r}).c_str(), OpErr());
      return Fail(&ctx, ctx.command,
                  "not approved: the pipeline still blocks " + rec.name + " (" +
                      ReasonCode(r->reason) + "). The request stays open: reject it, or ask for "
                      "an exception release of the original (request-release --original)",
                  kExitBlocked);
    }
  }
  bool audit_failed = false;
  Status approved = RecordedTransition(
      ctx, AuditEvent::kReleaseApproved, user, rec.id,
      {{"requested_by", rec.requested_by}, {"exception", rec.exception},
       {"reason", a.Get("--reason")}},
      [&] { return ctx.index->Approve(rec.id, user); }, &audit_failed);
  if (!approved.ok() || audit_failed) {
    std::filesystem::remove_all(staging);
    if (audit_failed) return kExitInternal;
    return Fail(&ctx, ctx.command, approved.message(),
                approved.code() == StatusCode::kUnavailable ? kExitInternal : kExitBlocked);
  }
  std::string original_bytes;  // an exception release delivers the original itself
  if (rec.exception) {
    std::string original = ctx.blobs->PathOf(rec.sha256);
    Result<std::string> bytes = ReadFileLimited(original, UINT64_MAX);
    ctx.blobs->Release(original);
    if (original.empty() || !bytes.ok()) {
      return Fail(&ctx, ctx.command, rec.id + ": the original cannot be read", kExitInternal);
    }
    original_bytes = std::move(bytes.value());
    if (mail) {
      mail_text = "X-Mugai-Verdict: exception\nX-Mugai-Exception: unsanitised original released by " +
                  user + " (requested by " + rec.requested_by + ", expires " +
                  rec.exception_expires_at + ")\n" + original_bytes;
    }
  }
  if (mail) {
    std::filesystem::remove_all(staging);
    std::filesystem::remove_all(dest);
    if (Status s = ForwardToNextHop(ctx, rec, mail_text); !s.ok()) {
      return Fail(&ctx, ctx.command, "approved, but not delivered: " + s.message() +
                                         " (the item stays approved; fix the next hop and "
                                         "resubmit it)",
                  kExitInternal);
    }
    dest = ctx.config.milter_next_hop;
    delivered.push_back(ctx.config.milter_next_hop);
  } else if (rec.exception) {
    std::filesystem::remove_all(staging);
    Status staged = MakeDirs(staging, 0700);
    if (staged.ok()) {
      staged = WriteFileAtomically(staging + "/" + BaseName(rec.name), original_bytes, 0644, false);
    }
    if (staged.ok()) {
      staged = WriteFileAtomically(staging + "/" + BaseName(rec.name) + ".mugai-exception.txt",
                                   ExceptionNote(rec, user), 0644, false);
    }
    if (!staged.ok()) {
      std::filesystem::remove_all(staging);
      return Fail(&ctx, ctx.command,
                  "approved, but not delivered: " + staged.message() +
                      " (the item stays approved; free space or fix the folder, then resubmit)",
                  kExitInternal);
    }
  }
  if (hand_back) {
    Status handed = HandBack(ctx, staging, &delivered);
    std::filesystem::remove_all(dest);
    if (!handed.ok()) {
      return Fail(&ctx, ctx.command, "approved, but not delivered: " + handed.message() +
                                         " (the item stays approved; resubmit it)",
                  kExitInternal);
    }
    dest = a.Get("--out");
  } else if (!mail) {
    Status moved = MoveOutputs(staging, dest, &delivered);
    std::filesystem::remove_all(staging);
    if (!moved.ok()) return Fail(&ctx, ctx.command, moved.message(), kExitInternal);
  }
  bool release_audit_failed = false;
  Status released = RecordedTransition(
      ctx, AuditEvent::kReleased, user, rec.id,
      {{"destination", dest}, {"files", delivered}, {"sha256", rec.sha256},
       {"exception", rec.exception}, {"requested_by", rec.requested_by}, {"approved_by", user}},
      [&] { return ctx.index->MarkReleased(rec.id, dest); }, &release_audit_failed);
  if (!released.ok()) return Fail(&ctx, ctx.command, released.message(), kExitInternal);
  if (release_audit_failed) return kExitInternal;
  for (const auto& f : delivered) std::fprintf(OpOut(), "released: %s\n", f.c_str());
  if (rec.exception) {
    std::fprintf(OpOut(), "EXCEPTION: the unsanitised original was released (例外: 無害化されていない原本を配送しました)\n");
  }
  return kExitDelivered;
}

int ResubmitItem(OperatorContext& ctx, const CliArgs& a) {
  if (a.words.size() != 2) return Fail(&ctx, ctx.command, "resubmit needs one ID", kExitUsage);
  std::string user;
  if (!ActorOf(ctx, a, &user)) return kExitUsage;
  if (HeldBySuspension(ctx)) return kExitInternal;
  QuarantineRecord rec;
  if (!AuthorizedItem(ctx, user, Operation::kResubmit, a.words[1], &rec)) return kExitBlocked;
  // A recipient (no operator role) resubmits their own item while it is only quarantined: not
  // once a release was asked for or decided, and without keeping another copy of it.
  std::vector<Role> roles = RolesOf(ctx.config, ClaimedName(user));
  const bool as_recipient = std::find(roles.begin(), roles.end(), Role::kOperator) == roles.end();
  if (as_recipient && rec.state != QuarantineState::kQuarantined) {
    return Fail(&ctx, ctx.command,
                rec.id + " is " + std::string(StateName(rec.state)) +
                    ": its recipient may resubmit it only while it is quarantined",
                kExitBlocked);
  }
  if (rec.state == QuarantineState::kPurged) {
    return Fail(&ctx, ctx.command, rec.id + " was purged: its original is gone", kExitBlocked);
  }
  if (ctx.service && a.Has("--report") && a.Get("--report") != "-") {
    return Fail(&ctx, ctx.command,
                "--report FILE: through the mugai service, use --report - (standard output) "
                "and redirect it", kExitUsage);
  }
  bool mail = IsMailItem(rec) && a.Get("--out").empty();
  const bool hand_back = ctx.service && !a.Get("--out").empty();
  if (ctx.service && !mail && !hand_back) {
    return Fail(&ctx, ctx.command,
                "through the mugai service, give --out DIR: the files are handed to this "
                "command, which writes them there as you",
                kExitUsage);
  }
  if (mail && ctx.config.milter_next_hop.empty()) {
    return Fail(&ctx, ctx.command,
                "mail is resubmitted by re-injecting it into SMTP: set milter.next_hop = "
                "\"smtp://HOST:PORT\" in the config (or give --out DIR)",
                kExitUsage);
  }
  // A folder of its own per run: two resubmissions of one item at once never share one.
  std::string dest = mail || hand_back ? MakeTempDir(ctx.config.state_dir + "/tmp", "resubmit-" + rec.id)
                                      : RecordedDestination(rec, a);
  if (dest.empty()) {
    return Fail(&ctx, ctx.command, "no destination is recorded for " + rec.id + ": give --out DIR",
                kExitUsage);
  }
  if (Status s = MakeDirs(dest, 0755); !s.ok()) return Fail(&ctx, ctx.command, "--out: " + s.message(), kExitUsage);
  std::string report;
  std::optional<NodeReport> r =
      Rerun(ctx, rec, user, a.Get("--password"), dest, hand_back ? "" : dest,
            a.Has("--report") ? &report : nullptr, /*keep_again=*/!as_recipient);
  if (!r) return kExitInternal;
  nlohmann::json outputs = nlohmann::json::array();
  for (const auto& o : r->outputs) outputs.push_back(o.path);
  if (hand_back) {
    outputs = nlohmann::json::array();
    std::vector<std::string> handed;
    Status s = r->verdict != Verdict::kBlocked && !r->internal_failure
                   ? HandBack(ctx, dest, &handed) : Status::Ok();
    std::filesystem::remove_all(dest);
    if (!s.ok()) return Fail(&ctx, ctx.command, "not delivered: " + s.message(), kExitInternal);
    for (const auto& h : handed) outputs.push_back(h);
  } else if (mail) {
    outputs = nlohmann::json::array();
    if (r->verdict != Verdict::kBlocked && !r->internal_failure) {
      Result<std::string> text = DeliveredMessage(*r);
      Status sent = text.ok() ? ForwardToNextHop(ctx, rec, text.value()) : text.status();
      std::filesystem::remove_all(dest);
      if (!sent.ok()) return Fail(&ctx, ctx.command, "not delivered: " + sent.message(), kExitInternal);
      outputs.push_back(ctx.config.milter_next_hop);
    }
    std::filesystem::remove_all(dest);
  }
  if (!AuditOrSay(ctx, AuditEvent::kResubmitted, user, rec.id,
                  {{"verdict", VerdictName(r->verdict)},
                   {"reason", ReasonCode(r->reason)},
                   {"new_item", r->quarantine_id},
                   {"password_given", !a.Get("--password").empty()},
                   {"outputs", outputs}})) {
    return kExitInternal;
  }
  if (a.Get("--report") == "-") {
    std::fputs(report.c_str(), OpOut());
  } else if (a.Has("--report")) {
    WriteUserFile(a.Get("--report"), report, 0640);
  }
  std::fputs(HumanNotice({*r}).c_str(), OpErr());
  if (r->internal_failure) return kExitInternal;
  return r->verdict == Verdict::kBlocked ? kExitBlocked : kExitDelivered;
}

// A sanitised copy for a user (the console's download): the pipeline runs again on the
// original with current signatures; what it delivers goes to --out (through the service:
// handed back to the client). Nothing is recorded as a release and no second copy is kept.
int DownloadItem(OperatorContext& ctx, const CliArgs& a) {
  if (a.words.size() != 2) return Fail(&ctx, ctx.command, "download needs one ID", kExitUsage);
  if (a.Get("--out").empty()) return Fail(&ctx, ctx.command, "download needs --out DIR", kExitUsage);
  std::string user;
  if (!ActorOf(ctx, a, &user)) return kExitUsage;
  if (HeldBySuspension(ctx)) return kExitInternal;
  QuarantineRecord rec;
  if (!AuthorizedItem(ctx, user, Operation::kShow, a.words[1], &rec)) return kExitBlocked;
  // The content is for operators and for the recipient; auditors, approvers and admins read
  // records, not mail.
  {
    const std::string claimed(ClaimedName(user));
    std::vector<Role> roles = RolesOf(ctx.config, claimed);
    const bool op = std::find(roles.begin(), roles.end(), Role::kOperator) != roles.end();
    const bool own = ActsAsRecipient(ctx.config, rec, claimed);
    if (!op && !own) {
      return Fail(&ctx, ctx.command,
                  "user '" + user + "' may not download " + rec.id +
                      ": only operators and the item's recipient may (roles: list, show)",
                  kExitBlocked);
    }
  }
  if (rec.state == QuarantineState::kPurged) {
    return Fail(&ctx, ctx.command, rec.id + " was purged: its original is gone", kExitBlocked);
  }
  const bool hand_back = ctx.service != nullptr;
  std::string dest = hand_back ? MakeTempDir(ctx.config.state_dir + "/tmp", "download-" + rec.id)
                               : a.Get("--out");
  if (dest.empty()) return Fail(&ctx, ctx.command, "cannot make a staging folder", kExitInternal);
  if (Status s = MakeDirs(dest, 0755); !s.ok()) return Fail(&ctx, ctx.command, "--out: " + s.message(), kExitUsage);
  std::optional<NodeReport> r = Rerun(ctx, rec, user, a.Get("--password"), dest, "", nullptr,
                                      /*keep_again=*/false);
  if (!r) {
    if (hand_back) std::filesystem::remove_all(dest);
    return kExitInternal;
  }
  std::vector<std::string> handed;
  const bool deliverable = r->verdict != Verdict::kBlocked && !r->internal_failure;
  if (hand_back) {
    Status s = deliverable ? HandBack(ctx, dest, &handed) : Status::Ok();
    std::filesystem::remove_all(dest);
    if (!s.ok()) return Fail(&ctx, ctx.command, "not delivered: " + s.message(), kExitInternal);
  } else {
    for (const auto& o : r->outputs) handed.push_back(o.path);
  }
  if (!AuditOrSay(ctx, AuditEvent::kDownloaded, user, rec.id,
                  {{"verdict", VerdictName(r->verdict)},
                   {"reason", ReasonCode(r->reason)},
                   {"files", handed}})) {
    return kExitInternal;
  }
  std::fputs(HumanNotice({*r}).c_str(), OpErr());
  for (const auto& f : handed) std::fprintf(OpOut(), "downloaded: %s\n", f.c_str());
  if (r->internal_failure) return kExitInternal;
  return deliverable ? kExitDelivered : kExitBlocked;
}

}  // namespace mugai
