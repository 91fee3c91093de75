// Index of quarantined items: one row per item with its verdict, report and release history;
// the original is the BlobStore blob. Two engines behind one SQL text (sql_conn.h):
//  - SQLite, <state>/quarantine/index.sqlite (mode 0600), for one node. Safe for several
//    processes at once (WAL, busy timeout, IMMEDIATE transactions).
//  - PostgreSQL (quarantine.backend = "postgresql"), shared by several nodes: rows are locked
//    with SELECT ... FOR UPDATE, and the audit chain lives in the same database, so a new row
//    and its "quarantined" record commit together (docs/SCALE-OUT.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "quarantine/audit_log.h"
#include "quarantine/blob_store.h"
#include "quarantine/release_rules.h"
#include "quarantine/sql_conn.h"
#include "quarantine/utc_time.h"

namespace mugai {

// How long a writer waits for another before giving up (config key
// quarantine.index_busy_timeout_ms). Writes are short, so this is only reached when stuck.
inline constexpr int kIndexBusyTimeoutMs = 30000;
// Most rows one List() returns; a larger limit is clamped to this.
inline constexpr int kIndexListMax = 10000;
// Schema version (SQLite: PRAGMA user_version; PostgreSQL: table mugai_schema). A newer
// database is refused, not downgraded; an older one is refused until `mugai db migrate`.
//   1: items (the first release; SQLite only)
//   2: items.node; PostgreSQL: the audit chain (audit, audit_head) and blobs
inline constexpr int kIndexSchemaVersion = 2;

struct QuarantineRecord {
  std::string id;           // "q-" + 16 hex, set by Insert
  std::string received_at;  // UTC "YYYY-MM-DDTHH:MM:SSZ"; Insert fills it when empty
  std::string entry_point;  // "milter" | "watch" | "cli"
  std::string source;       // sender/recipients JSON, or the source path
  std::string name;         // the original's file name as received
  int64_t size = 0;
  std::string sha256;  // of the original = its BlobStore id
  std::string detected_type;
  std::string verdict;  // "sanitized" | "blocked"
  std::string reasons;
  std::string threats;
  std::string signature_version;
  std::string classification;                 // Insert uses the index's default when empty
  QuarantineState state = QuarantineState::kQuarantined;  // Insert always stores kQuarantined
  std::string requested_by, request_reason, requested_at;
  std::string approved_by, approved_at;
  std::string rejected_by, reject_reason;
  std::string released_at, release_destination;
  bool exception = false;  // the release is of the unsanitised original
  std::string exception_expires_at;
  std::string purged_at;
  std::string report_json;  // the item's JSON report
  std::string node;         // the node that quarantined it (quarantine.node_name; "" before v2)
};

struct QuarantineListFilter {
  std::optional<QuarantineState> state;
  std::string entry_point;  // "" = any
  std::string verdict;      // "" = any
  std::string since;        // received_at >= since (UTC text); "" = no bound
  std::string until;        // received_at < until; "" = no bound
  int limit = 100;          // clamped to 1..kIndexListMax
  bool newest_first = false;  // the newest `limit` items, newest first
};

struct ReleaseRequest {
  std::string user;
  std::string reason;
  bool exception = false;            // release the original itself, not a sanitised copy
  std::string exception_expires_at;  // required (UTC, in the future) when exception is set
};

// What Reconcile found; both lists empty means blobs and rows agree.
struct ReconcileReport {
  std::vector<std::string> orphan_blobs;   // sha256 of blobs no live (unpurged) row names
  std::vector<std::string> missing_blobs;  // ids of live rows whose blob is absent
};

class QuarantineIndex {
 public:
  struct Options {
    std::string default_classification = "unclassified";  // from config
    int busy_timeout_ms = kIndexBusyTimeoutMs;
    Clock clock = SystemClock;
    std::string node;  // recorded with each new row (and its audit record on PostgreSQL)
    // Brings an older schema up to date (`mugai db migrate`); without it an older schema is
    // refused with a message naming that command. An empty SQLite file is always created.
    bool migrate = false;
  };

  // "<state_dir>/quarantine/index.sqlite".
  static std::string PathIn(const std::string& state_dir);

  // Opens or creates the index (parent folder 0700, file 0600), turns on WAL and
  // synchronous=FULL, and creates or checks the schema. kConfig for a database written by a
  // newer mugai; kIo for anything else.
  static Result<QuarantineIndex> Open(const std::string& path, Options options);
  static Result<QuarantineIndex> Open(const std::string& path) { return Open(path, Options{}); }
  // On an open connection (PostgreSQL, or SQLite for tests). An empty PostgreSQL database is
  // refused until `mugai db migrate` creates the schema (unless options.migrate).
  static Result<QuarantineIndex> Open(std::unique_ptr<SqlConn> db, Options options);

  // The schema version the database has now (0 for an empty one), and what `Open` with
  // migrate would do: the steps from that version to kIndexSchemaVersion.
  int schema_version_found() const { return found_version_; }

