// `mugai serve` as an operator runs it, with `mugai sanitize` and `mugai mail` as its clients:
// inputs handed over as open files, outputs written by the client, the caller's Unix user in
// the audit log, a clear exit 3 when an explicit --service does not answer, and a clean stop.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "gateway/service/config.h"
#include "gateway/service/service_client.h"
#include "test_support.h"

extern char** environ;

namespace mugai {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "in");
    socket_ = dir_ / "mugai.sock";
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Starts the service and waits until it listens.
  void StartService(const std::string& config = "") {
    std::vector<std::string> args = {testing::MugaiBinary(), "serve", "--socket", socket_,
                                     "--signatures", testing::SignaturesDir(), "--state",
                                     dir_ / "state"};
    if (!config.empty()) {
      testing::WriteFile(dir_ / "serve.toml", config);
      args.push_back("--config");
      args.push_back(dir_ / "serve.toml");
    }
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ / "serve.err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 300; ++i) {
      if (fs::exists(dir_ / "serve.err") &&
          testing::ReadFile(dir_ / "serve.err").find("listening") != std::string::npos) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "mugai serve did not start: " << testing::ReadFile(dir_ / "serve.err");
  }

  int Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // One pass of `mugai watch --once` from drop/ to lgwan/, a client of the service.
  testing::RunResult WatchOnce(const std::string& config) {
    return testing::Run({testing::MugaiBinary(), "watch", "--service", socket_, "--config",
                         config, "--in", dir_ / "drop", "--out", dir_ / "lgwan", "--once"});
  }

  // The audit records of `event`.
  std::vector<json> Audit(const std::string& event) {
    std::vector<json> out;
    std::string log = testing::ReadFile(dir_ / "state/audit.log");
    size_t start = 0;
    while (start < log.size()) {
      size_t end = log.find('\n', start);
      if (end == std::string::npos) end = log.size();
      json j = json::parse(log.substr(start, end - start), nullptr, false);
      if (!j.is_discarded() && j["event"] == event) out.push_back(j);
      start = end + 1;
    }
    return out;
  }

  testing::TempDir dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

std::string Me() {
  passwd* pw = getpwuid(getuid());
  return pw ? pw->pw_name : "uid " + std::to_string(getuid());
}

