// Runs untrusted work in forked, resource-limited worker processes (ARCHITECTURE §3).
// Single-threaded: one poll() loop watches every running worker's result pipe and deadline,
// so the supervisor never blocks on a misbehaving worker.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace mugai {

struct SandboxLimits {
  uint64_t memory_bytes;     // address space a worker may add to what it inherits
  uint32_t cpu_seconds;
  uint32_t wall_seconds;     // deadline; the worker is killed with SIGKILL after it
  uint32_t open_files;
  uint64_t file_size_bytes;  // largest file a worker may write (libclamav temp files)
  uint64_t max_result_bytes; // larger results are a protocol error
};

struct WorkerOutcome {
  enum class Kind {
    kCompleted,        // exited 0 after writing a result (still to be decoded)
    kCrashed,          // killed by a signal or exited non-zero
    kOutOfMemory,      // the allocation limit was hit
    kTimedOut,         // wall-clock deadline passed
    kResultTooLarge,   // wrote more than max_result_bytes
    kStartFailed,      // fork or pipe failed
    kQueueTimeout,     // not started by its deadline: the host's workers were all busy
  };
  Kind kind = Kind::kStartFailed;
  int exit_code = 0;
  int signal = 0;
  std::string untrusted_result;  // raw bytes from the worker, undecoded
  std::string detail;            // human explanation for non-completed kinds
};

// The code a worker runs: given the input fd and its private scratch folder ("" when the
// pool has none), returns the encoded result bytes.
using WorkerFunction = std::function<std::string(int input_fd, const std::string& scratch_dir)>;
using WorkerDone = std::function<void(WorkerOutcome)>;

// A worker's CPU budget, set once it knows how much work its item is (pages, pixels, parts):
// lowers the worker's own RLIMIT_CPU soft limit to the CPU time used so far plus `seconds`
// (never above the pool's cap, worker.cpu_seconds) and sends the supervisor a note of `what`
// ahead of its result, so that a worker stopped by the budget is reported with it named.
// Only in a worker process started by a pool or the zygote; elsewhere it does nothing.
void SetWorkerCpuBudget(double seconds, const std::string& what);
// The budget set in this worker ("" when none) and the CPU seconds it has used so far.
std::string WorkerCpuBudget();
double WorkerCpuSecondsUsed();

// Splits a worker's raw output into its budget note (the last one; "" when none) and the
// result bytes that follow. The note is untrusted text: printable ASCII, at most 300 bytes.
std::string TakeBudgetNote(std::string* untrusted);

// Held around fork() by every pool, and by supervisor code of a multi-threaded front end
// (the milter) while it is inside a library with internal locks (GMime, libarchive), so that
// no worker is forked with such a lock held by another thread.
std::mutex& ForkMutex();

// Faults a test build injects into the next workers (never set in production code paths).
enum class WorkerFault : uint8_t { kNone, kCrash, kExhaustMemory, kHang, kGarbage, kLast = kGarbage };
void SetWorkerFaultForTesting(WorkerFault fault);
WorkerFault WorkerFaultForTesting();

class ZygoteClient;

// Everything a worker process needs to confine itself and run (from the pool's fork, or from
// the zygote's).
struct WorkerChildSetup {
  SandboxLimits limits;
  std::string scratch_root;
  int input_fd;
  int result_fd;
  int scanner_fd;  // its connection to the scanner process, or -1
  int extra_fd;    // a LibreOffice converter's connection (relay workers), or -1
  pid_t parent;    // the process that forked it: the worker ends if that one is gone
  uint64_t user_tasks;
  bool namespaces;
  WorkerFault fault;
};

// In a freshly forked worker: closes every other descriptor, applies the limits, namespaces,
// Landlock and the seccomp allow-list, runs `fn` and writes its result; never returns.
[[noreturn]] void RunWorkerChild(const WorkerChildSetup& setup, const WorkerFunction& fn);

