// Starting the zygote and asking it for workers.
#include "gateway/sandbox/zygote_client.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "common/fd_passing.h"
#include "common/file_util.h"
#include "common/threads.h"
#include "common/wire_format.h"
#include "gateway/service/event_log.h"
#include "gateway/sandbox/worker_pool.h"

namespace mugai {

namespace {

void PutU64(std::string* out, uint64_t v) {
  wire::PutU32(out, static_cast<uint32_t>(v & 0xffffffffu));
  wire::PutU32(out, static_cast<uint32_t>(v >> 32));
}

}  // namespace

std::string ZygoteExecutable() {
  if (const char* env = getenv("MUGAI_ZYGOTE"); env && *env) return env;
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string self(buf, static_cast<size_t>(n));
    std::string dir = self.substr(0, self.rfind('/'));
    for (const char* rel : {"/mugai-zygote", "/../lib/mugai/mugai-zygote",
                            "/../gateway/mugai-zygote"}) {
      if (access((dir + rel).c_str(), X_OK) == 0) return dir + rel;
    }
  }
  return "/usr/lib/mugai/mugai-zygote";
}

ZygoteClient::ZygoteClient(std::string executable, EventLog* log)
    : executable_(std::move(executable)), log_(log) {}

ZygoteClient::~ZygoteClient() { Stop(); }

void ZygoteClient::Stop() {
  stopping_ = true;
  if (sock_ >= 0) shutdown(sock_, SHUT_RDWR);  // the zygote sees EOF and ends with its workers
  if (reader_.joinable()) reader_.join();
  if (sock_ >= 0) close(sock_);
  sock_ = -1;
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
}

