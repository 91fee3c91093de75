// Quarantine index: records, filters, every state transition against SQLite, the release
// rules (self-approval, expired exceptions), concurrency between processes, reconciliation.
#include "quarantine/quarantine_index.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "test_support.h"

namespace mugai {
namespace {

constexpr int64_t kNow = 1780000000;  // 2026-05-28T20:26:40Z

struct FakeClock {
  int64_t now = kNow;
  Clock fn() {
    return [this] { return now; };
  }
};

QuarantineIndex OpenIndex(const std::string& path, FakeClock* clock = nullptr) {
  QuarantineIndex::Options options;
  options.default_classification = "機密性2";
  if (clock != nullptr) options.clock = clock->fn();
  Result<QuarantineIndex> index = QuarantineIndex::Open(path, options);
  if (!index.ok()) {
    fprintf(stderr, "cannot open the index: %s\n", index.status().message().c_str());
    abort();  // nothing below can run without it
  }
  return std::move(index.value());
}

ReleaseRequest Req(const std::string& user, const std::string& reason, bool exception = false,
                   const std::string& expires = "") {
  ReleaseRequest r;
  r.user = user;
  r.reason = reason;
  r.exception = exception;
  r.exception_expires_at = expires;
  return r;
}

// A filter with one or two fields set (designated initializers trip -Wextra).
template <typename Set>
QuarantineListFilter Filter(Set set) {
  QuarantineListFilter f;
  set(f);
  return f;
}

QuarantineRecord Sample(const std::string& name = "請求書.pdf") {
  QuarantineRecord r;
  r.entry_point = "milter";
  r.source = R"({"from":"taro@example.jp","to":["soumu@city.example.lg.jp"]})";
  r.name = name;
  r.size = 1234;
  r.sha256 = Sha256Hex(name);
  r.detected_type = "application/pdf";
  r.verdict = "blocked";
  r.reasons = "pdf_javascript";
  r.threats = "";
  r.signature_version = "27000";
  r.report_json = R"({"verdict":"blocked"})";
  return r;
}

std::string InsertOk(QuarantineIndex& index, const QuarantineRecord& r = Sample()) {
  Result<std::string> id = index.Insert(r);
  EXPECT_TRUE(id.ok()) << id.status().message();
  return id.ok() ? id.value() : "";
}

QuarantineState StateOf(QuarantineIndex& index, const std::string& id) {
  Result<QuarantineRecord> r = index.Get(id);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->state : QuarantineState::kPurged;
}

// Brings a fresh item to `target` along the allowed path (requested by alice).
Status DriveTo(QuarantineIndex& index, const std::string& id, QuarantineState target) {
  switch (target) {
    case QuarantineState::kQuarantined:
      return Status::Ok();
    case QuarantineState::kReleaseRequested:
      return index.RequestRelease(id, Req("alice", "needed for the council meeting"));
    case QuarantineState::kApproved:
      if (Status s = DriveTo(index, id, QuarantineState::kReleaseRequested); !s.ok()) return s;
      return index.Approve(id, "bob");
    case QuarantineState::kRejected:
      if (Status s = DriveTo(index, id, QuarantineState::kReleaseRequested); !s.ok()) return s;
      return index.Reject(id, "bob", "macro content");
    case QuarantineState::kReleased:
      if (Status s = DriveTo(index, id, QuarantineState::kApproved); !s.ok()) return s;
      return index.MarkReleased(id, "/srv/transfer/out");
    case QuarantineState::kPurged:
      return index.MarkPurged(id);
  }
  return {StatusCode::kInternal, "unreachable"};
}

// Tries `via` with valid arguments by users other than alice and bob.
Status Attempt(QuarantineIndex& index, const std::string& id, Transition via) {
  switch (via) {
    case Transition::kRequestRelease:
      return index.RequestRelease(id, Req("carol", "again"));
    case Transition::kApprove:
      return index.Approve(id, "dave");
    case Transition::kReject:
      return index.Reject(id, "dave", "no");
    case Transition::kMarkReleased:
      return index.MarkReleased(id, "/srv/transfer/out");
    case Transition::kPurge:
      return index.MarkPurged(id);
  }
  return {StatusCode::kInternal, "unreachable"};
}

struct AllowedTransition {
  QuarantineState from;
  Transition via;
  QuarantineState to;
};

constexpr AllowedTransition kAllowed[] = {
    {QuarantineState::kQuarantined, Transition::kRequestRelease, QuarantineState::kReleaseRequested},
    {QuarantineState::kReleaseRequested, Transition::kApprove, QuarantineState::kApproved},
    {QuarantineState::kReleaseRequested, Transition::kReject, QuarantineState::kRejected},
    {QuarantineState::kApproved, Transition::kMarkReleased, QuarantineState::kReleased},
    {QuarantineState::kQuarantined, Transition::kPurge, QuarantineState::kPurged},
    {QuarantineState::kRejected, Transition::kPurge, QuarantineState::kPurged},
    {QuarantineState::kReleased, Transition::kPurge, QuarantineState::kPurged},
};

TEST(QuarantineIndex, InsertAndGetRoundTrip) {
  testing::TempDir dir;
  FakeClock clock;
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()), &clock);
  QuarantineRecord in = Sample();
  in.state = QuarantineState::kApproved;  // ignored: a new item is always quarantined
  std::string id = InsertOk(index, in);
  ASSERT_EQ(id.size(), 18u);
  EXPECT_EQ(id.substr(0, 2), "q-");
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 2), std::string::npos);
  Result<QuarantineRecord> out = index.Get(id);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->id, id);
  EXPECT_EQ(out->received_at, FormatUtc(kNow));
  EXPECT_EQ(out->entry_point, "milter");
  EXPECT_EQ(out->source, in.source);
  EXPECT_EQ(out->name, "請求書.pdf");
  EXPECT_EQ(out->size, 1234);
  EXPECT_EQ(out->sha256, in.sha256);
  EXPECT_EQ(out->detected_type, "application/pdf");
  EXPECT_EQ(out->verdict, "blocked");
  EXPECT_EQ(out->reasons, "pdf_javascript");
  EXPECT_EQ(out->signature_version, "27000");
  EXPECT_EQ(out->classification, "機密性2");  // the default from the options
  EXPECT_EQ(out->state, QuarantineState::kQuarantined);
  EXPECT_EQ(out->report_json, in.report_json);
  EXPECT_EQ(out->requested_by, "");
  EXPECT_FALSE(out->exception);
  EXPECT_EQ(index.Get("q-0000000000000000").status().code(), StatusCode::kNotFound);
}

