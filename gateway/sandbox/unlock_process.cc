#include "gateway/sandbox/unlock_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

#include "gateway/sandbox/worker_pool.h"
#include "gateway/sandbox/worker_seccomp.h"

namespace mugai {

namespace {

// Removes a helper's folder even where the tool left a directory without write or search
// permission (7-Zip restores the modes an archive records).
bool RemoveTree(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return true;
  chmod(path.c_str(), 0700);
  for (auto it = std::filesystem::recursive_directory_iterator(
           path, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) chmod(it->path().c_str(), 0700);
  }
  ec.clear();
  std::filesystem::remove_all(path, ec);
  return !ec;
}

}  // namespace

void RemoveStaleUnlockFolders(const std::string& root) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
    // item-<pid>-XXXXXX[.log]: left by a process that no longer runs (killed, crashed).
    std::string name = e.path().filename().string();
    if (name.rfind("item-", 0) != 0) continue;
    long pid = std::strtol(name.c_str() + 5, nullptr, 10);
    if (pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) continue;
    RemoveTree(e.path().string());
  }
}

Result<UnlockProcess> StartUnlockHelper(const UnlockOptions& o) {
  std::error_code ec;
  const std::string root = std::filesystem::absolute(o.root, ec).string();
  std::filesystem::create_directories(root, ec);
  chmod(root.c_str(), 0700);
  std::string tmpl = root + "/item-" + std::to_string(getpid()) + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    return Status(StatusCode::kIo, "cannot create a folder for the decryption helper in " +
                                       root + ": " + strerror(errno));
  }
  UnlockProcess p;
  p.work_dir = tmpl;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    std::filesystem::remove_all(p.work_dir, ec);
    return Status(StatusCode::kIo, std::string("cannot connect to the decryption helper: ") +
                                       strerror(errno));
  }
  // Everything the child needs is prepared before fork: in a process with threads, the child
  // may only make async-signal-safe calls until exec.
  std::vector<std::string> args = {
      o.executable, "unlock-helper", "--work-dir", p.work_dir, "--timeout-seconds",
      std::to_string(o.timeout_seconds), "--max-input-bytes", std::to_string(o.max_input_bytes),
      "--max-output-bytes", std::to_string(o.max_output_bytes), "--max-members",
      std::to_string(o.max_members), "--max-total-bytes", std::to_string(o.max_total_bytes),
      "--python", o.python, "--seven-zip", o.seven_zip, "--unar", o.unar};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log_path = p.work_dir + ".log";
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  [[maybe_unused]] rlimit as{o.memory_bytes, o.memory_bytes};
  rlimit core{0, 0};
  rlimit files{256, 256};
  rlimit cpu{o.timeout_seconds, o.timeout_seconds + 1};
  // The item, what comes out of it and the tar of that, with room for the tools' own files.
  uint64_t fsize_bytes = o.max_input_bytes + o.max_total_bytes + o.max_output_bytes + (16ULL << 20);
  rlimit fsize{fsize_bytes, fsize_bytes};
  const int child_fd = fds[1];
  const bool namespaces = o.namespaces;
  pid_t pid;
  {
    std::lock_guard<std::mutex> lock(ForkMutex());
    pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      setrlimit(RLIMIT_CORE, &core);
#if !defined(__SANITIZE_ADDRESS__)
      if (as.rlim_cur != 0) setrlimit(RLIMIT_AS, &as);
#endif
      setrlimit(RLIMIT_NOFILE, &files);
      setrlimit(RLIMIT_FSIZE, &fsize);
      setrlimit(RLIMIT_CPU, &cpu);
      if (namespaces && !EnterWorkerNamespaces()) _exit(120);
      int devnull = open("/dev/null", O_RDWR);
      if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
      }
      if (log_fd >= 0) dup2(log_fd, 2);
      if (dup2(child_fd, 3) != 3 || fcntl(3, F_SETFD, 0) != 0) _exit(120);
      syscall(SYS_close_range, 4U, ~0U, 0U);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  const int fork_error = errno;
  close(fds[1]);
  if (log_fd >= 0) close(log_fd);
  if (pid < 0) {
    close(fds[0]);
    std::filesystem::remove_all(p.work_dir, ec);
    return Status(StatusCode::kIo, std::string("cannot start the decryption helper: ") +
                                       strerror(fork_error));
  }
  setpgid(pid, pid);
  p.pid = pid;
  p.fd = fds[0];
  return p;
}

void EndUnlockHelper(UnlockProcess& p) {
  if (p.fd >= 0) close(p.fd);
  p.fd = -1;
  if (p.pid > 0) {
    kill(-p.pid, SIGKILL);  // its process group: the helper and the tool it ran
    int status = 0;
    while (waitpid(p.pid, &status, 0) < 0 && errno == EINTR) {
    }
    p.pid = 0;
  }
  if (!p.work_dir.empty()) {
    RemoveTree(p.work_dir);
    RemoveTree(p.work_dir + ".log");
  }
  p.work_dir.clear();
}

}  // namespace mugai
