// One SQL interface over the two index engines: SQLite (one node, a file in the state folder)
// and PostgreSQL (several nodes, libpq; docs/SCALE-OUT.md). Statements are written once with
// PostgreSQL's $1, $2, ... placeholders; the SQLite side rewrites them to ?1, ?2, ....
// Every value comes back as text (NULL as nullopt), which is what both engines can give.
// A connection is not thread-safe: its owner serialises calls.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mugai {

struct SqlParam {
  SqlParam(std::string t) : text(std::move(t)) {}  // NOLINT(google-explicit-constructor)
  SqlParam(const char* t) : text(t) {}             // NOLINT(google-explicit-constructor)
  SqlParam(int64_t v) : text(std::to_string(v)), is_int(true) {}  // NOLINT
  static SqlParam Null() {
    SqlParam p{""};
    p.null = true;
    return p;
  }
  // "" → NULL (optional columns store NULL, not "").
  static SqlParam OrNull(const std::string& t) { return t.empty() ? Null() : SqlParam(t); }
  // Bytes (PostgreSQL bytea, SQLite BLOB).
  static SqlParam Binary(std::string bytes) {
    SqlParam p(std::move(bytes));
    p.binary = true;
    return p;
  }
  std::string text;
  bool is_int = false;
  bool null = false;
  bool binary = false;
};

using SqlRow = std::vector<std::optional<std::string>>;

class SqlConn {
 public:
  virtual ~SqlConn() = default;

  // Runs one statement and returns its rows. kUnavailable when the database cannot be
  // reached (PostgreSQL: after one reconnection attempt outside a transaction), kIo otherwise.
  virtual Result<std::vector<SqlRow>> Query(const std::string& sql,
                                            const std::vector<SqlParam>& params = {}) = 0;
  // Runs a script of several statements without parameters (schema migrations).
  virtual Status Script(const std::string& sql) = 0;
  // A write transaction: SQLite BEGIN IMMEDIATE (the write lock at once); PostgreSQL BEGIN
  // (READ COMMITTED; rows are locked with ForUpdate()).
  virtual Status Begin() = 0;
  // A read-only transaction that sees one snapshot throughout (PostgreSQL REPEATABLE READ;
  // SQLite: a deferred transaction, which is one snapshot in WAL mode).
  virtual Status BeginSnapshot() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
  virtual bool postgres() const = 0;
  // " FOR UPDATE" on PostgreSQL (row locks); "" on SQLite (the whole database is locked).
  const char* ForUpdate() const { return postgres() ? " FOR UPDATE" : ""; }
  // Where it points, for messages ("PostgreSQL host=db1 dbname=mugai" / the SQLite path).
  virtual std::string Describe() const = 0;

  Status Exec(const std::string& sql, const std::vector<SqlParam>& params = {}) {
    return Query(sql, params).status();
  }
  // The first column of the first row ("" when there is none or it is NULL).
  Result<std::string> Scalar(const std::string& sql, const std::vector<SqlParam>& params = {});
};

// Rolls back unless Commit() ran.
class SqlTransaction {
 public:
  explicit SqlTransaction(SqlConn& db) : db_(db) {}
  ~SqlTransaction() {
    if (open_) db_.Rollback();
  }
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  Status Begin() {
    Status s = db_.Begin();
    open_ = s.ok();
    return s;
  }
  Status Commit() {
    Status s = db_.Commit();
    open_ = false;  // a failed COMMIT has ended the transaction too (PostgreSQL) or is rolled back
    if (!s.ok()) db_.Rollback();
    return s;
  }

 private:
  SqlConn& db_;
  bool open_ = false;
};

// Opens the SQLite database at `path` (refusing a symbolic link) with a busy timeout.
Result<std::unique_ptr<SqlConn>> OpenSqlite(const std::string& path, int busy_timeout_ms);

// Connects to PostgreSQL with a libpq connection string. kUnavailable when it cannot connect,
// with libpq's reason and what to check.
Result<std::unique_ptr<SqlConn>> OpenPostgres(const std::string& dsn);

// "host=db1 password=secret dbname=mugai" → "host=db1 password=*** dbname=mugai" (also URIs).
std::string RedactDsn(const std::string& dsn);

}  // namespace mugai