TEST(QuarantineIndex, FileIsPrivateWalAndVersioned) {
  testing::TempDir dir;
  std::string path = QuarantineIndex::PathIn(dir.path());
  {
    QuarantineIndex index = OpenIndex(path);
    InsertOk(index);
  }
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir / "quarantine").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto pragma = [&](const char* sql) {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &q, nullptr);
    std::string value;
    if (sqlite3_step(q) == SQLITE_ROW)
      value = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return value;
  };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma("PRAGMA user_version"), std::to_string(kIndexSchemaVersion));
  // A database from a newer mugai is refused rather than misread.
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  Result<QuarantineIndex> newer = QuarantineIndex::Open(path);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kConfig);
  EXPECT_NE(newer.status().message().find("schema version 99"), std::string::npos);
}

TEST(QuarantineIndex, InsertRejectsBadRecords) {
  testing::TempDir dir;
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()));
  struct Case {
    const char* what;
    void (*spoil)(QuarantineRecord&);
  };
  const Case kCases[] = {
      {"entry point", [](QuarantineRecord& r) { r.entry_point = "ftp"; }},
      {"verdict", [](QuarantineRecord& r) { r.verdict = "clean"; }},
      {"sha256", [](QuarantineRecord& r) { r.sha256 = "../../etc/passwd"; }},
      {"size", [](QuarantineRecord& r) { r.size = -1; }},
      {"name", [](QuarantineRecord& r) { r.name = ""; }},
      {"received_at", [](QuarantineRecord& r) { r.received_at = "2026-02-31T00:00:00Z"; }},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    QuarantineRecord r = Sample();
    c.spoil(r);
    Result<std::string> id = index.Insert(r);
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  }
  Result<std::vector<QuarantineRecord>> all = index.List({});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST(QuarantineIndex, ListFilters) {
  testing::TempDir dir;
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()));
  const char* kDays[] = {"2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z",
                         "2026-04-01T00:00:00Z"};
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    QuarantineRecord r = Sample("file" + std::to_string(i) + ".pdf");
    r.received_at = kDays[i];
    r.entry_point = i % 2 == 0 ? "milter" : "watch";
    r.verdict = i == 3 ? "sanitized" : "blocked";
    ids.push_back(InsertOk(index, r));
  }
  ASSERT_TRUE(index.RequestRelease(ids[1], Req("alice", "needed")).ok());
  auto names = [&](const QuarantineListFilter& f) {
    std::vector<std::string> out;
    Result<std::vector<QuarantineRecord>> rows = index.List(f);
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    if (rows.ok()) {
      for (const QuarantineRecord& r : rows.value()) out.push_back(r.name);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({}), (V{"file0.pdf", "file1.pdf", "file2.pdf", "file3.pdf"}));
  EXPECT_EQ(names(Filter([](auto& f) { f.state = QuarantineState::kReleaseRequested; })), V{"file1.pdf"});
  EXPECT_EQ(names(Filter([](auto& f) { f.entry_point = "watch"; })), (V{"file1.pdf", "file3.pdf"}));
  EXPECT_EQ(names(Filter([](auto& f) { f.verdict = "sanitized"; })), V{"file3.pdf"});
  EXPECT_EQ(names(Filter([&](auto& f) {
              f.since = kDays[1];
              f.until = kDays[3];
            })),
            (V{"file1.pdf", "file2.pdf"}));
  EXPECT_EQ(names(Filter([](auto& f) { f.limit = 2; })), (V{"file0.pdf", "file1.pdf"}));
  EXPECT_EQ(names(Filter([](auto& f) { f.state = QuarantineState::kPurged; })), V{});
}

