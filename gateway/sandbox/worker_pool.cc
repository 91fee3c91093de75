// Worker processes: fork from the pre-initialised supervisor, limit, run, report, exit.
#include "gateway/sandbox/worker_pool.h"

#include "common/clock.h"
#include "gateway/sandbox/worker_seccomp.h"
#include "gateway/sandbox/zygote_client.h"
#include "scanners/scanner_client.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <optional>
#include <set>
#include <utility>

namespace mugai {

namespace {

WorkerFault g_fault = WorkerFault::kNone;

// Tasks (threads or processes) a worker may add to what its user already runs.
constexpr uint64_t kWorkerExtraTasks = 64;

// Exit codes a worker uses to say why it stopped without a result.
constexpr int kExitOutOfMemory = 71;
constexpr int kExitException = 70;
constexpr int kExitWriteFailed = 74;


uint64_t CurrentAddressSpace() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long pages = 0;
  if (fscanf(f, "%lu", &pages) != 1) pages = 0;
  fclose(f);
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void SetLimit(int resource, rlim_t value) {
  rlimit rl{value, value};
  setrlimit(resource, &rl);
}

void SetCpuLimit(rlim_t seconds) {
  rlimit rl{seconds, seconds + 1};  // SIGXCPU first, SIGKILL one second later
  setrlimit(RLIMIT_CPU, &rl);
}

// Closes every descriptor in [first, last]. close_range where the kernel has it, else each
// open descriptor listed in /proc/self/fd. Returns false if neither worked.
bool CloseRange(int first, int last) {
  if (close_range(static_cast<unsigned>(first), static_cast<unsigned>(last), 0) == 0) return true;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return false;
  int own = dirfd(dir);
  std::vector<int> fds;
  while (dirent* e = readdir(dir)) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] != '.' && fd != own && fd >= first && fd <= last) fds.push_back(fd);
  }
  closedir(dir);
  for (int fd : fds) close(fd);
  return true;
}

// Keeps fds 0-2, `input_fd` and `result_fd`; closes every other inherited descriptor
// (other workers' pipes and inputs, listeners, logs). Returns false if that failed.
bool CloseOtherFds(int input_fd, int result_fd, int scanner_fd, int extra_fd) {
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    if (input_fd != STDIN_FILENO) dup2(devnull, STDIN_FILENO);
    // stdout may carry a JSON report: workers never write to it.
    if (input_fd != STDOUT_FILENO && result_fd != STDOUT_FILENO) dup2(devnull, STDOUT_FILENO);
    if (devnull > STDERR_FILENO && devnull != input_fd && devnull != result_fd) close(devnull);
  }
  std::set<int> keep = {0, 1, 2, input_fd, result_fd};
  if (scanner_fd >= 0) keep.insert(scanner_fd);
  if (extra_fd >= 0) keep.insert(extra_fd);
  int previous = -1;
  for (int fd : keep) {
    if (fd - previous > 1 && !CloseRange(previous + 1, fd - 1)) return false;
    previous = fd;
  }
  return CloseRange(previous + 1, INT32_MAX);
}

// Limits, then namespaces. The order matters: a user namespace created after RLIMIT_NPROC is
// lowered keeps that limit over the user's tasks outside it (the kernel records it at
// creation), and the id maps are written before PR_SET_DUMPABLE hands /proc/self to root.
// Returns false if namespaces were expected here (`namespaces`) but could not be entered.
bool ApplySandbox(const SandboxLimits& limits, pid_t supervisor, uint64_t user_tasks,
                  bool namespaces) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // die with the supervisor
  if (getppid() != supervisor) _exit(kExitException);  // it died before the prctl took hold
  SetLimit(RLIMIT_CORE, 0);
#if !defined(__SANITIZE_ADDRESS__)
  // ASan reserves terabytes of shadow memory, so the address-space limit is left to
  // non-sanitizer builds.
  SetLimit(RLIMIT_AS, static_cast<rlim_t>(CurrentAddressSpace() + limits.memory_bytes));
