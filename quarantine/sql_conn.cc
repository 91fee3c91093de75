// SqlConn over SQLite (sqlite3) and PostgreSQL (libpq). See sql_conn.h.
#include "quarantine/sql_conn.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <cctype>
#include <functional>
#include <regex>

namespace mugai {

Result<std::string> SqlConn::Scalar(const std::string& sql, const std::vector<SqlParam>& params) {
  Result<std::vector<SqlRow>> rows = Query(sql, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty() || rows->front().empty() || !rows->front()[0]) return std::string();
  return *rows->front()[0];
}

namespace {

// "$12" → "?12" outside quoted text.
std::string ToSqlitePlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      c = '?';
    }
    out += c;
  }
  return out;
}

class SqliteConn final : public SqlConn {
 public:
  SqliteConn(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConn() override { sqlite3_close_v2(db_); }

  Result<std::vector<SqlRow>> Query(const std::string& sql,
                                    const std::vector<SqlParam>& params) override {
    std::string text = ToSqlitePlaceholders(sql);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, text.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return Error("cannot prepare a statement");
    }
    struct Finalizer {
      sqlite3_stmt* s;
      ~Finalizer() { sqlite3_finalize(s); }
    } finalizer{stmt};
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlParam& p = params[i];
      int index = static_cast<int>(i + 1);
      int rc;
      if (p.null) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (p.is_int) {
        rc = sqlite3_bind_int64(stmt, index, std::stoll(p.text));
      } else if (p.binary) {
        rc = sqlite3_bind_blob64(stmt, index, p.text.data(), p.text.size(), SQLITE_TRANSIENT);
      } else {
        rc = sqlite3_bind_text64(stmt, index, p.text.data(), p.text.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return Error("cannot bind a value");
    }
    std::vector<SqlRow> rows;
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return rows;
      if (rc != SQLITE_ROW) return Error("statement failed");
      SqlRow row;
      int n = sqlite3_column_count(stmt);
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else if (sqlite3_column_type(stmt, c) == SQLITE_BLOB) {
          const void* b = sqlite3_column_blob(stmt, c);
          row.emplace_back(std::string(static_cast<const char*>(b),
                                       static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
        } else {
          const unsigned char* t = sqlite3_column_text(stmt, c);
          row.emplace_back(std::string(reinterpret_cast<const char*>(t),
                                       static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      rows.push_back(std::move(row));
    }
  }

  Status Script(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return Status::Ok();
    std::string why = err != nullptr ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return {StatusCode::kIo, "quarantine index: " + why};
  }
  Status Begin() override { return Script("BEGIN IMMEDIATE"); }
  Status BeginSnapshot() override { return Script("BEGIN"); }
  Status Commit() override { return Script("COMMIT"); }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_)) (void)Script("ROLLBACK");
  }
  bool postgres() const override { return false; }
  std::string Describe() const override { return "SQLite " + path_; }

  sqlite3* handle() const { return db_; }

 private:
  Status Error(const std::string& what) const {
    return {StatusCode::kIo, "quarantine index: " + what + ": " + sqlite3_errmsg(db_)};
  }

  sqlite3* db_;
  std::string path_;
};

// A text value as PostgreSQL (client_encoding UTF8) takes it: invalid UTF-8 and NUL bytes
// become U+FFFD. SQLite keeps any bytes, so a name from a hostile item that is not UTF-8 would
// otherwise be recordable on one engine and refused (the item failing forever) on the other.
std::string ValidUtf8(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= n && c != 0;
    for (size_t k = 1; ok && k < len; ++k) ok = (s[i + k] & 0xc0) == 0x80;
    if (ok && len == 2) ok = c >= 0xc2;
    if (ok && len == 3) {
      unsigned cp = ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);
      ok = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
    }
    if (ok && len == 4) {
      unsigned cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3fu) << 12) | ((s[i + 2] & 0x3fu) << 6) |
                    (s[i + 3] & 0x3fu);
      ok = cp >= 0x10000 && cp <= 0x10ffff;
    }
    if (ok) {
      out.append(in, i, len);
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

// Every session: UTF-8 text, and no statement waits for ever (a lock held by a stuck node);
// the item then fails closed.
constexpr const char* kSessionSettings[] = {"SET client_encoding = 'UTF8'",
                                            "SET statement_timeout = '60s'"};

// libpq's messages without their trailing newline.
std::string Chomp(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class PgConn final : public SqlConn {
 public:
  PgConn(PGconn* conn, std::string dsn) : conn_(conn), dsn_(std::move(dsn)) {}
  ~PgConn() override { PQfinish(conn_); }

  Result<std::vector<SqlRow>> Query(const std::string& sql,
                                    const std::vector<SqlParam>& params) override {
    std::vector<std::string> texts;  // text values as PostgreSQL accepts them (UTF-8, no NUL)
    texts.reserve(params.size());
    for (const SqlParam& p : params) {
      texts.push_back(p.binary || p.null ? std::string() : ValidUtf8(p.text));
    }
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlParam& p = params[i];
      const std::string& v = p.binary ? p.text : texts[i];
      values.push_back(p.null ? nullptr : v.c_str());
      lengths.push_back(static_cast<int>(v.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
    // Binary results only for a lone bytea column (blobs); text otherwise.
    bool binary = sql.rfind("SELECT bytes ", 0) == 0;
    Result<PGresult*> res = Run(
        [&] {
          return PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                              values.data(), lengths.data(), formats.data(), binary ? 1 : 0);
        },
        /*may_retry=*/true);
    if (!res.ok()) return res.status();
    std::vector<SqlRow> rows;
    int n = PQntuples(*res), cols = PQnfields(*res);
    rows.reserve(static_cast<size_t>(n));
    for (int r = 0; r < n; ++r) {
      SqlRow row;
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(*res, r, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(*res, r, c),
                                       static_cast<size_t>(PQgetlength(*res, r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    PQclear(*res);
    return rows;
  }

  Status Script(const std::string& sql) override {
    // Never a second COMMIT: its fate is unknown, so the caller fails the item and its retry
    // records it.
    Result<PGresult*> res = Run([&] { return PQexec(conn_, sql.c_str()); }, sql != "COMMIT");
    if (!res.ok()) return res.status();
    PQclear(*res);
    return Status::Ok();
  }

  Status Begin() override {
    Status s = Script("BEGIN");
    in_transaction_ = s.ok();
    return s;
  }
  Status BeginSnapshot() override {
    Status s = Script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    in_transaction_ = s.ok();
    return s;
  }
  Status Commit() override {
    Status s = Script("COMMIT");
    in_transaction_ = false;
    return s;
  }
  void Rollback() override {
    if (PQstatus(conn_) == CONNECTION_OK &&
        PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      (void)Script("ROLLBACK");
    }
    in_transaction_ = false;
  }
  bool postgres() const override { return true; }
  std::string Describe() const override { return "PostgreSQL (" + RedactDsn(dsn_) + ")"; }

 private:
  // Sends with `send`; the successful result is the caller's to PQclear. A connection that
  // died since its last use (a restarted server, a failover) is reset and, with `may_retry`,
  // the statement sent once more, but never inside a transaction.
  Result<PGresult*> Run(const std::function<PGresult*()>& send, bool may_retry) {
    for (int attempt = 0;; ++attempt) {
      if (PQstatus(conn_) != CONNECTION_OK && !in_transaction_) Reset();
      if (PQstatus(conn_) != CONNECTION_OK) return Unreachable();
      PGresult* res = send();
      ExecStatusType st = PQresultStatus(res);
      if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return res;
      std::string why = Chomp(PQresultErrorMessage(res));
      PQclear(res);
      if (PQstatus(conn_) != CONNECTION_OK) {
        if (may_retry && !in_transaction_ && attempt == 0) continue;
        return Unreachable();
      }
      return Status{StatusCode::kIo, "PostgreSQL: " + why};
    }
  }

  Status Unreachable() const {
    std::string why = Chomp(PQerrorMessage(conn_));
    return {StatusCode::kUnavailable,
            "the quarantine database cannot be reached (" + RedactDsn(dsn_) + "): " + why +
                "; check that PostgreSQL is running and quarantine.dsn is right"};
  }

  // Reconnects with the same parameters and sets the session up again.
  void Reset() {
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return;
    for (const char* set : kSessionSettings) {
      PGresult* res = PQexec(conn_, set);
      PQclear(res);
    }
  }

  PGconn* conn_;
  std::string dsn_;
  bool in_transaction_ = false;
};

}  // namespace

Result<std::unique_ptr<SqlConn>> OpenSqlite(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status{StatusCode::kIo, "cannot open the quarantine index '" + path + "': " + why};
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<SqlConn>(new SqliteConn(db, path));
}

Result<std::unique_ptr<SqlConn>> OpenPostgres(const std::string& dsn) {
  if (dsn.empty()) {
    return Status{StatusCode::kConfig,
                  "quarantine.backend is \"postgresql\" but quarantine.dsn is empty; set it to a "
                  "libpq connection string such as \"host=db1 dbname=mugai user=mugai\""};
  }
  // Defaults the DSN may override (it is expanded after them): a dead server is noticed in
  // seconds, not after the kernel's TCP timeout, while a pipeline thread waits on it.
  const char* keywords[] = {"connect_timeout", "keepalives_idle", "keepalives_interval",
                            "keepalives_count", "tcp_user_timeout", "dbname", nullptr};
  const char* values[] = {"10", "30", "10", "3", "30000", dsn.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string why = Chomp(conn ? PQerrorMessage(conn) : "out of memory");
    PQfinish(conn);
    return Status{StatusCode::kUnavailable,
                  "cannot connect to the quarantine database (" + RedactDsn(dsn) + "): " + why +
                      "; check that PostgreSQL is running and quarantine.dsn is right"};
  }
  // Quiet NOTICEs ("relation already exists, skipping") stay out of stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  auto c = std::unique_ptr<SqlConn>(new PgConn(conn, dsn));
  for (const char* set : kSessionSettings) {
    if (Status s = c->Script(set); !s.ok()) return s;
  }
  return c;
}

std::string RedactDsn(const std::string& dsn) {
  static const std::regex kv(R"((password\s*=\s*)('[^']*'|\S+))", std::regex::icase);
  static const std::regex uri(R"((://[^:/@]*:)[^@]*@)");
  std::string out = std::regex_replace(dsn, kv, "$1***");
  return std::regex_replace(out, uri, "$1***@");
}

}  // namespace mugai
