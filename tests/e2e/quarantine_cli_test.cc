// `mugai quarantine` and `mugai audit` as operators use them: the real binary over a state
// folder filled by real `mugai sanitize` runs. Asserts exit codes, states, delivered bytes
// and the audit chain.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <tuple>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "test_support.h"

namespace mugai {
namespace {

using nlohmann::json;

class QuarantineCli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteFile(dir_ / "roles.toml",
                       "[roles]\noperators = [\"alice\", \"daemon\"]\n"
                       "approvers = [\"bob\", \"alice\", \"daemon\"]\nauditors = [\"carol\"]\n");
  }
  // Another person: the Unix user `daemon`, acting as itself on the state folder (given to
  // it for that). Root acting for any name is one person, root; a release it requested can
  // only be approved by someone else.
  bool CanActAsDaemon() {
    passwd* pw = getpwnam("daemon");
    if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0 || !pw) return false;
    chmod(dir_.path().c_str(), 0755);
    chmod((dir_ / "roles.toml").c_str(), 0644);
    // The build tree may sit where daemon cannot run it.
    return testing::Run({"/usr/bin/setpriv", "--reuid=daemon", "--regid=" + std::to_string(pw->pw_gid),
                         "--clear-groups", testing::MugaiBinary(), "--version"})
               .exit_code == 0;
  }
  testing::RunResult QAsDaemon(std::vector<std::string> args) {
    passwd* pw = getpwnam("daemon");
    EXPECT_EQ(testing::Run({"/bin/chown", "-R", "daemon:" + std::to_string(pw->pw_gid),
                            dir_ / "state"}).exit_code, 0);
    std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=daemon",
                                     "--regid=" + std::to_string(pw->pw_gid), "--clear-groups",
                                     testing::MugaiBinary(), "quarantine"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state", dir_ / "state", "--config", dir_ / "roles.toml"});
    return testing::Run(argv);
  }
  testing::RunResult Sanitize(const std::vector<std::string>& inputs,
                              const std::vector<std::string>& env_crash = {}) {
    std::vector<std::string> argv = {testing::MugaiBinary(), "sanitize", "--quiet",
                                     "--signatures", testing::SignaturesDir(),
                                     "--state", dir_ / "state", "--out", dir_ / "out"};
    argv.insert(argv.end(), inputs.begin(), inputs.end());
    (void)env_crash;
    return testing::Run(argv);
  }
  testing::RunResult Q(std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::MugaiBinary(), "quarantine"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state", dir_ / "state", "--config", dir_ / "roles.toml",
                             "--signatures", testing::SignaturesDir()});
    return testing::Run(argv);
  }
  testing::RunResult Audit(std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::MugaiBinary(), "audit"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state", dir_ / "state", "--config", dir_ / "roles.toml"});
    return testing::Run(argv);
  }
  json List() {
    testing::RunResult r = Q({"list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  std::string StateOf(const std::string& id) {
    return json::parse(Q({"show", id}).out)["state"];
  }
  // Quarantines one EICAR file named `name` and returns its id.
  std::string BlockedItem(const std::string& name = "invoice.pdf") {
    testing::WriteFile(dir_ / ("in/" + name), testing::Eicar());
    EXPECT_EQ(Sanitize({dir_ / ("in/" + name)}).exit_code, 1);
    json items = List();
    return items.back()["id"];
  }
  std::vector<std::string> AuditEvents() {
    json all = json::parse(Audit({"export"}).out);
    std::vector<std::string> events;
    for (const auto& r : all) events.push_back(r["event"]);
    return events;
  }

  testing::TempDir dir_;
};

TEST_F(QuarantineCli, ExceptionReleaseNeedsASecondPersonAndIsRecorded) {
  std::filesystem::create_directories(dir_ / "in");
  std::string id = BlockedItem();
  EXPECT_EQ(StateOf(id), "quarantined");
  // The original release needs a reason and an expiry.
  EXPECT_EQ(Q({"request-release", id, "--user", "alice", "--reason", "false positive", "--original"}).exit_code, 2);
  if (!CanActAsDaemon()) GTEST_SKIP() << "needs root, setpriv and the user daemon";
  // The requester is the Unix user daemon; the approver root, acting for bob.
  testing::RunResult req = QAsDaemon({"request-release", id, "--reason", "false positive",
                                      "--original", "--expires", "2099-01-01T00:00:00Z"});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  EXPECT_EQ(StateOf(id), "release_requested");
  testing::RunResult self = QAsDaemon({"approve", id, "--out", dir_ / "released"});
  EXPECT_EQ(self.exit_code, 1);
  EXPECT_NE(self.err.find("may not approve"), std::string::npos) << self.err;
  // Root naming the requester is the requester too.
  testing::RunResult as_requester = Q({"approve", id, "--user", "daemon", "--out", dir_ / "released"});
  EXPECT_EQ(as_requester.exit_code, 1);
  EXPECT_NE(as_requester.err.find("same person"), std::string::npos) << as_requester.err;
  testing::RunResult auditor = Q({"approve", id, "--user", "carol", "--out", dir_ / "released"});
  EXPECT_EQ(auditor.exit_code, 1);
  testing::RunResult stranger = Q({"approve", id, "--user", "mallory", "--out", dir_ / "released"});
  EXPECT_EQ(stranger.exit_code, 1);
  EXPECT_NE(stranger.err.find("has no role"), std::string::npos);
  EXPECT_EQ(StateOf(id), "release_requested");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "released/invoice.pdf"));
  testing::RunResult ok = Q({"approve", id, "--user", "bob", "--out", dir_ / "released"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(testing::ReadFile(dir_ / "released/invoice.pdf"), testing::Eicar());
  std::string note = testing::ReadFile(dir_ / "released/invoice.pdf.mugai-exception.txt");
  EXPECT_NE(note.find("UNSANITISED ORIGINAL"), std::string::npos);
  EXPECT_NE(note.find("approved by: root as bob"), std::string::npos) << note;
  EXPECT_EQ(StateOf(id), "released");
  std::vector<std::string> events = AuditEvents();
  std::vector<std::string> tail(events.end() - 3, events.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"release_requested", "release_approved", "released"}));
  // Who did what, as the kernel and root's claim say.
  json all = json::parse(Audit({"export"}).out);
  EXPECT_EQ(all[all.size() - 3]["actor"], "daemon");
  EXPECT_EQ(all[all.size() - 2]["actor"], "root as bob");
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);
}