#endif
  SetCpuLimit(limits.cpu_seconds);
  SetLimit(RLIMIT_FSIZE, static_cast<rlim_t>(limits.file_size_bytes));
  SetLimit(RLIMIT_NOFILE, limits.open_files);
  // Bounded new tasks: the libraries need a few threads (libvips, GLib), and Linux counts
  // threads against RLIMIT_NPROC, so a worker may start kWorkerExtraTasks more tasks than its
  // user had when the pool started. Root bypasses RLIMIT_NPROC; the seccomp filter forbids
  // new processes for everyone, so this bounds threads.
  SetLimit(RLIMIT_NPROC, static_cast<rlim_t>(user_tasks + kWorkerExtraTasks));
  // Its own network namespace (no interfaces) and mount namespace, where the kernel permits
  // (the supervisor logged it at start-up when not).
  bool ok = !namespaces || EnterWorkerNamespaces();
  prctl(PR_SET_DUMPABLE, 0);  // no core dumps of hostile data, no ptrace by peers
  return ok;
}

void InjectFault(WorkerFault fault) {
  switch (fault) {
    case WorkerFault::kNone: return;
    case WorkerFault::kCrash: raise(SIGSEGV); return;
    case WorkerFault::kExhaustMemory: {
      // Keep allocating and touching until the address-space limit stops us.
      for (;;) {
        char* p = new char[64u << 20];
        memset(p, 1, 64u << 20);
      }
    }
    case WorkerFault::kHang:
      for (;;) pause();
    case WorkerFault::kGarbage: return;  // handled after the real work
  }
}

bool WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string ScratchPath(const std::string& root, pid_t pid) {
  return root + "/w-" + std::to_string(pid);
}

}  // namespace

namespace {

int g_budget_fd = -1;       // the worker's result pipe, for budget notes
std::string g_budget_what;  // the budget set, for the report
constexpr std::string_view kBudgetNote = "MGB1 ";

}  // namespace

double WorkerCpuSecondsUsed() {
  timespec t{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0) return 0;
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

std::string WorkerCpuBudget() { return g_budget_what; }

void SetWorkerCpuBudget(double seconds, const std::string& what) {
  if (g_budget_fd < 0) return;
  rlimit rl{};
  if (getrlimit(RLIMIT_CPU, &rl) != 0) return;
  double used = WorkerCpuSecondsUsed();
  rlim_t want = static_cast<rlim_t>(used + std::max(1.0, seconds) + 0.999);
  // The pool's hard limit is the cap plus one second (SIGKILL after SIGXCPU): a budget may
  // be refined up or down, never past the cap.
  if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max - 1) want = rl.rlim_max - 1;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", seconds);
  g_budget_what = std::string(secs) + " s (" + what + ")";
  // A package refines its budget once per image: a note is written when the limit moves or
  // the kind of work counted changes (what follows its last ", "), not for every image.
  static std::string last_kind;
  std::string kind = what.substr(what.rfind(", ") == std::string::npos ? 0 : what.rfind(", "));
  if (want == rl.rlim_cur && kind == last_kind) return;
  last_kind = kind;
  std::string note = std::string(kBudgetNote) + g_budget_what.substr(0, 280) + "\n";
  WriteAll(g_budget_fd, note);
  rl.rlim_cur = want;
  setrlimit(RLIMIT_CPU, &rl);
}

std::string TakeBudgetNote(std::string* untrusted) {
  std::string note;
  size_t at = 0;
  while (untrusted->compare(at, kBudgetNote.size(), kBudgetNote) == 0) {
    size_t nl = untrusted->find('\n', at);
    if (nl == std::string::npos || nl - at > 300 + kBudgetNote.size()) break;
    note.clear();
    for (size_t i = at + kBudgetNote.size(); i < nl; ++i) {
      char c = (*untrusted)[i];
      note += c >= 0x20 && c < 0x7F ? c : '?';
    }
    at = nl + 1;
  }
  untrusted->erase(0, at);
  return note;
}

