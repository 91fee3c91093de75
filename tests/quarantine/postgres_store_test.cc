// The quarantine stores on both engines (issue 17): the index's states, roles and transitions
// as one table of cases run against SQLite and a real PostgreSQL server (started by ctest's
// `postgres` fixture); the audit chain in the database (concurrent appends from several
// connections, and edits, deletions, insertions and reordering detected); database blobs;
// schema versions (newer refused, older refused until migrate, an old SQLite index migrated
// with its rows).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/file_util.h"
#include "quarantine/audit_log.h"
#include "quarantine/quarantine_index.h"
#include "quarantine/store.h"
#include "test_support.h"

namespace mugai {
namespace {

constexpr int64_t kNow = 1780000000;  // 2026-05-28T20:26:40Z

QuarantineRecord Sample(const std::string& name) {
  QuarantineRecord r;
  r.entry_point = "milter";
  r.source = R"({"from":"taro@example.jp","to":["soumu@city.example.lg.jp"]})";
  r.name = name;
  r.size = static_cast<int64_t>(name.size());
  r.sha256 = Sha256Hex(name);
  r.detected_type = "application/pdf";
  r.verdict = "blocked";
  r.reasons = "pdf_javascript";
  r.signature_version = "27000";
  r.report_json = R"({"verdict":"blocked"})";
  return r;
}

// One backend under test: its stores, opened on a fresh database (or state folder).
struct Backend {
  std::string kind;
  std::string dsn;  // PostgreSQL
  testing::TempDir dir;
  int64_t now = kNow;

  StoreOptions Options(const std::string& node = "node-a") {
    StoreOptions o;
    o.state_dir = dir.path() + "/" + node;
    o.backend = kind;
    o.dsn = dsn;
    o.node = node;
    o.default_classification = "機密性2";
    o.migrate = true;
    return o;
  }
  Stores Open(const std::string& node = "node-a") {
    Result<Stores> s = OpenStores(Options(node), [this] { return now; });
    if (!s.ok()) {
      ADD_FAILURE() << s.status().message();
      abort();
    }
    return std::move(s.value());
  }
};

class StoreOnBothBackends : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    b_.kind = GetParam();
    if (b_.kind == "postgresql") {
      std::string why;
      b_.dsn = testing::FreshPostgresDatabase(&why);
      if (b_.dsn.empty()) GTEST_SKIP() << "PostgreSQL skipped: " << why;
    }
  }
  Backend b_;
};

std::string Put(Stores& s, const std::string& name) {
  QuarantineRecord r = Sample(name);
  EXPECT_TRUE(s.blobs->Put(r.sha256, name).ok());
  Result<std::string> id = s.index->Insert(r, *s.blobs);
  EXPECT_TRUE(id.ok()) << id.status().message();
  return id.ok() ? id.value() : "";
}

ReleaseRequest Req(const std::string& user, bool exception = false,
                   const std::string& expires = "") {
  ReleaseRequest r;
  r.user = user;
  r.reason = "業務上必要";
  r.exception = exception;
  r.exception_expires_at = expires;
  return r;
}

// Each transition from each state, with the state it leaves (or the refusal).
struct Step {
  const char* what;
  std::function<Status(QuarantineIndex&, const std::string&)> run;
  const char* state_after;  // nullptr: refused, state unchanged
};

