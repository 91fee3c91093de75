// Several gateway nodes on one PostgreSQL quarantine (issue 17), with the real binary and a
// real PostgreSQL server (ctest's `postgres` fixture, or a private one for the failure test):
// two nodes at once into one chain; a release requested on one node and approved and
// delivered on the other; a PPAP item resubmitted on the other node; a SQLite state folder
// imported with its chain still verifiable; the database stopped in the middle of a load.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/file_util.h"
#include "test_support.h"

namespace mugai {
namespace {

using nlohmann::json;

class ScaleOut : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "in");
    chmod(dir_.path().c_str(), 0755);  // the test server and `daemon` look inside
    std::string why;
    dsn_ = testing::FreshPostgresDatabase(&why);
    if (dsn_.empty()) GTEST_SKIP() << "PostgreSQL skipped: " << why;
    WriteConfig("a", dsn_);
    WriteConfig("b", dsn_);
    testing::RunResult m = Db("a", {"migrate"});
    ASSERT_EQ(m.exit_code, 0) << m.err;
  }
  std::string Config(const std::string& node) { return dir_ / (node + ".toml"); }
  void WriteConfig(const std::string& node, const std::string& dsn,
                   const std::string& backend = "postgresql") {
    std::string text = "[paths]\nstate = \"" + (dir_ / ("state-" + node)) +
                       "\"\nsignatures = \"" + testing::SignaturesDir() +
                       "\"\n[quarantine]\nbackend = \"" + backend + "\"\n";
    if (backend == "postgresql") {
      text += "dsn = \"" + dsn + "\"\nnode_name = \"node-" + node + "\"\n";
    }
    text += "[roles]\noperators = [\"alice\", \"daemon\"]\napprovers = [\"bob\", \"daemon\"]\n"
            "auditors = [\"carol\"]\n";
    testing::WriteFile(Config(node), text);
    chmod(Config(node).c_str(), 0644);
  }
  testing::RunResult Mugai(const std::string& node, const std::string& command,
                           std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::MugaiBinary(), command};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", Config(node)});
    return testing::Run(argv);
  }
  testing::RunResult Db(const std::string& node, std::vector<std::string> args) {
    return Mugai(node, "db", std::move(args));
  }
  testing::RunResult Q(const std::string& node, std::vector<std::string> args) {
    return Mugai(node, "quarantine", std::move(args));
  }
  testing::RunResult Sanitize(const std::string& node, std::vector<std::string> inputs) {
    inputs.insert(inputs.begin(), {"--quiet", "--out", dir_ / "out"});
    return Mugai(node, "sanitize", inputs);
  }
  json List(const std::string& node) {
    testing::RunResult r = Q(node, {"list", "--json", "--limit", "1000"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out.empty() ? "[]" : r.out);
  }
  json Export(const std::string& node) {
    testing::RunResult r = Mugai(node, "audit", {"export"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out.empty() ? "[]" : r.out);
  }
  int Verify(const std::string& node) { return Mugai(node, "audit", {"verify"}).exit_code; }
  size_t Count(const json& records, const std::string& event) {
    size_t n = 0;
    for (const auto& r : records) n += r["event"] == event;
    return n;
  }
  // `count` EICAR files (each different), named prefix0.pdf...
  std::vector<std::string> Blocked(const std::string& prefix, int count) {
    std::vector<std::string> files;
    for (int i = 0; i < count; ++i) {
      std::string f = dir_ / ("in/" + prefix + std::to_string(i) + ".pdf");
      testing::WriteFile(f, testing::Eicar() + std::string(static_cast<size_t>(i), ' ') + prefix);
      files.push_back(f);
    }
    return files;
  }
  pid_t Spawn(const std::string& node, const std::vector<std::string>& files) {
    std::vector<std::string> args = {testing::MugaiBinary(), "sanitize", "--quiet", "--config",
                                     Config(node)};
    args.insert(args.end(), files.begin(), files.end());
    pid_t pid = fork();
    if (pid == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      std::vector<char*> argv;
      for (auto& s : args) argv.push_back(s.data());
      argv.push_back(nullptr);
      execv(args[0].c_str(), argv.data());
      _exit(127);
    }
    return pid;
  }
  // The Unix user `daemon` (an approver) as a second real person, on node b's state folder.
  bool CanActAsDaemon() {
    passwd* pw = getpwnam("daemon");
    if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0 || !pw) return false;
    chmod(dir_.path().c_str(), 0755);
    return testing::Run({"/usr/bin/setpriv", "--reuid=daemon",
                         "--regid=" + std::to_string(pw->pw_gid), "--clear-groups",
                         testing::MugaiBinary(), "--version"})
               .exit_code == 0;
  }
  testing::RunResult AsDaemon(const std::string& node, std::vector<std::string> args) {
    passwd* pw = getpwnam("daemon");
    std::filesystem::create_directories(dir_ / ("state-" + node));
    EXPECT_EQ(testing::Run({"/bin/chown", "-R", "daemon:" + std::to_string(pw->pw_gid),
                            dir_ / ("state-" + node)}).exit_code, 0);
    std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=daemon",
                                      "--regid=" + std::to_string(pw->pw_gid), "--clear-groups",
                                      testing::MugaiBinary(), "quarantine"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", Config(node)});
    return testing::Run(argv);
  }

  testing::TempDir dir_;
  std::string dsn_;
};