[[noreturn]] void RunWorkerChild(const WorkerChildSetup& c, const WorkerFunction& fn) {
  g_budget_fd = c.result_fd;
  if (!CloseOtherFds(c.input_fd, c.result_fd, c.scanner_fd, c.extra_fd)) _exit(kExitException);
  ScannerClient::SetConnectionInThisProcess(c.scanner_fd);
  std::string scratch;
  if (!c.scratch_root.empty()) {
    scratch = ScratchPath(c.scratch_root, getpid());
    if (mkdir(scratch.c_str(), 0700) != 0) _exit(kExitWriteFailed);
  }
  if (!ApplySandbox(c.limits, c.parent, c.user_tasks, c.namespaces)) _exit(kExitException);
  // Reads only what the libraries need and writes only inside the scratch folder, where the
  // kernel has Landlock (the supervisor logs its absence at start-up); then the system-call
  // allow-list, which is mandatory.
  if (WorkerLandlockAbi() > 0 && !InstallWorkerLandlock(scratch)) _exit(kExitException);
  if (!InstallWorkerSeccomp()) _exit(kExitException);  // never run unfiltered
  int code = 0;
  try {
    InjectFault(c.fault);
    std::string result = fn(c.input_fd, scratch);
    if (c.fault == WorkerFault::kGarbage) result = "MGW1\x03\x00\x00garbage";
    if (!WriteAll(c.result_fd, result)) code = kExitWriteFailed;
  } catch (const std::bad_alloc&) {
    code = kExitOutOfMemory;
  } catch (...) {
    code = kExitException;
  }
  _exit(code);  // never run the parent's atexit handlers or flush its stdio
}


void SetWorkerFaultForTesting(WorkerFault fault) { g_fault = fault; }

// Tasks (threads included) that processes of this user run now: what RLIMIT_NPROC counts.
uint64_t CountUserTasks() {
  uint64_t tasks = 0;
  uid_t uid = getuid();
  DIR* proc = opendir("/proc");
  if (!proc) return 0;
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    struct stat st;
    std::string dir = std::string("/proc/") + e->d_name;
    if (stat(dir.c_str(), &st) != 0 || st.st_uid != uid) continue;
    FILE* f = fopen((dir + "/status").c_str(), "r");
    if (!f) continue;
    char line[256];
    while (fgets(line, sizeof line, f)) {
      unsigned long n = 0;
      if (sscanf(line, "Threads: %lu", &n) == 1) {
        tasks += n;
        break;
      }
    }
    fclose(f);
  }
  closedir(proc);
  return tasks;
}

WorkerPool::WorkerPool(SandboxLimits limits, unsigned parallel, std::string scratch_root)
    : limits_(limits), parallel_(parallel == 0 ? 1 : parallel),
      scratch_root_(std::move(scratch_root)),
      // Room for every worker of this pool on top of what runs now.
      user_tasks_(CountUserTasks() + parallel_ * 2),
      namespaces_(WorkerNamespacesAvailable()) {}

void WorkerPool::RemoveScratch(pid_t pid) const {
  if (scratch_root_.empty()) return;
  std::error_code ec;  // remove_all does not follow symbolic links a worker may have made
  std::filesystem::remove_all(ScratchPath(scratch_root_, pid), ec);
}

WorkerPool::~WorkerPool() {
  for (auto& r : running_) KillAndRelease(r);
}

bool WorkerPool::ExitStatus(const Running& r, int* status, bool wait) const {
  if (r.zygote) {
    // The zygote reaps its children and reports; a zygote that died took them with it.
    return wait ? zygote_->WaitExit(r.pid, status, 10000) || (*status = SIGKILL, true)
                : zygote_->TakeExit(r.pid, status);
  }
  pid_t got;
  do {
    got = waitpid(r.pid, status, wait ? 0 : WNOHANG);
  } while (got < 0 && errno == EINTR);
  return got == r.pid;
}

void WorkerPool::KillAndRelease(Running& r) const {
  kill(-r.pid, SIGKILL);  // the worker's process group: it and anything it started
  kill(r.pid, SIGKILL);
  int status = 0;
  ExitStatus(r, &status, /*wait=*/true);
  if (!r.zygote) RemoveScratch(r.pid);
  if (r.slot) slots_->Release();
  r.slot = false;
  if (r.fd >= 0) close(r.fd);
  if (r.pidfd >= 0) close(r.pidfd);
  r.fd = r.pidfd = -1;
}