// The host's cap on workers running at once (worker.jobs), shared by every pool of a
// supervisor: each request of `mugai serve` runs its own pool, and together they never run
// more workers than this. Thread-safe.
class WorkerSlots {
 public:
  explicit WorkerSlots(unsigned capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  bool TryAcquire();
  void Release();
  unsigned capacity() const { return capacity_; }
  unsigned in_use() const;

 private:
  mutable std::mutex m_;
  unsigned capacity_;
  unsigned used_ = 0;
};

class WorkerPool {
 public:
  // `scratch_root`: each worker gets <scratch_root>/w-<pid> (mode 0700) for its temporary
  // files, removed by the supervisor when the worker is gone, whatever way it ended.
  WorkerPool(SandboxLimits limits, unsigned parallel, std::string scratch_root = "");
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues a job. `input_fd` stays owned by the caller and must stay open until `done` runs.
  // `done` is called from Run(); it may Submit() further jobs.
  // `scanner`: the worker scans, so it is started with its own connection to the scanner
  // process (from the connector; a job whose connection fails ends kStartFailed).
  // `start_by_ms` (CLOCK_MONOTONIC, 0 = none): not started by then (every slot of the host
  // busy), it ends kQueueTimeout, naming `start_by_why`.
  void Submit(int input_fd, WorkerFunction fn, WorkerDone done, bool scanner = false,
              int64_t start_by_ms = 0, std::string start_by_why = "");

  // How a scanning worker gets its connection to the scanner process (a new descriptor per
  // worker, closed by the pool once the child has its copy). Unset: workers get none.
  void SetScannerConnector(std::function<int()> connect) { connect_scanner_ = std::move(connect); }

  // Zygote mode (production): workers are forked by the zygote from an encoded job
  // (gateway/sandbox/worker_job.h), never from this process. `extra_fd` (or -1) goes with it.
  void SetZygote(ZygoteClient* zygote) { zygote_ = zygote; }
  void SubmitJob(int input_fd, std::string encoded_job, WorkerDone done, bool scanner,
                 int extra_fd = -1, int64_t start_by_ms = 0, std::string start_by_why = "");

  // Workers of this pool also take a slot of `slots` while they run (the host's cap).
  void SetSlots(WorkerSlots* slots) { slots_ = slots; }

  const SandboxLimits& limits() const { return limits_; }
  const std::string& scratch_root() const { return scratch_root_; }
  uint64_t user_tasks() const { return user_tasks_; }
  bool namespaces() const { return namespaces_; }

  // Runs until every queued job (including ones submitted by callbacks) has finished.
  void Run();

 private:
  struct Job {
    int input_fd;
    WorkerFunction fn;
    WorkerDone done;
    bool scanner = false;
    std::string zygote_job;  // zygote mode: the encoded job
    int extra_fd = -1;
    int64_t start_by_ms = 0;   // CLOCK_MONOTONIC: not started by then, it fails (0 = never)
    std::string start_by_why;  // the setting that set that deadline, for the message
  };
  struct Running {
    pid_t pid;
    int fd;               // read end of the result pipe, -1 after EOF
    int pidfd;            // readable when the worker has exited; -1 if the kernel has none
    int64_t deadline_ms;  // CLOCK_MONOTONIC
    std::string bytes;
    bool too_large = false;
    WorkerDone done;
    bool zygote = false;  // the zygote's child: its exit status comes from the zygote
    bool slot = false;    // holds one of slots_
  };

  void Start(Job job);
  // Interprets a wait status of a worker that exited by itself.
  WorkerOutcome OutcomeFromStatus(int status, std::string bytes) const;
  // Kills an oversized or overdue worker and reaps it.
  WorkerOutcome Kill(Running& r) const;

  void RemoveScratch(pid_t pid) const;
  // Kills a worker's process group, reaps it, removes its scratch folder, closes its fds.
  void KillAndRelease(Running& r) const;
  // Reads what a worker's pipe holds now (non-blocking); closes it at EOF.
  void Drain(Running& r, std::vector<char>& buf) const;
  // Kills every worker and fails every job (running and queued) with kStartFailed.
  void FailEverything(const std::string& why);

  SandboxLimits limits_;
  unsigned parallel_;
  std::string scratch_root_;
  uint64_t user_tasks_;  // base for each worker's RLIMIT_NPROC
  bool namespaces_;      // workers enter their own namespaces; failing to is then fatal
  std::function<int()> connect_scanner_;
  ZygoteClient* zygote_ = nullptr;
  WorkerSlots* slots_ = nullptr;
  // Fails queued jobs whose start deadline has passed; true if any did.
  bool ExpireQueued(int64_t now);
  // The worker's wait status, from waitpid (own child) or the zygote; false while it runs.
  bool ExitStatus(const Running& r, int* status, bool wait) const;
  std::deque<Job> queue_;
  std::vector<Running> running_;
};

}  // namespace mugai
