// What every operator command (mugai quarantine …, mugai audit …) needs: the configuration,
// the quarantine index, the blob store and the audit log of one state folder, and the check
// that a user holds a role allowed to do an operation.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gateway/cli/cli_args.h"
#include "gateway/service/config.h"
#include "quarantine/audit_log.h"
#include "quarantine/blob_store.h"
#include "quarantine/quarantine_index.h"
#include "quarantine/release_rules.h"

namespace mugai {

class Pipeline;

// Where an operator command writes what it says: standard output and error, or (inside
// `mugai serve`, for a client) buffers sent back to that client. Per thread.
FILE* OpOut();
FILE* OpErr();
class CapturedOutput {
 public:
  CapturedOutput();   // from here on this thread's OpOut()/OpErr() are buffers
  ~CapturedOutput();  // and standard output and error again
  std::string out();  // what was written so far
  std::string err();

 private:
  char* out_buf_ = nullptr;
  char* err_buf_ = nullptr;
  size_t out_len_ = 0, err_len_ = 0;
  FILE* out_ = nullptr;
  FILE* err_ = nullptr;
};

// An operator command run by `mugai serve` for a client: the service's configuration and
// pipeline, and who the client is (SO_PEERCRED), never a name the client gives.
struct ServiceCaller {
  Config config;
  std::string user;  // the caller's Unix user name
  uint32_t uid = 0;
  std::string login;  // root: who logged in to the session behind it (loginuid), or ""
  // The console (`mugai console`, console.unix_user) acting for the user logged in to it:
  // `user` is that user, authenticated by the console, never root.
  bool console = false;
  Pipeline* pipeline = nullptr;
  // Hands a delivered file (approve/resubmit --out) back to the client, which writes it into
  // its own folder with its own permissions; returns where it was put. The service never
  // writes into a path a client names.
  std::function<Result<std::string>(const std::string& name, const std::string& bytes)> hand_back;
};

struct OperatorContext {
  Config config;
  std::unique_ptr<QuarantineIndex> index;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<AuditLog> audit;
  std::string command;  // "mugai quarantine" / "mugai audit", for messages
  // Who is acting, as the kernel says: the service's client, or the Unix user running the
  // command on the state folder. Empty only for root on the state folder. Root (there, or
  // through the service) names the person acted for with --user, recorded as "root as NAME"
  // (release_rules.h): the roles are NAME's, the person behind it is root's log-in.
  std::string caller;
  // Root's caller: the user whose log-in opened its session (the kernel's loginuid, kept
  // through sudo and su), or "" when none (a service, a container). The real person behind
  // "root as NAME".
  std::string root_login;
  const ServiceCaller* service = nullptr;  // run inside `mugai serve` for a client
  Pipeline* pipeline = nullptr;            // the service's (approve, resubmit), or none
};

// Reads --config and --state from `args` (or takes the service's), opens the index, blobs
// and audit log. On failure prints the reason and returns the exit status (2) in *exit_code
// and nullptr.
std::unique_ptr<OperatorContext> OpenOperatorContext(const CliArgs& args,
                                                     const std::string& command, int* exit_code,
                                                     const ServiceCaller* service = nullptr);

// The client side: when the command goes to `mugai serve` (--service PATH, or no --state
// and a socket at service.socket), sends `args` as `which` ("quarantine", "audit"), prints
// what comes back and returns its exit status in *exit_code; false to run it locally.
bool RunThroughService(const std::string& which, const std::vector<std::string>& args,
                       const CliArgs& parsed, int* exit_code);

// The acting user: the caller the kernel names (a --user that differs is refused), or, for
// root on the state folder, --user. False (after saying why) when refused.
bool ActorOf(const OperatorContext& ctx, const CliArgs& args, std::string* user);

// Through the service: hands every file of `staging` back to the client (ServiceCaller::
// hand_back), in name order; appends where each was put. Stops at the first failure.
Status HandBack(const OperatorContext& ctx, const std::string& staging,
                std::vector<std::string>* delivered);

// Checks that `user` holds a role (config [roles]) that may perform `op`, or, for `item`
// addressed to them (roles.h AddressedTo), that `op` is one a recipient may do on their own
// item: show it, ask for its release, resubmit it (a PPAP password). Prints why not.
bool Authorized(const OperatorContext& ctx, const std::string& user, Operation op,
                const QuarantineRecord* item = nullptr);
// A recipient's own item: show, request-release and resubmit need no role.
bool RecipientMay(Operation op);

// The item `id` for `user` about to do `op`: read, then Authorized with it. A user whose
// roles do not allow `op` learns nothing of whether an item they may not see exists (the
// same refusal either way). False after printing why (exit 1).
bool AuthorizedItem(OperatorContext& ctx, const std::string& user, Operation op,
                    const std::string& id, QuarantineRecord* item);

// Appends an audit record; prints the reason when it cannot be written.
bool AuditOrSay(OperatorContext& ctx, AuditEvent event, const std::string& actor,
                const std::string& item_id, nlohmann::json details);

// A state transition with its audit record: on PostgreSQL appended in the transition's own
// transaction (QuarantineIndex::AttachAudit), so neither exists without the other; on SQLite
// appended to audit.log right after it. Returns the transition's status; when the transition
// succeeded but its record could not be written (SQLite), says why and sets *audit_failed.
Status RecordedTransition(OperatorContext& ctx, AuditEvent event, const std::string& actor,
                          const std::string& item_id, nlohmann::json details,
                          const std::function<Status()>& transition, bool* audit_failed);

// Prints "mugai quarantine: <message>" (and a hint) on standard error; returns `code`.
int Fail(const OperatorContext* ctx, const std::string& command, const std::string& message,
         int code);

}  // namespace mugai