bool WorkerSlots::TryAcquire() {
  std::lock_guard<std::mutex> lock(m_);
  if (used_ >= capacity_) return false;
  ++used_;
  return true;
}

void WorkerSlots::Release() {
  std::lock_guard<std::mutex> lock(m_);
  if (used_ > 0) --used_;
}

unsigned WorkerSlots::in_use() const {
  std::lock_guard<std::mutex> lock(m_);
  return used_;
}

void WorkerPool::Submit(int input_fd, WorkerFunction fn, WorkerDone done, bool scanner,
                        int64_t start_by_ms, std::string start_by_why) {
  queue_.push_back(Job{input_fd, std::move(fn), std::move(done), scanner, "", -1, start_by_ms,
                       std::move(start_by_why)});
}

void WorkerPool::SubmitJob(int input_fd, std::string encoded_job, WorkerDone done, bool scanner,
                           int extra_fd, int64_t start_by_ms, std::string start_by_why) {
  queue_.push_back(Job{input_fd, nullptr, std::move(done), scanner, std::move(encoded_job),
                       extra_fd, start_by_ms, std::move(start_by_why)});
}

bool WorkerPool::ExpireQueued(int64_t now) {
  std::vector<WorkerDone> expired;
  std::vector<std::string> why;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->start_by_ms > 0 && now >= it->start_by_ms) {
      expired.push_back(std::move(it->done));
      why.push_back(it->start_by_why);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  for (size_t i = 0; i < expired.size(); ++i) {
    WorkerOutcome o;
    o.kind = WorkerOutcome::Kind::kQueueTimeout;
    o.detail = "no worker was free in time (" + why[i] + "): every worker of this host is busy";
    expired[i](std::move(o));
  }
  return !expired.empty();
}

WorkerFault WorkerFaultForTesting() { return g_fault; }

std::mutex& ForkMutex() {
  static std::mutex m;
  return m;
}

void WorkerPool::Start(Job job) {
  int scanner_fd = -1;
  if (job.scanner && connect_scanner_) {
    scanner_fd = connect_scanner_();
    if (scanner_fd < 0) {
      WorkerOutcome o;
      o.detail = "cannot reach the scanner process (see mugai.log)";
      job.done(std::move(o));
      return;
    }
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    WorkerOutcome o;
    o.detail = std::string("cannot create a pipe: ") + strerror(errno);
    if (scanner_fd >= 0) close(scanner_fd);
    job.done(std::move(o));
    return;
  }
  if (!job.zygote_job.empty()) {
    // Zygote mode: the worker is forked from the zygote, not from this process.
    Result<pid_t> spawned = zygote_ ? zygote_->Spawn(job.zygote_job, job.input_fd, fds[1],
                                                     scanner_fd, job.extra_fd)
                                    : Status{StatusCode::kInternal, "no worker zygote"};
    close(fds[1]);
    if (scanner_fd >= 0) close(scanner_fd);
    if (!spawned.ok()) {
      close(fds[0]);
      WorkerOutcome o;
      o.detail = spawned.status().message();
      job.done(std::move(o));
      return;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    Running r{spawned.value(), fds[0], -1,
              MonotonicMs() + static_cast<int64_t>(limits_.wall_seconds) * 1000, {},
              false, std::move(job.done)};
    r.zygote = true;
    running_.push_back(std::move(r));
    return;
  }
  fflush(nullptr);  // nothing buffered may be written twice by the child
  pid_t supervisor = getpid();
  pid_t pid;
  {
    std::lock_guard<std::mutex> lock(ForkMutex());
    pid = fork();
  }
  if (scanner_fd >= 0 && pid != 0) close(scanner_fd);  // the worker has its own copy
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    WorkerOutcome o;
    o.detail = std::string("cannot fork a worker: ") + strerror(errno);
    job.done(std::move(o));
    return;
  }
  if (pid == 0) {
    setpgid(0, 0);  // its own process group, so that whatever it starts can be killed with it
    close(fds[0]);
    RunWorkerChild(WorkerChildSetup{limits_, scratch_root_, job.input_fd, fds[1], scanner_fd,
                                    job.extra_fd, supervisor, user_tasks_, namespaces_, g_fault},
                   job.fn);
  }
  setpgid(pid, pid);  // also here: no window in which kill(-pid) misses the group
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  // A pidfd lets poll() wake the moment the worker exits (Linux >= 5.3); without one we
  // fall back to short sleeps between non-blocking waitpid() calls.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  running_.push_back(Running{pid, fds[0], pidfd,
                             MonotonicMs() + static_cast<int64_t>(limits_.wall_seconds) * 1000, {},
                             false, std::move(job.done)});
}

