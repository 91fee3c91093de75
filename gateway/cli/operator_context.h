// What every operator command (mugai quarantine …, mugai audit …) needs: the configuration,
// the quarantine index, the blob store and the audit log of one state folder, and the check
// that a user holds a role allowed to do an operation.
#pragma once

#include <memory>
#include <string>

#include "gateway/cli/cli_args.h"
#include "gateway/config.h"
#include "quarantine/audit_log.h"
#include "quarantine/blob_store.h"
#include "quarantine/quarantine_index.h"
#include "quarantine/release_rules.h"

namespace mugai {

struct OperatorContext {
  Config config;
  std::unique_ptr<QuarantineIndex> index;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<AuditLog> audit;
  std::string command;  // "mugai quarantine" / "mugai audit", for messages
};

// Reads --config and --state from `args`, opens the index, blobs and audit log. On failure
// prints the reason and returns the exit status (2) in *exit_code and nullptr.
std::unique_ptr<OperatorContext> OpenOperatorContext(const CliArgs& args,
                                                     const std::string& command, int* exit_code);

// Checks that `user` holds a role (config [roles]) that may perform `op`. Prints why not.
bool Authorized(const OperatorContext& ctx, const std::string& user, Operation op);

// Appends an audit record; prints the reason when it cannot be written.
bool AuditOrSay(OperatorContext& ctx, AuditEvent event, const std::string& actor,
                const std::string& item_id, nlohmann::json details);

// Prints "mugai quarantine: <message>" (and a hint) on standard error; returns `code`.
int Fail(const OperatorContext* ctx, const std::string& command, const std::string& message,
         int code);

}  // namespace mugai
