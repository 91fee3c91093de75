// Converter processes for legacy Office documents: started, watched and restarted by one
// manager thread; see office_pool.h.
#include "gateway/sandbox/office_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/clock.h"
#include "converters/office/office_server.h"
#include "gateway/sandbox/worker_pool.h"
#include "gateway/sandbox/worker_seccomp.h"

namespace mugai {

namespace {


constexpr int kExitCannotStart = 4;  // office-server: sandbox or LibreOffice did not come up
constexpr int64_t kStartDeadlineMs = 120000;

}  // namespace

OfficePool::OfficePool(OfficePoolOptions options, EventLog* log)
    : options_(std::move(options)), log_(log) {
  missing_ = LibreOfficeMissing(options_.program_dir);
  if (missing_.empty() && WorkerLandlockAbi() == 0) {
    // Without Landlock a compromised LibreOffice would have the mugai user's files: the
    // quarantine, the outboxes. Refused rather than run half-confined.
    missing_ = "this kernel has no Landlock (Linux 5.13+ with the landlock LSM enabled), "
               "which LibreOffice conversion requires; legacy Office, RTF and ODF files are "
               "blocked until it is enabled";
  }
  std::error_code ec;
  std::string root = std::filesystem::absolute(options_.root, ec).string();
  if (!ec) options_.root = root;
  if (options_.size == 0) options_.size = 1;
}

OfficePool::~OfficePool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
  }
  stop_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  if (manager_.joinable()) manager_.join();
  for (Slot& s : slots_) {
    if (s.listen_fd >= 0) close(s.listen_fd);
  }
  close(wake_fd_);
  std::error_code ec;
  std::filesystem::remove_all(pool_dir_, ec);  // this pool's own folder: nobody else uses it
}

Status OfficePool::Prestart() {
  std::lock_guard<std::mutex> lock(mu_);
  return StartLocked();
}

// Removes the folders of pools whose process is gone (a crash or kill -9 leaves them).
void RemoveStalePools(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("pool-", 0) != 0 || e.is_symlink()) continue;
    pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + 5));
    if (owner > 0 && (kill(owner, 0) == 0 || errno == EPERM)) continue;  // alive
    std::error_code ignored;
    fs::remove_all(e.path(), ignored);
  }
}

