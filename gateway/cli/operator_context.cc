// Shared set-up of the operator commands.
#include "gateway/cli/operator_context.h"

#include <algorithm>
#include <cstdio>

#include "gateway/cli/sanitize_command.h"

namespace mugai {

int Fail(const OperatorContext* ctx, const std::string& command, const std::string& message,
         int code) {
  (void)ctx;
  std::fprintf(stderr, "%s: %s\n", command.c_str(), message.c_str());
  return code;
}

std::unique_ptr<OperatorContext> OpenOperatorContext(const CliArgs& args,
                                                     const std::string& command, int* exit_code) {
  auto ctx = std::make_unique<OperatorContext>();
  ctx->command = command;
  Result<Config> loaded = CommandConfig(args);
  if (!loaded.ok()) {
    *exit_code = Fail(nullptr, command, "config error: " + loaded.status().message(), kExitUsage);
    return nullptr;
  }
  ctx->config = loaded.value();
  QuarantineIndex::Options options;
  options.default_classification = ctx->config.quarantine_classification;
  Result<QuarantineIndex> index =
      QuarantineIndex::Open(QuarantineIndex::PathIn(ctx->config.state_dir), options);
  if (!index.ok()) {
    *exit_code = Fail(nullptr, command,
                      "cannot open the quarantine index in '" + ctx->config.state_dir +
                          "': " + index.status().message() + " (check --state)",
                      kExitUsage);
    return nullptr;
  }
  ctx->index = std::make_unique<QuarantineIndex>(std::move(index.value()));
  ctx->blobs = std::make_unique<BlobStore>(ctx->config.state_dir + "/quarantine/blobs");
  ctx->audit = std::make_unique<AuditLog>(ctx->config.state_dir);
  return ctx;
}

bool Authorized(const OperatorContext& ctx, const std::string& user, Operation op) {
  if (user.empty()) {
    std::fprintf(stderr, "%s: --user is required for %s\n", ctx.command.c_str(),
                 std::string(OperationName(op)).c_str());
    return false;
  }
  auto in = [&user](const std::vector<std::string>& list) {
    return std::find(list.begin(), list.end(), user) != list.end();
  };
  std::vector<Role> roles;
  if (in(ctx.config.role_operators)) roles.push_back(Role::kOperator);
  if (in(ctx.config.role_approvers)) roles.push_back(Role::kApprover);
  if (in(ctx.config.role_auditors)) roles.push_back(Role::kAuditor);
  if (roles.empty()) {
    std::fprintf(stderr,
                 "%s: user '%s' has no role: list them under [roles] operators, approvers or "
                 "auditors in the config (docs/QUARANTINE.md)\n"
                 "%s: ユーザー '%s' に権限がありません。設定ファイルの [roles] に登録してください。\n",
                 ctx.command.c_str(), user.c_str(), ctx.command.c_str(), user.c_str());
    return false;
  }
  Status last;
  for (Role r : roles) {
    last = Authorize(r, op);
    if (last.ok()) return true;
  }
  std::fprintf(stderr, "%s: user '%s' may not %s: %s\n", ctx.command.c_str(), user.c_str(),
               std::string(OperationName(op)).c_str(), last.message().c_str());
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
    std::fprintf(stderr, "%s: cannot write the audit log: %s (run 'mugai audit verify --state %s')\n",
                 ctx.command.c_str(), seq.status().message().c_str(),
                 ctx.config.state_dir.c_str());
    return false;
  }
  return true;
}

}  // namespace mugai