TEST_P(StoreOnBothBackends, TransitionTableHoldsOnThisEngine) {
  Stores s = b_.Open();
  const std::vector<std::pair<std::string, std::vector<Step>>> table = {
      {"request, self-approval refused, approve, release, purge",
       {{"approve before a request", [](QuarantineIndex& x, auto& id) { return x.Approve(id, "bob"); }, nullptr},
        {"request", [](QuarantineIndex& x, auto& id) { return x.RequestRelease(id, Req("alice")); }, "release_requested"},
        {"request twice", [](QuarantineIndex& x, auto& id) { return x.RequestRelease(id, Req("alice")); }, nullptr},
        {"self-approval", [](QuarantineIndex& x, auto& id) { return x.Approve(id, "alice"); }, nullptr},
        {"approve", [](QuarantineIndex& x, auto& id) { return x.Approve(id, "bob"); }, "approved"},
        {"reject after approval", [](QuarantineIndex& x, auto& id) { return x.Reject(id, "bob", "no"); }, nullptr},
        {"released", [](QuarantineIndex& x, auto& id) { return x.MarkReleased(id, "smtp://127.0.0.1:25"); }, "released"},
        {"purge", [](QuarantineIndex& x, auto& id) { return x.MarkPurged(id); }, "purged"},
        {"request after purge", [](QuarantineIndex& x, auto& id) { return x.RequestRelease(id, Req("alice")); }, nullptr}}},
      {"reject, then nothing but purge",
       {{"request", [](QuarantineIndex& x, auto& id) { return x.RequestRelease(id, Req("alice")); }, "release_requested"},
        {"reject without reason", [](QuarantineIndex& x, auto& id) { return x.Reject(id, "bob", ""); }, nullptr},
        {"reject", [](QuarantineIndex& x, auto& id) { return x.Reject(id, "bob", "業務外"); }, "rejected"},
        {"approve after rejection", [](QuarantineIndex& x, auto& id) { return x.Approve(id, "bob"); }, nullptr},
        {"purge", [](QuarantineIndex& x, auto& id) { return x.MarkPurged(id); }, "purged"}}},
      {"an exception needs a future expiry",
       {{"exception without expiry", [](QuarantineIndex& x, auto& id) { return x.RequestRelease(id, Req("alice", true)); }, nullptr},
        {"exception in the past", [](QuarantineIndex& x, auto& id) { return x.RequestRelease(id, Req("alice", true, "2020-01-01T00:00:00Z")); }, nullptr},
        {"exception", [](QuarantineIndex& x, auto& id) { return x.RequestRelease(id, Req("alice", true, "2026-06-01T00:00:00Z")); }, "release_requested"},
        {"approve", [](QuarantineIndex& x, auto& id) { return x.Approve(id, "bob"); }, "approved"}}}};
  int n = 0;
  std::vector<std::string> ids;
  for (const auto& [title, steps] : table) {
    std::string id = Put(s, "row-" + std::to_string(++n) + ".pdf");
    ids.push_back(id);
    std::string state = "quarantined";
    for (const Step& step : steps) {
      Status st = step.run(*s.index, id);
      if (step.state_after) {
        EXPECT_TRUE(st.ok()) << title << " / " << step.what << ": " << st.message();
        state = step.state_after;
      } else {
        EXPECT_FALSE(st.ok()) << title << " / " << step.what << " should be refused";
      }
      Result<QuarantineRecord> now = s.index->Get(id);
      ASSERT_TRUE(now.ok());
      EXPECT_EQ(StateName(now->state), state) << title << " / " << step.what;
    }
  }
  // What the rows keep: who, when, why, and the node.
  QuarantineListFilter f;
  f.limit = 100;
  Result<std::vector<QuarantineRecord>> all = s.index->List(f);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  std::vector<QuarantineRecord> row;
  for (const std::string& id : ids) row.push_back(s.index->Get(id).value());
  EXPECT_EQ(row[0].classification, "機密性2");
  EXPECT_EQ(row[0].node, "node-a");
  EXPECT_EQ(row[0].requested_by, "alice");
  EXPECT_EQ(row[0].approved_by, "bob");
  EXPECT_EQ(row[0].release_destination, "smtp://127.0.0.1:25");
  EXPECT_EQ(row[1].reject_reason, "業務外");
  EXPECT_TRUE(row[2].exception);
  EXPECT_EQ(row[2].exception_expires_at, "2026-06-01T00:00:00Z");
  f.state = QuarantineState::kPurged;
  EXPECT_EQ(s.index->List(f)->size(), 2u);
  EXPECT_EQ(s.index->Get("q-0000000000000000").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreOnBothBackends, AnotherNodeSeesAndDecidesTheSameItem) {
  Stores a = b_.Open("node-a");
  Stores b = b_.Open("node-b");
  std::string id = Put(a, "議事録.pdf");
  if (b_.kind == "sqlite") {
    // SQLite is one node's: node-b's state folder has its own index.
    EXPECT_EQ(b.index->Get(id).status().code(), StatusCode::kNotFound);
    return;
  }
  ASSERT_TRUE(b.index->Get(id).ok());
  EXPECT_EQ(b.index->Get(id)->node, "node-a");
  ASSERT_TRUE(a.index->RequestRelease(id, Req("alice")).ok());
  ASSERT_TRUE(b.index->Approve(id, "bob").ok());
  EXPECT_EQ(StateName(a.index->Get(id)->state), "approved");
  // The original is readable from node-b (the database blob store).
  std::string path = b.blobs->PathOf(Sha256Hex("議事録.pdf"));
  ASSERT_FALSE(path.empty());
  EXPECT_EQ(testing::ReadFile(path), "議事録.pdf");
}

TEST_P(StoreOnBothBackends, ConcurrentApprovalsOneWins) {
  Stores setup = b_.Open("node-a");
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(Put(setup, "c" + std::to_string(i) + ".pdf"));
    ASSERT_TRUE(setup.index->RequestRelease(ids.back(), Req("alice")).ok());
  }
  // Two nodes (PostgreSQL) or two connections to one file (SQLite) approve every item at
  // once, then reject it: per item exactly one approval and no rejection may succeed.
  Stores x = b_.Open("node-a");
  Stores y = b_.Open(b_.kind == "postgresql" ? "node-b" : "node-a");
  std::atomic<int> approvals{0}, rejections{0};
  auto run = [&](Stores* s, const std::string& who) {
    for (const std::string& id : ids) {
      if (s->index->Approve(id, who).ok()) ++approvals;
      if (s->index->Reject(id, who, "late").ok()) ++rejections;
    }
  };
  std::thread t1(run, &x, std::string("bob"));
  std::thread t2(run, &y, std::string("carol"));
  t1.join();
  t2.join();
  EXPECT_EQ(approvals.load(), 10);
  EXPECT_EQ(rejections.load(), 0);
}

