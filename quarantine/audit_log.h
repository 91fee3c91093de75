// Tamper-evident audit log, <state>/audit.log: one JSON object per line, each carrying the
// sha256 of the previous line, plus <state>/audit.head (seq and hash of the last record) so
// that removing records from the end is detected too. Safe for several processes at once.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "quarantine/sql_conn.h"
#include "quarantine/syslog_sender.h"
#include "quarantine/utc_time.h"

namespace mugai {

// Records older than this are moved out by Purge (config key audit.retention_days).
inline constexpr int kAuditRetentionDays = 1096;  // 3 years
// Longest record Append writes and Verify reads (a longer line is refused / reported).
inline constexpr size_t kAuditMaxRecordBytes = 64 * 1024;
// prev of the very first record.
inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

enum class AuditEvent {
  kItemProcessed,
  kDelivered,
  kQuarantined,
  kReleaseRequested,
  kReleaseApproved,
  kReleaseRejected,
  kReleased,
  kResubmitted,
  kPurged,
  kConfigLoaded,
  kSignaturesReloaded,
  kCheckpoint,
  kSuspended,  // `mugai suspend`: no item taken until `mugai resume`
  kResumed,
  kDownloaded,   // a sanitised copy handed to a user (the console's download)
  kLogin,        // console: a log-in that succeeded
  kLoginFailed,  // console: a wrong password or an unknown or disabled user
  kLockout,      // console: an account locked for console.lockout_minutes
  kLogout,       // console: a log-out, or a session that expired
  kImported      // `mugai db import-sqlite`: a node's SQLite index, log and blobs moved in
};

// "item_processed", "delivered", ..., "checkpoint", "suspended", "resumed",
// "downloaded", "login", "login_failed", "lockout", "logout", "imported".
std::string_view AuditEventName(AuditEvent event);
std::optional<AuditEvent> ParseAuditEvent(std::string_view name);

struct AuditEntry {
  AuditEvent event = AuditEvent::kItemProcessed;
  std::string actor;    // user name, or "mugai" for the gateway itself
  std::string item_id;  // "" when the event is not about one item
  nlohmann::json details = nlohmann::json::object();  // must be an object
};

// The first bad record Verify found: where it is and what is wrong with it.
struct AuditProblem {
  std::string file;   // the log (or archive) holding it
  uint64_t line = 0;  // 1-based line in that file
  uint64_t seq = 0;   // the seq the record carries (or should carry, when it is missing)
  std::string what;
};

// A head written down off the box (`mugai audit anchor`): the log must still hold it.
struct AuditAnchor {
  uint64_t seq = 0;
  std::string hash;  // hex sha256 of that record's line
};

// "SEQ:HASH" → anchor; nullopt when malformed.
std::optional<AuditAnchor> ParseAuditAnchor(std::string_view text);

struct AuditVerifyResult {
  bool ok() const { return !problem.has_value(); }
  uint64_t records = 0;  // records read
  uint64_t first_seq = 0, last_seq = 0;
  std::string last_hash;  // hash of the last record read
  int64_t last_time = 0;  // its time (Unix seconds)
  std::optional<AuditProblem> problem;
  // With an anchor: whether a record with its seq was read, and whether its hash matched.
  bool anchor_seen = false;
  bool anchor_matches = false;
};

struct AuditPurgeResult {
  uint64_t removed = 0;  // records moved out of the log
  uint64_t kept = 0;     // records left, the checkpoint included
  std::string archive;   // file the removed records went to ("" when none removed)
};

enum class AuditExportFormat { kJson, kCsv };

class AuditLog {
 public:
  explicit AuditLog(std::string state_dir, Clock clock = SystemClock)
      : state_dir_(std::move(state_dir)), clock_(std::move(clock)) {}

  // Appends one record under an exclusive lock: reads the last line to get seq and prev,
  // checks it against audit.head, writes the line with one write(), fsyncs, then rewrites
  // audit.head. Returns the record's seq; any failure (including a log whose end does not
  // match audit.head, or details that are not an object) is a non-ok Status and the caller
  // must fail the item closed.
  Result<uint64_t> Append(const AuditEntry& entry);

  // The same for several records at once (one lock, one write, one fsync): each still gets
  // its own seq and is chained to the one before. Returns the last record's seq.
  Result<uint64_t> AppendAll(const std::vector<AuditEntry>& entries);

