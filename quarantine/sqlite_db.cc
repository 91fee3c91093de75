// SQLite connection, statement and transaction wrappers (see sqlite_db.h).
#include "quarantine/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

namespace mugai {

SqliteDb::~SqliteDb() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Result<SqliteDb> SqliteDb::Open(const std::string& path, int busy_timeout_ms) {
  SqliteDb db;
  int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db.db_ != nullptr ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc);
    return Status{StatusCode::kIo, "cannot open the quarantine index '" + path + "': " + why};
  }
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, busy_timeout_ms);
  return db;
}

Status SqliteDb::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return Status::Ok();
  std::string why = err != nullptr ? err : sqlite3_errmsg(db_);
  sqlite3_free(err);
  return {StatusCode::kIo, "quarantine index: " + why};
}

Status SqliteDb::Error(const std::string& what) const {
  return {StatusCode::kIo, "quarantine index: " + what + ": " + sqlite3_errmsg(db_)};
}

bool SqliteDb::LastErrorWasBusy() const { return (sqlite3_errcode(db_) & 0xff) == SQLITE_BUSY; }

SqliteStmt::SqliteStmt(const SqliteDb& db, const char* sql) : db_(db) {
  Check(sqlite3_prepare_v2(db.handle(), sql, -1, &stmt_, nullptr));
}

SqliteStmt::~SqliteStmt() { sqlite3_finalize(stmt_); }

void SqliteStmt::Check(int rc) {
  if (rc != SQLITE_OK && status_.ok()) status_ = db_.Error("cannot prepare a statement");
}

void SqliteStmt::Bind(int index, const std::string& text) {
  if (stmt_ == nullptr) return;
  Check(sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT));
}

void SqliteStmt::BindOrNull(int index, const std::string& text) {
  if (stmt_ == nullptr) return;
  if (text.empty()) {
    Check(sqlite3_bind_null(stmt_, index));
  } else {
    Bind(index, text);
  }
}

void SqliteStmt::Bind(int index, int64_t value) {
  if (stmt_ == nullptr) return;
  Check(sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value)));
}

Result<bool> SqliteStmt::Step() {
  if (!status_.ok()) return status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_.Error("statement failed");
}

std::string SqliteStmt::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t SqliteStmt::Int(int column) const {
  return static_cast<int64_t>(sqlite3_column_int64(stmt_, column));
}

SqliteWriteTransaction::~SqliteWriteTransaction() {
  if (open_) db_.Exec("ROLLBACK");
}

Status SqliteWriteTransaction::Begin() {
  Status s = db_.Exec("BEGIN IMMEDIATE");
  open_ = s.ok();
  return s;
}

Status SqliteWriteTransaction::Commit() {
  Status s = db_.Exec("COMMIT");
  if (s.ok()) open_ = false;  // on failure the destructor rolls back
  return s;
}

}  // namespace mugai
