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
    "report_json, node";

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

QuarantineRecord ReadRow(const SqlRow& row) {
  QuarantineRecord r;
  size_t c = 0;
  auto text = [&]() { return row[c++].value_or(""); };
  auto number = [&]() {
    std::string t = text();
    return t.empty() ? int64_t{0} : std::stoll(t);
  };
  for (std::string* field : {&r.id, &r.received_at, &r.entry_point, &r.source, &r.name}) {
    *field = text();
  }
  r.size = number();
  for (std::string* field : {&r.sha256, &r.detected_type, &r.verdict, &r.reasons, &r.threats,
                             &r.signature_version, &r.classification}) {
    *field = text();
  }
  r.state = ParseState(text()).value_or(QuarantineState::kQuarantined);  // CHECK'd by schema
  for (std::string* field :
       {&r.requested_by, &r.request_reason, &r.requested_at, &r.approved_by, &r.approved_at,
        &r.rejected_by, &r.reject_reason, &r.released_at, &r.release_destination}) {
    *field = text();
  }
  r.exception = number() != 0;
  r.exception_expires_at = text();
  r.purged_at = text();
  r.report_json = text();
  r.node = text();
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

Result<std::vector<QuarantineRecord>> ReadAll(Result<std::vector<SqlRow>> rows) {
  if (!rows.ok()) return rows.status();
  std::vector<QuarantineRecord> out;
  out.reserve(rows->size());
  for (const SqlRow& row : rows.value()) out.push_back(ReadRow(row));
  return out;
}

// Serialises, on PostgreSQL, everything about one content hash (an insert that needs the
// blob against a purge that may delete it) across nodes; SQLite's write lock already does.
Status LockContent(SqlConn& db, const std::string& sha256) {
  if (!db.postgres()) return Status::Ok();
  return db.Exec("SELECT pg_advisory_xact_lock(hashtext($1))", {sha256});
}

}  // namespace

std::string QuarantineIndex::PathIn(const std::string& state_dir) {
  return state_dir + "/quarantine/index.sqlite";
}

Result<QuarantineIndex> QuarantineIndex::Open(const std::string& path, Options options) {
  if (Status s = MakeDirs(ParentOf(path), 0700); !s.ok()) return s;
  if (Status s = CreatePrivateFile(path); !s.ok()) return s;
  Result<std::unique_ptr<SqlConn>> db = OpenSqlite(path, options.busy_timeout_ms);
  if (!db.ok()) return db.status();
  return Open(std::move(db.value()), std::move(options));
}

Result<QuarantineIndex> QuarantineIndex::Open(std::unique_ptr<SqlConn> db, Options options) {
  QuarantineIndex index(std::move(db), std::move(options));
  if (!index.db_->postgres()) {
    // WAL: readers never block the writer, and a commit is one fsync'd append.
    if (Status s = index.EnableWal(); !s.ok()) return s;
    if (Status s = index.db_->Script("PRAGMA synchronous = FULL"); !s.ok()) return s;
  }
  if (Status s = index.InitSchema(); !s.ok()) return s;
  return index;
}

Status QuarantineIndex::EnableWal() {
  // Switching a new database to WAL needs an exclusive lock, and SQLite does not call the
  // busy handler for it (a reader upgrading could deadlock), so two processes opening a new
  // index at once retry here instead, within the busy timeout.
  for (int waited_ms = 0;; waited_ms += 10) {
    Result<std::string> mode = db_->Scalar("PRAGMA journal_mode = WAL");
    if (mode.ok() && mode.value() == "wal") return Status::Ok();
    bool retry = mode.ok() || mode.status().message().find("locked") != std::string::npos ||
                 mode.status().message().find("busy") != std::string::npos;
    if (!retry || waited_ms >= options_.busy_timeout_ms) {
      return mode.ok() ? Status{StatusCode::kIo, "quarantine index: cannot turn on WAL"}
                       : mode.status();
    }
    usleep(10 * 1000);
  }
}

