// Shared set-up of the operator commands.
#include "gateway/cli/operator_context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/file_util.h"

#include "gateway/cli/sanitize_command.h"
#include "gateway/service/roles.h"
#include "gateway/service/service.h"
#include "gateway/service/service_client.h"

namespace mugai {

namespace {
thread_local FILE* t_out = nullptr;
thread_local FILE* t_err = nullptr;
}  // namespace

FILE* OpOut() { return t_out ? t_out : stdout; }
FILE* OpErr() { return t_err ? t_err : stderr; }

CapturedOutput::CapturedOutput() {
  out_ = open_memstream(&out_buf_, &out_len_);
  err_ = open_memstream(&err_buf_, &err_len_);
  t_out = out_;
  t_err = err_;
}

CapturedOutput::~CapturedOutput() {
  t_out = t_err = nullptr;
  if (out_) fclose(out_);
  if (err_) fclose(err_);
  free(out_buf_);
  free(err_buf_);
}

std::string CapturedOutput::out() {
  if (!out_) return "";
  fflush(out_);
  return std::string(out_buf_ ? out_buf_ : "", out_len_);
}

std::string CapturedOutput::err() {
  if (!err_) return "";
  fflush(err_);
  return std::string(err_buf_ ? err_buf_ : "", err_len_);
}

bool RunThroughService(const std::string& which, const std::vector<std::string>& args,
                       const CliArgs& parsed, int* exit_code) {
  const std::string command = "mugai " + which;
  Result<Config> config = CommandConfig(parsed);
  if (!config.ok()) return false;  // the local path says what is wrong with it
  std::string path = parsed.Get("--service");
  if (path.empty()) {
    // No --service: only when no state folder is named and a service listens at the
    // configured socket does the command go there.
    struct stat st;
    if (parsed.Has("--state") || lstat(config->service_socket.c_str(), &st) != 0 ||
        !S_ISSOCK(st.st_mode)) {
      return false;
    }
    path = config->service_socket;
  }
  if (!parsed.Get("--out").empty()) {
    // Files come back to be written here, as this user: the folder must be ours to write.
    const std::string out = parsed.Get("--out");
    if (!MakeDirs(out, 0755).ok() || access(out.c_str(), W_OK) != 0) {
      std::fprintf(OpErr(), "%s: --out %s: you cannot write there (the files are written by "
                            "this command, as you)\n", command.c_str(), out.c_str());
      *exit_code = kExitUsage;
      return true;
    }
  }
  Result<std::unique_ptr<ServiceConnection>> conn =
      ServiceConnection::Open(config.value(), path, false, command);
  if (!conn.ok()) {
    std::fprintf(OpErr(), "%s: %s\n", command.c_str(), conn.status().message().c_str());
    *exit_code = kExitInternal;
    return true;
  }
  // The service's own --config; the caller's --service and --config stay here.
  std::vector<std::string> argv = {which};
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--service" || args[i] == "--config") && i + 1 < args.size()) {
      ++i;
      continue;
    }
    argv.push_back(args[i]);
  }
  // Files of a release or resubmission come back to be written here, into --out, by this
  // process with the caller's own permissions (never an existing file replaced).
  const std::string out_dir = parsed.Get("--out");
  auto writer = [&out_dir](const std::string& name, const std::string& bytes) -> Result<std::string> {
    if (out_dir.empty()) return Status{StatusCode::kInvalidArgument, "no --out folder"};
    std::string base = BaseName(name);
    if (base.empty() || base == "." || base == "..") base = "release";
    if (Status s = MakeDirs(out_dir, 0755); !s.ok()) return s;
    return WriteNewFile(out_dir, base, bytes);
  };
  Result<ServiceConnection::OperatorReply> reply = conn.value()->RunOperator(argv, writer);
  if (!reply.ok()) {
    std::fprintf(OpErr(), "%s: %s\n", command.c_str(), reply.status().message().c_str());
    *exit_code = kExitInternal;
    return true;
  }
  std::fwrite(reply->out.data(), 1, reply->out.size(), OpOut());
  std::fwrite(reply->err.data(), 1, reply->err.size(), OpErr());
  *exit_code = reply->exit;
  return true;
}

