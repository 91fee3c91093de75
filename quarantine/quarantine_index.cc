// Quarantine index: schema, row mapping, queries and atomic state transitions over SQLite.
#include "quarantine/quarantine_index.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "common/file_util.h"

namespace mugai {

namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE items (
  id TEXT PRIMARY KEY,
  received_at TEXT NOT NULL,
  entry_point TEXT NOT NULL CHECK (entry_point IN ('milter', 'watch', 'cli')),
  source TEXT NOT NULL,
  name TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  sha256 TEXT NOT NULL,
  detected_type TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('sanitized', 'blocked')),
  reasons TEXT NOT NULL,
  threats TEXT NOT NULL,
  signature_version TEXT NOT NULL,
  classification TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('quarantined', 'release_requested', 'approved',
                                       'rejected', 'released', 'purged')),
  requested_by TEXT, request_reason TEXT, requested_at TEXT,
  approved_by TEXT, approved_at TEXT,
  rejected_by TEXT, reject_reason TEXT,
  released_at TEXT, release_destination TEXT,
  exception INTEGER NOT NULL DEFAULT 0 CHECK (exception IN (0, 1)),
  exception_expires_at TEXT,
  purged_at TEXT,
  report_json TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX items_received_at ON items (received_at);
CREATE INDEX items_state ON items (state);
CREATE INDEX items_sha256 ON items (sha256);
)sql";

// Column order of every SELECT; ReadRow depends on it.
constexpr const char* kColumns =
    "id, received_at, entry_point, source, name, size, sha256, detected_type, verdict, "
    "reasons, threats, signature_version, classification, state, requested_by, "
    "request_reason, requested_at, approved_by, approved_at, rejected_by, reject_reason, "
    "released_at, release_destination, exception, exception_expires_at, purged_at, "
    "report_json";

Status Invalid(const std::string& message) { return {StatusCode::kInvalidArgument, message}; }

bool IsHex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// "q-" + 16 hex digits from the kernel's random source.
Result<std::string> NewId() {
  unsigned char bytes[8];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    return Status{StatusCode::kIo, std::string("getrandom failed: ") + strerror(errno)};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "q-";
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

// Creates the database file with mode 0600 before SQLite does (SQLite would use 0644 minus
// the umask; its -wal and -shm files copy the database file's mode).
Status CreatePrivateFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Ok();
    return {StatusCode::kIo, "cannot create '" + path + "': " + strerror(errno)};
  }
  bool ok = fchmod(fd, 0600) == 0;
  close(fd);
  if (!ok) return {StatusCode::kIo, "cannot chmod '" + path + "': " + strerror(errno)};
  return Status::Ok();
}

QuarantineRecord ReadRow(const SqliteStmt& q) {
  QuarantineRecord r;
  int c = 0;
  for (std::string* field : {&r.id, &r.received_at, &r.entry_point, &r.source, &r.name}) {
    *field = q.Text(c++);
  }
  r.size = q.Int(c++);
  for (std::string* field : {&r.sha256, &r.detected_type, &r.verdict, &r.reasons, &r.threats,
                             &r.signature_version, &r.classification}) {
    *field = q.Text(c++);
  }
  r.state = ParseState(q.Text(c++)).value_or(QuarantineState::kQuarantined);  // CHECK'd by schema
  for (std::string* field :
       {&r.requested_by, &r.request_reason, &r.requested_at, &r.approved_by, &r.approved_at,
        &r.rejected_by, &r.reject_reason, &r.released_at, &r.release_destination}) {
    *field = q.Text(c++);
  }
  r.exception = q.Int(c++) != 0;
  r.exception_expires_at = q.Text(c++);
  r.purged_at = q.Text(c++);
  r.report_json = q.Text(c++);
  return r;
}

Status ValidateNew(const QuarantineRecord& r) {
  if (r.entry_point != "milter" && r.entry_point != "watch" && r.entry_point != "cli") {
    return Invalid("unknown entry point '" + r.entry_point + "' (milter, watch or cli)");
  }
  if (r.verdict != "sanitized" && r.verdict != "blocked") {
    return Invalid("unknown verdict '" + r.verdict + "' (sanitized or blocked)");
  }
  if (!IsHex64(r.sha256)) return Invalid("sha256 must be 64 lower-case hex digits");
  if (r.size < 0) return Invalid("negative size");
  if (r.name.empty()) return Invalid("empty name");
  if (!r.received_at.empty() && !ParseUtc(r.received_at)) {
    return Invalid("received_at '" + r.received_at + "' is not YYYY-MM-DDTHH:MM:SSZ");
  }
  return Status::Ok();
}