TEST(QuarantineIndex, EveryTransitionFromEveryState) {
  testing::TempDir dir;
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()));
  for (QuarantineState from : kAllQuarantineStates) {
    for (Transition via : kAllTransitions) {
      SCOPED_TRACE(std::string(StateName(from)) + " --" + std::string(TransitionName(via)));
      std::string id = InsertOk(index);
      ASSERT_TRUE(DriveTo(index, id, from).ok());
      ASSERT_EQ(StateOf(index, id), from);
      std::optional<QuarantineState> expected;
      for (const AllowedTransition& a : kAllowed) {
        if (a.from == from && a.via == via) expected = a.to;
      }
      Status s = Attempt(index, id, via);
      if (expected) {
        EXPECT_TRUE(s.ok()) << s.message();
        EXPECT_EQ(StateOf(index, id), *expected);
      } else {
        ASSERT_FALSE(s.ok());
        EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
        EXPECT_NE(s.message().find(id + ": cannot " + std::string(TransitionName(via)) +
                                   ": the item is " + std::string(StateName(from))),
                  std::string::npos)
            << s.message();
        EXPECT_EQ(StateOf(index, id), from);  // a refused transition changes nothing
      }
    }
  }
}

TEST(QuarantineIndex, TransitionsRecordWhoWhenAndWhere) {
  testing::TempDir dir;
  FakeClock clock;
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()), &clock);
  std::string id = InsertOk(index);
  ASSERT_TRUE(index.RequestRelease(id, Req("alice", "議会資料に必要")).ok());
  clock.now += 60;
  ASSERT_TRUE(index.Approve(id, "bob").ok());
  clock.now += 60;
  ASSERT_TRUE(index.MarkReleased(id, "/srv/transfer/out/請求書.pdf").ok());
  clock.now += 60;
  ASSERT_TRUE(index.MarkPurged(id).ok());
  QuarantineRecord r = index.Get(id).value();
  EXPECT_EQ(r.requested_by, "alice");
  EXPECT_EQ(r.request_reason, "議会資料に必要");
  EXPECT_EQ(r.requested_at, FormatUtc(kNow));
  EXPECT_EQ(r.approved_by, "bob");
  EXPECT_EQ(r.approved_at, FormatUtc(kNow + 60));
  EXPECT_EQ(r.released_at, FormatUtc(kNow + 120));
  EXPECT_EQ(r.release_destination, "/srv/transfer/out/請求書.pdf");
  EXPECT_EQ(r.purged_at, FormatUtc(kNow + 180));
  EXPECT_EQ(r.state, QuarantineState::kPurged);

  std::string other = InsertOk(index);
  ASSERT_TRUE(index.RequestRelease(other, Req("alice", "please")).ok());
  ASSERT_TRUE(index.Reject(other, "bob", "contains a macro").ok());
  r = index.Get(other).value();
  EXPECT_EQ(r.rejected_by, "bob");
  EXPECT_EQ(r.reject_reason, "contains a macro");
}

