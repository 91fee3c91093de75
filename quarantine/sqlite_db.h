// Thin RAII layer over the SQLite C API for the quarantine index: one connection, prepared
// statements with typed binds, and an IMMEDIATE write transaction. Errors become Status (kIo).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mugai {

class SqliteDb {
 public:
  SqliteDb() = default;
  ~SqliteDb();
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Opens (creating when absent) the database at `path`, refusing a symbolic link, and sets
  // the busy timeout so a writer waits for another instead of failing. kIo on failure.
  static Result<SqliteDb> Open(const std::string& path, int busy_timeout_ms);

  // Runs one or more statements that return no rows.
  Status Exec(const std::string& sql);

  // kIo carrying `what` and SQLite's message for the last error on this connection.
  Status Error(const std::string& what) const;

  // Whether the last failure on this connection was SQLITE_BUSY (another connection holds a
  // lock that the busy timeout did not wait for).
  bool LastErrorWasBusy() const;

  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// A prepared statement. Bind errors are remembered and reported by Step().
class SqliteStmt {
 public:
  SqliteStmt(const SqliteDb& db, const char* sql);
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  void Bind(int index, const std::string& text);
  void BindOrNull(int index, const std::string& text);  // NULL when `text` is empty
  void Bind(int index, int64_t value);

  // true when a row is available, false when the statement is done, or kIo.
  Result<bool> Step();

  std::string Text(int column) const;  // "" for NULL
  int64_t Int(int column) const;

 private:
  void Check(int rc);

  const SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
};

// BEGIN IMMEDIATE (takes the write lock at once, waiting up to the busy timeout), so that a
// read-check-update inside it cannot race another writer. Rolls back unless Commit() ran.
class SqliteWriteTransaction {
 public:
  explicit SqliteWriteTransaction(SqliteDb& db) : db_(db) {}
  ~SqliteWriteTransaction();
  SqliteWriteTransaction(const SqliteWriteTransaction&) = delete;
  SqliteWriteTransaction& operator=(const SqliteWriteTransaction&) = delete;

  Status Begin();
  Status Commit();

 private:
  SqliteDb& db_;
  bool open_ = false;
};

}  // namespace mugai