TEST_P(StoreOnBothBackends, PurgeRemovesTheOriginalOnlyWhenNoOtherItemHasIt) {
  Stores s = b_.Open();
  std::string first = Put(s, "same.pdf");
  std::string second = Put(s, "same.pdf");
  std::string sha = Sha256Hex("same.pdf");
  ASSERT_TRUE(s.index->Purge(first, *s.blobs).ok());
  EXPECT_FALSE(s.blobs->PathOf(sha).empty()) << "still needed by the second item";
  ASSERT_TRUE(s.index->Purge(second, *s.blobs).ok());
  EXPECT_TRUE(s.blobs->PathOf(sha).empty());
  Result<std::vector<std::string>> left = s.blobs->List();
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  // An insert whose original is gone is refused (it would be a row without its original).
  EXPECT_EQ(s.index->Insert(Sample("same.pdf"), *s.blobs).status().code(), StatusCode::kNotFound);
  // An orphan blob (a crash between the blob and its row) is reported, not lost.
  ASSERT_TRUE(s.blobs->Put(Sha256Hex("orphan"), "orphan").ok());
  Result<ReconcileReport> r = s.index->Reconcile(*s.blobs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->orphan_blobs, std::vector<std::string>{Sha256Hex("orphan")});
  EXPECT_TRUE(r->missing_blobs.empty());
}