  // PostgreSQL: the next state transition (RequestRelease, Approve, Reject, MarkReleased,
  // Purge) appends `record` (its item_id set) in its own transaction, so the new state never
  // exists without its record; attached_lines() are the lines it wrote. nullopt detaches.
  // On SQLite nothing is attached: the caller appends to audit.log after the transition.
  void AttachAudit(std::optional<AuditEntry> record) { attached_ = std::move(record); }
  const std::vector<std::string>& attached_lines() const { return attached_lines_; }
  bool postgres() const { return db_->postgres(); }
  SqlConn& db() { return *db_; }

  // Stores a new item in state quarantined and returns its generated id. kInvalidArgument
  // for an unknown entry point or verdict, a bad sha256, a negative size, an empty name or a
  // malformed received_at.
  Result<std::string> Insert(const QuarantineRecord& record);
  // The same, but inside the transaction checks that the blob is in `blobs` (kNotFound if
  // not), so a concurrent Purge of an identical older item cannot leave this row blob-less.
  Result<std::string> Insert(const QuarantineRecord& record, const BlobStore& blobs);

  // The item `id`, or kNotFound.
  Result<QuarantineRecord> Get(const std::string& id);

  // Items matching `filter`, oldest first.
  Result<std::vector<QuarantineRecord>> List(const QuarantineListFilter& filter);

  // Purgeable items (quarantined, rejected, released) received more than `days` days ago.
  // Items in the middle of a release are never listed: finish or reject them first.
  Result<std::vector<QuarantineRecord>> ListOlderThan(int days);

  // State transitions. Each runs in one IMMEDIATE transaction: read the state, check the
  // rule (release_rules.h) and the arguments, update. A refused transition returns
  // kInvalidArgument naming the current state and what is allowed; kNotFound for no such id.
  Status RequestRelease(const std::string& id, const ReleaseRequest& request);
  // Refuses self-approval (SamePerson(user, requested_by): the same name, or the same real
  // person behind "root as ...") and an exception past its expiry.
  Status Approve(const std::string& id, const std::string& user);
  Status Reject(const std::string& id, const std::string& user, const std::string& reason);
  // Records the delivery of an approved item.
  Status MarkReleased(const std::string& id, const std::string& destination);
  Status MarkPurged(const std::string& id);

  // MarkPurged, then removes the blob unless another unpurged item has the same content.
  // A crash in between leaves an orphan blob that Reconcile reports.
  // The purge is one transaction (state, the original's removal, and the attached record).
  // `disposal` (optional) says what became of the original, for the purge's audit record
  // (an attached record gets it as details.original).
  Status Purge(const std::string& id, BlobStore& blobs, std::string* disposal = nullptr);

  // A fresh item id ("q-" + 16 hex), for InsertRecorded.
  static Result<std::string> NewItemId();

  // PostgreSQL, one transaction for everything an item's decision records: the original
  // (`original`, into the blobs table when `blobs` is in the database; otherwise its file
  // must already be in `blobs`), the row under `record.id` (from NewItemId), and `audit`
  // (each entry's item_id set to that id). One commit, one WAL flush: nothing of it exists
  // without the rest. Returns the record lines written. kInvalidArgument on SQLite.
  Result<std::vector<std::string>> InsertRecorded(const QuarantineRecord& record,
                                                  const BlobStore& blobs,
                                                  std::string_view original,
                                                  const std::vector<AuditEntry>& audit);

  // How many items are in each state (for metrics; every node's on PostgreSQL).
  Result<std::map<std::string, int64_t>> CountByState();

  // Every row, oldest first (`mugai db import-sqlite`).
  Result<std::vector<QuarantineRecord>> All();
  // Inserts `record` as it is (its id, state and history), inside the caller's transaction
  // on db(): the import of another index.
  Status InsertVerbatim(const QuarantineRecord& record);

  // Compares the rows with the blobs in `blobs` (after a crash, or on an operator's
  // request). Reports only: a blob written moments ago by a running process may not have its
  // row yet, so deleting orphans is left to the caller.
  Result<ReconcileReport> Reconcile(const BlobStore& blobs);

 private:
  QuarantineIndex(std::unique_ptr<SqlConn> db, Options options)
      : db_(std::move(db)), options_(std::move(options)) {}

  using Columns = std::vector<std::pair<const char*, std::string>>;
  using Check = std::function<Status(const QuarantineRecord& current)>;

  Status EnableWal();
  Status InitSchema();
  Result<std::string> InsertChecked(const QuarantineRecord& record, const BlobStore* blobs);
  // In the caller's transaction: locks the content, then checks that the original is in
  // `blobs`, or (database blobs, `original` given) stores it there.
  Status HoldOriginal(const QuarantineRecord& record, const BlobStore& blobs,
                      const std::string_view* original);
  Status InsertRow(const QuarantineRecord& record, const std::string& id);
  Result<QuarantineRecord> GetRow(const std::string& id, bool lock);
  // In one transaction: reads the row, applies NextState and `check`, then sets the new
  // state and `columns` (column name, value; "" stores NULL).
  // `inside` runs in the same transaction after the update (Purge removes the original there).
  Status Apply(const std::string& id, Transition via, const Check& check, const Columns& columns,
               const Check& inside = nullptr);

  std::unique_ptr<SqlConn> db_;
  Options options_;
  int found_version_ = 0;
  std::optional<AuditEntry> attached_;
  std::vector<std::string> attached_lines_;
};

}  // namespace mugai