bool ActorOf(const OperatorContext& ctx, const CliArgs& args, std::string* user) {
  const std::string given = args.Get("--user");
  // Root (on the state folder, or through the service) may act for a person it names; what
  // is recorded is both, and the log-in behind root when the kernel knows it:
  // "root (tanaka) as NAME" (release_rules.h).
  const bool root =
      ctx.caller.empty() || (ctx.service && ctx.service->uid == 0 && !ctx.service->console);
  if (root && !given.empty()) {
    if (!ValidUserName(given)) {
      std::fprintf(OpErr(),
                   "%s: --user takes a user name (1-64 letters, digits, '.', '_', '-', '@'), "
                   "not '%s'\n",
                   ctx.command.c_str(), given.c_str());
      return false;
    }
    *user = RootActor(ctx.root_login, given);
    return true;
  }
  if (ctx.caller.empty()) {  // root on the state folder without --user
    *user = ctx.root_login.empty() ? "" : RootActor(ctx.root_login, "");
    return true;
  }
  if (ClaimedName(ctx.caller) != ctx.caller || RealIdentity(ctx.caller) != ctx.caller) {
    // A user whose name reads like root acting for someone ("root as x"): refused, so that
    // no name can pass for another person.
    std::fprintf(OpErr(), "%s: the user name '%s' cannot act in mugai\n", ctx.command.c_str(),
                 ctx.caller.c_str());
    return false;
  }
  if (!given.empty() && given != ctx.caller) {
    std::fprintf(OpErr(),
                 "%s: you are '%s' (%s): --user '%s' is refused; a name on the command line is "
                 "not an identity\n"
                 "%s: あなたは '%s' として認証されています。--user で別の名前は指定できません。\n",
                 ctx.command.c_str(), ctx.caller.c_str(),
                 ctx.service ? "the mugai service knows you from its socket"
                             : "the Unix user running this command",
                 given.c_str(), ctx.command.c_str(), ctx.caller.c_str());
    return false;
  }
  *user = ctx.caller;
  return true;
}

Status HandBack(const OperatorContext& ctx, const std::string& staging,
                std::vector<std::string>* delivered) {
  if (!ctx.service || !ctx.service->hand_back) {
    return {StatusCode::kInternal, "no client to hand the files to"};
  }
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(staging, ec)) {
    if (e.is_regular_file()) names.push_back(e.path().filename().string());
  }
  if (ec) return {StatusCode::kIo, "cannot read " + staging + ": " + ec.message()};
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    Result<std::string> bytes = ReadFileLimited(staging + "/" + name, UINT64_MAX);
    if (!bytes.ok()) return bytes.status();
    Result<std::string> put = ctx.service->hand_back(name, bytes.value());
    if (!put.ok()) return put.status();
    delivered->push_back(put.value());
  }
  return Status::Ok();
}

int Fail(const OperatorContext* ctx, const std::string& command, const std::string& message,
         int code) {
  (void)ctx;
  std::fprintf(OpErr(), "%s: %s\n", command.c_str(), message.c_str());
  return code;
}

std::unique_ptr<OperatorContext> OpenOperatorContext(const CliArgs& args,
                                                     const std::string& command, int* exit_code,
                                                     const ServiceCaller* service) {
  auto ctx = std::make_unique<OperatorContext>();
  ctx->command = command;
  if (service) {
    for (const char* flag : {"--state", "--config", "--signatures"}) {
      if (args.Has(flag)) {
        *exit_code = Fail(nullptr, command,
                          std::string(flag) + " is the service's own: leave it out when using "
                                              "the mugai service (or use the state folder "
                                              "directly, as root or the service's user)",
                          kExitUsage);
        return nullptr;
      }
    }
    ctx->config = service->config;
    ctx->caller = service->user;
    ctx->root_login = service->login;
    ctx->service = service;
    ctx->pipeline = service->pipeline;
  } else {
    Result<Config> loaded = CommandConfig(args);
    if (!loaded.ok()) {
      *exit_code = Fail(nullptr, command, "config error: " + loaded.status().message(), kExitUsage);
      return nullptr;
    }
    ctx->config = loaded.value();
    // On the state folder: the Unix user running the command is who acts; only root (who
    // can change the folder anyway) names someone else with --user.
    if (geteuid() != 0) ctx->caller = UserNameOf(geteuid());
    else ctx->root_login = LoginNameOf(getpid());  // sudo, su: who opened the session
  }
  Result<Stores> stores = OpenStores(StoreOptionsFrom(ctx->config));
  if (!stores.ok()) {
    bool down = stores.status().code() == StatusCode::kUnavailable;
    *exit_code = Fail(nullptr, command,
                      "cannot open the quarantine (" + ctx->config.quarantine_backend + ", state '" +
                          ctx->config.state_dir + "'): " + stores.status().message() +
                          (down ? "" : " (check --state and [quarantine] in the config)"),
                      down ? kExitInternal : kExitUsage);
    return nullptr;
  }
  ctx->index = std::move(stores->index);
  ctx->blobs = std::move(stores->blobs);
  ctx->audit = std::move(stores->audit);
  if (ctx->pipeline && ctx->pipeline->audit_syslog()) {
    // Inside the service: its sender (one socket, one failure count).
    ctx->audit->ForwardTo(ctx->pipeline->audit_syslog());
  } else if (!ctx->config.audit_syslog_facility.empty()) {
    // Releases, approvals, purges, suspensions: a remote copy of these too.
    Result<std::shared_ptr<SyslogSender>> syslog =
        SyslogSender::Open(ctx->config.audit_syslog_facility, ctx->config.audit_syslog_target);
    if (!syslog.ok()) {
      *exit_code = Fail(nullptr, command, "audit.syslog_target: " + syslog.status().message(),
                        kExitUsage);
      return nullptr;
    }
    ctx->audit->ForwardTo(syslog.value());
  }
  return ctx;
}