TEST(QuarantineIndex, TransitionsNeedTheirArguments) {
  testing::TempDir dir;
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()));
  std::string id = InsertOk(index);
  EXPECT_FALSE(index.RequestRelease(id, Req("", "reason")).ok());
  EXPECT_FALSE(index.RequestRelease(id, Req("alice", "")).ok());
  EXPECT_EQ(index.RequestRelease("q-nosuchitem00000", Req("alice", "r")).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(index.RequestRelease(id, Req("alice", "reason")).ok());
  EXPECT_FALSE(index.Approve(id, "").ok());
  EXPECT_FALSE(index.Reject(id, "bob", "").ok());
  EXPECT_FALSE(index.Reject(id, "", "why").ok());
  ASSERT_TRUE(index.Approve(id, "bob").ok());
  EXPECT_FALSE(index.MarkReleased(id, "").ok());
  EXPECT_EQ(StateOf(index, id), QuarantineState::kApproved);
}

TEST(QuarantineIndex, SelfApprovalIsRefused) {
  testing::TempDir dir;
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()));
  std::string id = InsertOk(index);
  ASSERT_TRUE(index.RequestRelease(id, Req("alice", "needed")).ok());
  Status s = index.Approve(id, "alice");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("self-approval refused"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("a different approver"), std::string::npos);
  EXPECT_EQ(StateOf(index, id), QuarantineState::kReleaseRequested);
  EXPECT_TRUE(index.Approve(id, "bob").ok());
}

TEST(QuarantineIndex, ExceptionsNeedAFutureExpiryAndExpire) {
  testing::TempDir dir;
  FakeClock clock;
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()), &clock);
  std::string id = InsertOk(index);
  const std::string in_an_hour = FormatUtc(kNow + 3600);
  EXPECT_FALSE(index.RequestRelease(id, Req("alice", "original needed", true, "")).ok());
  EXPECT_FALSE(index.RequestRelease(id, Req("alice", "r", true, "tomorrow")).ok());
  EXPECT_FALSE(index.RequestRelease(id, Req("alice", "r", true, FormatUtc(kNow - 1))).ok());
  EXPECT_FALSE(index.RequestRelease(id, Req("alice", "r", false, in_an_hour)).ok());
  ASSERT_EQ(StateOf(index, id), QuarantineState::kQuarantined);

  ASSERT_TRUE(index.RequestRelease(id, Req("alice", "original needed", true, in_an_hour)).ok());
  QuarantineRecord r = index.Get(id).value();
  EXPECT_TRUE(r.exception);
  EXPECT_EQ(r.exception_expires_at, in_an_hour);
  clock.now += 3600;  // the expiry itself is already too late
  Status s = index.Approve(id, "bob");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("expired at " + in_an_hour), std::string::npos) << s.message();
  EXPECT_EQ(StateOf(index, id), QuarantineState::kReleaseRequested);
  EXPECT_TRUE(index.Reject(id, "bob", "expired").ok());

  std::string in_time = InsertOk(index);
  ASSERT_TRUE(
      index.RequestRelease(in_time, Req("alice", "r", true, FormatUtc(clock.now + 600))).ok());
  clock.now += 599;
  EXPECT_TRUE(index.Approve(in_time, "bob").ok());
}