TEST_F(ScaleOut, TwoNodesAtOnceMakeTwiceTheRowsAndOneValidChain) {
  constexpr int kN = 12;
  pid_t a = Spawn("a", Blocked("a", kN));
  pid_t b = Spawn("b", Blocked("b", kN));
  int sa = 0, sb = 0;
  waitpid(a, &sa, 0);
  waitpid(b, &sb, 0);
  EXPECT_EQ(WEXITSTATUS(sa), 1);  // every input blocked (EICAR), none failed
  EXPECT_EQ(WEXITSTATUS(sb), 1);
  json items = List("b");
  ASSERT_EQ(items.size(), 2u * kN);
  std::map<std::string, int> by_node;
  std::set<std::string> ids;
  for (const auto& i : items) {
    ++by_node[i["node"]];
    ids.insert(i["id"]);
  }
  EXPECT_EQ(by_node["node-a"], kN);
  EXPECT_EQ(by_node["node-b"], kN);
  EXPECT_EQ(ids.size(), 2u * kN);
  EXPECT_EQ(Verify("a"), 0);
  json records = Export("a");
  EXPECT_EQ(Count(records, "quarantined"), 2u * kN);
  EXPECT_EQ(Count(records, "item_processed"), 2u * kN);
  // Every quarantined item has its record, naming the node that kept it.
  std::map<std::string, std::string> recorded;
  for (const auto& r : records) {
    if (r["event"] == "quarantined") recorded[r["item_id"]] = r["node"];
  }
  for (const auto& i : items) EXPECT_EQ(recorded[i["id"]], i["node"]) << i["id"];
  testing::RunResult status = Db("b", {"status"});
  EXPECT_NE(status.out.find("items:          24"), std::string::npos) << status.out;
}

