// The supervisor's handle on the zygote (ARCHITECTURE §3): `mugai-zygote`, a single-threaded
// process started before any item is accepted, holding the format libraries warmed up and no
// item bytes. Workers are forked from it, never from the supervisor, so a worker holds only
// the job it was sent and the descriptors that came with it.
// Messages (SOCK_SEQPACKET, one per datagram):
//   supervisor → zygote  "J" u64 id, u8 has_scanner, u8 has_extra, with descriptors: the job
//                        (a sealed memfd of gateway/sandbox/worker_job.h, read only by the worker),
//                        input, result pipe, [scanner], [extra]
//   zygote → supervisor  "R" ready | "S" u64 id, i32 pid (negative: -errno) | "X" i32 pid,
//                        i32 wait status
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "gateway/service/config.h"

namespace mugai {

class EventLog;

class ZygoteClient {
 public:
  ZygoteClient(std::string executable, EventLog* log);
  ~ZygoteClient();
  ZygoteClient(const ZygoteClient&) = delete;
  ZygoteClient& operator=(const ZygoteClient&) = delete;

  // Starts the zygote with `config` and waits until its libraries are warm.
  Status Start(const Config& config);

  // Has the zygote fork a worker for `job` (encoded) with these descriptors (`scanner_fd`
  // and `extra_fd` may be -1). Returns its pid, or an error (the job then fails closed).
  Result<pid_t> Spawn(const std::string& job, int input_fd, int result_fd, int scanner_fd,
                      int extra_fd);

  // The wait status of a worker the zygote has reaped; false when it has not (yet).
  bool TakeExit(pid_t pid, int* status);
  // Waits up to `ms` for it.
  bool WaitExit(pid_t pid, int* status, int ms);

  pid_t pid() const { return pid_; }

 private:
  void ReadLoop();
  void Stop();

  std::string executable_;
  EventLog* log_;
  Config config_;
  int sock_ = -1;
  pid_t pid_ = -1;
  std::thread reader_;
  std::mutex mutex_;       // the maps and `dead_`
  std::mutex send_mutex_;  // one Spawn at a time on the socket
  std::condition_variable changed_;
  std::map<uint64_t, pid_t> spawned_;  // job id → pid (or -errno)
  std::map<pid_t, int> exited_;        // pid → wait status
  uint64_t next_id_ = 1;
  bool dead_ = false;
  std::atomic<bool> stopping_{false};
};

// Where `mugai-zygote` is: $MUGAI_ZYGOTE, else beside this program (a build tree, or
// /usr/lib/mugai for an installed /usr/bin/mugai), else /usr/lib/mugai/mugai-zygote.
std::string ZygoteExecutable();

}  // namespace mugai