Result<bool> IdExists(const SqliteDb& db, const std::string& id) {
  SqliteStmt q(db, "SELECT 1 FROM items WHERE id = ?1");
  q.Bind(1, id);
  return q.Step();
}

// Collects every row of `q`.
Result<std::vector<QuarantineRecord>> ReadAll(SqliteStmt& q) {
  std::vector<QuarantineRecord> rows;
  while (true) {
    Result<bool> row = q.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return rows;
    rows.push_back(ReadRow(q));
  }
}

}  // namespace

std::string QuarantineIndex::PathIn(const std::string& state_dir) {
  return state_dir + "/quarantine/index.sqlite";
}

Result<QuarantineIndex> QuarantineIndex::Open(const std::string& path, Options options) {
  if (Status s = MakeDirs(ParentOf(path), 0700); !s.ok()) return s;
  if (Status s = CreatePrivateFile(path); !s.ok()) return s;
  Result<SqliteDb> db = SqliteDb::Open(path, options.busy_timeout_ms);
  if (!db.ok()) return db.status();
  QuarantineIndex index(std::move(db.value()), std::move(options));
  // WAL: readers never block the writer, and a commit is one fsync'd append.
  if (Status s = index.EnableWal(); !s.ok()) return s;
  if (Status s = index.db_.Exec("PRAGMA synchronous = FULL"); !s.ok()) return s;
  if (Status s = index.InitSchema(); !s.ok()) return s;
  return index;
}

Status QuarantineIndex::EnableWal() {
  // Switching a new database to WAL needs an exclusive lock, and SQLite does not call the
  // busy handler for it (a reader upgrading could deadlock), so two processes opening a new
  // index at once retry here instead, within the busy timeout.
  for (int waited_ms = 0;; waited_ms += 10) {
    SqliteStmt q(db_, "PRAGMA journal_mode = WAL");
    Result<bool> row = q.Step();
    if (row.ok() && row.value() && q.Text(0) == "wal") return Status::Ok();
    bool retry = row.ok() || db_.LastErrorWasBusy();  // another process holds the lock
    if (!retry || waited_ms >= options_.busy_timeout_ms) {
      return row.ok() ? Status{StatusCode::kIo, "quarantine index: cannot turn on WAL"}
                      : row.status();
    }
    usleep(10 * 1000);
  }
}

