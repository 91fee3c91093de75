// `mugai milter` end to end: (1) protocol conformance with miltertest (Debian package
// miltertest), (2) a private Postfix instance on loopback (own config, queue and log) that
// sends through the milter to a local sink. Postfix needs root: those tests skip visibly
// elsewhere. Everything listens on 127.0.0.1 only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "charset_table.h"
#include "converters/mail/mime_unpacker.h"
#include "test_support.h"

namespace mugai {
namespace {

int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

bool WaitForPort(int port, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    if (ok) return true;
    usleep(100000);
  }
  return false;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    FILE* f = freopen(log.c_str(), "w", stderr);
    (void)f;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void Stop(pid_t pid) {
  if (pid <= 0) return;
  kill(-pid, SIGTERM);
  kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; ++i) usleep(100000);
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
}

// The next hop: a minimal SMTP server that keeps every message it is given.
class SmtpSink {
 public:
  explicit SmtpSink(int port) : port_(port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SmtpSink() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (auto& t : sessions_) t.join();
  }
  std::vector<std::string> Messages() {
    std::lock_guard<std::mutex> l(mu_);
    return messages_;
  }
  bool WaitFor(size_t n, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (Messages().size() >= n) return true;
      usleep(100000);
    }
    return false;
  }

 private:
  void Serve() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      sessions_.emplace_back([this, c] { Session(c); });
    }
  }
  void Session(int c) {
    auto say = [c](const std::string& s) { (void)!write(c, s.data(), s.size()); };
    say("220 sink ESMTP\r\n");
    std::string buf, data;
    bool in_data = false;
    char chunk[65536];
    for (;;) {
      ssize_t n = read(c, chunk, sizeof chunk);
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = buf.find("\r\n")) != std::string::npos) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 2);
        if (in_data) {
          if (line == ".") {
            in_data = false;
            {
              std::lock_guard<std::mutex> l(mu_);
              messages_.push_back(data);
            }
            data.clear();
            say("250 2.0.0 kept\r\n");
          } else {
            data += (line.rfind("..", 0) == 0 ? line.substr(1) : line) + "\r\n";
          }
          continue;
        }
        std::string verb = line.substr(0, 4);
        for (auto& ch : verb) ch = static_cast<char>(toupper(ch));
        if (verb == "EHLO" || verb == "HELO") say("250 sink\r\n");
        else if (verb == "DATA") { in_data = true; say("354 go\r\n"); }
        else if (verb == "QUIT") { say("221 bye\r\n"); close(c); return; }
        else say("250 2.0.0 ok\r\n");
      }
    }
    close(c);
  }
  int port_;
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> sessions_;
  std::mutex mu_;
  std::vector<std::string> messages_;
};

const char kPlain[] =
    "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: plain\r\nMessage-ID: <p@example.jp>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
    "\x1b$B$3$s$K$A$O\x1b(B\r\n";

std::string WithEicar() {
  return "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
         "see attached\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
         "filename=\"invoice.pdf\"\r\n\r\n" + testing::Eicar() + "\r\n--B--\r\n";
}

std::string TooDeep() {
  std::string m = "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n";
  for (int i = 0; i < 30; ++i) {
    m += "--b" + std::to_string(i) + "\r\nContent-Type: multipart/mixed; boundary=\"b" +
         std::to_string(i + 1) + "\"\r\n\r\n";
  }
  return m + "--b30\r\nContent-Type: text/plain\r\n\r\ndeep\r\n";
}

class MilterRun {
 public:
  MilterRun(const testing::TempDir& dir, const std::string& config,
            const std::string& signatures = testing::SignaturesDir())
      : port(FreePort()) {
    testing::WriteFile(dir / "milter.toml", config);
    pid = Spawn({testing::MugaiBinary(), "milter", "--socket",
                 "inet:" + std::to_string(port) + "@127.0.0.1", "--signatures",
                 signatures, "--state", dir / "state", "--config",
                 dir / "milter.toml"},
                dir / "milter.log");
    ready = WaitForPort(port, 30);
  }
  ~MilterRun() { Stop(pid); }
  int port;
  pid_t pid;
  bool ready;
};

// Ends in [milter]: tests append milter keys.
const char kMilterConfig[] =
    "[scan]\nmax_recursion = 64\n[milter]\nmax_message_bytes = 200000\n";