Status ZygoteClient::Start(const Config& config) {
  config_ = config;
  if (access(executable_.c_str(), X_OK) != 0) {
    return {StatusCode::kConfig, "the worker zygote " + executable_ + " is missing (" +
                                     strerror(errno) + "): reinstall mugai, or set MUGAI_ZYGOTE"};
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return {StatusCode::kInternal, std::string("socketpair: ") + strerror(errno)};
  }
  int config_fd = SealedMemfd(ConfigToToml(config));
  if (config_fd < 0) {
    close(pair[0]);
    close(pair[1]);
    return {StatusCode::kInternal, std::string("memfd: ") + strerror(errno)};
  }
  std::vector<std::string> args = {executable_, "zygote"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int theirs = pair[1];
  pid_t pid;
  {
    std::lock_guard<std::mutex> lock(ForkMutex());
    pid = fork();
  }
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    if (dup2(theirs, 3) != 3 || fcntl(3, F_SETFD, 0) != 0) _exit(126);
    if (dup2(config_fd, 4) != 4 || fcntl(4, F_SETFD, 0) != 0) _exit(126);
    syscall(SYS_close_range, 5U, ~0U, 0U);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int fork_error = errno;
  close(theirs);
  close(config_fd);
  if (pid < 0) {
    close(pair[0]);
    return {StatusCode::kInternal, std::string("cannot start the zygote: ") + strerror(fork_error)};
  }
  pid_ = pid;
  sock_ = pair[0];
  // "R" once its libraries are loaded and warm, or nothing (it failed: its stderr says why).
  char ready = 0;
  ssize_t n;
  do {
    n = recv(sock_, &ready, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n != 1 || ready != 'R') {
    Stop();
    return {StatusCode::kInternal, "the worker zygote " + executable_ +
                                       " did not start (see the messages above)"};
  }
  dead_ = false;
  stopping_ = false;
  reader_ = SignalFreeThread([this] { ReadLoop(); });
  if (log_) log_->Write("info", "zygote_started", {{"pid", std::to_string(pid_)}});
  return Status::Ok();
}

void ZygoteClient::ReadLoop() {
  char buf[64];
  for (;;) {
    ssize_t n = recv(sock_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    wire::Reader in(std::string_view(buf, static_cast<size_t>(n)));
    uint8_t type = 0;
    in.U8(&type);
    std::lock_guard<std::mutex> lock(mutex_);
    if (type == 'S') {
      uint32_t lo = 0, hi = 0, pid = 0;
      if (in.U32(&lo) && in.U32(&hi) && in.U32(&pid)) {
        spawned_[(static_cast<uint64_t>(hi) << 32) | lo] = static_cast<pid_t>(static_cast<int32_t>(pid));
      }
    } else if (type == 'X') {
      uint32_t pid = 0, status = 0;
      if (in.U32(&pid) && in.U32(&status)) {
        exited_[static_cast<pid_t>(pid)] = static_cast<int>(status);
      }
    }
    changed_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  dead_ = true;
  changed_.notify_all();
  if (log_ && !stopping_) log_->Write("error", "zygote_died", {{"pid", std::to_string(pid_)}});
}

Result<pid_t> ZygoteClient::Spawn(const std::string& job, int input_fd, int result_fd,
                                  int scanner_fd, int extra_fd) {
  uint64_t id;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (dead_) {
      // The zygote ended (a crash of its own, or killed): start a new one, once at a time.
      lock.unlock();
      std::lock_guard<std::mutex> restart(send_mutex_);
      bool still_dead;
      {
        std::lock_guard<std::mutex> l(mutex_);
        still_dead = dead_;
      }
      if (still_dead) {
        Stop();
        if (Status s = Start(config_); !s.ok()) {
          return Status{StatusCode::kInternal, "the worker zygote has ended and cannot be "
                                               "restarted: " + s.message()};
        }
        if (log_) log_->Write("warning", "zygote_restarted", {{"pid", std::to_string(pid_)}});
      }
      lock.lock();
    }
    id = next_id_++;
  }
  std::string message = "J";
  PutU64(&message, id);
  wire::PutU8(&message, scanner_fd >= 0 ? 1 : 0);
  wire::PutU8(&message, extra_fd >= 0 ? 1 : 0);
  // The job travels as a sealed memfd that only the forked worker reads: the zygote never
  // holds a job's contents (a password, a name) in its memory, so no later worker inherits it.
  int job_fd = SealedMemfd(job);
  if (job_fd < 0) {
    return Status{StatusCode::kInternal, std::string("memfd: ") + strerror(errno)};
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{job_fd};
  std::vector<int> fds = {job_fd, input_fd, result_fd};
  if (scanner_fd >= 0) fds.push_back(scanner_fd);
  if (extra_fd >= 0) fds.push_back(extra_fd);
  {
    std::lock_guard<std::mutex> lock(send_mutex_);
    if (SendWithFds(sock_, message, fds) != static_cast<ssize_t>(message.size())) {
      return Status{StatusCode::kInternal,
                    std::string("cannot reach the worker zygote: ") + strerror(errno)};
    }
  }
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::seconds(30), [&] { return dead_ || spawned_.count(id); });
  auto it = spawned_.find(id);
  if (it == spawned_.end()) {
    return Status{StatusCode::kInternal, "the worker zygote did not start the worker"};
  }
  pid_t pid = it->second;
  spawned_.erase(it);
  if (pid <= 0) {
    return Status{StatusCode::kInternal, std::string("the zygote cannot fork: ") + strerror(-pid)};
  }
  return pid;
}

bool ZygoteClient::TakeExit(pid_t pid, int* status) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = exited_.find(pid);
  if (it == exited_.end() && dead_) {
    *status = SIGKILL;  // its zygote is gone, and the worker with it (parent-death signal)
    return true;
  }
  if (it == exited_.end()) return false;
  *status = it->second;
  exited_.erase(it);
  return true;
}

bool ZygoteClient::WaitExit(pid_t pid, int* status, int ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::milliseconds(ms),
                    [&] { return dead_ || exited_.count(pid); });
  auto it = exited_.find(pid);
  if (it == exited_.end()) return false;
  *status = it->second;
  exited_.erase(it);
  return true;
}

}  // namespace mugai
