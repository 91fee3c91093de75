// The LibreOffice converter's confinement (InstallOfficeLandlock + InstallOfficeSeccomp, as
// `mugai office-server` installs it before loading LibreOffice), checked in a forked child:
// what a compromised LibreOffice could try, and what it still needs.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "gateway/sandbox/worker_seccomp.h"
#include "test_support.h"

namespace mugai {
namespace {

struct ChildResult {
  std::string out;
  int status = 0;
};

// Runs `body` in a child confined as the office server is, with `work` as its work folder.
ChildResult Confined(const std::string& work, const std::function<std::string()>& body) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string r;
    if (WorkerLandlockAbi() > 0 &&
        !InstallOfficeLandlock(work, "/usr/lib/libreoffice/program")) {
      r = "landlock-failed";
    } else if (!InstallOfficeSeccomp()) {
      r = "seccomp-failed";
    } else {
      r = body();
    }
    (void)!write(fds[1], r.data(), r.size());
    _exit(0);
  }
  close(fds[1]);
  ChildResult c;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) c.out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  waitpid(pid, &c.status, 0);
  return c;
}

const char* Errno(int rc) { return rc >= 0 ? "ok" : errno == EACCES ? "EACCES" : errno == EPERM ? "EPERM" : "other"; }

TEST(OfficeSandbox, FilesOutsideItsFolderCannotBeReadOrWritten) {
  if (WorkerLandlockAbi() == 0) GTEST_SKIP() << "this kernel has no Landlock";
  testing::TempDir dir;
  std::string work = dir / "slot-0";
  std::filesystem::create_directories(work);
  testing::WriteFile(dir / "quarantined-original.doc", "secret");
  ChildResult c = Confined(work, [&] {
    std::string r;
    auto open_rc = [](const std::string& p, int flags) {
      int fd = open(p.c_str(), flags | O_CLOEXEC, 0600);
      if (fd >= 0) close(fd);
      return fd;
    };
    r += std::string("quarantine:") + Errno(open_rc(dir / "quarantined-original.doc", O_RDONLY));
    r += std::string(" passwd:") + Errno(open_rc("/etc/passwd", O_RDONLY));
    r += std::string(" write-outside:") + Errno(open_rc(dir / "planted.txt", O_WRONLY | O_CREAT));
    r += std::string(" write-work:") + Errno(open_rc(work + "/profile.xcu", O_WRONLY | O_CREAT));
    r += std::string(" libreoffice:") + Errno(open_rc("/usr/lib/libreoffice/program/sofficerc", O_RDONLY));
    // /usr beyond what LibreOffice reads (issue 20): a document naming /usr/share/doc or
    // /usr/include finds nothing there.
    r += std::string(" usr-doc:") + Errno(open_rc("/usr/share/doc", O_RDONLY | O_DIRECTORY));
    r += std::string(" usr-include:") + Errno(open_rc("/usr/include/stdio.h", O_RDONLY));
    return r;
  });
  EXPECT_EQ(c.out,
            "quarantine:EACCES passwd:EACCES write-outside:EACCES write-work:ok libreoffice:ok "
            "usr-doc:EACCES usr-include:EACCES");
  EXPECT_FALSE(std::filesystem::exists(dir / "planted.txt"));
}

TEST(OfficeSandbox, NoNetworkNoSignalsToOthersNoPtraceNoNamespaces) {
  testing::TempDir dir;
  ChildResult c = Confined(dir.path(), [] {
    std::string r;
    r += std::string("inet:") + Errno(socket(AF_INET, SOCK_STREAM, 0));
    r += std::string(" inet6:") + Errno(socket(AF_INET6, SOCK_DGRAM, 0));
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    r += std::string(" unix:") + Errno(u);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, "/run/mugai-test-no-such-socket");
    r += std::string(" connect:") + Errno(connect(u, reinterpret_cast<sockaddr*>(&addr), sizeof addr));
    r += std::string(" kill-parent:") + Errno(kill(getppid(), 0));
    r += std::string(" kill-self:") + Errno(kill(getpid(), 0));
    r += std::string(" ptrace:") + Errno(static_cast<int>(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr)));
    r += std::string(" unshare:") + Errno(unshare(CLONE_NEWNET));
    pid_t child = fork();
    if (child == 0) _exit(0);
    r += std::string(" fork:") + Errno(child);
    r += std::string(" setsid:") + Errno(setsid());
    rlimit lim{};
    r += std::string(" prlimit-parent:") + Errno(prlimit(getppid(), RLIMIT_NOFILE, nullptr, &lim));
    r += std::string(" prlimit-self:") + Errno(prlimit(0, RLIMIT_NOFILE, nullptr, &lim));
    return r;
  });
  EXPECT_EQ(c.out,
            "inet:EPERM inet6:EPERM unix:ok connect:EPERM kill-parent:EPERM kill-self:ok "
            "ptrace:EPERM unshare:EPERM fork:EPERM setsid:EPERM prlimit-parent:EPERM "
            "prlimit-self:ok");
}

TEST(OfficeSandbox, NoDevicesOrLinksInItsFolder) {
  if (WorkerLandlockAbi() == 0) GTEST_SKIP() << "this kernel has no Landlock";
  testing::TempDir dir;
  ChildResult c = Confined(dir.path(), [&] {
    std::string r;
    r += std::string("symlink:") + Errno(symlink("/etc/shadow", (dir / "link").c_str()));
    r += std::string(" mknod:") + Errno(mknod((dir / "dev").c_str(), S_IFBLK | 0600, makedev(8, 0)));
    int fd = open((dir / "plain").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    r += std::string(" file:") + Errno(fd);
    if (fd >= 0) close(fd);
    return r;
  });
  EXPECT_EQ(c.out, "symlink:EACCES mknod:EPERM file:ok");
}

TEST(OfficeSandbox, ExecKills) {
  testing::TempDir dir;
  ChildResult c = Confined(dir.path(), [] {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    execv("/bin/true", argv);
    return std::string("exec returned");
  });
  EXPECT_EQ(c.out, "");
  ASSERT_TRUE(WIFSIGNALED(c.status));
  EXPECT_EQ(WTERMSIG(c.status), SIGSYS);
}

}  // namespace
}  // namespace mugai