Status OfficePool::StartLocked() {
  if (!missing_.empty()) return Status(StatusCode::kNotFound, missing_);
  if (running_) return Status::Ok();
  namespace fs = std::filesystem;
  std::error_code ec;
  // Each pool (each gateway process: a watcher, the milter, a one-shot `mugai mail`) has a
  // folder of its own, so that no two converters ever share a profile, a document or a socket.
  fs::create_directories(options_.root, ec);
  chmod(options_.root.c_str(), 0700);
  RemoveStalePools(options_.root);
  std::string tmpl = options_.root + "/pool-" + std::to_string(getpid()) + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    return Status(StatusCode::kIo, "cannot create the LibreOffice pool's folder in " +
                                       options_.root + ": " + strerror(errno));
  }
  pool_dir_ = tmpl;
  if (mkdir((pool_dir_ + "/s").c_str(), 0700) != 0 || mkdir((pool_dir_ + "/log").c_str(), 0700) != 0) {
    return Status(StatusCode::kIo, "cannot prepare " + pool_dir_ + ": " + strerror(errno));
  }
  for (unsigned i = 0; i < options_.size; ++i) {
    Slot s;
    s.work_dir = pool_dir_ + "/slot-" + std::to_string(i);
    s.log_path = pool_dir_ + "/log/slot-" + std::to_string(i) + ".log";
    s.socket_path = pool_dir_ + "/s/" + std::to_string(i);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (s.socket_path.size() >= sizeof addr.sun_path) {
      return Status(StatusCode::kConfig,
                    "the state folder's path is too long for the LibreOffice pool's socket (" +
                        s.socket_path + "): use a shorter state folder");
    }
    std::memcpy(addr.sun_path, s.socket_path.c_str(), s.socket_path.size() + 1);
    s.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.listen_fd < 0 || bind(s.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(s.listen_fd, 128) != 0) {
      Status st(StatusCode::kIo, "cannot listen on " + s.socket_path + ": " + strerror(errno));
      if (s.listen_fd >= 0) close(s.listen_fd);
      for (Slot& done : slots_) close(done.listen_fd);
      slots_.clear();
      return st;
    }
    slots_.push_back(std::move(s));
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  running_ = true;
  // The manager thread takes no signals: the front ends handle SIGHUP/SIGTERM on their own
  // threads (a signal the kernel gave this thread would otherwise end the process).
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  manager_ = std::thread([this] { Manage(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return Status::Ok();
}

void OfficePool::Recycle(unsigned slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (slot >= slots_.size() || slots_[slot].pid == 0) return;
  kill(-slots_[slot].pid, SIGKILL);
  kill(slots_[slot].pid, SIGKILL);
}

Result<OfficePool::Connection> OfficePool::Connect() {
  std::string path;
  unsigned slot = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status s = StartLocked(); !s.ok()) return s;
    bool any_alive = false;
    for (const Slot& s : slots_) any_alive = any_alive || s.pid != 0 || s.failures < 3;
    if (!any_alive && !start_error_.empty()) {
      return Status(StatusCode::kInternal, "the LibreOffice converter does not start: " + start_error_);
    }
    slot = static_cast<unsigned>(next_++ % slots_.size());
    path = slots_[slot].socket_path;
  }
  // Non-blocking: a full backlog (converters stuck or far behind) is an error for this
  // document, never a supervisor thread frozen in connect().
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status(StatusCode::kIo, std::string("socket: ") + strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int error = errno;
    Status st(StatusCode::kIo,
              error == EAGAIN
                  ? "the LibreOffice converters are busy (128 documents already waiting); "
                    "raise office.pool_size or try again later"
                  : "cannot reach the LibreOffice converter at " + path + ": " + strerror(error));
    close(fd);
    return st;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // the relay reads and writes blocking
  return Connection{fd, slot};
}

void OfficePool::Spawn(Slot& slot) {
  // Everything the child needs is prepared here: after fork() in a process with threads, the
  // child may only make async-signal-safe calls until exec.
  std::vector<std::string> args = {
      options_.executable, "office-server", "--work-dir", slot.work_dir, "--program-dir",
      options_.program_dir, "--max-documents", std::to_string(options_.max_documents),
      "--timeout-seconds", std::to_string(options_.timeout_seconds), "--max-document-bytes",
      std::to_string(options_.max_document_bytes), "--max-pdf-bytes",
      std::to_string(options_.max_pdf_bytes)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // A fresh folder for every process: nothing a previous one left (a profile extension, a
  // font configuration, a planted link) survives into the next. remove_all does not follow
  // symbolic links. The log is outside the folder the converter can write.
  {
    std::error_code ec;
    std::filesystem::remove_all(slot.work_dir, ec);
    if (mkdir(slot.work_dir.c_str(), 0700) != 0) {
      start_error_ = "cannot create " + slot.work_dir + ": " + strerror(errno);
      slot.next_start_ms = MonotonicMs() + 1000;
      return;
    }
  }
  int log_fd = open(slot.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  [[maybe_unused]] rlimit as{options_.memory_bytes, options_.memory_bytes};
  rlimit core{0, 0};
  rlimit files{1024, 1024};
  uint64_t fsize_bytes = 2 * std::max(options_.max_document_bytes, options_.max_pdf_bytes) +
                         (256ULL << 20);
  rlimit fsize{fsize_bytes, fsize_bytes};
  const int listen_fd = slot.listen_fd;
  const bool namespaces = options_.namespaces;
  pid_t pid = fork();  // the caller (Manage) holds ForkMutex()
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the manager thread's process
    // The manager thread blocks every signal; the converter needs its SIGALRM deadline.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setrlimit(RLIMIT_CORE, &core);
#if !defined(__SANITIZE_ADDRESS__)
    if (as.rlim_cur != 0) setrlimit(RLIMIT_AS, &as);
#endif
    setrlimit(RLIMIT_NOFILE, &files);
    setrlimit(RLIMIT_FSIZE, &fsize);
    if (namespaces && !EnterWorkerNamespaces()) _exit(kExitCannotStart);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    if (log_fd >= 0) dup2(log_fd, 2);
    if (dup2(listen_fd, 3) != 3 || fcntl(3, F_SETFD, 0) != 0) _exit(kExitCannotStart);
    syscall(SYS_close_range, 4U, ~0U, 0U);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const int fork_error = errno;
  if (log_fd >= 0) close(log_fd);
  if (pid < 0) {
    start_error_ = std::string("cannot fork: ") + strerror(fork_error);
    slot.next_start_ms = MonotonicMs() + 1000;
    return;
  }
  setpgid(pid, pid);
  slot.pid = pid;
  slot.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  slot.started_ms = MonotonicMs();
  ++started_count_;
  if (log_) {
    log_->Write("info", "office_converter_started",
                {{"slot", slot.work_dir}, {"pid", std::to_string(pid)}});
  }
}

void OfficePool::Reap(Slot& slot, bool wait) {
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(slot.pid), &info, WEXITED | WNOWAIT | (wait ? 0 : WNOHANG)) != 0 ||
      info.si_pid != slot.pid) {
    return;
  }
  // Still a zombie, so its pid (its process group's id) cannot have been given to a worker
  // yet: anything left in the group goes with it, then it is reaped.
  kill(-slot.pid, SIGKILL);
  int status = 0;
  waitpid(slot.pid, &status, 0);
  std::lock_guard<std::mutex> lock(mu_);
  if (slot.pidfd >= 0) close(slot.pidfd);
  slot.pidfd = -1;
  slot.pid = 0;
  if (stop_) return;
  std::string how = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                    : WIFSIGNALED(status) ? std::string("signal ") + strsignal(WTERMSIG(status))
                                          : "ended";
  // Exit 0: served its documents; 3: a document failed and it stepped down; 5: a document
  // overran office.timeout_seconds. A process that never wrote "ready" did not get
  // LibreOffice up at all.
  bool ready = access((slot.work_dir + "/ready").c_str(), F_OK) == 0;
  bool cannot_start = !ready || (WIFEXITED(status) && (WEXITSTATUS(status) == kExitCannotStart ||
                                                       WEXITSTATUS(status) == 127));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 5) how += " (a document overran office.timeout_seconds)";
  if (cannot_start) {
    ++slot.failures;
    start_error_ = WIFEXITED(status) && WEXITSTATUS(status) == 127
                       ? "could not run " + options_.executable + " office-server"
                       : how + " (see " + slot.log_path + ")";
    slot.next_start_ms = MonotonicMs() + std::min<int64_t>(30000, 1000LL << std::min(slot.failures, 5U));
  } else {
    slot.failures = 0;
    slot.next_start_ms = 0;
  }
  if (log_) {
    bool normal = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    log_->Write(normal ? "info" : "warning", "office_converter_ended",
                {{"slot", slot.work_dir}, {"how", how},
                 {"detail", normal ? "served office.max_documents documents; restarted"
                            : cannot_start ? "could not start: " + start_error_
                                           : "a document failed, timed out or crashed it; restarted"}});
  }
}

void OfficePool::Manage() {
  while (!stop_) {
    int64_t now = MonotonicMs();
    std::vector<pollfd> fds;
    {
      // Everything this thread does between polls (allocating, logging, removing folders,
      // forking) holds ForkMutex, so that no worker is forked while this thread is inside a
      // library lock the worker would then find taken forever.
      std::lock_guard<std::mutex> fork_lock(ForkMutex());
      std::lock_guard<std::mutex> lock(mu_);
      fds.reserve(slots_.size() + 1);
      fds.push_back({wake_fd_, POLLIN, 0});
      for (Slot& s : slots_) {
        if (s.pid == 0 && now >= s.next_start_ms) Spawn(s);
        fds.push_back({s.pidfd, POLLIN, 0});
      }
    }
    int rc = poll(fds.data(), fds.size(), 500);
    if (stop_) break;
    if (rc < 0 && errno != EINTR) usleep(100000);
    std::lock_guard<std::mutex> fork_lock(ForkMutex());
    for (Slot& s : slots_) {
      if (s.pid == 0) continue;
      // LibreOffice that has not come up in two minutes is not going to.
      if (MonotonicMs() - s.started_ms > kStartDeadlineMs &&
          access((s.work_dir + "/ready").c_str(), F_OK) != 0) {
        kill(-s.pid, SIGKILL);
        kill(s.pid, SIGKILL);
      }
      Reap(s, false);
    }
  }
  std::lock_guard<std::mutex> fork_lock(ForkMutex());
  for (Slot& s : slots_) {
    if (s.pid == 0) continue;
    kill(-s.pid, SIGKILL);
    kill(s.pid, SIGKILL);  // also if it left its process group
    Reap(s, true);
  }
}

}  // namespace mugai