bool RecipientMay(Operation op) {
  return op == Operation::kList || op == Operation::kShow || op == Operation::kRequestRelease ||
         op == Operation::kResubmit;
}

bool Authorized(const OperatorContext& ctx, const std::string& user, Operation op,
                const QuarantineRecord* item) {
  if (user.empty()) {
    std::fprintf(OpErr(), "%s: --user is required for %s\n", ctx.command.c_str(),
                 std::string(OperationName(op)).c_str());
    return false;
  }
  // Roles belong to the name acted for ("root as sato" has sato's roles).
  const std::string claimed(ClaimedName(user));
  std::vector<Role> roles = RolesOf(ctx.config, claimed);
  Status last;
  for (Role r : roles) {
    last = Authorize(r, op);
    if (last.ok()) return true;
  }
  // Admins read everything (their dashboard counts every item).
  if ((op == Operation::kList || op == Operation::kShow) && IsAdmin(ctx.config, claimed)) return true;
  // A member of staff (in no role) on their own item (the mail was addressed to them). A
  // role's holder acts by their role only: an auditor changes nothing, even their own mail.
  if (item && RecipientMay(op) && ActsAsRecipient(ctx.config, *item, claimed)) {
    return true;
  }
  if (roles.empty()) {
    std::fprintf(OpErr(),
                 "%s: user '%s' has no role%s: list them under [roles] operators, approvers or "
                 "auditors in the config (docs/QUARANTINE.md)\n"
                 "%s: ユーザー '%s' に権限がありません。設定ファイルの [roles] に登録してください。\n",
                 ctx.command.c_str(), user.c_str(),
                 item ? " and the item is not addressed to them" : "", ctx.command.c_str(),
                 user.c_str());
    return false;
  }
  std::fprintf(OpErr(), "%s: user '%s' may not %s: %s\n", ctx.command.c_str(), user.c_str(),
               std::string(OperationName(op)).c_str(), last.message().c_str());
  return false;
}

bool AuthorizedItem(OperatorContext& ctx, const std::string& user, Operation op,
                    const std::string& id, QuarantineRecord* item) {
  Result<QuarantineRecord> got = ctx.index->Get(id);
  if (got.ok()) {
    if (!Authorized(ctx, user, op, &got.value())) return false;
    *item = std::move(got.value());
    return true;
  }
  const std::string claimed(ClaimedName(user));
  bool role_allows = (op == Operation::kList || op == Operation::kShow) && IsAdmin(ctx.config, claimed);
  for (Role r : RolesOf(ctx.config, claimed)) role_allows = role_allows || Authorize(r, op).ok();
  if (!role_allows) {
    // The words of the refusal for an item of someone else's: nothing tells them apart.
    QuarantineRecord nobodys;
    Authorized(ctx, user, op, &nobodys);
    return false;
  }
  std::fprintf(OpErr(), "%s: %s\n", ctx.command.c_str(), got.status().message().c_str());
  return false;
}

bool AuditOrSay(OperatorContext& ctx, AuditEvent event, const std::string& actor,
                const std::string& item_id, nlohmann::json details) {
  AuditEntry e;
  e.event = event;
  e.actor = actor;
  e.item_id = item_id;
  e.details = std::move(details);
  Result<uint64_t> seq = ctx.audit->Append(e);
  if (!seq.ok()) {
    std::fprintf(OpErr(), "%s: cannot write the audit log: %s (run 'mugai audit verify --state %s')\n",
                 ctx.command.c_str(), seq.status().message().c_str(),
                 ctx.config.state_dir.c_str());
    return false;
  }
  return true;
}

Status RecordedTransition(OperatorContext& ctx, AuditEvent event, const std::string& actor,
                          const std::string& item_id, nlohmann::json details,
                          const std::function<Status()>& transition, bool* audit_failed) {
  *audit_failed = false;
  if (ctx.index->postgres()) {
    ctx.index->AttachAudit(AuditEntry{event, actor, item_id, details});
    Status s = transition();
    ctx.index->AttachAudit(std::nullopt);
    if (s.ok()) ctx.audit->Forward(ctx.index->attached_lines());
    return s;
  }
  Status s = transition();
  if (s.ok() && !AuditOrSay(ctx, event, actor, item_id, std::move(details))) *audit_failed = true;
  return s;
}

}  // namespace mugai