TEST_F(ServeTest, SanitizeHandsItsFilesToTheServiceAndWritesWhatComesBack) {
  StartService();
  testing::WriteFile(dir_ / "in/memo.txt", "予算要求について\n");
  testing::WriteFile(dir_ / "in/page.html", "<p>hello <script>alert(1)</script></p>");
  testing::WriteFile(dir_ / "in/eicar.txt", testing::Eicar());
  // The client's folders are its own: the service is told of none of them but through the
  // files it is handed.
  testing::RunResult r = testing::Run({testing::MugaiBinary(), "sanitize", "--service", socket_,
                                       "--out", dir_ / "out", "--report", dir_ / "report.json",
                                       dir_ / "in/memo.txt", dir_ / "in/page.html",
                                       dir_ / "in/eicar.txt"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(testing::ListFiles(dir_ / "out"),
            (std::vector<std::string>{"memo.txt", "page.txt"}));
  EXPECT_EQ(testing::ReadFile(dir_ / "out/memo.txt"), "予算要求について\n");
  EXPECT_EQ(testing::ReadFile(dir_ / "out/page.txt").find("alert"), std::string::npos);
  json report = json::parse(testing::ReadFile(dir_ / "report.json"));
  ASSERT_EQ(report["items"].size(), 3u);
  EXPECT_EQ(report["items"][2]["verdict"], "blocked");
  EXPECT_EQ(report["summary"]["blocked"], 1);
  EXPECT_GT(report["scanner"]["signatures"].get<int>(), 0);
  EXPECT_NE(r.err.find("BLOCKED"), std::string::npos);
  // Who asked is the Unix user at the other end of the socket, not a name it gave.
  std::vector<json> processed = Audit("item_processed");
  ASSERT_EQ(processed.size(), 3u);
  for (const json& p : processed) EXPECT_EQ(p["actor"], Me());
  // Delivered is recorded with where the client put it, after it was there.
  std::vector<json> delivered = Audit("delivered");
  ASSERT_EQ(delivered.size(), 2u);
  std::set<std::string> destinations;
  for (const json& d : delivered) destinations.insert(d["details"]["destination"]);
  EXPECT_EQ(destinations, (std::set<std::string>{dir_ / "out/memo.txt", dir_ / "out/page.txt"}));
  // A second run into the same folder never overwrites.
  r = testing::Run({testing::MugaiBinary(), "sanitize", "-q", "--service", socket_, "--out",
                    dir_ / "out", dir_ / "in/memo.txt"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "out/memo (1).txt"));
  EXPECT_EQ(Stop(), 0);
  EXPECT_FALSE(fs::exists(socket_)) << "the socket is removed on a clean stop";
  EXPECT_NE(testing::ReadFile(dir_ / "state/mugai.log").find("event=service_stopped"),
            std::string::npos);
}

TEST_F(ServeTest, MailGoesThroughTheServiceFromStandardInput) {
  StartService();
  testing::WriteFile(dir_ / "in.eml",
                     "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: test\r\n"
                     "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                     "<p>本文 <script>x()</script></p>\r\n");
  testing::RunResult r = testing::Run(
      {testing::MugaiBinary(), "mail", "--quiet", "--service", socket_}, dir_ / "in.eml");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("X-Mugai-Verdict: sanitized"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("<script>"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "state/tmp/mail-" + std::to_string(pid_)))
      << "no temporary copy of the message";
}

TEST_F(ServeTest, WatchHandsItsFilesToTheServiceAndOwnsNoState) {
  StartService();
  fs::create_directories(dir_ / "drop");
  testing::WriteFile(dir_ / "drop/memo.txt", "予算要求について\n");
  testing::WriteFile(dir_ / "drop/page.html", "<p>hello <script>alert(1)</script></p>");
  testing::WriteFile(dir_ / "drop/eicar.txt", testing::Eicar());
  testing::WriteFile(dir_ / "w.toml", "[watch]\nstable_ms = 0\n");
  // No --signatures, no --state: the watcher holds no engine and writes no state of its own.
  testing::RunResult r = WatchOnce(dir_ / "w.toml");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("for mugai serve"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("event=watch_delivered"), std::string::npos) << "its log is stderr";
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir_ / "lgwan")) out.insert(e.path().filename());
  EXPECT_EQ(out, (std::set<std::string>{".mugai-staging", "eicar.txt.mugai.txt", "memo.txt",
                                        "page.html.mugai.txt", "page.txt"}));
  EXPECT_EQ(testing::ReadFile(dir_ / "lgwan/memo.txt"), "予算要求について\n");
  EXPECT_EQ(testing::ReadFile(dir_ / "lgwan/page.txt").find("alert"), std::string::npos);
  EXPECT_NE(testing::ReadFile(dir_ / "lgwan/eicar.txt.mugai.txt").find("malware detected"),
            std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir_ / "drop/.mugai-work"));
  // The service kept the converted and the blocked original, each with its index row (the
  // watcher used to store every original again, leaving rows-less blobs), recorded as
  // arriving through watch, by the Unix user at the other end of the socket.
  testing::RunResult list = testing::Run({testing::MugaiBinary(), "quarantine", "list", "--json",
                                          "--state", dir_ / "state", "--entry", "watch"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json items = json::parse(list.out, nullptr, false);
  ASSERT_TRUE(items.is_array()) << list.out;
  EXPECT_EQ(items.size(), 2u) << list.out;
  testing::RunResult reconcile = testing::Run(
      {testing::MugaiBinary(), "quarantine", "reconcile", "--state", dir_ / "state"});
  EXPECT_EQ(reconcile.exit_code, 0) << reconcile.out;
  std::vector<json> decided = Audit("item_processed");
  ASSERT_FALSE(decided.empty());
  EXPECT_EQ(decided.back()["actor"], Me());
  // What the audit log says was delivered is where staff find it, not a staging folder.
  std::set<std::string> delivered;
  for (const json& d : Audit("delivered")) delivered.insert(d["details"]["destination"]);
  EXPECT_EQ(delivered, (std::set<std::string>{dir_ / "lgwan/memo.txt", dir_ / "lgwan/page.txt"}));
  EXPECT_FALSE(fs::exists("mugai-state")) << "the watcher made a state folder of its own";
}

TEST_F(ServeTest, AWatcherNamingAServiceThatDoesNotAnswerIsExitThree) {
  fs::create_directories(dir_ / "drop");
  testing::WriteFile(dir_ / "drop/memo.txt", "x\n");
  testing::RunResult r = testing::Run({testing::MugaiBinary(), "watch", "--service",
                                       dir_ / "nobody.sock", "--in", dir_ / "drop", "--out",
                                       dir_ / "lgwan", "--once"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("no mugai service answers at"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "drop/memo.txt")) << "the file was taken";
  // The milter and the operator commands likewise.
  testing::RunResult milter = testing::Run({testing::MugaiBinary(), "milter", "--socket",
                                            "unix:" + dir_ / "milter.sock", "--service",
                                            dir_ / "nobody.sock", "--state", dir_ / "state"});
  EXPECT_EQ(milter.exit_code, 3) << milter.err;
  EXPECT_NE(milter.err.find("no mugai service answers at"), std::string::npos) << milter.err;
  testing::RunResult list = testing::Run({testing::MugaiBinary(), "quarantine", "list",
                                          "--service", dir_ / "nobody.sock"});
  EXPECT_EQ(list.exit_code, 3) << list.err;
  EXPECT_NE(list.err.find("no mugai service answers at"), std::string::npos) << list.err;
}

TEST_F(ServeTest, AnExplicitServiceThatDoesNotAnswerIsExitThree) {
  testing::WriteFile(dir_ / "in/memo.txt", "x\n");
  testing::RunResult r = testing::Run({testing::MugaiBinary(), "sanitize", "--service",
                                       dir_ / "nobody.sock", "--out", dir_ / "out",
                                       dir_ / "in/memo.txt"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no mugai service answers at"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mugai serve"), std::string::npos) << "it says how to start one";
  EXPECT_FALSE(fs::exists(dir_ / "out/memo.txt"));
  // A stale socket file at the configured path is not a reason to run in-process either.
  testing::WriteFile(dir_ / "stale.sock", "");
  testing::WriteFile(dir_ / "c.toml", "[service]\nsocket = \"" + dir_ / "stale.sock" + "\"\n");
  r = testing::Run({testing::MugaiBinary(), "sanitize", "--config", dir_ / "c.toml",
                    "--signatures", testing::SignaturesDir(), "--state", dir_ / "state",
                    "--out", dir_ / "out", dir_ / "in/memo.txt"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST_F(ServeTest, ASecondServiceOnTheSameSocketRefusesToStart) {
  StartService();
  testing::RunResult r = testing::Run({testing::MugaiBinary(), "serve", "--socket", socket_,
                                       "--signatures", testing::SignaturesDir(), "--state",
                                       dir_ / "state2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already answers"), std::string::npos) << r.err;
}

TEST_F(ServeTest, AMilterMessageThatCannotGetAWorkerInTimeIsTempfailedNotLost) {
  // One worker for the host, held ~4 s by a PDF that is slow to draw; a message handed over
  // as the milter's meanwhile may wait 1 s for its first worker, then ends `busy` (exit 3:
  // the milter answers 451 and Postfix keeps and retries it). A plain command's file queued
  // behind it just waits its turn.
  std::string bomb = testing::CpuBombPdf();
  if (bomb.empty()) GTEST_SKIP() << "needs /usr/bin/python3";
  StartService("[worker]\njobs = 1\ncpu_base_ms = 20000\n[milter]\nqueue_timeout_seconds = 1\n");
  testing::WriteFile(dir_ / "in/slow.pdf", bomb);
  testing::WriteFile(dir_ / "in/memo.txt", "予算要求について\n");
  pid_t slow = fork();
  if (slow == 0) {
    execl(testing::MugaiBinary().c_str(), "mugai", "sanitize", "-q", "--service",
          socket_.c_str(), "--out", (dir_ / "out-slow").c_str(), (dir_ / "in/slow.pdf").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // its worker has the slot
  Config config;
  Result<std::unique_ptr<ServiceConnection>> conn =
      ServiceConnection::Open(config, socket_, false, "test");
  ASSERT_TRUE(conn.ok()) << conn.status().message();
  testing::WriteFile(dir_ / "in/msg.eml", "From: a@example.jp\r\nTo: b@example.jp\r\n"
                                          "Subject: x\r\n\r\nhello\r\n");
  ClientItem item;
  item.name = "message.eml";
  item.source = "{\"from\":\"a@example.jp\"}";
  item.path = dir_ / "in/msg.eml";
  auto start = std::chrono::steady_clock::now();
  Result<ClientOutcome> r = conn.value()->Run(
      "milter", {item}, "", true, "",
      [](size_t, const std::string&, const std::string&, const std::string&) -> Result<std::string> {
        return std::string("smtp");
      });
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->exit, 3);
  ASSERT_EQ(r->report["items"].size(), 1u);
  EXPECT_EQ(r->report["items"][0]["reason"]["code"], "busy") << r->report.dump();
  EXPECT_LT(waited, 3.0) << "it waited for the slow worker instead of its queue time";
  // Meanwhile a command's file waits and is delivered.
  testing::RunResult memo = testing::Run({testing::MugaiBinary(), "sanitize", "-q", "--service",
                                          socket_, "--out", dir_ / "out", dir_ / "in/memo.txt"});
  EXPECT_EQ(memo.exit_code, 0) << memo.err;
  EXPECT_EQ(testing::ReadFile(dir_ / "out/memo.txt"), "予算要求について\n");
  int status = 0;
  waitpid(slow, &status, 0);
}

// Runs `args` as the Unix user `user` (root only: setpriv).
testing::RunResult RunAs(const std::string& user, std::vector<std::string> args) {
  passwd* pw = getpwnam(user.c_str());
  std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=" + user,
                                   "--regid=" + std::to_string(pw ? pw->pw_gid : 65534),
                                   "--clear-groups"};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::Run(argv);
}

TEST_F(ServeTest, OperatorsActThroughTheServiceAsTheUnixUserTheKernelNames) {
  // Two members of staff, two Unix users: `nobody` may request releases, `daemon` approve
  // them. Neither can read the state folder; the service knows each from its socket, and a
  // --user naming someone else is refused.
  if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0 || !getpwnam("daemon") ||
      !getpwnam("nobody")) {
    GTEST_SKIP() << "needs root, setpriv and the users nobody and daemon";
  }
  StartService("[roles]\noperators = [\"nobody\"]\napprovers = [\"daemon\"]\n"
               "auditors = [\"nobody\"]\n");
  chmod(dir_.path().c_str(), 0755);  // the test's own folder and socket, open to the two
  chmod(socket_.c_str(), 0666);
  testing::WriteFile(dir_ / "in/page.html", "<p>お知らせ <script>x()</script></p>");
  ASSERT_EQ(testing::Run({testing::MugaiBinary(), "sanitize", "-q", "--service", socket_, "--out",
                          dir_ / "out", dir_ / "in/page.html"}).exit_code, 0);
  testing::RunResult list = testing::Run({testing::MugaiBinary(), "quarantine", "list", "--json",
                                          "--state", dir_ / "state"});
  json items = json::parse(list.out, nullptr, false);
  ASSERT_TRUE(items.is_array() && items.size() == 1) << list.out << list.err;
  const std::string id = items[0]["id"];
  const std::string m = testing::MugaiBinary();
  EXPECT_NE(access((dir_ / "state/quarantine").c_str(), R_OK), -1);  // (root can)

  // Listing everything needs a role through the service: nobody has one; root here has none,
  // so it sees only what is addressed to it (nothing).
  testing::RunResult seen = RunAs("nobody", {m, "quarantine", "list", "--service", socket_});
  EXPECT_EQ(seen.exit_code, 0) << seen.err;
  EXPECT_NE(seen.out.find(id), std::string::npos) << seen.out;
  testing::RunResult own = testing::Run({m, "quarantine", "list", "--service", socket_});
  EXPECT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(own.out.find(id), std::string::npos) << own.out;
  EXPECT_EQ(testing::Run({m, "quarantine", "show", id, "--service", socket_}).exit_code, 1);

  // A name on the command line is not an identity.
  testing::RunResult forged = RunAs("nobody", {m, "quarantine", "request-release", id, "--user",
                                               "daemon", "--reason", "x", "--service", socket_});
  EXPECT_EQ(forged.exit_code, 2);
  EXPECT_NE(forged.err.find("not an identity"), std::string::npos) << forged.err;
  // The state folder is the service's: --state through it is refused.
  EXPECT_EQ(RunAs("nobody", {m, "quarantine", "list", "--service", socket_, "--state", "/tmp"})
                .exit_code, 2);

  testing::RunResult req = RunAs("nobody", {m, "quarantine", "request-release", id, "--reason",
                                            "住民から再送依頼", "--service", socket_});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  // The requester may not approve. The approver's files come back to its own command, which
  // writes them as itself: a folder it cannot write is refused before anything is approved.
  EXPECT_EQ(RunAs("nobody", {m, "quarantine", "approve", id, "--service", socket_}).exit_code, 1);
  // The service writes into no folder a client named at intake: --out is required.
  testing::RunResult no_out = RunAs("daemon", {m, "quarantine", "approve", id, "--service", socket_});
  EXPECT_EQ(no_out.exit_code, 2) << no_out.err;
  EXPECT_NE(no_out.err.find("give --out DIR"), std::string::npos) << no_out.err;
  fs::create_directories(dir_ / "release");
  testing::RunResult elsewhere = RunAs("daemon", {m, "quarantine", "approve", id, "--out",
                                                  dir_ / "release", "--service", socket_});
  EXPECT_EQ(elsewhere.exit_code, 2) << elsewhere.err;
  EXPECT_NE(elsewhere.err.find("you cannot write there"), std::string::npos) << elsewhere.err;
  EXPECT_TRUE(Audit("release_approved").empty());
  ASSERT_EQ(chown((dir_ / "release").c_str(), getpwnam("daemon")->pw_uid, 0), 0);
  testing::RunResult ok = RunAs("daemon", {m, "quarantine", "approve", id, "--out",
                                           dir_ / "release", "--service", socket_});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("released:"), std::string::npos) << ok.out;
  struct stat st{};
  ASSERT_EQ(stat((dir_ / "release/page.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, getpwnam("daemon")->pw_uid) << "the service wrote into the caller's folder";
  for (const auto& e : fs::directory_iterator(dir_ / "state/tmp")) {
    EXPECT_NE(e.path().filename().string().rfind("release-", 0), 0u) << "staging left behind";
  }
  EXPECT_EQ(testing::ReadFile(dir_ / "release/page.txt").find("x()"), std::string::npos);
  EXPECT_NE(testing::ReadFile(dir_ / "release/page.txt").find("お知らせ"), std::string::npos);

  std::vector<json> requested = Audit("release_requested");
  std::vector<json> approved = Audit("release_approved");
  ASSERT_EQ(requested.size(), 1u);
  ASSERT_EQ(approved.size(), 1u);
  EXPECT_EQ(requested[0]["actor"], "nobody");
  EXPECT_EQ(approved[0]["actor"], "daemon");
  // Reading the audit log through the service takes the auditor role.
  EXPECT_EQ(RunAs("daemon", {m, "audit", "verify", "--service", socket_}).exit_code, 1);
  testing::RunResult verify = RunAs("nobody", {m, "audit", "verify", "--service", socket_});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_NE(verify.out.find("audit log OK"), std::string::npos) << verify.out;
}

TEST_F(ServeTest, OnlyTheConsolesUserMayNameTheUserItActsFor) {
  // The console names the logged-in user; the service believes that only from
  // console.unix_user. Here that is daemon, so this client (root, or whoever runs the test)
  // is refused, and nothing runs as sato.
  if (!getpwnam("daemon") || getuid() == getpwnam("daemon")->pw_uid) {
    GTEST_SKIP() << "needs the user daemon, and not to be it";
  }
  StartService("[console]\nunix_user = \"daemon\"\n[roles]\noperators = [\"sato\"]\n");
  Config config;
  Result<std::unique_ptr<ServiceConnection>> conn =
      ServiceConnection::Open(config, socket_, false, "test");
  ASSERT_TRUE(conn.ok()) << conn.status().message();
  Result<ServiceConnection::OperatorReply> r =
      conn.value()->RunOperator({"quarantine", "list", "--json"}, nullptr, "sato");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->exit, 2);
  EXPECT_NE(r->err.find("console.unix_user"), std::string::npos) << r->err;
  // Without naming anyone, the same client is itself, as before.
  conn = ServiceConnection::Open(config, socket_, false, "test");
  ASSERT_TRUE(conn.ok());
  r = conn.value()->RunOperator({"quarantine", "list", "--json"}, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit, 2) << r->err;
}

TEST_F(ServeTest, HelpNamesTheSocketAndTheSignals) {
  testing::RunResult r = testing::Run({testing::MugaiBinary(), "serve", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--socket PATH"), std::string::npos);
  EXPECT_NE(r.out.find("SIGHUP"), std::string::npos);
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

// `--report` naming something that is not a regular file (a FIFO here; /dev/null in real
// use) is written into, never renamed over: run as root, the old code replaced /dev/null.
// --- Issue 18: operations ---

// GET http://127.0.0.1:PORT/PATH → status and body (a plain HTTP/1.0 exchange over loopback).
std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return {0, ""};
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)!write(s, req.data(), req.size());
  std::string got;
  char buf[8192];
  ssize_t n;
  while ((n = read(s, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  close(s);
  size_t body = got.find("\r\n\r\n");
  int status = got.size() > 12 ? std::atoi(got.c_str() + 9) : 0;
  return {status, body == std::string::npos ? "" : got.substr(body + 4)};
}

// /metrics parsed by prometheus_client's own parser: every sample by name and labels.
json Scrape(int port) {
  testing::RunResult r = testing::Run({"/usr/bin/python3", MUGAI_TEST_TOOLS "/scrape_metrics.py",
                                       "http://127.0.0.1:" + std::to_string(port) + "/metrics"});
  if (r.exit_code == 2) return json();  // the parser is not installed
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

double Sum(const json& samples, const std::string& prefix, const std::string& must_contain = "") {
  double total = 0;
  for (const auto& [key, value] : samples.items()) {
    if (key.rfind(prefix, 0) == 0 && key.find(must_contain) != std::string::npos) {
      total += value.get<double>();
    }
  }
  return total;
}

// The port `mugai serve` says it bound for /metrics (metrics_listen = "127.0.0.1:0").
int MetricsPortIn(const std::string& serve_err) {
  const std::string mark = "/metrics and /healthz on http://127.0.0.1:";
  size_t at = serve_err.find(mark);
  return at == std::string::npos ? 0 : std::atoi(serve_err.c_str() + at + mark.size());
}

TEST_F(ServeTest, MetricsParseAsPrometheusTextAndMoveAsItemsPass) {
  StartService("[service]\nmetrics_listen = \"127.0.0.1:0\"\n");
  const int port = MetricsPortIn(testing::ReadFile(dir_ / "serve.err"));
  ASSERT_GT(port, 0) << testing::ReadFile(dir_ / "serve.err");
  json before = Scrape(port);
  if (before.is_null()) GTEST_SKIP() << "python3-prometheus-client is not installed";
  ASSERT_TRUE(before.is_object());
  EXPECT_EQ(Sum(before, "mugai_items_total"), 0);
  EXPECT_GT(before["mugai_signature_count"].get<double>(), 0);
  EXPECT_EQ(before["mugai_signatures_loaded"], 1);
  EXPECT_EQ(before["mugai_signatures_stale"], 0);
  EXPECT_EQ(before["mugai_suspended"], 0);
  EXPECT_EQ(before["mugai_audit_write_failures_total"], 0);
  // The test signatures were written moments ago.
  EXPECT_LT(before["mugai_signature_age_seconds"].get<double>(), 3600);
  EXPECT_GT(before["mugai_signature_timestamp_seconds"].get<double>(), 1.7e9);
  testing::WriteFile(dir_ / "in/memo.txt", "memo\n");
  testing::WriteFile(dir_ / "in/eicar.txt", testing::Eicar());
  testing::RunResult r = testing::Run({testing::MugaiBinary(), "sanitize", "-q", "--service",
                                       socket_, "--out", dir_ / "out", dir_ / "in/memo.txt",
                                       dir_ / "in/eicar.txt"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  json after = Scrape(port);
  ASSERT_TRUE(after.is_object());
  EXPECT_EQ(Sum(after, "mugai_items_total"), 2);
  EXPECT_EQ(Sum(after, "mugai_items_total", "verdict=\"clean\""), 1);
  EXPECT_EQ(Sum(after, "mugai_items_total", "reason=\"malware\""), 1);
  EXPECT_EQ(Sum(after, "mugai_item_duration_seconds_count"), 2);
  EXPECT_GE(Sum(after, "mugai_stage_duration_seconds_count", "stage=\"process\""), 2);
  EXPECT_EQ(after["mugai_items_in_progress"], 0);
  // /healthz: 200 with every check passing.
  auto [status, body] = HttpGet(port, "/healthz");
  EXPECT_EQ(status, 200) << body;
  EXPECT_NE(body.find("engine: ok"), std::string::npos) << body;
  EXPECT_NE(body.find("database: ok"), std::string::npos) << body;
}

TEST_F(ServeTest, ASuspensionHoldsAcrossARestartAndWatchLeavesFilesInTheInbox) {
  const std::string config = "[service]\nmetrics_listen = \"127.0.0.1:0\"\n[roles]\nadmins = [\"" +
                             Me() + "\"]\noperators = [\"" + Me() +
                             "\"]\n[watch]\nstable_ms = 0\n";
  StartService(config);
  int port = MetricsPortIn(testing::ReadFile(dir_ / "serve.err"));
  ASSERT_GT(port, 0) << testing::ReadFile(dir_ / "serve.err");
  // Something in the quarantine, to resubmit while suspended.
  testing::WriteFile(dir_ / "in/page.html", "<p>x<script>y()</script></p>");
  ASSERT_EQ(testing::Run({testing::MugaiBinary(), "sanitize", "-q", "--service", socket_, "--out",
                          dir_ / "out0", dir_ / "in/page.html"}).exit_code, 0);
  testing::RunResult list = testing::Run({testing::MugaiBinary(), "quarantine", "list", "--json",
                                          "--service", socket_});
  json quarantined = json::parse(list.out, nullptr, false);
  ASSERT_TRUE(quarantined.is_array() && quarantined.size() == 1) << list.out << list.err;
  const std::string id = quarantined[0]["id"];
  // Only an admin: someone else is refused through the service, and nothing changes.
  if (geteuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0 && getpwnam("nobody")) {
    chmod(dir_.path().c_str(), 0755);
    chmod(socket_.c_str(), 0666);
    testing::RunResult not_admin = RunAs("nobody", {testing::MugaiBinary(), "suspend", "--service",
                                                    socket_, "--reason", "prank"});
    EXPECT_EQ(not_admin.exit_code, 1) << not_admin.out << not_admin.err;
    EXPECT_NE(not_admin.err.find("no admin role"), std::string::npos) << not_admin.err;
    EXPECT_FALSE(fs::exists(dir_ / "state/suspended"));
  }
  testing::RunResult s = testing::Run({testing::MugaiBinary(), "suspend", "--service", socket_,
                                       "--config", dir_ / "serve.toml", "--reason",
                                       "infection spreading by mail"});
  ASSERT_EQ(s.exit_code, 0) << s.out << s.err;
  EXPECT_NE(s.out.find("受付を停止しました"), std::string::npos) << s.out;
  auto [status, body] = HttpGet(port, "/healthz");
  EXPECT_EQ(status, 503) << body;
  EXPECT_NE(body.find("suspended: FAIL suspended: infection spreading by mail"), std::string::npos)
      << body;
  // Nothing crosses while suspended: not a resubmission either.
  testing::RunResult resubmit = testing::Run({testing::MugaiBinary(), "quarantine", "resubmit", id,
                                              "--service", socket_, "--out", dir_ / "out1"});
  EXPECT_EQ(resubmit.exit_code, 3) << resubmit.out << resubmit.err;
  EXPECT_NE(resubmit.err.find("suspended"), std::string::npos) << resubmit.err;
  EXPECT_TRUE(Audit("resubmitted").empty());
  // A restart of the service does not lift it.
  EXPECT_EQ(Stop(), 0);
  StartService(config);
  port = MetricsPortIn(testing::ReadFile(dir_ / "serve.err"));
  testing::WriteFile(dir_ / "in/memo.txt", "memo\n");
  testing::RunResult r = testing::Run({testing::MugaiBinary(), "sanitize", "--service", socket_,
                                       "--out", dir_ / "out", dir_ / "in/memo.txt"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("suspended (infection spreading by mail"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out/memo.txt"));
  // Watch takes nothing: the file stays in the inbox, unclaimed.
  fs::create_directories(dir_ / "drop");
  testing::WriteFile(dir_ / "drop/report.txt", "report\n");
  testing::RunResult w = WatchOnce(dir_ / "serve.toml");
  EXPECT_EQ(w.exit_code, 3) << w.err;
  EXPECT_NE(w.err.find("suspended"), std::string::npos) << w.err;
  EXPECT_EQ(testing::ReadFile(dir_ / "drop/report.txt"), "report\n");
  EXPECT_FALSE(fs::exists(dir_ / "lgwan/report.txt"));
  json samples = Scrape(port);
  if (samples.is_object()) EXPECT_EQ(samples["mugai_suspended"], 1);
  testing::RunResult resume = testing::Run({testing::MugaiBinary(), "resume", "--service",
                                            socket_, "--config", dir_ / "serve.toml"});
  ASSERT_EQ(resume.exit_code, 0) << resume.out << resume.err;
  w = WatchOnce(dir_ / "serve.toml");
  EXPECT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(testing::ReadFile(dir_ / "lgwan/report.txt"), "report\n");
  EXPECT_FALSE(fs::exists(dir_ / "drop/report.txt"));
  std::vector<json> suspended = Audit("suspended"), resumed = Audit("resumed");
  ASSERT_EQ(suspended.size(), 1u);
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(suspended[0]["actor"], Me());
  EXPECT_EQ(suspended[0]["details"]["reason"], "infection spreading by mail");
}

// One node of several on PostgreSQL (issue 17): the service keeps its connections, the
// database dies under it and comes back. While it is down nothing crosses and nothing is
// lost (watch leaves the files to be tried again, sanitize is exit 3); afterwards the service
// reconnects by itself, the files go through once, and the one chain verifies.
TEST_F(ServeTest, OnPostgresADatabaseOutageHoldsItemsBackAndTheServiceCatchesUp) {
  const std::string script = MUGAI_PG_SERVER_SCRIPT;
  chmod(dir_.path().c_str(), 0755);
  testing::RunResult pg = testing::Run({"/bin/bash", script, "start", dir_ / "pg"});
  ASSERT_EQ(pg.exit_code, 0) << pg.err;
  if (!fs::exists(dir_ / "pg/dsn")) GTEST_SKIP() << "PostgreSQL is not installed: " << pg.out;
  std::string dsn = testing::ReadFile(dir_ / "pg/dsn");
  dsn.erase(dsn.find_last_not_of("\n ") + 1);
  const std::string config = "[service]\nmetrics_listen = \"127.0.0.1:0\"\n[quarantine]\n"
                             "backend = \"postgresql\"\ndsn = \"" + dsn +
                             "\"\nnode_name = \"node-1\"\n[watch]\nstable_ms = 0\n"
                             "[roles]\noperators = [\"" + Me() + "\"]\n";
  testing::WriteFile(dir_ / "serve.toml", config);
  // An empty database: the service refuses it and names the command.
  {
    testing::RunResult refused = testing::Run({testing::MugaiBinary(), "serve", "--socket", socket_,
                                               "--signatures", testing::SignaturesDir(), "--state",
                                               dir_ / "state", "--config", dir_ / "serve.toml"});
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("mugai db migrate"), std::string::npos) << refused.err;
  }
  testing::RunResult m = testing::Run({testing::MugaiBinary(), "db", "migrate", "--config",
                                       dir_ / "serve.toml", "--state", dir_ / "state"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  StartService(config);
  int port = MetricsPortIn(testing::ReadFile(dir_ / "serve.err"));
  fs::create_directories(dir_ / "drop");
  testing::WriteFile(dir_ / "drop/a.txt", "一通目\n");
  testing::WriteFile(dir_ / "drop/a.pdf", testing::Eicar());
  ASSERT_EQ(WatchOnce(dir_ / "serve.toml").exit_code, 0);
  EXPECT_EQ(testing::ReadFile(dir_ / "lgwan/a.txt"), "一通目\n");
  json samples = Scrape(port);
  if (samples.is_object()) {
    EXPECT_EQ(samples["mugai_quarantine_database_up"], 1) << samples.dump();
    EXPECT_EQ(Sum(samples, "mugai_quarantine_items", "quarantined"), 1) << samples.dump();
  }
  // The database dies.
  ASSERT_EQ(testing::Run({"/bin/bash", script, "kill", dir_ / "pg"}).exit_code, 0);
  testing::WriteFile(dir_ / "drop/b.txt", "二通目\n");
  testing::WriteFile(dir_ / "drop/b.pdf", testing::Eicar() + "b");
  testing::RunResult w = WatchOnce(dir_ / "serve.toml");
  // Kept for the next pass (the claims stay), not delivered.
  EXPECT_NE(w.err.find("event=watch_retry_later"), std::string::npos) << w.err;
  EXPECT_FALSE(fs::exists(dir_ / "lgwan/b.txt")) << "delivered without its record";
  EXPECT_FALSE(fs::exists(dir_ / "lgwan/b.pdf.mugai.txt"));
  testing::WriteFile(dir_ / "in/c.txt", "三通目\n");
  testing::RunResult s = testing::Run({testing::MugaiBinary(), "sanitize", "--service", socket_,
                                       "--out", dir_ / "out", dir_ / "in/c.txt"});
  EXPECT_EQ(s.exit_code, 3) << s.err;
  EXPECT_FALSE(fs::exists(dir_ / "out/c.txt"));
  samples = Scrape(port);
  if (samples.is_object()) EXPECT_EQ(samples["mugai_quarantine_database_up"], 0);
  // It comes back; the service reconnects without a restart.
  ASSERT_EQ(testing::Run({"/bin/bash", script, "restart", dir_ / "pg"}).exit_code, 0);
  w = WatchOnce(dir_ / "serve.toml");
  EXPECT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(testing::ReadFile(dir_ / "lgwan/b.txt"), "二通目\n");
  EXPECT_TRUE(fs::exists(dir_ / "lgwan/b.pdf.mugai.txt"));
  s = testing::Run({testing::MugaiBinary(), "sanitize", "--service", socket_, "--out",
                    dir_ / "out", dir_ / "in/c.txt"});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  testing::RunResult exported = testing::Run({testing::MugaiBinary(), "audit", "export",
                                              "--config", dir_ / "serve.toml"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::map<std::string, int> processed, quarantined;
  for (const auto& r : json::parse(exported.out)) {
    if (r["event"] == "item_processed") ++processed[r["details"]["name"]];
    if (r["event"] == "quarantined") ++quarantined[r["details"]["name"]];
    EXPECT_EQ(r["node"], "node-1");
  }
  EXPECT_EQ(processed, (std::map<std::string, int>{
                           {"a.txt", 1}, {"a.pdf", 1}, {"b.txt", 1}, {"b.pdf", 1}, {"c.txt", 1}}));
  // Kept once each: no second row from a retry on a reconnected database.
  EXPECT_EQ(quarantined, (std::map<std::string, int>{{"a.pdf", 1}, {"b.pdf", 1}}));
  testing::RunResult rows = testing::Run({testing::MugaiBinary(), "quarantine", "list", "--json",
                                          "--config", dir_ / "serve.toml"});
  EXPECT_EQ(json::parse(rows.out).size(), 2u) << rows.out;
  EXPECT_EQ(testing::Run({testing::MugaiBinary(), "audit", "verify", "--config",
                          dir_ / "serve.toml"}).exit_code, 0);
  // Another node keeps an item; this node's service (what the console and operators ask)
  // lists it, and its metrics count it.
  testing::WriteFile(dir_ / "node2.toml", "[paths]\nstate = \"" + (dir_ / "state2") +
                                              "\"\n[quarantine]\nbackend = \"postgresql\"\n"
                                              "dsn = \"" + dsn + "\"\nnode_name = \"node-2\"\n");
  testing::WriteFile(dir_ / "in/d.pdf", testing::Eicar() + "d");
  ASSERT_EQ(testing::Run({testing::MugaiBinary(), "sanitize", "-q", "--config", dir_ / "node2.toml",
                          "--signatures", testing::SignaturesDir(), dir_ / "in/d.pdf"}).exit_code, 1);
  testing::RunResult via = testing::Run({testing::MugaiBinary(), "quarantine", "list", "--json",
                                         "--service", socket_});
  ASSERT_EQ(via.exit_code, 0) << via.err;
  std::set<std::string> nodes;
  for (const auto& i : json::parse(via.out)) nodes.insert(i["node"]);
  EXPECT_EQ(nodes, (std::set<std::string>{"node-1", "node-2"})) << via.out;
  samples = Scrape(port);
  if (samples.is_object()) EXPECT_EQ(Sum(samples, "mugai_quarantine_items", "quarantined"), 3);
  EXPECT_EQ(Stop(), 0);
  testing::Run({"/bin/bash", script, "stop", dir_ / "pg"});
}

// Every audit record also goes to syslog (RFC 5424) for a remote log host: a listener on
// loopback receives each one, in order, carrying the audit log's own line.
TEST_F(ServeTest, AuditRecordsReachASyslogListenerAsRfc5424) {
  int listener = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{listener};
  timeval t{10, 0};
  setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
  StartService("[service]\nmetrics_listen = \"\"\n[audit]\nsyslog_facility = \"local3\"\n"
               "syslog_target = \"udp:127.0.0.1:" + std::to_string(ntohs(a.sin_port)) +
               "\"\n[roles]\nadmins = [\"" + Me() + "\"]\n");
  testing::WriteFile(dir_ / "in/memo.txt", "memo\n");
  testing::RunResult r = testing::Run({testing::MugaiBinary(), "sanitize", "-q", "--service",
                                       socket_, "--out", dir_ / "out", dir_ / "in/memo.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // An operator command's records too (written by the command run for its caller).
  for (const char* cmd : {"suspend", "resume"}) {
    std::vector<std::string> argv = {testing::MugaiBinary(), cmd, "--service", socket_};
    if (std::string(cmd) == "suspend") argv.insert(argv.end(), {"--reason", "drill"});
    testing::RunResult op = testing::Run(argv);
    ASSERT_EQ(op.exit_code, 0) << op.out << op.err;
  }
  // config_loaded, item_processed, delivered, suspended, resumed: as many datagrams as audit
  // lines, each the line.
  std::vector<std::string> lines;
  {
    std::string log = testing::ReadFile(dir_ / "state/audit.log");
    size_t start = 0, end;
    while ((end = log.find('\n', start)) != std::string::npos) {
      lines.push_back(log.substr(start, end - start));
      start = end + 1;
    }
  }
  ASSERT_EQ(lines.size(), 5u);
  for (size_t i = 0; i < lines.size(); ++i) {
    char buf[70000];
    ssize_t n = recv(listener, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << "datagram " << i << " did not arrive";
    std::string got(buf, static_cast<size_t>(n));
    // local3 (19) × 8 + informational (6) = 158; version 1.
    EXPECT_EQ(got.rfind("<158>1 ", 0), 0u) << got;
    json line = json::parse(lines[i]);
    EXPECT_NE(got.find(" mugai "), std::string::npos) << got;
    EXPECT_NE(got.find(" " + line["event"].get<std::string>() + " - \xEF\xBB\xBF"),
              std::string::npos)
        << got;
    EXPECT_EQ(got.substr(got.size() - lines[i].size()), lines[i]);
  }
}

TEST(ReportTarget, AFifoIsWrittenIntoAndStaysAFifo) {
  testing::TempDir dir;
  fs::create_directories(dir / "in");
  testing::WriteFile(dir / "in/memo.txt", "x\n");
  std::string fifo = dir / "report.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = testing::ReadFile(fifo); });
  testing::RunResult r = testing::Run({testing::MugaiBinary(), "sanitize", "-q", "--signatures",
                                       testing::SignaturesDir(), "--state", dir / "state",
                                       "--report", fifo, dir / "in/memo.txt"});
  reader.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat st;
  ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_NE(got.find("\"summary\""), std::string::npos);
}

}  // namespace
}  // namespace mugai
