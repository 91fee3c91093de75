// Starting, reaching and restarting the scanner process.
#include "gateway/sandbox/scanner_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/file_util.h"
#include "common/threads.h"
#include "gateway/service/event_log.h"
#include "gateway/sandbox/worker_pool.h"
#include "gateway/sandbox/worker_seccomp.h"
#include "scanners/scanner_client.h"

namespace mugai {

namespace {

constexpr int kExitCannotStart = 126;

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = line.find(sep, start);
    out.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

}  // namespace

ScannerProcess::ScannerProcess(ScannerProcessOptions options, EventLog* log)
    : options_(std::move(options)), log_(log) {
  socket_path_ = options_.run_dir + "/scan.sock";
}

ScannerProcess::~ScannerProcess() {
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
  }
  if (watcher_.joinable()) watcher_.join();
  if (stop_fd_ >= 0) close(stop_fd_);
  std::lock_guard<std::mutex> lock(mutex_);
  Stop();
  if (listen_fd_ >= 0) close(listen_fd_);
  std::error_code ec;
  std::filesystem::remove_all(options_.run_dir, ec);
}

Status ScannerProcess::Start() {
  std::error_code ec;
  std::filesystem::remove_all(options_.run_dir, ec);
  if (mkdir(options_.run_dir.c_str(), 0700) != 0 ||
      mkdir((options_.run_dir + "/tmp").c_str(), 0700) != 0) {
    return {StatusCode::kConfig, "cannot create the scanner's folder " + options_.run_dir + ": " +
                                     strerror(errno) + " (check paths.scratch)"};
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof addr.sun_path) {
    return {StatusCode::kConfig, "the scanner's socket path is too long: " + socket_path_ +
                                     " (set paths.scratch to a shorter folder)"};
  }
  memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 256) != 0) {
    return {StatusCode::kInternal, "cannot listen for the scanner on " + socket_path_ + ": " +
                                       strerror(errno)};
  }
  if (Status s = Spawn(); !s.ok()) return s;
  stop_fd_ = eventfd(0, EFD_CLOEXEC);
  watcher_ = SignalFreeThread([this] { Watch(); });
  return Status::Ok();
}

void ScannerProcess::Watch() {
  for (;;) {
    int pidfd;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pidfd = pid_ > 0 ? static_cast<int>(syscall(SYS_pidfd_open, pid_, 0)) : -1;
    }
    pollfd p[2] = {{stop_fd_, POLLIN, 0}, {pidfd, POLLIN, 0}};
    // Without a pidfd (old kernels) the scanner is looked at once a second.
    int n = poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 1000);
    if (pidfd >= 0) close(pidfd);
    if (n < 0 && errno != EINTR) return;
    if (p[0].revents & POLLIN) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (Alive()) continue;
    // Scans it held have failed (their workers saw the connection close); connections that
    // wait in the backlog are served by the new one.
    if (Status s = Spawn(); !s.ok()) {
      if (log_) log_->Write("error", "scanner_restart_failed", {{"detail", s.message()}});
      sleep(1);
      continue;
    }
    ++restarts_;
    if (log_) log_->Write("warning", "scanner_restarted", {{"pid", std::to_string(pid_)}});
  }
}