WorkerOutcome WorkerPool::OutcomeFromStatus(int status, std::string bytes) const {
  WorkerOutcome o;
  std::string budget = TakeBudgetNote(&bytes);
  if (WIFSIGNALED(status)) {
    o.signal = WTERMSIG(status);
    // RLIMIT_CPU sends SIGXCPU, then SIGKILL at the hard limit.
    bool cpu = o.signal == SIGXCPU || o.signal == SIGKILL;
    o.kind = cpu ? WorkerOutcome::Kind::kTimedOut : WorkerOutcome::Kind::kCrashed;
    std::string cap = "worker.cpu_seconds = " + std::to_string(limits_.cpu_seconds);
    o.detail = !cpu ? std::string("worker crashed with signal ") + strsignal(o.signal)
               : budget.empty()
                   ? "worker exceeded its CPU limit of " + std::to_string(limits_.cpu_seconds) +
                         " s (" + cap + ")"
                   : "worker exceeded its CPU budget of " + budget + "; " + cap +
                         " caps every item";
  } else if (WEXITSTATUS(status) == kExitOutOfMemory) {
    o.kind = WorkerOutcome::Kind::kOutOfMemory;
    o.exit_code = kExitOutOfMemory;
    o.detail = "worker exceeded its memory limit of " + std::to_string(limits_.memory_bytes) +
               " bytes";
  } else if (WEXITSTATUS(status) != 0) {
    o.kind = WorkerOutcome::Kind::kCrashed;
    o.exit_code = WEXITSTATUS(status);
    o.detail = "worker failed with exit code " + std::to_string(o.exit_code);
  } else {
    o.kind = WorkerOutcome::Kind::kCompleted;
    o.untrusted_result = std::move(bytes);
  }
  return o;
}

WorkerOutcome WorkerPool::Kill(Running& r) const {
  kill(-r.pid, SIGKILL);  // the worker's process group: it and anything it started
  kill(r.pid, SIGKILL);
  int status = 0;
  ExitStatus(r, &status, /*wait=*/true);
  WorkerOutcome o;
  if (r.too_large) {
    o.kind = WorkerOutcome::Kind::kResultTooLarge;
    o.detail = "worker result larger than " + std::to_string(limits_.max_result_bytes) + " bytes";
  } else {
    o.kind = WorkerOutcome::Kind::kTimedOut;
    o.detail = "worker overran its deadline of " + std::to_string(limits_.wall_seconds) +
               " s and was killed";
  }
  return o;
}

void WorkerPool::FailEverything(const std::string& why) {
  std::vector<WorkerDone> pending;
  for (auto& r : running_) {
    KillAndRelease(r);
    pending.push_back(std::move(r.done));
  }
  running_.clear();
  for (auto& job : queue_) pending.push_back(std::move(job.done));
  queue_.clear();
  for (auto& done : pending) {
    WorkerOutcome o;
    o.kind = WorkerOutcome::Kind::kStartFailed;
    o.detail = why;
    done(std::move(o));
  }
  queue_.clear();  // callbacks must not start new work after a fatal error
}