  // Walks the chain (and, with `with_archives`, the archived segments before it) and
  // reports the first bad record: unreadable JSON, a missing field, a seq gap or reversal,
  // a prev that does not match, a start not covered by a checkpoint, or an end that does not
  // match audit.head. A non-ok Status only when the files cannot be read.
  // With `anchor`, also notes whether the chain still holds that record, unchanged (a log
  // cut back and its head rewritten verifies on its own; it cannot keep an anchor taken
  // before the cut).
  Result<AuditVerifyResult> Verify(bool with_archives = false,
                                   const std::optional<AuditAnchor>& anchor = std::nullopt) const;

  // Retention: moves records older than `older_than_days` days out of the log. Under the
  // lock, appends a "checkpoint" record (sealed into the chain) naming the seq and hash of
  // the last removed record, writes the removed records to
  // audit-YYYYMMDD-<first>-<last>.log.archived, and replaces the log atomically with the
  // records kept. Verify stays green. Refuses a log that does not verify.
  Result<AuditPurgeResult> Purge(int older_than_days, const std::string& actor);

  // The log as a JSON array or CSV (seq,time,event,actor,item_id,details,prev). With
  // `redact`, details lose e-mail local parts ("***@example.jp"), subjects ("***") and file
  // names other than their extension ("***.pdf").
  Result<std::string> Export(AuditExportFormat format, bool redact) const;

  // Also sends every record appended from now on to syslog (audit.syslog_facility), after
  // it is on disk. The log stays the record: a copy that cannot be sent is counted by the
  // sender, never a reason to fail the item.
  void ForwardTo(std::shared_ptr<SyslogSender> sender) { syslog_ = std::move(sender); }
  // Sends lines another writer put in the chain (QuarantineIndex::Insert on PostgreSQL).
  void Forward(const std::vector<std::string>& lines) const;

  // Keeps the chain in the PostgreSQL quarantine database (tables audit, audit_head) instead
  // of audit.log: one chain for every node, appends serialised by locking audit_head in the
  // inserting transaction, each record naming its `node`. Verify, Purge (archives still go to
  // the state folder) and Export work the same way on it.
  void UseDatabase(std::unique_ptr<SqlConn> db, std::string node);
  bool in_database() const { return db_ != nullptr; }
  // The chain's records as written (from the file, or the database), oldest first.
  Result<std::vector<std::string>> ReadAll() const;

  std::string log_path() const { return state_dir_ + "/audit.log"; }
  std::string head_path() const { return state_dir_ + "/audit.head"; }
  std::string lock_path() const { return state_dir_ + "/audit.lock"; }
  const std::string& state_dir() const { return state_dir_; }

 private:
  // When root writes `path` in a state folder owned by another user, gives it to that user.
  void KeepOwner(const std::string& path) const;

  Result<uint64_t> AppendToDatabase(const std::vector<AuditEntry>& entries);
  Result<AuditVerifyResult> VerifyDatabase(bool with_archives,
                                           const std::optional<AuditAnchor>& anchor) const;
  Result<AuditPurgeResult> PurgeDatabase(int older_than_days, const std::string& actor);

  std::string state_dir_;
  Clock clock_;
  std::shared_ptr<SyslogSender> syslog_;
  std::shared_ptr<SqlConn> db_;  // PostgreSQL: the chain is there, not in audit.log
  std::string node_;
  std::shared_ptr<std::mutex> db_mutex_ = std::make_shared<std::mutex>();
};

// Appends `entries` to the database chain inside the caller's open transaction: locks
// audit_head, checks that it matches the last record, inserts one row per record (its exact
// line, chained to the one before) and moves the head. Returns the lines written.
Result<std::vector<std::string>> AppendAuditRecords(SqlConn& db,
                                                    const std::vector<AuditEntry>& entries,
                                                    const std::string& node, int64_t now);

// `mugai db import-sqlite`, inside the caller's transaction: copies a file log's records, byte
// for byte, into an empty database chain (so it verifies as before) and sets the head.
// kInvalidArgument when the chain is not empty or a record does not parse.
Status ImportAuditLines(SqlConn& db, const std::vector<std::string>& lines);

// Masks personal data in an audit `details` object (see Export); exposed for tests.
nlohmann::json RedactAuditDetails(const nlohmann::json& details);

}  // namespace mugai