// Root acting for two names is still one person: it cannot approve what it requested, and no
// flag changes that (issue 16: requester and approver checked on the real identity too).
TEST_F(QuarantineCli, RootActingForTwoNamesCannotRequestAndApproveOneRelease) {
  std::filesystem::create_directories(dir_ / "in");
  std::string id = BlockedItem();
  ASSERT_EQ(Q({"request-release", id, "--user", "alice", "--reason", "x", "--original",
               "--expires", "2099-01-01T00:00:00Z"}).exit_code, 0);
  for (const char* approver : {"bob", "alice"}) {
    testing::RunResult r = Q({"approve", id, "--user", approver, "--out", dir_ / "released"});
    EXPECT_EQ(r.exit_code, 1) << approver;
    EXPECT_NE(r.err.find("same person"), std::string::npos) << r.err;
  }
  EXPECT_EQ(StateOf(id), "release_requested");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "released/invoice.pdf"));
  json shown = json::parse(Q({"show", id}).out);
  EXPECT_EQ(shown["requested_by"], "root as alice");
  // --user is a name, nothing that could read as another form.
  testing::RunResult odd = Q({"approve", id, "--user", "bob) as (x", "--out", dir_ / "released"});
  EXPECT_EQ(odd.exit_code, 2);
  EXPECT_NE(odd.err.find("takes a user name"), std::string::npos) << odd.err;
}