TEST_F(ScaleOut, AReleaseRequestedOnOneNodeIsApprovedAndDeliveredOnTheOther) {
  if (!CanActAsDaemon()) GTEST_SKIP() << "needs root, setpriv and the user daemon";
  ASSERT_EQ(Sanitize("a", Blocked("r", 1)).exit_code, 1);
  std::string id = List("a")[0]["id"];
  testing::RunResult req = Q("a", {"request-release", id, "--user", "alice", "--reason",
                                   "取引先からの正式な請求書", "--original", "--expires",
                                   "2099-01-01T00:00:00Z"});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  std::filesystem::create_directories(dir_ / "released");
  chmod((dir_ / "released").c_str(), 0777);
  testing::RunResult ok = AsDaemon("b", {"approve", id, "--out", dir_ / "released"});
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(testing::ReadFile(dir_ / "released/r0.pdf"), testing::Eicar() + "r");
  json item = List("a")[0];
  EXPECT_EQ(item["state"], "released");
  EXPECT_EQ(item["approved_by"], "daemon");
  json records = Export("a");
  ASSERT_GE(records.size(), 3u);
  EXPECT_EQ(records.back()["event"], "released");
  EXPECT_EQ(records.back()["node"], "node-b");
  EXPECT_EQ(Count(records, "release_requested"), 1u);
  EXPECT_EQ(Verify("b"), 0);
}

