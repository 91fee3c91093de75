// `mugai watch` with real folders: files dropped slowly, moved in, many at once; kill -9 at
// every step of the hand-over, then a restart. Asserts the outbox, the notes, the
// quarantine and that the work folders are left empty.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <filesystem>
#include <thread>

#include "test_support.h"

extern char** environ;

namespace mugai {
namespace {

namespace fs = std::filesystem;

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root_ / "in");
    fs::create_directories(root_ / "out");
    testing::WriteFile(root_ / "w.toml", "[watch]\nstable_ms = 300\nrescan_seconds = 1\n");
  }

  std::vector<std::string> Args(bool once) {
    std::vector<std::string> a = {testing::MugaiBinary(), "watch", "--config", root_ / "w.toml",
                                  "--in", root_ / "in", "--out", root_ / "out",
                                  "--signatures", testing::SignaturesDir(), "--state",
                                  root_ / "state"};
    if (once) a.push_back("--once");
    return a;
  }

  // Starts the watcher; `crash_at` names a step where it kills itself (as with kill -9).
  pid_t Start(bool once, const std::string& crash_at = "") {
    std::vector<std::string> args = Args(once);
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) env_strings.push_back(*e);
    if (!crash_at.empty()) env_strings.push_back("MUGAI_WATCH_CRASH_AT=" + crash_at);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, (root_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    pid_t pid = 0;
    posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    return pid;
  }

  int Wait(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Every regular file under `dir`, relative, sorted; hidden folders (work, staging) included.
  std::vector<std::string> Tree(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  bool WaitFor(const std::function<bool()>& done, int seconds = 30) {
    for (int i = 0; i < seconds * 20; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void DropSet() {
    testing::WriteFile(root_ / "in/memo.txt", "予算要求の件\n");
    testing::WriteFile(root_ / "in/page.html", "<html><body><script>x()</script><p>お知らせ</p></body></html>");
    testing::WriteFile(root_ / "in/eicar.txt", testing::Eicar());
  }

  std::vector<std::string> ExpectedForSet() {
    return {"eicar.txt.mugai.txt", "memo.txt", "page.html.mugai.txt", "page.txt"};
  }

  testing::TempDir root_;
};

TEST_F(WatchTest, DeliversSlowMovedAndNestedFilesWithNotes) {
  pid_t pid = Start(false);
  // Moved in whole (the usual way tools deliver): taken at once.
  testing::WriteFile(root_ / "moved.txt", "moved in\n");
  fs::rename(root_ / "moved.txt", root_ / "in/moved.txt");
  // Copied in slowly: must not be taken half-written.
  {
    std::ofstream slow(root_ / "in/slow.txt", std::ios::binary);
    slow << "first half, ";
    slow.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    slow << "second half\n";
  }
  fs::create_directories(root_ / "in/課/sub");
  testing::WriteFile(root_ / "in/課/sub/nested.txt", "nested\n");
  testing::WriteFile(root_ / "in/eicar.txt", testing::Eicar());
  bool done = WaitFor([&] {
    auto t = Tree(root_ / "out");
    return std::count_if(t.begin(), t.end(), [](auto& n) { return n.find(".mugai-staging") == 0; }) == 0 &&
           t.size() == 4;
  });
  kill(pid, SIGTERM);
  EXPECT_EQ(Wait(pid), 0);
  ASSERT_TRUE(done) << testing::ReadFile(root_ / "stderr");
  EXPECT_EQ(Tree(root_ / "out"), (std::vector<std::string>{"eicar.txt.mugai.txt", "moved.txt",
                                                           "slow.txt", "課/sub/nested.txt"}));
  EXPECT_EQ(testing::ReadFile(root_ / "out/slow.txt"), "first half, second half\n");
  std::string note = testing::ReadFile(root_ / "out/eicar.txt.mugai.txt");
  EXPECT_NE(note.find("マルウェアを検出しました"), std::string::npos);
  EXPECT_NE(note.find("malware detected"), std::string::npos);
  EXPECT_TRUE(Tree(root_ / "in").empty());  // claims finished, work folder empty
}

class WatchCrashTest : public WatchTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(WatchCrashTest, KillNineThenRestartLosesAndDuplicatesNothing) {
  DropSet();
  int crashed = Wait(Start(true, GetParam()));
  EXPECT_EQ(crashed, 128 + SIGKILL) << "the crash point was not reached";
  for (const auto& f : Tree(root_ / "out")) {
    EXPECT_EQ(f.find("eicar.txt") == 0 && f.find(".mugai.txt") == std::string::npos, false)
        << "an original reached the outbox: " << f;
  }
  EXPECT_EQ(Wait(Start(true)), 0) << testing::ReadFile(root_ / "stderr");
  EXPECT_EQ(Tree(root_ / "out"), ExpectedForSet());  // each once: no "(1)" copies
  EXPECT_TRUE(Tree(root_ / "in").empty());
  EXPECT_EQ(testing::ReadFile(root_ / "out/memo.txt"), "予算要求の件\n");
  // The converted and the blocked original are kept, once each and with their index rows
  // (the clean memo passed unchanged, as in every entry point), whatever step was killed.
  EXPECT_EQ(Tree(root_ / "state/quarantine/blobs").size(), 2u);
  testing::RunResult reconcile = testing::Run(
      {testing::MugaiBinary(), "quarantine", "reconcile", "--state", root_ / "state"});
  EXPECT_EQ(reconcile.exit_code, 0) << reconcile.out;
}

INSTANTIATE_TEST_SUITE_P(Steps, WatchCrashTest,
                         ::testing::Values("recorded", "claimed", "staged", "journaled",
                                           "delivering", "delivered", "quarantined"));

TEST_F(WatchTest, ThousandFilesAtOnceAreAllProcessed) {
  testing::WriteFile(root_ / "w.toml", "[watch]\nstable_ms = 0\nbatch = 64\n");
  for (int i = 0; i < 1000; ++i) {
    testing::WriteFile(root_ / ("in/f" + std::to_string(i) + ".txt"), "file " + std::to_string(i) + "\n");
  }
  EXPECT_EQ(Wait(Start(true)), 0) << testing::ReadFile(root_ / "stderr");
  EXPECT_EQ(Tree(root_ / "out").size(), 1000u);
  EXPECT_TRUE(Tree(root_ / "in").empty());
}

TEST_F(WatchTest, PerUserOutboxesAndReloadOnSighup) {
  fs::create_directories(root_ / "users/alice");
  fs::create_directories(root_ / "in2");
  testing::WriteFile(root_ / "u.toml",
                     "[watch]\nstable_ms = 200\nrescan_seconds = 1\n"
                     "[[watch.mapping]]\nin = \"" + root_ / "users" + "\"\n"
                     "out = \"" + root_ / "lgwan/{user}/from-internet" + "\"\n");
  std::vector<std::string> args = {testing::MugaiBinary(), "watch", "--config", root_ / "u.toml",
                                   "--signatures", testing::SignaturesDir(), "--state",
                                   root_ / "state"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  testing::WriteFile(root_ / "users/alice/report.txt", "alice's file\n");
  EXPECT_TRUE(WaitFor([&] { return fs::exists(root_ / "lgwan/alice/from-internet/report.txt"); }));
  // New config: a second mapping; SIGHUP picks it up without a restart.
  testing::WriteFile(root_ / "u.toml",
                     "[watch]\nstable_ms = 200\nrescan_seconds = 1\n"
                     "[[watch.mapping]]\nin = \"" + root_ / "in2" + "\"\nout = \"" +
                         root_ / "out2" + "\"\n");
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  testing::WriteFile(root_ / "in2/after-reload.txt", "new mapping\n");
  EXPECT_TRUE(WaitFor([&] { return fs::exists(root_ / "out2/after-reload.txt"); }));
  kill(pid, SIGTERM);
  EXPECT_EQ(Wait(pid), 0);
}

// The watcher keeps LibreOffice warm: a .doc dropped in arrives as a PDF, and still does
// after a SIGHUP reload (a new pipeline with new converters on the same socket paths).
TEST_F(WatchTest, LegacyOfficeFilesConvertBeforeAndAfterAReload) {
  if (access("/usr/lib/libreoffice/program/libmergedlo.so", R_OK) != 0) {
    GTEST_SKIP() << "LibreOffice is not installed: skipped";
  }
  pid_t pid = Start(false);
  std::string doc = testing::ReadFile(testing::FixturesDir() + "/office/memo-ja.doc");
  testing::WriteFile(root_ / "in/before.doc", doc);
  EXPECT_TRUE(WaitFor([&] { return fs::exists(root_ / "out/before.pdf"); }, 60));
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  testing::WriteFile(root_ / "in/after.doc", doc);
  EXPECT_TRUE(WaitFor([&] { return fs::exists(root_ / "out/after.pdf"); }, 60))
      << testing::ReadFile(root_ / "state/mugai.log");
  EXPECT_EQ(testing::ReadFile(root_ / "out/after.pdf").rfind("%PDF-", 0), 0u);
  kill(pid, SIGTERM);
  EXPECT_EQ(Wait(pid), 0);
  // The converters went with the watcher.
  std::string log = testing::ReadFile(root_ / "state/mugai.log");
  EXPECT_NE(log.find("office_converter_started"), std::string::npos);
  testing::RunResult ps = testing::Run({"/usr/bin/pgrep", "-f", "office-server --work-dir " + root_.path()});
  EXPECT_NE(ps.exit_code, 0) << "a converter outlived the watcher: " << ps.out;
}

TEST_F(WatchTest, UsageErrors) {
  EXPECT_EQ(testing::Run({testing::MugaiBinary(), "watch"}).exit_code, 2);
  EXPECT_EQ(testing::Run({testing::MugaiBinary(), "watch", "--in", "/nonexistent", "--out",
                          root_ / "out", "--signatures", testing::SignaturesDir()})
                .exit_code,
            2);
  EXPECT_EQ(testing::Run({testing::MugaiBinary(), "watch", "--out", root_ / "out"}).exit_code, 2);
  testing::RunResult help = testing::Run({testing::MugaiBinary(), "watch", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("SIGHUP"), std::string::npos);
}

}  // namespace
}  // namespace mugai