// sudo: root whose session was opened by a person's log-in is that person. When the kernel
// lets this test set its loginuid (once, as root), root acting for bob with daemon's log-in
// cannot approve what daemon requested.
TEST_F(QuarantineCli, RootWithAPersonsLogInIsThatPerson) {
  std::filesystem::create_directories(dir_ / "in");
  std::string id = BlockedItem();
  if (!CanActAsDaemon()) GTEST_SKIP() << "needs root, setpriv and the user daemon";
  ASSERT_EQ(QAsDaemon({"request-release", id, "--reason", "x", "--original", "--expires",
                       "2099-01-01T00:00:00Z"}).exit_code, 0);
  const std::string uid = std::to_string(getpwnam("daemon")->pw_uid);
  testing::RunResult r = testing::Run(
      {"/bin/sh", "-c",
       "echo " + uid + " > /proc/self/loginuid 2>/dev/null || exit 99; exec \"$@\"", "sh",
       testing::MugaiBinary(), "quarantine", "approve", id, "--user", "bob", "--out",
       dir_ / "released", "--state", dir_ / "state", "--config", dir_ / "roles.toml"});
  if (r.exit_code == 99) GTEST_SKIP() << "this kernel does not let the test set its loginuid";
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("root (daemon) as bob"), std::string::npos) << r.err;
  EXPECT_EQ(StateOf(id), "release_requested");
}

TEST_F(QuarantineCli, RefusedTransitions) {
  std::filesystem::create_directories(dir_ / "in");
  std::string id = BlockedItem();
  EXPECT_EQ(Q({"approve", id, "--user", "bob", "--out", dir_ / "r"}).exit_code, 1);  // not requested
  EXPECT_EQ(Q({"reject", id, "--user", "bob", "--reason", "no"}).exit_code, 1);
  ASSERT_EQ(Q({"request-release", id, "--user", "alice", "--reason", "x"}).exit_code, 0);
  EXPECT_EQ(Q({"request-release", id, "--user", "alice", "--reason", "x"}).exit_code, 1);
  EXPECT_EQ(Q({"purge", id, "--user", "alice"}).exit_code, 1);  // in the middle of a release
  EXPECT_EQ(Q({"reject", id, "--user", "bob", "--reason", "no"}).exit_code, 0);
  EXPECT_EQ(StateOf(id), "rejected");
  EXPECT_EQ(Q({"approve", id, "--user", "bob", "--out", dir_ / "r"}).exit_code, 1);
  EXPECT_EQ(Q({"request-release", id, "--user", "carol", "--reason", "x"}).exit_code, 1);
  EXPECT_EQ(Q({"show", "q-0000000000000000"}).exit_code, 1);
  EXPECT_EQ(Q({"frobnicate"}).exit_code, 2);
}