TEST_F(ScaleOut, APpapItemQuarantinedOnOneNodeIsResubmittedOnTheOther) {
  std::string zip = testing::FixturesDir() + "/archive/encrypted-aes.zip";
  ASSERT_EQ(Sanitize("a", {zip}).exit_code, 1);
  json items = List("b");
  ASSERT_EQ(items.size(), 1u);
  std::string id = items[0]["id"];
  EXPECT_NE(items[0]["reasons"].get<std::string>().find("encrypted"), std::string::npos);
  EXPECT_EQ(Q("b", {"resubmit", id, "--user", "alice", "--password", "wrong"}).exit_code, 1);
  std::filesystem::remove_all(dir_ / "out");
  testing::RunResult r = Q("b", {"resubmit", id, "--user", "alice", "--password", "secret"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/encrypted-aes.zip"));
  json records = Export("a");
  EXPECT_EQ(records.back()["event"], "resubmitted");
  EXPECT_EQ(records.back()["node"], "node-b");
  EXPECT_EQ(Verify("a"), 0);
  // Purged on b: the original leaves the database once no item has it, and each disposal is
  // recorded. (Each operator resubmission kept the original again, as another item.)
  std::vector<std::string> same;
  for (const auto& i : List("a")) {
    if (i["sha256"] == items[0]["sha256"]) same.push_back(i["id"]);
  }
  ASSERT_GE(same.size(), 2u);
  std::vector<std::string> disposals;
  for (const std::string& each : same) {
    ASSERT_EQ(Q("b", {"purge", each, "--user", "alice"}).exit_code, 0);
    EXPECT_EQ(json::parse(Q("a", {"show", each}).out)["state"], "purged");
    json purged = Export("a").back();
    EXPECT_EQ(purged["event"], "purged");
    EXPECT_EQ(purged["item_id"], each);
    EXPECT_EQ(purged["node"], "node-b");
    disposals.push_back(purged["details"]["original"]);
  }
  for (size_t i = 0; i + 1 < disposals.size(); ++i) {
    EXPECT_EQ(disposals[i].rfind("kept: another item", 0), 0u) << disposals[i];
  }
  EXPECT_EQ(disposals.back().rfind("deleted from the database", 0), 0u) << disposals.back();
  EXPECT_EQ(Db("a", {"status"}).out.find("originals:      0") != std::string::npos, true);
  EXPECT_EQ(Q("a", {"reconcile"}).exit_code, 0);
}

TEST_F(ScaleOut, ASqliteStateFolderIsImportedWithItsChainVerifiable) {
  WriteConfig("old", "", "sqlite");
  ASSERT_EQ(Sanitize("old", Blocked("old", 3)).exit_code, 1);
  ASSERT_EQ(Sanitize("old", {testing::FixturesDir() + "/archive/encrypted-aes.zip"}).exit_code, 1);
  json before = List("old");
  ASSERT_EQ(before.size(), 4u);
  ASSERT_EQ(Q("old", {"request-release", before[0]["id"], "--user", "alice", "--reason", "要確認"})
                .exit_code, 0);
  before = List("old");
  ASSERT_EQ(Verify("old"), 0);
  size_t old_records = Export("old").size();
  // Into the (empty, migrated) database.
  testing::RunResult imp = Db("a", {"import-sqlite", "--from", dir_ / "state-old"});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_NE(imp.out.find("imported 4 items"), std::string::npos) << imp.out;
  json after = List("b");
  ASSERT_EQ(after.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(after[i]["id"], before[i]["id"]);
    EXPECT_EQ(after[i]["state"], before[i]["state"]);
  }
  EXPECT_EQ(Verify("b"), 0);
  json records = Export("b");
  ASSERT_EQ(records.size(), old_records + 1);
  EXPECT_EQ(records.back()["event"], "imported");
  EXPECT_EQ(records.back()["details"]["items"], 4);
  // The originals came along: the PPAP item opens on another node.
  std::string ppap;
  for (const auto& i : after) {
    if (i["name"] == "encrypted-aes.zip") ppap = i["id"];
  }
  ASSERT_FALSE(ppap.empty());
  EXPECT_EQ(Q("b", {"resubmit", ppap, "--user", "alice", "--password", "secret"}).exit_code, 0);
  EXPECT_EQ(Verify("a"), 0);
  // A second import into a database that is no longer empty is refused, and changes nothing.
  testing::RunResult again = Db("a", {"import-sqlite", "--from", dir_ / "state-old"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("empty database"), std::string::npos) << again.err;
  EXPECT_EQ(Verify("a"), 0);
}

TEST_F(ScaleOut, AnOldSqliteIndexNeedsMigrateAndKeepsItsRows) {
  WriteConfig("old", "", "sqlite");
  ASSERT_EQ(Sanitize("old", Blocked("m", 2)).exit_code, 1);
  // Back to the first release's schema (no node column, user_version 1).
  std::string index = dir_ / "state-old/quarantine/index.sqlite";
  testing::RunResult down = testing::Run(
      {"/usr/bin/python3", "-c",
       "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
       "c.executescript('ALTER TABLE items DROP COLUMN node; PRAGMA user_version=1;'); c.close()",
       index});
  if (down.exit_code != 0) GTEST_SKIP() << "python3's sqlite3 module is needed: " << down.err;
  testing::RunResult refused = Q("old", {"list"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("mugai db migrate"), std::string::npos) << refused.err;
  testing::RunResult m = Db("old", {"migrate"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.out.find("from schema version 1 to 2"), std::string::npos) << m.out;
  EXPECT_EQ(List("old").size(), 2u);
  EXPECT_EQ(Verify("old"), 0);
}

// A state change and its audit record are one transaction: when the record cannot be written
// (here the chain's head was tampered with, so every append is refused), the request is not
// made either.
TEST_F(ScaleOut, ATransitionWhoseRecordCannotBeWrittenDoesNotHappen) {
  ASSERT_EQ(Sanitize("a", Blocked("t", 1)).exit_code, 1);
  std::string id = List("a")[0]["id"];
  testing::RunResult tamper = testing::Run(
      {"/usr/bin/psql", "-q", dsn_, "-c", "UPDATE audit_head SET hash = repeat('0', 64)"});
  if (tamper.exit_code != 0) GTEST_SKIP() << "psql is needed: " << tamper.err;
  testing::RunResult req = Q("b", {"request-release", id, "--user", "alice", "--reason", "x"});
  EXPECT_NE(req.exit_code, 0);
  EXPECT_NE(req.err.find("audit_head"), std::string::npos) << req.err;
  EXPECT_EQ(List("a")[0]["state"], "quarantined");
  EXPECT_NE(Verify("a"), 0);  // and verify says where the chain is broken
}

// Killed where the SQLite path has written the original but not its row: on PostgreSQL the
// original, the row and the records commit together, so nothing at all is left; the file is
// processed normally afterwards.
TEST_F(ScaleOut, AKillBeforeTheCommitLeavesNothingHalfRecorded) {
  std::vector<std::string> file = Blocked("k", 1);
  std::string bin = testing::MugaiBinary();
  pid_t pid = fork();
  if (pid == 0) {
    setenv("MUGAI_CRASH_AT", "quarantine_after_blob", 1);
    execl(bin.c_str(), bin.c_str(), "sanitize", "--quiet", "--config", Config("a").c_str(),
          file[0].c_str(), (char*)nullptr);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 70);  // died between the two writes
  EXPECT_TRUE(List("b").empty());
  EXPECT_EQ(Count(Export("b"), "quarantined"), 0u);
  testing::RunResult rec = Q("b", {"reconcile"});
  EXPECT_EQ(rec.exit_code, 0) << rec.out;  // no original without its row either
  EXPECT_EQ(Verify("b"), 0);
  EXPECT_EQ(Sanitize("b", file).exit_code, 1);
  EXPECT_EQ(List("a").size(), 1u);
  EXPECT_EQ(Q("a", {"reconcile"}).exit_code, 0);
}

// The database stops in the middle of a load and comes back: every input either went through
// (recorded once) or failed with exit 3 and was tried again; nothing was delivered unrecorded,
// nothing lost, nothing recorded twice.
TEST_F(ScaleOut, TheDatabaseStoppedMidLoadLosesAndDuplicatesNothing) {
  std::string script = MUGAI_PG_SERVER_SCRIPT;
  std::string pg = dir_ / "pg";
  testing::RunResult started = testing::Run({"/bin/bash", script, "start", pg});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  chmod(dir_.path().c_str(), 0755);
  std::string dsn = testing::WithDatabase(testing::ReadFile(pg + "/dsn"), "postgres");
  dsn.erase(dsn.find_last_not_of("\n ") + 1);
  WriteConfig("p", dsn);
  ASSERT_EQ(Db("p", {"migrate"}).exit_code, 0);
  std::vector<std::string> files;
  for (int i = 0; i < 9; ++i) {
    std::string f = dir_ / ("in/load" + std::to_string(i) + (i % 3 == 0 ? ".pdf" : ".txt"));
    testing::WriteFile(f, i % 3 == 0 ? testing::Eicar() + std::to_string(i)
                                     : "お知らせ " + std::to_string(i) + "\n");
    files.push_back(f);
  }
  std::vector<int> first(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    if (i == 3) ASSERT_EQ(testing::Run({"/bin/bash", script, "kill", pg}).exit_code, 0);
    if (i == 6) ASSERT_EQ(testing::Run({"/bin/bash", script, "restart", pg}).exit_code, 0);
    testing::RunResult r = Sanitize("p", {files[i]});
    first[i] = r.exit_code;
    if (i >= 3 && i < 6) {
      EXPECT_EQ(r.exit_code, 3) << files[i];
      EXPECT_NE(r.err.find("cannot connect to the quarantine database"), std::string::npos)
          << r.err;
    } else {
      EXPECT_EQ(r.exit_code, i % 3 == 0 ? 1 : 0) << files[i] << r.err;
    }
  }
  // Nothing of the failed inputs went out.
  for (size_t i = 3; i < 6; ++i) {
    std::string name = std::filesystem::path(files[i]).filename();
    EXPECT_FALSE(std::filesystem::exists(dir_ / ("out/" + name))) << name;
  }
  // Tried again once the database is back.
  for (size_t i = 3; i < 6; ++i) {
    EXPECT_EQ(Sanitize("p", {files[i]}).exit_code, i % 3 == 0 ? 1 : 0);
  }
  json records = Export("p");
  EXPECT_EQ(Count(records, "item_processed"), files.size());
  EXPECT_EQ(Count(records, "quarantined"), 3u);
  EXPECT_EQ(List("p").size(), 3u);
  EXPECT_EQ(Count(records, "delivered"), 6u);
  EXPECT_EQ(Verify("p"), 0);
  testing::Run({"/bin/bash", script, "stop", pg});
}

}  // namespace
}  // namespace mugai