Status QuarantineIndex::InitSchema() {
  SqliteWriteTransaction tx(db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  int64_t version = 0;
  {
    SqliteStmt q(db_, "PRAGMA user_version");
    Result<bool> row = q.Step();
    if (!row.ok()) return row.status();
    version = row.value() ? q.Int(0) : 0;
  }
  if (version > kIndexSchemaVersion) {
    return {StatusCode::kConfig, "the quarantine index has schema version " +
                                     std::to_string(version) + ", newer than this mugai (" +
                                     std::to_string(kIndexSchemaVersion) + ")"};
  }
  if (version == 0) {
    // Later versions add their migration steps here, each guarded by the version it needs.
    if (Status s = db_.Exec(kSchemaV1); !s.ok()) return s;
    std::string set = "PRAGMA user_version = " + std::to_string(kIndexSchemaVersion);
    if (Status s = db_.Exec(set); !s.ok()) return s;
  }
  return tx.Commit();
}

Result<std::string> QuarantineIndex::Insert(const QuarantineRecord& record) {
  return InsertChecked(record, nullptr);
}

Result<std::string> QuarantineIndex::Insert(const QuarantineRecord& record,
                                            const BlobStore& blobs) {
  return InsertChecked(record, &blobs);
}

Result<std::string> QuarantineIndex::InsertChecked(const QuarantineRecord& r,
                                                   const BlobStore* blobs) {
  if (Status s = ValidateNew(r); !s.ok()) return s;
  SqliteWriteTransaction tx(db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  if (blobs != nullptr && blobs->PathOf(r.sha256).empty()) {
    return Status{StatusCode::kNotFound, "the original " + r.sha256 + " is not in the store"};
  }
  Result<std::string> id = NewId();
  for (int attempt = 0; id.ok() && attempt < 3; ++attempt) {  // 2^64 ids: a clash is rare
    Result<bool> taken = IdExists(db_, id.value());
    if (!taken.ok()) return taken.status();
    if (!taken.value()) break;
    id = NewId();
  }
  if (!id.ok()) return id.status();
  SqliteStmt q(db_,
               "INSERT INTO items (id, received_at, entry_point, source, name, size, sha256, "
               "detected_type, verdict, reasons, threats, signature_version, classification, "
               "state, report_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
               "?13, 'quarantined', ?14)");
  q.Bind(1, id.value());
  q.Bind(2, r.received_at.empty() ? FormatUtc(options_.clock()) : r.received_at);
  int c = 3;
  for (const std::string* field : {&r.entry_point, &r.source, &r.name}) q.Bind(c++, *field);
  q.Bind(c++, r.size);
  for (const std::string* field :
       {&r.sha256, &r.detected_type, &r.verdict, &r.reasons, &r.threats, &r.signature_version}) {
    q.Bind(c++, *field);
  }
  q.Bind(c++, r.classification.empty() ? options_.default_classification : r.classification);
  q.Bind(c++, r.report_json);
  if (Result<bool> done = q.Step(); !done.ok()) return done.status();
  if (Status s = tx.Commit(); !s.ok()) return s;
  return id;
}

Result<QuarantineRecord> QuarantineIndex::Get(const std::string& id) {
  SqliteStmt q(db_, (std::string("SELECT ") + kColumns + " FROM items WHERE id = ?1").c_str());
  q.Bind(1, id);
  Result<bool> row = q.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status{StatusCode::kNotFound, "no quarantined item '" + id + "'"};
  return ReadRow(q);
}

Result<std::vector<QuarantineRecord>> QuarantineIndex::List(const QuarantineListFilter& f) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM items WHERE 1";
  std::vector<std::string> args;
  auto add = [&](const char* condition, const std::string& value) {
    if (value.empty()) return;
    args.push_back(value);
    sql += std::string(" AND ") + condition + " ?" + std::to_string(args.size());
  };
  add("state =", f.state ? std::string(StateName(*f.state)) : "");
  add("entry_point =", f.entry_point);
  add("verdict =", f.verdict);
  add("received_at >=", f.since);
  add("received_at <", f.until);
  int limit = std::clamp(f.limit, 1, kIndexListMax);
  sql += f.newest_first ? " ORDER BY received_at DESC, id DESC LIMIT " : " ORDER BY received_at, id LIMIT ";
  sql += std::to_string(limit);
  SqliteStmt q(db_, sql.c_str());
  for (size_t i = 0; i < args.size(); ++i) q.Bind(static_cast<int>(i + 1), args[i]);
  return ReadAll(q);
}

Result<std::vector<QuarantineRecord>> QuarantineIndex::ListOlderThan(int days) {
  if (days < 0) return Status{StatusCode::kInvalidArgument, "negative retention in days"};
  std::string cutoff = FormatUtc(options_.clock() - int64_t{days} * 86400);
  SqliteStmt q(db_, (std::string("SELECT ") + kColumns +
                     " FROM items WHERE received_at < ?1 AND state IN ('quarantined', "
                     "'rejected', 'released') ORDER BY received_at, id")
                        .c_str());
  q.Bind(1, cutoff);
  return ReadAll(q);
}

Status QuarantineIndex::Apply(const std::string& id, Transition via, const Check& check,
                              const Columns& columns) {
  SqliteWriteTransaction tx(db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  Result<QuarantineRecord> current = Get(id);
  if (!current.ok()) return current.status();
  Result<QuarantineState> next = NextState(current->state, via);
  if (!next.ok()) return {next.status().code(), id + ": " + next.status().message()};
  if (check) {
    if (Status s = check(current.value()); !s.ok()) return {s.code(), id + ": " + s.message()};
  }
  std::string sql = "UPDATE items SET state = ?1";
  int c = 2;
  for (const auto& column : columns) {
    sql += std::string(", ") + column.first + " = ?" + std::to_string(c++);
  }
  sql += " WHERE id = ?" + std::to_string(c) + " AND state = ?" + std::to_string(c + 1);
  SqliteStmt q(db_, sql.c_str());
  q.Bind(1, std::string(StateName(next.value())));
  c = 2;
  for (const auto& column : columns) q.BindOrNull(c++, column.second);
  q.Bind(c++, id);
  q.Bind(c, std::string(StateName(current->state)));
  if (Result<bool> done = q.Step(); !done.ok()) return done.status();
  return tx.Commit();
}

Status QuarantineIndex::RequestRelease(const std::string& id, const ReleaseRequest& request) {
  if (request.user.empty()) return Invalid("a release request needs the requesting user");
  if (request.reason.empty()) return Invalid("a release request needs a reason");
  int64_t now = options_.clock();
  if (request.exception) {
    std::optional<int64_t> expires = ParseUtc(request.exception_expires_at);
    if (!expires) {
      return Invalid(
          "releasing the original (an exception) needs an expiry, "
          "YYYY-MM-DDTHH:MM:SSZ");
    }
    if (*expires <= now) return Invalid("the exception's expiry is already past");
  } else if (!request.exception_expires_at.empty()) {
    return Invalid("an expiry only applies to an exception");
  }
  return Apply(id, Transition::kRequestRelease, nullptr,
               {{"requested_by", request.user},
                {"request_reason", request.reason},
                {"requested_at", FormatUtc(now)},
                {"exception", request.exception ? "1" : "0"},
                {"exception_expires_at", request.exception_expires_at}});
}

Status QuarantineIndex::Approve(const std::string& id, const std::string& user) {
  if (user.empty()) return Invalid("an approval needs the approving user");
  int64_t now = options_.clock();
  auto check = [&](const QuarantineRecord& r) -> Status {
    if (SamePerson(r.requested_by, user)) {
      return Invalid("self-approval refused: " + r.requested_by + " requested this release and " +
                     user + " is the same person, so a different approver must approve it");
    }
    if (r.exception && ParseUtc(r.exception_expires_at).value_or(0) <= now) {
      return Invalid("the exception (release of the original) expired at " +
                     r.exception_expires_at + "; request it again");
    }
    return Status::Ok();
  };
  return Apply(id, Transition::kApprove, check,
               {{"approved_by", user}, {"approved_at", FormatUtc(now)}});
}

Status QuarantineIndex::Reject(const std::string& id, const std::string& user,
                               const std::string& reason) {
  if (user.empty()) return Invalid("a rejection needs the rejecting user");
  if (reason.empty()) return Invalid("a rejection needs a reason");
  return Apply(id, Transition::kReject, nullptr,
               {{"rejected_by", user}, {"reject_reason", reason}});
}

Status QuarantineIndex::MarkReleased(const std::string& id, const std::string& destination) {
  if (destination.empty()) return Invalid("a release needs its destination");
  return Apply(
      id, Transition::kMarkReleased, nullptr,
      {{"released_at", FormatUtc(options_.clock())}, {"release_destination", destination}});
}

Status QuarantineIndex::MarkPurged(const std::string& id) {
  return Apply(id, Transition::kPurge, nullptr, {{"purged_at", FormatUtc(options_.clock())}});
}

Status QuarantineIndex::Purge(const std::string& id, BlobStore& blobs) {
  Result<QuarantineRecord> record = Get(id);
  if (!record.ok()) return record.status();
  if (Status s = MarkPurged(id); !s.ok()) return s;
  // Count and unlink under the write lock: an Insert(record, blobs) of the same content
  // either committed before (the blob stays) or checks for the blob after (and fails).
  SqliteWriteTransaction tx(db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  int64_t live = 0;
  {
    SqliteStmt q(db_, "SELECT COUNT(*) FROM items WHERE sha256 = ?1 AND state != 'purged'");
    q.Bind(1, record->sha256);
    Result<bool> row = q.Step();
    if (!row.ok()) return row.status();
    live = q.Int(0);
  }
  if (live == 0) {
    if (Status s = blobs.Remove(record->sha256); !s.ok()) return s;
  }
  return tx.Commit();
}

Result<ReconcileReport> QuarantineIndex::Reconcile(const BlobStore& blobs) {
  Result<std::vector<std::string>> stored = blobs.List();
  if (!stored.ok()) return stored.status();
  SqliteStmt q(db_, "SELECT id, sha256 FROM items WHERE state != 'purged' ORDER BY id");
  std::set<std::string> referenced;
  ReconcileReport report;
  while (true) {
    Result<bool> row = q.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    std::string sha = q.Text(1);
    referenced.insert(sha);
    if (!std::binary_search(stored->begin(), stored->end(), sha)) {
      report.missing_blobs.push_back(q.Text(0));
    }
  }
  for (const std::string& sha : stored.value()) {
    if (referenced.count(sha) == 0) report.orphan_blobs.push_back(sha);
  }
  return report;
}

}  // namespace mugai