namespace {

// The schema version of `db` (0: nothing there yet). SQLite before versions existed (an
// items table with user_version 0) counts as version 1.
Result<int> ReadVersion(SqlConn& db) {
  if (db.postgres()) {
    Result<std::string> table = db.Scalar("SELECT to_regclass('mugai_schema')::text");
    if (!table.ok()) return table.status();
    if (table->empty()) {
      Result<std::string> items = db.Scalar("SELECT to_regclass('items')::text");
      if (!items.ok()) return items.status();
      if (!items->empty()) {
        return Status{StatusCode::kConfig,
                      "the database has an items table but no mugai_schema: it was not made by "
                      "`mugai db migrate`; use an empty database for mugai"};
      }
      return 0;
    }
    Result<std::string> v = db.Scalar("SELECT max(version) FROM mugai_schema");
    if (!v.ok()) return v.status();
    return v->empty() ? 0 : std::stoi(v.value());
  }
  Result<std::string> v = db.Scalar("PRAGMA user_version");
  if (!v.ok()) return v.status();
  int version = v->empty() ? 0 : std::stoi(v.value());
  if (version == 0) {
    Result<std::string> items =
        db.Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'items'");
    if (!items.ok()) return items.status();
    if (items.value() != "0") version = 1;  // an index from before schema versions
  }
  return version;
}

constexpr const char* kSqliteV2 = "ALTER TABLE items ADD COLUMN node TEXT NOT NULL DEFAULT '';";

constexpr const char* kPostgresV2 = R"sql(
CREATE TABLE mugai_schema (version INTEGER NOT NULL, applied_at TEXT NOT NULL);
CREATE TABLE items (
  id TEXT COLLATE "C" PRIMARY KEY,
  received_at TEXT COLLATE "C" NOT NULL,
  entry_point TEXT NOT NULL CHECK (entry_point IN ('milter', 'watch', 'cli')),
  source TEXT NOT NULL,
  name TEXT NOT NULL,
  size BIGINT NOT NULL CHECK (size >= 0),
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
  report_json TEXT NOT NULL DEFAULT '',
  node TEXT NOT NULL DEFAULT ''
);
CREATE INDEX items_received_at ON items (received_at);
CREATE INDEX items_state ON items (state);
CREATE INDEX items_sha256 ON items (sha256);
-- The audit chain: one row per record, the record's exact line kept as written (its sha256
-- is the next record's prev). audit_head holds the last seq and hash; an append locks it.
CREATE TABLE audit (
  seq BIGINT PRIMARY KEY CHECK (seq > 0),
  node TEXT NOT NULL,
  time TEXT COLLATE "C" NOT NULL,
  line TEXT NOT NULL
);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
-- Originals (quarantine.blob_store = "database").
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  bytes BYTEA NOT NULL
);
ALTER TABLE blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;
)sql";

}  // namespace