TEST_F(QuarantineCli, ResubmitWithThePasswordDeliversABlockedPpapZip) {
  std::string zip = testing::FixturesDir() + "/archive/encrypted-aes.zip";
  ASSERT_EQ(Sanitize({zip}).exit_code, 1);
  json items = List();
  ASSERT_EQ(items.size(), 1u);
  std::string id = items[0]["id"];
  EXPECT_NE(items[0]["reasons"].get<std::string>().find("encrypted"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out/encrypted-aes.zip"));
  testing::RunResult wrong = Q({"resubmit", id, "--user", "alice", "--password", "nope"});
  EXPECT_EQ(wrong.exit_code, 1);
  testing::RunResult r = Q({"resubmit", id, "--user", "alice", "--password", "secret",
                            "--report", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json report = json::parse(r.out);
  EXPECT_EQ(report["items"][0]["verdict"], "sanitized");
  EXPECT_EQ(report["items"][0]["children"].size(), 2u);
  // Delivered to the folder recorded at intake (the first run's --out).
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/encrypted-aes.zip"));
  std::vector<std::string> events = AuditEvents();
  EXPECT_EQ(events.back(), "resubmitted");
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);
  // Only operators resubmit.
  EXPECT_EQ(Q({"resubmit", id, "--user", "carol", "--password", "secret"}).exit_code, 1);
}

// PPAP beyond zip: a 7z with encrypted headers and (from Apache POI's corpus, when present) a
// password-protected Excel workbook, quarantined `encrypted` at intake, then resubmitted with
// the password: decrypted by the decryption helper and delivered sanitised.
TEST_F(QuarantineCli, ResubmitWithThePasswordDeliversA7zAndAnEncryptedWorkbook) {
  std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {testing::FixturesDir() + "/archive/encrypted.7z", "secret", "encrypted.zip"}};
  std::string xlsx = testing::CorporaDir() + "/apache-poi/spreadsheet/protected_passtika.xlsx";
  if (std::filesystem::exists(xlsx) &&
      access("/usr/lib/python3/dist-packages/msoffcrypto", R_OK) == 0) {
    cases.emplace_back(xlsx, "tika", "protected_passtika.xlsx");
  } else {
    std::cerr << "[  SKIPPED ] the workbook case: corpus or python3-msoffcrypto-tool absent\n";
  }
  for (const auto& [input, password, output] : cases) {
    SCOPED_TRACE(input);
    ASSERT_EQ(Sanitize({input}).exit_code, 1);
    std::string id;
    for (const auto& it : List()) {
      if (it["name"] == std::filesystem::path(input).filename().string()) id = it["id"];
    }
    ASSERT_FALSE(id.empty()) << List().dump(1);
    EXPECT_FALSE(std::filesystem::exists(dir_ / ("out/" + output)));
    testing::RunResult wrong = Q({"resubmit", id, "--user", "alice", "--password", "nope",
                                  "--report", "-"});
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_NE(wrong.out.find("does not open"), std::string::npos) << wrong.out;
    testing::RunResult r = Q({"resubmit", id, "--user", "alice", "--password", password,
                              "--report", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(json::parse(r.out)["items"][0]["verdict"], "sanitized");
    EXPECT_TRUE(std::filesystem::exists(dir_ / ("out/" + output)));
    EXPECT_EQ(AuditEvents().back(), "resubmitted");
  }
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);
}

TEST_F(QuarantineCli, SanitisedReleaseIsApprovedOnlyWhenThePipelineDeliversIt) {
  std::string zip = testing::FixturesDir() + "/archive/encrypted-zipcrypto.zip";
  ASSERT_EQ(Sanitize({zip}).exit_code, 1);
  std::string id = List()[0]["id"];
  if (!CanActAsDaemon()) GTEST_SKIP() << "needs root, setpriv and the user daemon";
  ASSERT_EQ(QAsDaemon({"request-release", id, "--reason", "password by phone"}).exit_code, 0);
  testing::RunResult still = Q({"approve", id, "--user", "bob"});
  EXPECT_EQ(still.exit_code, 1);
  EXPECT_EQ(StateOf(id), "release_requested");
  testing::RunResult ok = Q({"approve", id, "--user", "bob", "--password", "secret"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(StateOf(id), "released");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/encrypted-zipcrypto.zip"));
  EXPECT_EQ(testing::ListFiles(dir_ / "out").size(), 1u);  // no staging left behind
}

TEST_F(QuarantineCli, AuditVerifyNamesTheFirstEditedRecord) {
  std::filesystem::create_directories(dir_ / "in");
  BlockedItem("a.pdf");
  BlockedItem("b.pdf");
  ASSERT_EQ(Audit({"verify"}).exit_code, 0);
  const std::string original = testing::ReadFile(dir_ / "state/audit.log");
  std::string log = original;
  size_t at = log.find("a.pdf");  // a record in the middle
  ASSERT_NE(at, std::string::npos);
  log[at] = 'c';
  testing::WriteFile(dir_ / "state/audit.log", log);
  testing::RunResult v = Audit({"verify"});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("first bad record"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("line "), std::string::npos) << v.out;
  // An edit of the last record is caught as well, and nothing more is written on top of it:
  // processing fails closed until an operator has looked.
  log = original;
  at = log.rfind("b.pdf");
  log[at] = 'c';
  testing::WriteFile(dir_ / "state/audit.log", log);
  EXPECT_EQ(Audit({"verify"}).exit_code, 1);
  testing::WriteFile(dir_ / "in/c.txt", "text\n");
  testing::RunResult s = Sanitize({dir_ / "in/c.txt"});
  EXPECT_NE(s.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out/c.txt"));
}

// Issue 18's off-box anchor: `audit anchor` prints the head; later `verify --anchor` proves
// the log still holds it. Cutting the log back to before the anchor and rewriting audit.head
// to match gives a chain that verifies on its own, but not with the anchor.
TEST_F(QuarantineCli, AuditAnchorCatchesALogCutBackBehindIt) {
  std::filesystem::create_directories(dir_ / "in");
  BlockedItem("a.pdf");
  const std::string before = testing::ReadFile(dir_ / "state/audit.log");
  BlockedItem("b.pdf");
  testing::RunResult a = Audit({"anchor"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string line = a.out.substr(0, a.out.find('\n'));
  const std::string anchor = line.substr(0, line.find(' '));  // SEQ:HASH, then the time
  ASSERT_EQ(anchor.size(), anchor.find(':') + 65) << a.out;
  EXPECT_NE(line.find("T"), std::string::npos) << line;  // 2026-12-07T12:00:00Z
  testing::RunResult ok = Audit({"verify", "--anchor", anchor});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("found unchanged"), std::string::npos) << ok.out;
  // The cut: b.pdf's records gone, audit.head pointing at the last record kept.
  testing::WriteFile(dir_ / "state/audit.log", before);
  std::string last = before.substr(0, before.size() - 1);
  last = last.substr(last.rfind('\n') + 1);
  json rec = json::parse(last);
  testing::RunResult hash = testing::Run({"/bin/sh", "-c", "printf '%s' \"$0\" | sha256sum", last});
  testing::WriteFile(dir_ / "state/audit.head",
                     json{{"seq", rec["seq"]}, {"hash", hash.out.substr(0, 64)}}.dump() + "\n");
  EXPECT_EQ(Audit({"verify"}).exit_code, 0) << Audit({"verify"}).out;  // consistent on its own
  testing::RunResult cut = Audit({"verify", "--anchor", anchor});
  EXPECT_EQ(cut.exit_code, 1) << cut.out;
  EXPECT_NE(cut.out.find("is not in the log"), std::string::npos) << cut.out;
  // A malformed anchor is a usage error that says what one looks like.
  testing::RunResult bad = Audit({"verify", "--anchor", "12:xyz"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("SEQ:HASH"), std::string::npos) << bad.err;
}

TEST_F(QuarantineCli, PurgeRemovesTheOriginalAndRecordsTheDisposal) {
  std::filesystem::create_directories(dir_ / "in");
  std::string id = BlockedItem();
  std::string sha = Sha256Hex(testing::Eicar());
  std::string blob = dir_ / ("state/quarantine/blobs/" + sha.substr(0, 2) + "/" + sha);
  ASSERT_TRUE(std::filesystem::exists(blob));
  EXPECT_EQ(Q({"purge", id, "--user", "bob"}).exit_code, 1);  // approvers do not purge
  ASSERT_EQ(Q({"purge", id, "--user", "alice"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(blob));
  EXPECT_EQ(StateOf(id), "purged");
  EXPECT_EQ(AuditEvents().back(), "purged");
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);
  EXPECT_EQ(Q({"resubmit", id, "--user", "alice"}).exit_code, 1);
  EXPECT_EQ(Q({"reconcile"}).exit_code, 0);
}

TEST_F(QuarantineCli, KillBetweenBlobAndIndexLeavesAConsistentStore) {
  std::filesystem::create_directories(dir_ / "in");
  testing::WriteFile(dir_ / "in/x.pdf", testing::Eicar());
  std::string bin = testing::MugaiBinary();
  pid_t pid = fork();
  if (pid == 0) {
    setenv("MUGAI_CRASH_AT", "quarantine_after_blob", 1);
    execl(bin.c_str(), bin.c_str(), "sanitize", "--quiet", "--signatures",
          testing::SignaturesDir().c_str(), "--state", (dir_ / "state").c_str(), "--out",
          (dir_ / "out").c_str(), (dir_ / "in/x.pdf").c_str(), (char*)nullptr);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 70);  // died between the two writes
  EXPECT_TRUE(List().empty());
  testing::RunResult rec = Q({"reconcile"});
  EXPECT_EQ(rec.exit_code, 1);  // an original without its row is reported, nothing is lost
  EXPECT_NE(rec.out.find("orphan original"), std::string::npos);
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);
  // After the restart the same file is processed and indexed normally.
  EXPECT_EQ(Sanitize({dir_ / "in/x.pdf"}).exit_code, 1);
  EXPECT_EQ(List().size(), 1u);
  EXPECT_EQ(Q({"reconcile"}).exit_code, 0);
}

TEST_F(QuarantineCli, TwoProcessesAtOnceLoseNothing) {
  std::filesystem::create_directories(dir_ / "in");
  std::vector<std::string> a, b;
  for (int i = 0; i < 10; ++i) {
    std::string na = dir_ / ("in/a" + std::to_string(i) + ".pdf");
    std::string nb = dir_ / ("in/b" + std::to_string(i) + ".pdf");
    testing::WriteFile(na, testing::Eicar() + std::string(static_cast<size_t>(i), ' '));
    testing::WriteFile(nb, testing::Eicar() + std::string(static_cast<size_t>(i) + 20, ' '));
    a.push_back(na);
    b.push_back(nb);
  }
  std::string bin = testing::MugaiBinary();
  auto spawn = [&](const std::vector<std::string>& files) {
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<std::string> args = {bin, "sanitize", "--quiet", "--signatures",
                                       testing::SignaturesDir(), "--state", dir_ / "state"};
      args.insert(args.end(), files.begin(), files.end());
      std::vector<char*> argv;
      for (auto& s : args) argv.push_back(s.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    return pid;
  };
  pid_t p1 = spawn(a), p2 = spawn(b);
  int s1 = 0, s2 = 0;
  waitpid(p1, &s1, 0);
  waitpid(p2, &s2, 0);
  EXPECT_EQ(WEXITSTATUS(s1), 1);
  EXPECT_EQ(WEXITSTATUS(s2), 1);
  EXPECT_EQ(List().size(), 20u);
  EXPECT_EQ(Audit({"verify"}).exit_code, 0);
  size_t processed = 0;
  for (const auto& e : AuditEvents()) processed += e == "item_processed";
  EXPECT_EQ(processed, 20u);
}

TEST_F(QuarantineCli, HelpAndErrorsSayWhatToDo) {
  testing::RunResult h = testing::Run({testing::MugaiBinary(), "quarantine", "--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("request-release"), std::string::npos);
  testing::RunResult ah = testing::Run({testing::MugaiBinary(), "audit", "--help"});
  EXPECT_EQ(ah.exit_code, 0);
  testing::RunResult noroles = testing::Run({testing::MugaiBinary(), "quarantine",
                                             "request-release", "q-1", "--user", "x", "--reason",
                                             "r", "--state", dir_ / "state"});
  EXPECT_EQ(noroles.exit_code, 1);
  EXPECT_NE(noroles.err.find("[roles]"), std::string::npos);
}

}  // namespace
}  // namespace mugai