TEST_P(StoreOnBothBackends, AuditChainFromSeveralWritersVerifies) {
  Stores setup = b_.Open("node-a");
  // Four writers (two nodes with two connections each on PostgreSQL) append at once.
  std::vector<Stores> writers;
  // (SQLite: one node's log, so one state folder.)
  for (int w = 0; w < 4; ++w) {
    writers.push_back(b_.Open(w % 2 && b_.kind == "postgresql" ? "node-b" : "node-a"));
  }
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 25; ++i) {
        AuditEntry e{AuditEvent::kItemProcessed, "mugai", "",
                     {{"writer", w}, {"i", i}, {"name", "請求書.pdf"}}};
        if (!writers[static_cast<size_t>(w)].audit->Append(e).ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  Result<AuditVerifyResult> v = setup.audit->Verify();
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_TRUE(v->ok()) << v->problem->what;
  EXPECT_EQ(v->records, 100u);
  EXPECT_EQ(v->last_seq, 100u);
  if (b_.kind == "postgresql") {
    // Each record names its node.
    Result<std::vector<std::string>> lines = setup.audit->ReadAll();
    std::set<std::string> nodes;
    for (const std::string& l : lines.value()) {
      nodes.insert(nlohmann::json::parse(l).value("node", ""));
    }
    EXPECT_EQ(nodes, (std::set<std::string>{"node-a", "node-b"}));
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreOnBothBackends,
                         ::testing::Values(std::string("sqlite"), std::string("postgresql")),
                         [](const auto& info) { return info.param; });

class PostgresAudit : public ::testing::Test {
 protected:
  void SetUp() override {
    b_.kind = "postgresql";
    std::string why;
    b_.dsn = testing::FreshPostgresDatabase(&why);
    if (b_.dsn.empty()) GTEST_SKIP() << "PostgreSQL skipped: " << why;
    stores_ = b_.Open();
    for (int i = 1; i <= 6; ++i) {
      b_.now = kNow + i * 86400;  // one a day
      ASSERT_TRUE(stores_.audit
                      ->Append({AuditEvent::kItemProcessed, "mugai", "", {{"n", i}}})
                      .ok());
    }
    db_ = OpenPostgres(b_.dsn);
    ASSERT_TRUE(db_.ok());
  }
  // What verify says: "" when the chain is whole.
  std::string Problem() {
    Result<AuditVerifyResult> v = stores_.audit->Verify();
    EXPECT_TRUE(v.ok());
    return v->ok() ? "" : v->problem->file + ":" + std::to_string(v->problem->seq) + ": " +
                              v->problem->what;
  }
  Status Sql(const std::string& sql) { return (*db_)->Script(sql); }

  Backend b_;
  Stores stores_;
  Result<std::unique_ptr<SqlConn>> db_ = Status{StatusCode::kInternal, "unset"};
};

TEST_F(PostgresAudit, AnEditedRecordIsFound) {
  ASSERT_EQ(Problem(), "");
  Result<std::string> before = (*db_)->Scalar("SELECT line FROM audit WHERE seq = 3");
  ASSERT_NE(before->find("\"n\":3"), std::string::npos) << before.value();
  ASSERT_TRUE(Sql("UPDATE audit SET line = replace(line, '\"n\":3', '\"n\":33') WHERE seq = 3").ok());
  EXPECT_NE(Problem().find(":3: this record was edited"), std::string::npos) << Problem();
}

TEST_F(PostgresAudit, AnEditedLastRecordIsFoundByTheHead) {
  ASSERT_TRUE(Sql("UPDATE audit SET line = replace(line, '\"n\":6', '\"n\":7') WHERE seq = 6").ok());
  EXPECT_NE(Problem(), "");
  // And no node appends onto it.
  EXPECT_FALSE(stores_.audit->Append({AuditEvent::kItemProcessed, "mugai", "", nlohmann::json::object()}).ok());
}

TEST_F(PostgresAudit, ADeletedRecordIsFound) {
  ASSERT_TRUE(Sql("DELETE FROM audit WHERE seq = 2").ok());
  EXPECT_NE(Problem().find(":3"), std::string::npos) << Problem();
}

TEST_F(PostgresAudit, ADeletedEndIsFoundByTheHead) {
  ASSERT_TRUE(Sql("DELETE FROM audit WHERE seq = 6").ok());
  EXPECT_NE(Problem(), "");
}

TEST_F(PostgresAudit, AnInsertedRecordIsFound) {
  // Rows 4..6 moved up one, and a copy of record 3 slipped in at 4.
  ASSERT_TRUE(Sql("CREATE TEMP TABLE moved AS SELECT seq + 1 AS seq, node, time, line FROM audit "
                  "WHERE seq >= 4; DELETE FROM audit WHERE seq >= 4; "
                  "INSERT INTO audit SELECT * FROM moved; "
                  "INSERT INTO audit (seq, node, time, line) SELECT 4, node, time, line FROM "
                  "audit WHERE seq = 3; UPDATE audit_head SET seq = 7")
                  .ok());
  EXPECT_NE(Problem(), "");
}

TEST_F(PostgresAudit, ReorderedRecordsAreFound) {
  // Swap the lines of seq 2 and 3 (the rows keep their numbers).
  ASSERT_TRUE(Sql("BEGIN; CREATE TEMP TABLE s AS SELECT seq, line FROM audit WHERE seq IN (2,3);"
                  "UPDATE audit SET line = (SELECT line FROM s WHERE s.seq = 3) WHERE seq = 2;"
                  "UPDATE audit SET line = (SELECT line FROM s WHERE s.seq = 2) WHERE seq = 3;"
                  "COMMIT;")
                  .ok());
  EXPECT_NE(Problem(), "");
}

TEST_F(PostgresAudit, RetentionPurgeKeepsTheChainVerifiable) {
  b_.now = kNow + 10 * 86400;
  Stores later = b_.Open();
  Result<AuditPurgeResult> p = later.audit->Purge(6, "alice");  // older than day 4
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->removed, 3u) << p->archive;
  EXPECT_TRUE(std::filesystem::exists(b_.dir.path() + "/node-a/" + p->archive));
  Result<AuditVerifyResult> v = later.audit->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok()) << v->problem->what;
  EXPECT_EQ(v->first_seq, 4u);
  EXPECT_EQ(v->last_seq, 7u);  // the checkpoint
  // Redacted export works on the database chain.
  Result<std::string> csv = later.audit->Export(AuditExportFormat::kCsv, true);
  ASSERT_TRUE(csv.ok());
  EXPECT_NE(csv->find("checkpoint"), std::string::npos);
  Result<uint64_t> appended = later.audit->Append({AuditEvent::kItemProcessed, "mugai", "", nlohmann::json::object()});
  EXPECT_TRUE(appended.ok()) << appended.status().message();
  EXPECT_TRUE(later.audit->Verify()->ok());
}