Status ScannerProcess::Spawn() {
  // Everything the child needs is prepared before fork: another thread may hold a lock.
  std::vector<std::string> args = {
      options_.executable, "scanner-server", "--temp-dir", options_.run_dir + "/tmp",
      "--parent-pid", std::to_string(getpid()),
      "--reload-check-seconds", std::to_string(options_.reload_check_seconds),
      "--max-file-size", std::to_string(options_.limits.max_file_size),
      "--max-scan-size", std::to_string(options_.limits.max_scan_size),
      "--max-recursion", std::to_string(options_.limits.max_recursion),
      "--max-files", std::to_string(options_.limits.max_files),
      "--max-scan-time-ms", std::to_string(options_.limits.max_scan_time_ms)};
  if (!options_.limits.image_fuzzy_hash) args.push_back("--no-image-fuzzy-hash");
  if (options_.empty) {
    args.push_back("--empty");
  } else {
    args.push_back("--signatures");
    args.push_back(options_.signatures);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    return {StatusCode::kInternal, std::string("cannot create a pipe: ") + strerror(errno)};
  }
  const int listen_fd = listen_fd_;
  const bool namespaces = options_.namespaces;
  pid_t pid;
  {
    std::lock_guard<std::mutex> lock(ForkMutex());
    pid = fork();
  }
  if (pid == 0) {
    setpgid(0, 0);  // (no parent-death signal: it would fire when this thread ends; the
                    // scanner watches for its supervisor itself, --parent-pid)
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (namespaces && !EnterWorkerNamespaces()) _exit(kExitCannotStart);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    if (dup2(listen_fd, 3) != 3 || fcntl(3, F_SETFD, 0) != 0) _exit(kExitCannotStart);
    if (dup2(ready[1], 4) != 4 || fcntl(4, F_SETFD, 0) != 0) _exit(kExitCannotStart);
    syscall(SYS_close_range, 5U, ~0U, 0U);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const int fork_error = errno;
  close(ready[1]);
  if (pid < 0) {
    close(ready[0]);
    return {StatusCode::kInternal, std::string("cannot start the scanner: ") + strerror(fork_error)};
  }
  setpgid(pid, pid);
  pid_ = pid;
  // Wait for "ready" (or the scanner's own error) while it loads and compiles the engine.
  std::string line;
  char buf[512];
  pollfd p{ready[0], POLLIN, 0};
  int64_t waited_ms = 0;
  while (line.find('\n') == std::string::npos) {
    int n = poll(&p, 1, 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      waited_ms += 1000;
      if (waited_ms > int64_t{options_.start_timeout_seconds} * 1000) break;
      continue;
    }
    ssize_t got = read(ready[0], buf, sizeof buf);
    if (got <= 0) break;
    line.append(buf, static_cast<size_t>(got));
  }
  close(ready[0]);
  std::vector<std::string> fields = Split(line.substr(0, line.find('\n')), '\t');
  if (fields.size() == 5 && fields[0] == "ready") {
    info_.engine_version = fields[1];
    info_.signature_count = static_cast<uint32_t>(std::strtoul(fields[2].c_str(), nullptr, 10));
    info_.database_version = static_cast<uint32_t>(std::strtoul(fields[3].c_str(), nullptr, 10));
    info_.database_time = std::strtoll(fields[4].c_str(), nullptr, 10);
    info_.signatures_path = options_.empty ? "(none)" : options_.signatures;
    if (log_) {
      log_->Write("info", "scanner_started",
                  {{"pid", std::to_string(pid)},
                   {"signatures", std::to_string(info_.signature_count)}});
    }
    return Status::Ok();
  }
  Stop();
  if (fields.size() >= 2 && fields[0] == "error") return {StatusCode::kConfig, fields[1]};
  return {StatusCode::kInternal,
          "the scanner process did not start (" +
              std::string(waited_ms > int64_t{options_.start_timeout_seconds} * 1000
                              ? "it took longer than " +
                                    std::to_string(options_.start_timeout_seconds) + " s"
                              : "it ended without a word") +
              "); run 'mugai scanner-server --help' and check the signatures"};
}

void ScannerProcess::Stop() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

bool ScannerProcess::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (log_) {
    log_->Write("error", "scanner_died",
                {{"pid", std::to_string(pid_)},
                 {"detail", r == pid_ && WIFSIGNALED(status)
                                ? std::string("killed by signal ") + strsignal(WTERMSIG(status))
                                : "exited"}});
  }
  pid_ = -1;
  return false;
}

int ScannerProcess::Connect() {
  // No lock and no liveness check here: the listening socket is this process's, so a
  // connection made while the scanner restarts waits in the backlog for the new one, and
  // restarting is the watcher's job alone (Watch).
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

EngineInfo ScannerProcess::CurrentInfo(bool* answered) {
  if (answered) *answered = false;
  int fd = Connect();
  if (fd < 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    return info_;
  }
  // A question, not a scan: a scanner that does not answer in 2 s (restarting, hung) has not
  // answered; admission and /healthz do not wait on it.
  timeval two{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two, sizeof two);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &two, sizeof two);
  ScanReply reply = ScannerClient::Ask(fd, ScanOp::kInfo, "", -1);
  close(fd);
  std::lock_guard<std::mutex> lock(mutex_);
  if (reply.result.outcome == ScanOutcome::kClean) {
    if (answered) *answered = true;
    info_.engine_version = reply.engine.engine_version;
    info_.signature_count = reply.engine.signature_count;
    info_.database_version = reply.engine.database_version;
    info_.database_time = reply.engine.database_time;
  }
  return info_;
}

void ScannerProcess::Reload() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pid_ > 0) kill(pid_, SIGHUP);
}

}  // namespace mugai