TEST(QuarantineIndex, ListOlderThanListsOnlyPurgeableOldItems) {
  testing::TempDir dir;
  FakeClock clock;
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()), &clock);
  auto insert_at = [&](int64_t when, const std::string& name, QuarantineState state) {
    QuarantineRecord r = Sample(name);
    r.received_at = FormatUtc(when);
    std::string id = InsertOk(index, r);
    EXPECT_TRUE(DriveTo(index, id, state).ok());
  };
  const int64_t kOld = kNow - 91 * 86400;
  insert_at(kOld, "old-quarantined", QuarantineState::kQuarantined);
  insert_at(kOld, "old-rejected", QuarantineState::kRejected);
  insert_at(kOld, "old-released", QuarantineState::kReleased);
  insert_at(kOld, "old-requested", QuarantineState::kReleaseRequested);
  insert_at(kOld, "old-approved", QuarantineState::kApproved);
  insert_at(kOld, "old-purged", QuarantineState::kPurged);
  insert_at(kNow - 89 * 86400, "recent", QuarantineState::kQuarantined);
  Result<std::vector<QuarantineRecord>> old = index.ListOlderThan(90);
  ASSERT_TRUE(old.ok()) << old.status().message();
  std::vector<std::string> names;
  for (const QuarantineRecord& r : old.value()) names.push_back(r.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"old-quarantined", "old-rejected", "old-released"}));
  EXPECT_FALSE(index.ListOlderThan(-1).ok());
}

TEST(QuarantineIndex, PurgeKeepsABlobAnotherItemStillNeeds) {
  testing::TempDir dir;
  BlobStore blobs(dir / "quarantine/blobs");
  QuarantineIndex index = OpenIndex(QuarantineIndex::PathIn(dir.path()));
  QuarantineRecord r = Sample();
  ASSERT_TRUE(blobs.Put(r.sha256, "請求書.pdf").ok());
  std::string first = InsertOk(index, r);
  Result<std::string> second = index.Insert(r, blobs);  // the same content received twice
  ASSERT_TRUE(second.ok()) << second.status().message();
  ASSERT_TRUE(index.Purge(first, blobs).ok());
  EXPECT_NE(blobs.PathOf(r.sha256), "");
  ASSERT_TRUE(index.Purge(second.value(), blobs).ok());
  EXPECT_EQ(blobs.PathOf(r.sha256), "");
  EXPECT_EQ(StateOf(index, first), QuarantineState::kPurged);
  // An item whose blob is not in the store is refused by the checked Insert.
  EXPECT_EQ(index.Insert(Sample("never-stored"), blobs).status().code(), StatusCode::kNotFound);
  // Purge follows the state machine too.
  std::string pending = InsertOk(index);
  ASSERT_TRUE(index.RequestRelease(pending, Req("alice", "needed")).ok());
  EXPECT_FALSE(index.Purge(pending, blobs).ok());
}

// Runs `body` in `n` child processes at once; returns their exit codes.
template <typename Body>
std::vector<int> InChildren(int n, Body body) {
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(body(i));
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  }
  return codes;
}