TEST(QuarantineSchema, ANewerSchemaIsRefusedAndAnOlderOneNamesMigrate) {
  std::string why;
  std::string dsn = testing::FreshPostgresDatabase(&why);
  if (dsn.empty()) GTEST_SKIP() << "PostgreSQL skipped: " << why;
  testing::TempDir dir;
  StoreOptions o;
  o.state_dir = dir.path();
  o.backend = "postgresql";
  o.dsn = dsn;
  // Empty: the service does not create it behind the operator's back.
  Result<Stores> empty = OpenStores(o);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kConfig);
  EXPECT_NE(empty.status().message().find("mugai db migrate"), std::string::npos);
  o.migrate = true;
  ASSERT_TRUE(OpenStores(o).ok());
  o.migrate = false;
  ASSERT_TRUE(OpenStores(o).ok());
  Result<std::unique_ptr<SqlConn>> db = OpenPostgres(dsn);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Script("INSERT INTO mugai_schema VALUES (99, 'later')").ok());
  Result<Stores> newer = OpenStores(o);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("newer than this mugai"), std::string::npos);
  // An unreachable server is kUnavailable (exit 3), not a configuration error.
  o.dsn = testing::WithDatabase("host=127.0.0.1 port=1 connect_timeout=2", "x");
  EXPECT_EQ(OpenStores(o).status().code(), StatusCode::kUnavailable);
}

TEST(QuarantineSchema, AnOldSqliteIndexIsMigratedInPlaceKeepingItsRows) {
  for (int user_version : {0, 1}) {  // before versions existed, and version 1
    testing::TempDir dir;
    std::string path = dir.path() + "/quarantine/index.sqlite";
    {
      // The first release's schema, as it wrote it.
      Result<QuarantineIndex> fresh = QuarantineIndex::Open(path);
      ASSERT_TRUE(fresh.ok());
      ASSERT_TRUE(fresh->Insert(Sample("old.pdf")).ok());
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    std::string downgrade = "ALTER TABLE items DROP COLUMN node; PRAGMA user_version = " +
                            std::to_string(user_version) + ";";
    ASSERT_EQ(sqlite3_exec(raw, downgrade.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
    QuarantineIndex::Options o;
    Result<QuarantineIndex> refused = QuarantineIndex::Open(path, o);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("mugai db migrate"), std::string::npos);
    o.migrate = true;
    Result<QuarantineIndex> migrated = QuarantineIndex::Open(path, o);
    ASSERT_TRUE(migrated.ok()) << migrated.status().message();
    EXPECT_EQ(migrated->schema_version_found(), 1);
    QuarantineListFilter f;
    Result<std::vector<QuarantineRecord>> rows = migrated->List(f);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->at(0).name, "old.pdf");
    EXPECT_EQ(rows->at(0).node, "");
    EXPECT_TRUE(migrated->Insert(Sample("new.pdf")).ok());
  }
}

}  // namespace
}  // namespace mugai