Status QuarantineIndex::InitSchema() {
  SqlTransaction tx(*db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  if (db_->postgres()) {
    // Two nodes migrating at once: the second waits, then finds the work done.
    if (Status s = db_->Exec("SELECT pg_advisory_xact_lock(7271001)"); !s.ok()) return s;
  }
  Result<int> found = ReadVersion(*db_);
  if (!found.ok()) return found.status();
  found_version_ = found.value();
  int version = found.value();
  if (version > kIndexSchemaVersion) {
    return {StatusCode::kConfig,
            db_->Describe() + ": the quarantine database has schema version " +
                std::to_string(version) + ", newer than this mugai knows (" +
                std::to_string(kIndexSchemaVersion) + "); upgrade mugai on this node"};
  }
  if (version == kIndexSchemaVersion) return tx.Commit();
  bool fresh_sqlite = version == 0 && !db_->postgres();
  if (!options_.migrate && !fresh_sqlite) {
    return {StatusCode::kConfig,
            db_->Describe() + ": the quarantine database has schema version " +
                std::to_string(version) + (version == 0 ? " (empty)" : "") +
                ", older than this mugai's " + std::to_string(kIndexSchemaVersion) +
                "; run `mugai db migrate` (with the same --config) first"};
  }
  std::string now = FormatUtc(options_.clock());
  if (db_->postgres()) {
    // PostgreSQL starts at version 2 (version 1 was SQLite only).
    if (Status s = db_->Script(kPostgresV2); !s.ok()) return s;
    if (Status s = db_->Exec("INSERT INTO mugai_schema (version, applied_at) VALUES ($1, $2)",
                             {int64_t{kIndexSchemaVersion}, now});
        !s.ok()) {
      return s;
    }
  } else {
    if (version < 1) {
      if (Status s = db_->Script(kSchemaV1); !s.ok()) return s;
    }
    if (version < 2) {
      if (Status s = db_->Script(kSqliteV2); !s.ok()) return s;
    }
    std::string set = "PRAGMA user_version = " + std::to_string(kIndexSchemaVersion);
    if (Status s = db_->Script(set); !s.ok()) return s;
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

Status QuarantineIndex::HoldOriginal(const QuarantineRecord& r, const BlobStore& blobs,
                                     const std::string_view* original) {
  if (Status s = LockContent(*db_, r.sha256); !s.ok()) return s;
  if (blobs.in_database() && original != nullptr) {
    return PutBlobRow(*db_, r.sha256, *original);  // with the row, in this transaction
  }
  bool present;
  if (blobs.in_database()) {
    Result<std::string> found = db_->Scalar("SELECT 1 FROM blobs WHERE sha256 = $1", {r.sha256});
    if (!found.ok()) return found.status();
    present = !found->empty();
  } else {
    present = !blobs.PathOf(r.sha256).empty();
  }
  if (!present) {
    return Status{StatusCode::kNotFound, "the original " + r.sha256 + " is not in the store"};
  }
  return Status::Ok();
}

Status QuarantineIndex::InsertRow(const QuarantineRecord& r, const std::string& id) {
  return db_->Exec(
      "INSERT INTO items (id, received_at, entry_point, source, name, size, sha256, "
      "detected_type, verdict, reasons, threats, signature_version, classification, "
      "state, report_json, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
      "$13, 'quarantined', $14, $15)",
      {id, r.received_at.empty() ? FormatUtc(options_.clock()) : r.received_at, r.entry_point,
       r.source, r.name, r.size, r.sha256, r.detected_type, r.verdict, r.reasons, r.threats,
       r.signature_version,
       r.classification.empty() ? options_.default_classification : r.classification,
       r.report_json, options_.node});
}

Result<std::string> QuarantineIndex::InsertChecked(const QuarantineRecord& r,
                                                   const BlobStore* blobs) {
  if (Status s = ValidateNew(r); !s.ok()) return s;
  SqlTransaction tx(*db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  if (blobs != nullptr) {
    if (Status s = HoldOriginal(r, *blobs, nullptr); !s.ok()) return s;
  }
  Result<std::string> id = NewId();
  for (int attempt = 0; id.ok() && attempt < 3; ++attempt) {  // 2^64 ids: a clash is rare
    Result<std::string> taken = db_->Scalar("SELECT 1 FROM items WHERE id = $1", {id.value()});
    if (!taken.ok()) return taken.status();
    if (taken->empty()) break;
    id = NewId();
  }
  if (!id.ok()) return id.status();
  if (Status s = InsertRow(r, id.value()); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  return id;
}

Result<QuarantineRecord> QuarantineIndex::GetRow(const std::string& id, bool lock) {
  Result<std::vector<SqlRow>> rows =
      db_->Query(std::string("SELECT ") + kColumns + " FROM items WHERE id = $1" +
                     (lock ? db_->ForUpdate() : ""),
                 {id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status{StatusCode::kNotFound, "no quarantined item '" + id + "'"};
  return ReadRow(rows->front());
}

Result<QuarantineRecord> QuarantineIndex::Get(const std::string& id) { return GetRow(id, false); }

Result<std::vector<QuarantineRecord>> QuarantineIndex::List(const QuarantineListFilter& f) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM items WHERE TRUE";
  std::vector<SqlParam> args;
  auto add = [&](const char* condition, const std::string& value) {
    if (value.empty()) return;
    args.emplace_back(value);
    sql += std::string(" AND ") + condition + " $" + std::to_string(args.size());
  };
  add("state =", f.state ? std::string(StateName(*f.state)) : "");
  add("entry_point =", f.entry_point);
  add("verdict =", f.verdict);
  add("received_at >=", f.since);
  add("received_at <", f.until);
  int limit = std::clamp(f.limit, 1, kIndexListMax);
  sql += f.newest_first ? " ORDER BY received_at DESC, id DESC LIMIT " : " ORDER BY received_at, id LIMIT ";
  sql += std::to_string(limit);
  return ReadAll(db_->Query(sql, args));
}

Result<std::vector<QuarantineRecord>> QuarantineIndex::ListOlderThan(int days) {
  if (days < 0) return Status{StatusCode::kInvalidArgument, "negative retention in days"};
  std::string cutoff = FormatUtc(options_.clock() - int64_t{days} * 86400);
  return ReadAll(db_->Query(std::string("SELECT ") + kColumns +
                                " FROM items WHERE received_at < $1 AND state IN ('quarantined', "
                                "'rejected', 'released') ORDER BY received_at, id",
                            {cutoff}));
}

Result<std::string> QuarantineIndex::NewItemId() { return NewId(); }

Result<std::vector<std::string>> QuarantineIndex::InsertRecorded(
    const QuarantineRecord& r, const BlobStore& blobs, std::string_view original,
    const std::vector<AuditEntry>& audit) {
  if (!db_->postgres()) {
    return Status{StatusCode::kInvalidArgument, "InsertRecorded is for PostgreSQL"};
  }
  if (Status s = ValidateNew(r); !s.ok()) return s;
  if (r.id.size() != 18 || r.id.rfind("q-", 0) != 0) return Invalid("bad item id '" + r.id + "'");
  SqlTransaction tx(*db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  if (Status s = HoldOriginal(r, blobs, &original); !s.ok()) return s;
  if (Status s = InsertRow(r, r.id); !s.ok()) return s;
  std::vector<AuditEntry> entries = audit;
  for (AuditEntry& e : entries) e.item_id = r.id;
  Result<std::vector<std::string>> lines =
      AppendAuditRecords(*db_, entries, options_.node, options_.clock());
  if (!lines.ok()) return lines.status();
  if (Status s = tx.Commit(); !s.ok()) return s;
  return lines;
}

Result<std::map<std::string, int64_t>> QuarantineIndex::CountByState() {
  Result<std::vector<SqlRow>> rows = db_->Query("SELECT state, count(*) FROM items GROUP BY state");
  if (!rows.ok()) return rows.status();
  std::map<std::string, int64_t> out;
  for (const SqlRow& r : rows.value()) out[r[0].value_or("")] = std::stoll(r[1].value_or("0"));
  return out;
}

Result<std::vector<QuarantineRecord>> QuarantineIndex::All() {
  return ReadAll(db_->Query(std::string("SELECT ") + kColumns +
                            " FROM items ORDER BY received_at, id"));
}

Status QuarantineIndex::InsertVerbatim(const QuarantineRecord& r) {
  if (Status s = ValidateNew(r); !s.ok()) return {s.code(), r.id + ": " + s.message()};
  std::vector<SqlParam> p = {r.id, r.received_at, r.entry_point, r.source, r.name, r.size,
                             r.sha256, r.detected_type, r.verdict, r.reasons, r.threats,
                             r.signature_version, r.classification,
                             std::string(StateName(r.state))};
  for (const std::string* f :
       {&r.requested_by, &r.request_reason, &r.requested_at, &r.approved_by, &r.approved_at,
        &r.rejected_by, &r.reject_reason, &r.released_at, &r.release_destination}) {
    p.push_back(SqlParam::OrNull(*f));
  }
  p.emplace_back(int64_t{r.exception ? 1 : 0});
  p.push_back(SqlParam::OrNull(r.exception_expires_at));
  p.push_back(SqlParam::OrNull(r.purged_at));
  p.emplace_back(r.report_json);
  p.emplace_back(r.node);
  std::string sql = std::string("INSERT INTO items (") + kColumns + ") VALUES (";
  for (size_t i = 1; i <= p.size(); ++i) sql += (i > 1 ? ", $" : "$") + std::to_string(i);
  return db_->Exec(sql + ")", p);
}

Status QuarantineIndex::Apply(const std::string& id, Transition via, const Check& check,
                              const Columns& columns, const Check& inside) {
  attached_lines_.clear();
  SqlTransaction tx(*db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  Result<QuarantineRecord> current = GetRow(id, /*lock=*/true);
  if (!current.ok()) return current.status();
  Result<QuarantineState> next = NextState(current->state, via);
  if (!next.ok()) return {next.status().code(), id + ": " + next.status().message()};
  if (check) {
    if (Status s = check(current.value()); !s.ok()) return {s.code(), id + ": " + s.message()};
  }
  std::string sql = "UPDATE items SET state = $1";
  std::vector<SqlParam> args = {std::string(StateName(next.value()))};
  for (const auto& column : columns) {
    args.push_back(SqlParam::OrNull(column.second));
    sql += std::string(", ") + column.first + " = $" + std::to_string(args.size());
    if (std::string(column.first) == "exception" && db_->postgres()) sql += "::integer";
  }
  args.emplace_back(id);
  sql += " WHERE id = $" + std::to_string(args.size());
  args.emplace_back(std::string(StateName(current->state)));
  sql += " AND state = $" + std::to_string(args.size());
  if (Status s = db_->Exec(sql, args); !s.ok()) return s;
  if (inside) {
    if (Status s = inside(current.value()); !s.ok()) return s;
  }
  std::vector<std::string> lines;
  if (attached_ && db_->postgres()) {
    // The transition's audit record, in the same transaction: never one without the other.
    AuditEntry entry = *attached_;
    entry.item_id = id;
    Result<std::vector<std::string>> written =
        AppendAuditRecords(*db_, {entry}, options_.node, options_.clock());
    if (!written.ok()) return written.status();
    lines = std::move(written.value());
  }
  if (Status s = tx.Commit(); !s.ok()) return s;
  attached_lines_ = std::move(lines);
  return Status::Ok();
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

Status QuarantineIndex::Purge(const std::string& id, BlobStore& blobs, std::string* disposal) {
  // One transaction: the state, the original's removal and (PostgreSQL) the purge's record.
  // The count and removal run under the write lock (PostgreSQL: the content's advisory lock),
  // so an Insert(record, blobs) of the same content either committed before (the original
  // stays) or checks for it after (and fails).
  bool remove = false;
  std::string what;
  auto inside = [&](const QuarantineRecord& current) -> Status {
    if (Status s = LockContent(*db_, current.sha256); !s.ok()) return s;
    Result<std::string> live = db_->Scalar(
        "SELECT COUNT(*) FROM items WHERE sha256 = $1 AND state != 'purged'", {current.sha256});
    if (!live.ok()) return live.status();
    remove = live.value() == "0";
    if (remove && blobs.in_database()) {
      if (Status s = db_->Exec("DELETE FROM blobs WHERE sha256 = $1", {current.sha256}); !s.ok()) {
        return s;
      }
    } else if (remove) {
      // A file cannot roll back: removed last, after everything else in the transaction.
      if (Status s = blobs.Remove(current.sha256); !s.ok()) return s;
    }
    what = !remove ? "kept: another item not yet purged has the same content"
           : blobs.in_database()
               ? "deleted from the database (blobs) and vacuumed; replicas, WAL and backups "
                 "keep it until they age out"
               : "overwritten with zeros and deleted";
    if (attached_) attached_->details["original"] = what;
    return Status::Ok();
  };
  std::string sha;
  if (Result<QuarantineRecord> r = Get(id); r.ok()) sha = r->sha256;
  if (Status s = Apply(id, Transition::kPurge, nullptr,
                       {{"purged_at", FormatUtc(options_.clock())}}, inside);
      !s.ok()) {
    return s;
  }
  if (remove) blobs.Forget(sha);
  if (disposal != nullptr) *disposal = what;
  return Status::Ok();
}

Result<ReconcileReport> QuarantineIndex::Reconcile(const BlobStore& blobs) {
  Result<std::vector<std::string>> stored = blobs.List();
  if (!stored.ok()) return stored.status();
  Result<std::vector<SqlRow>> rows =
      db_->Query("SELECT id, sha256 FROM items WHERE state != 'purged' ORDER BY id");
  if (!rows.ok()) return rows.status();
  std::set<std::string> referenced;
  ReconcileReport report;
  for (const SqlRow& row : rows.value()) {
    std::string sha = row[1].value_or("");
    referenced.insert(sha);
    if (!std::binary_search(stored->begin(), stored->end(), sha)) {
      report.missing_blobs.push_back(row[0].value_or(""));
    }
  }
  for (const std::string& sha : stored.value()) {
    if (referenced.count(sha) == 0) report.orphan_blobs.push_back(sha);
  }
  return report;
}

}  // namespace mugai