TEST(QuarantineIndex, TwoProcessesInsertingAtOnceLoseNothing) {
  testing::TempDir dir;
  const std::string path = QuarantineIndex::PathIn(dir.path());
  constexpr int kEach = 200;
  std::vector<int> codes = InChildren(2, [&](int child) {
    Result<QuarantineIndex> index = QuarantineIndex::Open(path);
    if (!index.ok()) return 2;
    for (int i = 0; i < kEach; ++i) {
      QuarantineRecord r = Sample("c" + std::to_string(child) + "-" + std::to_string(i));
      r.source = "child-" + std::to_string(child);
      if (!index->Insert(r).ok()) return 3;
    }
    return 0;
  });
  EXPECT_EQ(codes, (std::vector<int>{0, 0}));
  QuarantineIndex index = OpenIndex(path);
  Result<std::vector<QuarantineRecord>> all =
      index.List(Filter([](auto& f) { f.limit = kIndexListMax; }));
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u * kEach);
  int from_first = 0;
  for (const QuarantineRecord& r : all.value()) from_first += r.source == "child-0" ? 1 : 0;
  EXPECT_EQ(from_first, kEach);
}

TEST(QuarantineIndex, ConcurrentApproversCannotBothWin) {
  testing::TempDir dir;
  const std::string path = QuarantineIndex::PathIn(dir.path());
  std::vector<std::string> ids;
  {
    QuarantineIndex index = OpenIndex(path);
    for (int i = 0; i < 20; ++i) {
      ids.push_back(InsertOk(index));
      ASSERT_TRUE(index.RequestRelease(ids.back(), Req("alice", "needed")).ok());
    }
  }
  // Each child tries to approve every item; exit code = how many approvals it won.
  std::vector<int> codes = InChildren(2, [&](int child) {
    Result<QuarantineIndex> index = QuarantineIndex::Open(path);
    if (!index.ok()) return 100;
    int won = 0;
    for (const std::string& id : ids) won += index->Approve(id, child == 0 ? "bob" : "carol").ok();
    return won;
  });
  EXPECT_EQ(codes[0] + codes[1], 20);
  QuarantineIndex index = OpenIndex(path);
  for (const std::string& id : ids) EXPECT_EQ(StateOf(index, id), QuarantineState::kApproved);
}

TEST(QuarantineIndex, ReconcileAfterACrashFindsOrphansAndMissingBlobs) {
  testing::TempDir dir;
  BlobStore blobs(dir / "quarantine/blobs");
  const std::string path = QuarantineIndex::PathIn(dir.path());
  QuarantineRecord kept = Sample("kept.pdf"), orphan = Sample("orphan.pdf"),
                   lost = Sample("lost.pdf"), purged = Sample("purged.pdf");
  std::string lost_id;
  {
    QuarantineIndex index = OpenIndex(path);
    for (const QuarantineRecord* r : {&kept, &orphan, &purged}) {
      ASSERT_TRUE(blobs.Put(r->sha256, r->name).ok());
    }
    InsertOk(index, kept);
    // orphan: the process was killed after the blob was written, before its row.
    // lost: a row whose blob is gone (removed by hand, or a damaged disk).
    lost_id = InsertOk(index, lost);
    // purged: killed between marking the row purged and removing the blob.
    ASSERT_TRUE(index.MarkPurged(InsertOk(index, purged)).ok());
  }
  QuarantineIndex restarted = OpenIndex(path);
  Result<ReconcileReport> report = restarted.Reconcile(blobs);
  ASSERT_TRUE(report.ok()) << report.status().message();
  std::vector<std::string> expected_orphans = {orphan.sha256, purged.sha256};
  std::sort(expected_orphans.begin(), expected_orphans.end());
  EXPECT_EQ(report->orphan_blobs, expected_orphans);
  EXPECT_EQ(report->missing_blobs, std::vector<std::string>{lost_id});
  // Once the caller removes the orphans and re-stores the lost blob, the store is consistent.
  for (const std::string& sha : report->orphan_blobs) ASSERT_TRUE(blobs.Remove(sha).ok());
  ASSERT_TRUE(blobs.Put(lost.sha256, lost.name).ok());
  report = restarted.Reconcile(blobs);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->orphan_blobs.empty());
  EXPECT_TRUE(report->missing_blobs.empty());
}

}  // namespace
}  // namespace mugai