void WorkerPool::Drain(Running& r, std::vector<char>& buf) const {
  while (r.fd >= 0) {
    ssize_t got = read(r.fd, buf.data(), buf.size());
    if (got > 0) {
      if (r.bytes.size() + static_cast<size_t>(got) > limits_.max_result_bytes) {
        r.too_large = true;
        return;
      }
      r.bytes.append(buf.data(), static_cast<size_t>(got));
      continue;
    }
    if (got == 0) {  // EOF: every writer is done
      close(r.fd);
      r.fd = -1;
    } else if (errno == EINTR) {
      continue;
    }
    return;  // EAGAIN: nothing more for now
  }
}

void WorkerPool::Run() {
  std::vector<char> buf(1 << 16);
  while (!queue_.empty() || !running_.empty()) {
    bool waiting_for_slot = false;
    while (running_.size() < parallel_ && !queue_.empty()) {
      if (slots_ && !slots_->TryAcquire()) {
        waiting_for_slot = true;  // other requests' workers fill the host's cap
        break;
      }
      Job job = std::move(queue_.front());
      queue_.pop_front();
      size_t before = running_.size();
      Start(std::move(job));
      if (running_.size() > before) {
        running_.back().slot = slots_ != nullptr;
      } else if (slots_) {
        slots_->Release();  // it failed to start (its callback ran)
      }
    }
    if (waiting_for_slot && ExpireQueued(MonotonicMs())) continue;
    if (running_.empty()) {
      // Nothing of ours runs: wait a little for another pool to free a slot.
      if (waiting_for_slot) poll(nullptr, 0, 5);
      continue;
    }

    std::vector<pollfd> pfds;
    int64_t now = MonotonicMs();
    int64_t wait_ms = 1000;
    bool awaiting_exit = false;
    for (auto& r : running_) {
      wait_ms = std::min(wait_ms, std::max<int64_t>(0, r.deadline_ms - now));
      if (r.fd >= 0) pfds.push_back(pollfd{r.fd, POLLIN, 0});
      if (r.pidfd >= 0) pfds.push_back(pollfd{r.pidfd, POLLIN, 0});
      else if (r.fd < 0) awaiting_exit = true;
    }
    if (awaiting_exit) wait_ms = std::min<int64_t>(wait_ms, 2);
    if (waiting_for_slot) wait_ms = std::min<int64_t>(wait_ms, 5);
    int n = poll(pfds.data(), pfds.size(), static_cast<int>(wait_ms));
    if (n < 0 && errno != EINTR) {
      FailEverything(std::string("poll failed: ") + strerror(errno));
      return;
    }

    for (auto& r : running_) Drain(r, buf);

    // Reap finished, oversized and overdue workers. Callbacks may Submit(), which only
    // touches queue_, so outcomes are collected first and delivered after the sweep.
    now = MonotonicMs();
    std::vector<std::pair<WorkerDone, WorkerOutcome>> finished;
    for (size_t i = 0; i < running_.size();) {
      Running& r = running_[i];
      std::optional<WorkerOutcome> outcome;
      int status = 0;
      if (r.too_large || now >= r.deadline_ms) {
        outcome = Kill(r);
      } else if (ExitStatus(r, &status, /*wait=*/false)) {
        // The worker is gone. Anything it started goes too (its process group), and what it
        // wrote is already in the pipe: take it without waiting for an EOF that a leftover
        // descendant holding the pipe could withhold.
        kill(-r.pid, SIGKILL);
        Drain(r, buf);
        if (r.too_large) {
          outcome = WorkerOutcome{WorkerOutcome::Kind::kResultTooLarge, 0, 0, "",
                                  "worker result larger than " +
                                      std::to_string(limits_.max_result_bytes) + " bytes"};
        } else {
          outcome = OutcomeFromStatus(status, std::move(r.bytes));
        }
      }
      if (!outcome) {
        ++i;
        continue;
      }
      if (!r.zygote) RemoveScratch(r.pid);  // zygote workers have none
      if (r.slot) slots_->Release();
      if (r.fd >= 0) close(r.fd);
      if (r.pidfd >= 0) close(r.pidfd);
      finished.emplace_back(std::move(r.done), std::move(*outcome));
      running_.erase(running_.begin() + static_cast<long>(i));
    }
    for (auto& [done, outcome] : finished) done(std::move(outcome));
  }
}

}  // namespace mugai