TEST(MilterConformance, MiltertestScript) {
  if (access("/usr/bin/miltertest", X_OK) != 0) GTEST_SKIP() << "miltertest not installed";
  testing::TempDir dir;
  MilterRun milter(dir, kMilterConfig);
  ASSERT_TRUE(milter.ready) << testing::ReadFile(dir / "milter.log");
  std::string script = R"(
local conn = mt.connect("inet:)" + std::to_string(milter.port) + R"(@127.0.0.1")
assert(conn ~= nil, "connect")
assert(mt.conninfo(conn, "localhost", "127.0.0.1") == nil, "conninfo")
assert(mt.getreply(conn) == SMFIR_CONTINUE, "connect reply")
assert(mt.mailfrom(conn, "a@example.jp") == nil, "mailfrom")
assert(mt.rcptto(conn, "b@example.jp") == nil, "rcptto")
assert(mt.header(conn, "From", "a@example.jp") == nil, "header")
assert(mt.header(conn, "Subject", "hello") == nil, "header")
assert(mt.header(conn, "Content-Type", "text/plain; charset=us-ascii") == nil, "header")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "hello world\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
assert(mt.eom_check(conn, MT_HDRADD, "X-Mugai-Verdict", "clean"), "clean verdict header")
assert(not mt.eom_check(conn, MT_BODYCHANGE), "clean body must not change")
assert(mt.getreply(conn) == SMFIR_CONTINUE, "clean message continues")
-- a second transaction on the same connection: an HTML body is rewritten
assert(mt.mailfrom(conn, "a@example.jp") == nil, "mailfrom 2")
assert(mt.rcptto(conn, "b@example.jp") == nil, "rcptto 2")
assert(mt.header(conn, "From", "a@example.jp") == nil, "header 2")
assert(mt.header(conn, "Content-Type", "text/html; charset=utf-8") == nil, "header 2")
assert(mt.eoh(conn) == nil, "eoh 2")
assert(mt.bodystring(conn, "<p>hi<script>x()</script></p>\r\n") == nil, "body 2")
assert(mt.eom(conn) == nil, "eom 2")
assert(mt.eom_check(conn, MT_BODYCHANGE), "sanitised body replaced")
assert(mt.eom_check(conn, MT_HDRADD, "X-Mugai-Verdict", "sanitized"), "sanitized verdict header")
assert(mt.eom_check(conn, MT_HDRDELETE, "Content-Type"), "old Content-Type removed")
assert(mt.getreply(conn) == SMFIR_CONTINUE, "sanitised message continues")
-- the declared size is over the limit: refused at MAIL FROM
assert(mt.mailfrom(conn, "a@example.jp", "SIZE=99999999") == nil, "mailfrom 3")
assert(mt.getreply(conn) == SMFIR_REPLYCODE, "too large is refused")
mt.disconnect(conn)
)";
  testing::WriteFile(dir / "t.lua", script);
  testing::RunResult r = testing::Run({"/usr/bin/miltertest", "-s", dir / "t.lua"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << testing::ReadFile(dir / "milter.log");
}

// A mail item quarantined by the milter is resubmitted (and released) back into SMTP, to
// milter.next_hop, for the envelope recorded when it arrived.
TEST(MilterQuarantine, ResubmittedAndReleasedMailIsReinjectedIntoSmtp) {
  if (access("/usr/bin/miltertest", X_OK) != 0) GTEST_SKIP() << "miltertest not installed";
  testing::TempDir dir;
  int sink_port = FreePort();
  SmtpSink sink(sink_port);
  std::string config = std::string(kMilterConfig) + "next_hop = \"smtp://127.0.0.1:" +
                       std::to_string(sink_port) + "\"\n[roles]\noperators = [\"alice\", \"daemon\"]\n"
                       "approvers = [\"bob\"]\n";
  MilterRun milter(dir, config);
  ASSERT_TRUE(milter.ready) << testing::ReadFile(dir / "milter.log");
  std::string script = R"(
local conn = mt.connect("inet:)" + std::to_string(milter.port) + R"(@127.0.0.1")
assert(conn ~= nil, "connect")
assert(mt.conninfo(conn, "localhost", "127.0.0.1") == nil, "conninfo")
assert(mt.mailfrom(conn, "sender@example.com") == nil, "mailfrom")
assert(mt.rcptto(conn, "soumu@city.example.lg.jp") == nil, "rcptto")
assert(mt.header(conn, "From", "sender@example.com") == nil, "header")
assert(mt.header(conn, "Subject", "invoice") == nil, "header")
assert(mt.header(conn, "MIME-Version", "1.0") == nil, "header")
assert(mt.header(conn, "Content-Type", "multipart/mixed; boundary=\"B\"") == nil, "header")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\n\r\n" .. [[)" + testing::Eicar() + R"(]] .. "\r\n--B--\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
assert(mt.eom_check(conn, MT_HDRADD, "X-Mugai-Verdict", "sanitized"), "sanitized")
mt.disconnect(conn)
)";
  testing::WriteFile(dir / "t.lua", script);
  testing::RunResult send = testing::Run({"/usr/bin/miltertest", "-s", dir / "t.lua"});
  ASSERT_EQ(send.exit_code, 0) << send.out << send.err << testing::ReadFile(dir / "milter.log")
                               << testing::ReadFile(dir / "milter.toml") << script;
  auto q = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::MugaiBinary(), "quarantine"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state", dir / "state", "--config", dir / "milter.toml",
                             "--signatures", testing::SignaturesDir()});
    return testing::Run(argv);
  };
  testing::RunResult list = q({"list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  nlohmann::json items = nlohmann::json::parse(list.out);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["entry_point"], "milter");
  std::string id = items[0]["id"];
  testing::RunResult re = q({"resubmit", id, "--user", "alice"});
  ASSERT_EQ(re.exit_code, 0) << re.err;
  ASSERT_TRUE(sink.WaitFor(1, 30));
  std::string got = sink.Messages()[0];
  EXPECT_NE(got.find("X-Mugai-Verdict: sanitized"), std::string::npos) << got;
  EXPECT_EQ(got.find("EICAR"), std::string::npos);
  EXPECT_NE(got.find("invoice.pdf.removed.txt"), std::string::npos);
  // The original itself, as an approved exception: requested by another person (the Unix
  // user daemon, on the state folder given to it), approved by root acting for bob.
  if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0 || !getpwnam("daemon")) {
    GTEST_SKIP() << "the approval needs a second Unix user (root, setpriv, daemon)";
  }
  passwd* daemon_pw = getpwnam("daemon");
  chmod(dir.path().c_str(), 0755);
  chmod((dir / "milter.toml").c_str(), 0644);
  if (testing::Run({"/usr/bin/setpriv", "--reuid=daemon",
                    "--regid=" + std::to_string(daemon_pw->pw_gid), "--clear-groups",
                    testing::MugaiBinary(), "--version"}).exit_code != 0) {
    GTEST_SKIP() << "the user daemon cannot run the build tree's mugai";
  }
  ASSERT_EQ(testing::Run({"/bin/chown", "-R", "daemon:" + std::to_string(daemon_pw->pw_gid),
                          dir / "state"}).exit_code, 0);
  testing::RunResult req = testing::Run(
      {"/usr/bin/setpriv", "--reuid=daemon", "--regid=" + std::to_string(daemon_pw->pw_gid),
       "--clear-groups", testing::MugaiBinary(), "quarantine", "request-release", id, "--reason",
       "sender confirmed", "--original", "--expires", "2099-01-01T00:00:00Z", "--state",
       dir / "state", "--config", dir / "milter.toml"});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  testing::RunResult ok = q({"approve", id, "--user", "bob"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  ASSERT_TRUE(sink.WaitFor(2, 30));
  got = sink.Messages()[1];
  EXPECT_NE(got.find("X-Mugai-Verdict: exception"), std::string::npos);
  EXPECT_NE(got.find("EICAR"), std::string::npos);  // what was approved, exactly
  EXPECT_EQ(nlohmann::json::parse(q({"show", id}).out)["state"], "released");
}

// Started as root, the milter binds its socket and then becomes process.user for good.
TEST(MilterPrivileges, DropsToProcessUserAfterBinding) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop privileges; skipped";
  if (access("/usr/bin/miltertest", X_OK) != 0) GTEST_SKIP() << "miltertest not installed";
  passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  testing::TempDir dir;
  chmod(dir.path().c_str(), 0755);
  std::filesystem::create_directories(dir / "state");
  ASSERT_EQ(chown((dir / "state").c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  // The signatures are read after the drop: a copy nobody can reach (the build tree may sit
  // under a folder only root can enter).
  std::filesystem::copy(testing::SignaturesDir(), dir / "sigs");
  chmod((dir / "sigs").c_str(), 0755);
  MilterRun milter(dir, "[process]\nuser = \"nobody\"\n", dir / "sigs");
  ASSERT_TRUE(milter.ready) << testing::ReadFile(dir / "milter.log");
  std::string status = testing::ReadFile("/proc/" + std::to_string(milter.pid) + "/status");
  size_t at = status.find("Uid:");
  ASSERT_NE(at, std::string::npos);
  std::string uid = std::to_string(nobody->pw_uid);
  std::string line = status.substr(at, status.find('\n', at) - at);
  EXPECT_EQ(line, "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid) << line;
  // And it still sanitises: a clean message passes with its header.
  std::string script = R"(
local conn = mt.connect("inet:)" + std::to_string(milter.port) + R"(@127.0.0.1")
assert(conn ~= nil, "connect")
assert(mt.conninfo(conn, "localhost", "127.0.0.1") == nil, "conninfo")
assert(mt.mailfrom(conn, "a@example.jp") == nil, "mailfrom")
assert(mt.rcptto(conn, "b@example.jp") == nil, "rcptto")
assert(mt.header(conn, "Subject", "hello") == nil, "header")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "hello\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
assert(mt.eom_check(conn, MT_HDRADD, "X-Mugai-Verdict", "clean"), "clean")
mt.disconnect(conn)
)";
  testing::WriteFile(dir / "t.lua", script);
  testing::RunResult r = testing::Run({"/usr/bin/miltertest", "-s", dir / "t.lua"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << testing::ReadFile(dir / "milter.log");
}

// Issue 15: with --service, the milter holds no engine and forks nothing: every message goes
// to `mugai serve` (envelope and all, for a release back into SMTP), and when the service is
// gone the MTA is told to try again.
TEST(MilterThroughService, MessagesGoToServeAndTempfailWithoutIt) {
  if (access("/usr/bin/miltertest", X_OK) != 0) GTEST_SKIP() << "miltertest not installed";
  testing::TempDir dir;
  const std::string sock = dir / "mugai.sock";
  testing::WriteFile(dir / "serve.log", "");
  testing::WriteFile(dir / "milter.log", "");
  pid_t serve = Spawn({testing::MugaiBinary(), "serve", "--socket", sock, "--signatures",
                       testing::SignaturesDir(), "--state", dir / "state"},
                      dir / "serve.log");
  pid_t milter = -1;
  struct Stopper {
    pid_t* a;
    pid_t* b;
    ~Stopper() {
      Stop(*a);
      Stop(*b);
    }
  } stopper{&serve, &milter};
  for (int i = 0; i < 300 && testing::ReadFile(dir / "serve.log").find("listening") == std::string::npos; ++i) {
    usleep(100000);
  }
  ASSERT_NE(testing::ReadFile(dir / "serve.log").find("listening"), std::string::npos)
      << testing::ReadFile(dir / "serve.log");
  int port = FreePort();
  testing::WriteFile(dir / "milter.toml", kMilterConfig);
  milter = Spawn({testing::MugaiBinary(), "milter", "--socket",
                        "inet:" + std::to_string(port) + "@127.0.0.1", "--service", sock,
                        "--state", dir / "milter-state", "--config", dir / "milter.toml"},
                       dir / "milter.log");
  ASSERT_TRUE(WaitForPort(port, 30)) << testing::ReadFile(dir / "milter.log");
  // No scanner, no zygote: the milter has no child process at all.
  std::string children = testing::ReadFile("/proc/" + std::to_string(milter) + "/task/" +
                                           std::to_string(milter) + "/children");
  EXPECT_EQ(children, "") << "the milter started processes of its own";
  auto script = [&](const std::string& body) {
    return "local conn = mt.connect(\"inet:" + std::to_string(port) + "@127.0.0.1\")\n"
           "assert(conn ~= nil, \"connect\")\n"
           "assert(mt.conninfo(conn, \"localhost\", \"127.0.0.1\") == nil, \"conninfo\")\n"
           "assert(mt.mailfrom(conn, \"a@example.jp\") == nil, \"mailfrom\")\n"
           "assert(mt.rcptto(conn, \"b@example.jp\") == nil, \"rcptto\")\n" + body +
           "mt.disconnect(conn)\n";
  };
  const std::string clean = script(R"(
assert(mt.header(conn, "From", "a@example.jp") == nil, "header")
assert(mt.header(conn, "Content-Type", "text/plain; charset=us-ascii") == nil, "header")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "hello world\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
assert(mt.eom_check(conn, MT_HDRADD, "X-Mugai-Verdict", "clean"), "clean verdict header")
assert(not mt.eom_check(conn, MT_BODYCHANGE), "clean body unchanged")
assert(mt.getreply(conn) == SMFIR_CONTINUE, "clean message continues")
assert(mt.mailfrom(conn, "a@example.jp") == nil, "mailfrom 2")
assert(mt.rcptto(conn, "b@example.jp") == nil, "rcptto 2")
assert(mt.header(conn, "From", "a@example.jp") == nil, "header 2")
assert(mt.header(conn, "Content-Type", "text/html; charset=utf-8") == nil, "header 2")
assert(mt.eoh(conn) == nil, "eoh 2")
assert(mt.bodystring(conn, "<p>hi<script>x()</script></p>\r\n") == nil, "body 2")
assert(mt.eom(conn) == nil, "eom 2")
assert(mt.eom_check(conn, MT_BODYCHANGE), "sanitised body replaced")
assert(mt.eom_check(conn, MT_HDRADD, "X-Mugai-Verdict", "sanitized"), "sanitized verdict")
assert(mt.getreply(conn) == SMFIR_CONTINUE, "sanitised message continues")
assert(mt.mailfrom(conn, "a@example.jp") == nil, "mailfrom 3")
assert(mt.rcptto(conn, "b@example.jp") == nil, "rcptto 3")
assert(mt.header(conn, "Content-Type", "text/plain") == nil, "header 3")
assert(mt.eoh(conn) == nil, "eoh 3")
assert(mt.bodystring(conn, "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\r\n") == nil, "body 3")
assert(mt.eom(conn) == nil, "eom 3")
assert(mt.eom_check(conn, MT_BODYCHANGE), "infected body replaced by a notice")
assert(mt.eom_check(conn, MT_HDRADD, "X-Mugai-Verdict", "sanitized"), "infected part removed")
assert(mt.getreply(conn) == SMFIR_CONTINUE, "the rest of the message continues")
)");
  testing::WriteFile(dir / "t.lua", clean);
  testing::RunResult r = testing::Run({"/usr/bin/miltertest", "-s", dir / "t.lua"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << testing::ReadFile(dir / "milter.log")
                            << testing::ReadFile(dir / "serve.log");
  // The service kept the infected message's original, recorded as the milter's, with its
  // envelope (a release goes back into SMTP to those recipients).
  std::string audit = testing::ReadFile(dir / "state/audit.log");
  EXPECT_NE(audit.find("\"entry_point\":\"milter\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("b@example.jp"), std::string::npos) << audit;
  // No service: 451, never an unsanitised accept.
  Stop(serve);
  serve = -1;
  testing::WriteFile(dir / "t2.lua", script(R"(
assert(mt.header(conn, "Content-Type", "text/plain") == nil, "header")
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "hello\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
assert(mt.getreply(conn) == SMFIR_REPLYCODE, "tempfailed without the service")
)"));
  testing::RunResult down = testing::Run({"/usr/bin/miltertest", "-s", dir / "t2.lua"});
  EXPECT_EQ(down.exit_code, 0) << down.out << down.err;
  EXPECT_NE(testing::ReadFile(dir / "milter-state/mugai.log").find("the mugai service does not answer"),
            std::string::npos)
      << testing::ReadFile(dir / "milter-state/mugai.log");
}

// The milter on a PostgreSQL quarantine (issue 17): while the database is down every message
// is tempfailed (451: the sending MTA keeps it and retries), never accepted unrecorded; when it
// is back, the same milter records and passes mail again without a restart.
TEST(MilterOnPostgres, ADatabaseOutageTempfailsAndMailFlowsAgainAfterIt) {
  if (access("/usr/bin/miltertest", X_OK) != 0) GTEST_SKIP() << "miltertest not installed";
  testing::TempDir dir;
  chmod(dir.path().c_str(), 0755);
  const std::string script_path = MUGAI_PG_SERVER_SCRIPT;
  testing::RunResult pg = testing::Run({"/bin/bash", script_path, "start", dir / "pg"});
  ASSERT_EQ(pg.exit_code, 0) << pg.err;
  if (!std::filesystem::exists(dir / "pg/dsn")) GTEST_SKIP() << "PostgreSQL is not installed";
  std::string dsn = testing::ReadFile(dir / "pg/dsn");
  dsn.erase(dsn.find_last_not_of("\n ") + 1);
  struct PgStopper {
    std::string script, dir;
    ~PgStopper() { testing::Run({"/bin/bash", script, "stop", dir}); }
  } pg_stopper{script_path, dir / "pg"};
  const std::string config = std::string("[quarantine]\nbackend = \"postgresql\"\ndsn = \"") + dsn +
                             "\"\nnode_name = \"mx1\"\n" + kMilterConfig;
  testing::WriteFile(dir / "db.toml", config);
  ASSERT_EQ(testing::Run({testing::MugaiBinary(), "db", "migrate", "--config", dir / "db.toml",
                          "--state", dir / "state"}).exit_code, 0);
  MilterRun milter(dir, config);
  ASSERT_TRUE(milter.ready) << testing::ReadFile(dir / "milter.log");
  auto send = [&](const std::string& name, const std::string& expect) {
    testing::WriteFile(dir / (name + ".lua"),
                       "local conn = mt.connect(\"inet:" + std::to_string(milter.port) +
                           "@127.0.0.1\")\nassert(conn ~= nil, \"connect\")\n"
                           "assert(mt.conninfo(conn, \"localhost\", \"127.0.0.1\") == nil)\n"
                           "assert(mt.mailfrom(conn, \"a@example.jp\") == nil)\n"
                           "assert(mt.rcptto(conn, \"b@example.jp\") == nil)\n"
                           "assert(mt.header(conn, \"Content-Type\", \"text/plain\") == nil)\n"
                           "assert(mt.eoh(conn) == nil)\n"
                           "assert(mt.bodystring(conn, \"" + name + "\\r\\n\") == nil)\n"
                           "assert(mt.eom(conn) == nil)\n"
                           "assert(mt.getreply(conn) == " + expect + ", \"" + expect + "\")\n"
                           "mt.disconnect(conn)\n");
    return testing::Run({"/usr/bin/miltertest", "-s", dir / (name + ".lua")});
  };
  testing::RunResult up = send("before", "SMFIR_CONTINUE");
  EXPECT_EQ(up.exit_code, 0) << up.out << up.err << testing::ReadFile(dir / "milter.log");
  ASSERT_EQ(testing::Run({"/bin/bash", script_path, "kill", dir / "pg"}).exit_code, 0);
  testing::RunResult down = send("during", "SMFIR_REPLYCODE");
  EXPECT_EQ(down.exit_code, 0) << down.out << down.err;
  std::string log = testing::ReadFile(dir / "state/mugai.log");
  EXPECT_NE(log.find("event=milter_tempfail"), std::string::npos) << log;
  ASSERT_EQ(testing::Run({"/bin/bash", script_path, "restart", dir / "pg"}).exit_code, 0);
  testing::RunResult again = send("after", "SMFIR_CONTINUE");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err << testing::ReadFile(dir / "state/mugai.log");
  testing::RunResult exported = testing::Run(
      {testing::MugaiBinary(), "audit", "export", "--config", dir / "db.toml", "--state", dir / "state"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  size_t processed = 0;
  for (const auto& r : nlohmann::json::parse(exported.out)) processed += r["event"] == "item_processed";
  EXPECT_EQ(processed, 2u) << "the tempfailed message left no record; the other two did";
  EXPECT_EQ(testing::Run({testing::MugaiBinary(), "audit", "verify", "--config", dir / "db.toml",
                          "--state", dir / "state"}).exit_code, 0);
}

class PostfixMilter : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "a private Postfix instance needs root; skipped";
    if (access("/usr/sbin/postfix", X_OK) != 0 || access("/usr/bin/swaks", X_OK) != 0) {
      GTEST_SKIP() << "postfix or swaks not installed (scripts/install-deps); skipped";
    }
    if (getpwnam("postfix") == nullptr) GTEST_SKIP() << "no postfix user; skipped";
    chmod(dir_.path().c_str(), 0755);
    smtpd_ = FreePort();
    sink_port_ = FreePort();
    sink_ = std::make_unique<SmtpSink>(sink_port_);
    milter_ = std::make_unique<MilterRun>(dir_, milter_config_,
                                          signatures_.empty() ? testing::SignaturesDir() : signatures_);
    ASSERT_TRUE(milter_->ready) << testing::ReadFile(dir_ / "milter.log");
    std::string etc = dir_ / "etc";
    std::filesystem::create_directories(etc);
    std::filesystem::create_directories(dir_ / "queue");
    std::filesystem::create_directories(dir_ / "data");
    passwd* pw = getpwnam("postfix");
    ASSERT_EQ(chown((dir_ / "data").c_str(), pw->pw_uid, pw->pw_gid), 0);
    testing::WriteFile(etc + "/main.cf",
                       "compatibility_level = 3.6\nqueue_directory = " + dir_ / "queue" +
                           "\ndata_directory = " + dir_ / "data" +
                           "\nmail_owner = postfix\nsetgid_group = postdrop\n"
                           "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
                           "myhostname = mugai-test.localdomain\nmydestination =\nrelay_domains =\n"
                           "mynetworks = 127.0.0.0/8\nsmtpd_relay_restrictions = permit_mynetworks, reject\n"
                           "relayhost = [127.0.0.1]:" + std::to_string(sink_port_) +
                           "\nsmtp_tls_security_level = none\n"
                           "smtpd_milters = inet:127.0.0.1:" + std::to_string(milter_->port) +
                           "\nmilter_default_action = tempfail\nmilter_protocol = 6\n"
                           "milter_connect_timeout = 10s\nmilter_command_timeout = 30s\n"
                           "milter_content_timeout = 300s\n"
                           "maillog_file = " + dir_ / "maillog" +
                           "\nmaillog_file_prefixes = " + dir_.path() +
                           "\nalias_maps =\nalias_database =\nbiff = no\n");
    // The packaged master.cf (postinst copies it to /etc/postfix unless told not to configure).
    std::string master = testing::ReadFile("/usr/share/postfix/master.cf.dist");
    size_t at = master.find("\nsmtp      inet");
    ASSERT_NE(at, std::string::npos);
    size_t end = master.find('\n', at + 1);
    master.replace(at + 1, end - at - 1,
                   "127.0.0.1:" + std::to_string(smtpd_) + " inet n - n - - smtpd");
    testing::WriteFile(etc + "/master.cf", master);
    testing::RunResult start = testing::Run({"/usr/sbin/postfix", "-c", etc, "start"});
    ASSERT_EQ(start.exit_code, 0) << start.err << testing::ReadFile(dir_ / "maillog");
    started_ = true;
    ASSERT_TRUE(WaitForPort(smtpd_, 30)) << testing::ReadFile(dir_ / "maillog");
  }
  void TearDown() override {
    if (started_) testing::Run({"/usr/sbin/postfix", "-c", dir_ / "etc", "abort"});
    milter_.reset();
    sink_.reset();
  }
  testing::RunResult Send(const std::string& message) {
    std::string file = dir_ / ("msg-" + std::to_string(++sent_) + ".eml");
    testing::WriteFile(file, message);
    return testing::Run({"/usr/bin/swaks", "--server", "127.0.0.1:" + std::to_string(smtpd_),
                         "--from", "a@example.jp", "--to", "b@example.jp", "--data", file,
                         "--timeout", "120"});
  }

  testing::TempDir dir_;
  std::string milter_config_ = kMilterConfig;  // a derived fixture may change these two
  std::string signatures_;                      // "" = the test signatures
  int smtpd_ = 0, sink_port_ = 0, sent_ = 0;
  bool started_ = false;
  std::unique_ptr<SmtpSink> sink_;
  std::unique_ptr<MilterRun> milter_;
};

TEST_F(PostfixMilter, CleanAcceptedSanitisedRewrittenBlockedRejectedFailureTempfailed) {
  // Clean: accepted unchanged apart from the X-Mugai headers.
  testing::RunResult clean = Send(kPlain);
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  ASSERT_TRUE(sink_->WaitFor(1, 60)) << testing::ReadFile(dir_ / "maillog");
  std::string got = sink_->Messages()[0];
  EXPECT_NE(got.find("X-Mugai-Verdict: clean"), std::string::npos) << got;
  EXPECT_NE(got.find("\x1b$B$3$s$K$A$O\x1b(B"), std::string::npos);
  // Sanitised: the EICAR attachment is gone, a notice stands in its place.
  testing::RunResult dirty = Send(WithEicar());
  EXPECT_EQ(dirty.exit_code, 0) << dirty.out;
  ASSERT_TRUE(sink_->WaitFor(2, 60)) << testing::ReadFile(dir_ / "maillog");
  got = sink_->Messages()[1];
  EXPECT_NE(got.find("X-Mugai-Verdict: sanitized"), std::string::npos) << got;
  EXPECT_EQ(got.find("EICAR"), std::string::npos);
  EXPECT_NE(got.find("invoice.pdf.removed.txt"), std::string::npos);
  // Blocked as a whole: 550 at the end of data, nothing reaches the sink.
  testing::RunResult blocked = Send(TooDeep());
  EXPECT_NE(blocked.exit_code, 0);
  EXPECT_NE(blocked.out.find("550 5.7.1"), std::string::npos) << blocked.out;
  // Too large: 552.
  testing::RunResult large = Send("Subject: big\r\n\r\n" + std::string(300000, 'x') + "\r\n");
  EXPECT_NE(large.out.find("552"), std::string::npos) << large.out;
  // The milter is gone: Postfix tempfails (milter_default_action = tempfail).
  milter_.reset();
  testing::RunResult down = Send(kPlain);
  EXPECT_NE(down.exit_code, 0);
  EXPECT_NE(down.out.find("451"), std::string::npos) << down.out;
  usleep(500000);
  EXPECT_EQ(sink_->Messages().size(), 2u);  // nothing unsanitised or rejected got through
}

// Issue 18: the suspend switch stops mail at once. While suspended every message is answered
// 451 (the sending MTA keeps it queued: nothing lost, nothing through); after resume mail is
// accepted again. Both are admin acts, recorded in the audit log; a non-admin is refused.
TEST_F(PostfixMilter, SuspendTempfailsEveryMessageAndResumeAcceptsThemAgain) {
  // The admins are the operator commands' config (root on the state folder names one).
  std::string config = dir_ / "admin.toml";
  testing::WriteFile(config, "[roles]\nadmins = [\"kanri\"]\noperators = [\"sato\"]\n");
  testing::RunResult first = Send(kPlain);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  ASSERT_TRUE(sink_->WaitFor(1, 60)) << testing::ReadFile(dir_ / "maillog");
  // Not an admin: refused, nothing changes.
  testing::RunResult refused =
      testing::Run({testing::MugaiBinary(), "suspend", "--state", dir_ / "state", "--config",
                    config, "--user", "sato", "--reason", "outbreak"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("admin"), std::string::npos) << refused.err;
  testing::RunResult suspend =
      testing::Run({testing::MugaiBinary(), "suspend", "--state", dir_ / "state", "--config",
                    config, "--user", "kanri", "--reason", "outbreak in the finance division"});
  ASSERT_EQ(suspend.exit_code, 0) << suspend.out << suspend.err;
  testing::RunResult held = Send(kPlain);
  EXPECT_NE(held.exit_code, 0);
  EXPECT_NE(held.out.find("451 4.3.2"), std::string::npos) << held.out;
  EXPECT_NE(held.out.find("not accepting messages now (suspended)"), std::string::npos) << held.out;
  EXPECT_EQ(held.out.find("finance"), std::string::npos) << "the reason is not for senders";
  testing::RunResult eicar = Send(WithEicar());
  EXPECT_NE(eicar.out.find("451"), std::string::npos) << eicar.out;
  testing::RunResult resume =
      testing::Run({testing::MugaiBinary(), "resume", "--state", dir_ / "state", "--config",
                    config, "--user", "kanri"});
  ASSERT_EQ(resume.exit_code, 0) << resume.out << resume.err;
  testing::RunResult again = Send(kPlain);
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("250"), std::string::npos) << again.out;
  ASSERT_TRUE(sink_->WaitFor(2, 60)) << testing::ReadFile(dir_ / "maillog");
  usleep(300000);
  EXPECT_EQ(sink_->Messages().size(), 2u);  // the held messages were never accepted
  std::string audit = testing::ReadFile(dir_ / "state/audit.log");
  size_t s = audit.find("\"event\":\"suspended\",\"actor\":\"root as kanri\"");
  size_t r = audit.find("\"event\":\"resumed\",\"actor\":\"root as kanri\"");
  EXPECT_NE(s, std::string::npos) << audit;
  EXPECT_NE(r, std::string::npos) << audit;
  EXPECT_LT(s, r);
  EXPECT_NE(audit.find("outbreak in the finance division"), std::string::npos);
  testing::RunResult verify = testing::Run(
      {testing::MugaiBinary(), "audit", "verify", "--state", dir_ / "state"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// The packaged set-up: the milter a client of `mugai serve`. A suspension made through the
// service (the admin known from the socket) is answered 451 4.3.2 too, and lifted by resume.
class PostfixMilterThroughService : public PostfixMilter {
 protected:
  PostfixMilterThroughService() {
    passwd* me = getpwuid(geteuid());
    testing::WriteFile(dir_ / "serve.toml", std::string("[roles]\nadmins = [\"") +
                                                (me ? me->pw_name : "root") +
                                                "\"]\n[service]\nmetrics_listen = \"\"\n");
    serve_ = Spawn({testing::MugaiBinary(), "serve", "--socket", dir_ / "mugai.sock",
                    "--signatures", testing::SignaturesDir(), "--state", dir_ / "state",
                    "--config", dir_ / "serve.toml"},
                   dir_ / "serve.log");
    for (int i = 0; i < 300; ++i) {
      if (std::filesystem::exists(dir_ / "serve.log") &&
          testing::ReadFile(dir_ / "serve.log").find("listening on") != std::string::npos) {
        break;
      }
      usleep(100000);
    }
    milter_config_ = "[service]\nsocket = \"" + dir_ / "mugai.sock" +
                     "\"\n[scan]\nmax_recursion = 64\n[milter]\nmax_message_bytes = 200000\n"
                     "use_service = true\n";
  }
  ~PostfixMilterThroughService() override { Stop(serve_); }
  pid_t serve_ = -1;
};

TEST_F(PostfixMilterThroughService, ASuspensionThroughTheServiceIs451AndResumeLiftsIt) {
  ASSERT_NE(testing::ReadFile(dir_ / "milter.log").find("messages to"), std::string::npos)
      << testing::ReadFile(dir_ / "milter.log");
  testing::RunResult first = Send(kPlain);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  ASSERT_TRUE(sink_->WaitFor(1, 60)) << testing::ReadFile(dir_ / "maillog");
  testing::RunResult suspend = testing::Run({testing::MugaiBinary(), "suspend", "--service",
                                             dir_ / "mugai.sock", "--reason", "drill"});
  ASSERT_EQ(suspend.exit_code, 0) << suspend.out << suspend.err;
  testing::RunResult held = Send(kPlain);
  EXPECT_NE(held.exit_code, 0);
  EXPECT_NE(held.out.find("451 4.3.2"), std::string::npos) << held.out;
  // The sender is told the gateway is suspended, not why or by whom.
  EXPECT_NE(held.out.find("not accepting messages now (suspended)"), std::string::npos) << held.out;
  EXPECT_EQ(held.out.find("drill"), std::string::npos) << held.out;
  testing::RunResult resume =
      testing::Run({testing::MugaiBinary(), "resume", "--service", dir_ / "mugai.sock"});
  ASSERT_EQ(resume.exit_code, 0) << resume.out << resume.err;
  testing::RunResult again = Send(kPlain);
  EXPECT_EQ(again.exit_code, 0) << again.out;
  ASSERT_TRUE(sink_->WaitFor(2, 60)) << testing::ReadFile(dir_ / "maillog");
}

// Issue 18: signatures past scan.max_signature_age_hours with scan.stale_action = "hold":
// mail is tempfailed (451) and waits in the MTA's queue; once fresh signatures are in the
// folder the scanner loads them by itself (no restart) and mail is accepted again.
class PostfixMilterStale : public PostfixMilter {
 protected:
  PostfixMilterStale() {
    signatures_ = dir_ / "signatures";
    std::filesystem::copy(testing::SignaturesDir(), signatures_);
    for (const auto& e : std::filesystem::directory_iterator(signatures_)) {
      Age(e.path(), 72 * 3600);
    }
    milter_config_ =
        "[scan]\nmax_recursion = 64\nmax_signature_age_hours = 48\nstale_action = \"hold\"\n"
        "reload_check_seconds = 1\n[milter]\nmax_message_bytes = 200000\n";
  }
  static void Age(const std::filesystem::path& file, int64_t seconds) {
    timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= seconds;
    times[1] = times[0];
    utimensat(AT_FDCWD, file.c_str(), times, 0);
  }
};

TEST_F(PostfixMilterStale, StaleSignaturesHoldMailUntilFreshOnesAreLoaded) {
  testing::RunResult held = Send(kPlain);
  EXPECT_NE(held.exit_code, 0);
  EXPECT_NE(held.out.find("451 4.3.2"), std::string::npos) << held.out;
  EXPECT_NE(held.out.find("malware signatures out of date"), std::string::npos) << held.out;
  std::string log = testing::ReadFile(dir_ / "state/mugai.log");
  EXPECT_NE(log.find("event=signatures_stale age_hours=\"72\""), std::string::npos) << log;
  // freshclam's part: the files are new now. No signal, no restart.
  for (const auto& e : std::filesystem::directory_iterator(signatures_)) Age(e.path(), 0);
  testing::RunResult accepted;
  for (int i = 0; i < 30; ++i) {
    sleep(1);
    accepted = Send(kPlain);
    if (accepted.exit_code == 0) break;
    EXPECT_NE(accepted.out.find("451"), std::string::npos) << accepted.out;
  }
  EXPECT_EQ(accepted.exit_code, 0) << accepted.out;
  ASSERT_TRUE(sink_->WaitFor(1, 60)) << testing::ReadFile(dir_ / "maillog");
  EXPECT_NE(sink_->Messages()[0].find("X-Mugai-Verdict: clean"), std::string::npos);
}

// Issue 20: two CPU bombs at once (a PDF each) take both workers on 2 cores only for their
// budget: a plain message sent with them is delivered, and so are the bombs' messages, each
// with its PDF removed as worker_timeout.
// Issue 19's charset table through a real Postfix and the milter (the `mail` and `sanitize`
// runs are in mail_cli_test.cc): each row's message arrives at the sink with every place's
// exact characters, and the milter's log names each message by its decoded subject.
TEST_F(PostfixMilter, CharsetTableArrivesDecodedThroughTheMilter) {
  const auto& cases = charset_table::Cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].id);
    testing::RunResult sent = Send(charset_table::Message(cases[i]));
    ASSERT_EQ(sent.exit_code, 0) << sent.out;
    ASSERT_TRUE(sink_->WaitFor(i + 1, 60)) << testing::ReadFile(dir_ / "maillog");
    std::string got = sink_->Messages()[i];
    EXPECT_NE(got.find("X-Mugai-Verdict: sanitized"), std::string::npos) << got.substr(0, 2000);
    charset_table::Check(cases[i], got);
  }
  // The log is grep-able by subject: one item_done line per message, the subject decoded.
  std::string log = testing::ReadFile(dir_ / "state/mugai.log");
  for (const auto& c : cases) {
    EXPECT_NE(log.find(std::string("subject=\"") + c.text + "\""), std::string::npos)
        << c.id << "\n" << log.substr(0, 3000);
  }
}

// PPAP through Postfix and the milter: a message carrying a 7z (7-Zip) or a RAR 5 (unar) with
// a password arrives with a notice in the archive's place (blocked `encrypted`, the message
// kept in the quarantine); resubmitted with the password, the decryption helper opens it and
// the message is re-injected (milter.next_hop) with the archive's sanitised members as a zip.
TEST_F(PostfixMilter, ArchivesWithAPasswordAreDeliveredOnResubmissionWithThePassword) {
  if (access("/usr/bin/7z", X_OK) != 0) GTEST_SKIP() << "7-Zip (p7zip-full) is not installed";
  testing::WriteFile(dir_ / "milter.toml", std::string(kMilterConfig) +
                                              "next_hop = \"smtp://127.0.0.1:" +
                                              std::to_string(sink_port_) +
                                              "\"\n[roles]\noperators = [\"alice\"]\n");
  auto q = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::MugaiBinary(), "quarantine"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state", dir_ / "state", "--config", dir_ / "milter.toml",
                             "--signatures", testing::SignaturesDir()});
    return testing::Run(argv);
  };
  size_t sent_so_far = 0;
  std::set<std::string> earlier_items;
  // Sends the archive, checks the notice, resubmits with the password, returns the zip's names.
  auto ppap = [&](const std::string& type, const std::string& file, const std::string& bytes,
                  const std::string& password) -> std::vector<std::string> {
    std::string msg =
        "From: sender@example.com\r\nTo: b@example.jp\r\nSubject: =?ISO-2022-JP?B?GyRCO3FOQRsoQg==?=\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\npassword follows\r\n"
        "--B\r\nContent-Type: " + type + "\r\n"
        "Content-Disposition: attachment; filename=\"" + file + "\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" +
        charset_table::Wrapped(charset_table::B64(bytes)) + "--B--\r\n";
    testing::RunResult sent = Send(msg);
    EXPECT_EQ(sent.exit_code, 0) << sent.out;
    if (!sink_->WaitFor(++sent_so_far, 60)) {
      ADD_FAILURE() << testing::ReadFile(dir_ / "maillog");
      return {};
    }
    // (the sink's messages are found by content: their order is not the order of arrival)
    std::string all;
    for (const std::string& message : sink_->Messages()) all += message;
    EXPECT_NE(all.find(file + ".removed.txt"), std::string::npos) << all.substr(0, 3000);
    // The operator resubmits with the password; the release goes to the sink (next_hop).
    testing::RunResult list = q({"list", "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    std::string id;  // the message just sent: the one item not listed before
    for (const auto& item : nlohmann::json::parse(list.out)) {
      EXPECT_EQ(item["entry_point"], "milter");
      if (earlier_items.insert(item["id"].get<std::string>()).second) {
        EXPECT_TRUE(id.empty()) << list.out;
        id = item["id"];
      }
    }
    EXPECT_FALSE(id.empty()) << list.out;
    testing::RunResult re = q({"resubmit", id, "--user", "alice", "--password", password});
    EXPECT_EQ(re.exit_code, 0) << re.err << re.out;
    if (!sink_->WaitFor(++sent_so_far, 30)) {
      ADD_FAILURE() << "no re-injected message";
      return {};
    }
    // (the resubmission is an item of its own: not the next message's)
    for (const auto& item : nlohmann::json::parse(q({"list", "--json"}).out)) {
      earlier_items.insert(item["id"].get<std::string>());
    }
    const std::string zip_name = file.substr(0, file.rfind('.')) + ".zip";
    std::vector<std::string> names;
    for (const std::string& got : sink_->Messages()) {
      MailOutcome m = UnpackMail(got, MailLimits{1000, 50, 1 << 20});
      const MailPart* zip = charset_table::PartNamed(m.mail, zip_name);
      if (m.problem != MailProblem::kNone || zip == nullptr) continue;
      EXPECT_EQ(m.mail.subject, "資料");
      EXPECT_TRUE(names.empty()) << "two messages carry " << zip_name;
      names = charset_table::ZipNames(zip->bytes);
    }
    EXPECT_FALSE(names.empty()) << zip_name << " in no message that arrived";
    std::sort(names.begin(), names.end());
    return names;
  };
  EXPECT_EQ(ppap("application/x-7z-compressed", "shiryou.7z",
                 testing::ReadFile(testing::FixturesDir() + "/archive/encrypted.7z"), "secret"),
            (std::vector<std::string>{"お知らせ.txt", "資料/page.txt"}));
  std::string rar = testing::CorporaDir() + "/recursive-extractor/archives/TestDataEncrypted.rar";
  if (!std::filesystem::exists(rar) || access("/usr/bin/unar", X_OK) != 0) {
    GTEST_SKIP() << "rar case skipped: " << rar << " or /usr/bin/unar absent";
  }
  EXPECT_EQ(ppap("application/vnd.rar", "kaigi.rar", testing::ReadFile(rar), "TestData"),
            (std::vector<std::string>{"TestData/Foo/Bar/Lorem.txt", "TestData/Foo/Lorem.txt",
                                      "TestData/Lorem.txt"}));
}

TEST_F(PostfixMilter, TwoCpuBombsLeaveOtherMailFlowing) {
  std::string bomb = testing::CpuBombPdf();
  if (bomb.empty()) GTEST_SKIP() << "/usr/bin/python3 absent, skipped";
  auto with_pdf = [&bomb](const std::string& subject) {
    std::string b64;
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < bomb.size(); i += 3) {
      uint32_t v = uint32_t(uint8_t(bomb[i])) << 16;
      if (i + 1 < bomb.size()) v |= uint32_t(uint8_t(bomb[i + 1])) << 8;
      if (i + 2 < bomb.size()) v |= uint8_t(bomb[i + 2]);
      b64 += t[v >> 18];
      b64 += t[(v >> 12) & 63];
      b64 += i + 1 < bomb.size() ? t[(v >> 6) & 63] : '=';
      b64 += i + 2 < bomb.size() ? t[v & 63] : '=';
      if ((i / 3 + 1) % 19 == 0) b64 += "\r\n";
    }
    return "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: " + subject +
           "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
           "--B\r\nContent-Type: text/plain\r\n\r\nsee the plan\r\n--B\r\n"
           "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"plan.pdf\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--B--\r\n";
  };
  testing::RunResult r1, r2, r3;
  std::thread a([&] { r1 = Send(with_pdf("bomb one")); });
  std::thread b([&] { r2 = Send(with_pdf("bomb two")); });
  usleep(300000);  // both bombs are in the workers
  r3 = Send(kPlain);
  a.join();
  b.join();
  EXPECT_EQ(r1.exit_code, 0) << r1.out;
  EXPECT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_EQ(r3.exit_code, 0) << r3.out;
  ASSERT_TRUE(sink_->WaitFor(3, 120)) << testing::ReadFile(dir_ / "maillog");
  int bombs = 0, plain = 0;
  for (const std::string& m : sink_->Messages()) {
    if (m.find("Subject: bomb") != std::string::npos) {
      ++bombs;
      MailOutcome parsed = UnpackMail(m, MailLimits{100, 10, 1 << 20});
      ASSERT_EQ(parsed.problem, MailProblem::kNone) << parsed.detail;
      bool notice = false;
      for (const auto& p : parsed.mail.parts) {
        if (p.name == "plan.pdf.removed.txt") {
          notice = true;
          EXPECT_NE(p.bytes.find("(worker_timeout)"), std::string::npos) << p.bytes;
        }
      }
      EXPECT_TRUE(notice) << m;
      EXPECT_EQ(m.find("%PDF"), std::string::npos);
    } else {
      ++plain;
      EXPECT_NE(m.find("X-Mugai-Verdict: clean"), std::string::npos) << m;
    }
  }
  EXPECT_EQ(bombs, 2);
  EXPECT_EQ(plain, 1);
}

}  // namespace
}  // namespace mugai
