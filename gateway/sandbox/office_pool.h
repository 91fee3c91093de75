// The warm LibreOffice pool (ARCHITECTURE §3, issue 4): a few `mugai office-server` processes,
// each with LibreOffice already loaded, that convert legacy Office, RTF and ODF documents to
// PDF. Each pool has its own folder (<state>/office/pool-<pid>-XXXXXX, 0700), so that two
// gateway processes on one state folder never share a converter. The supervisor owns one
// listening Unix socket per slot and hands each process its socket; a manager thread starts
// a process per slot in a freshly emptied folder, and starts a new one whenever a process
// ends (after office.max_documents documents, after any failure, or killed by its own
// per-document timeout). Connections waiting on the socket survive that restart.
//
// The supervisor never talks to LibreOffice itself: Connect() gives a connected socket, and a
// relay worker (sandboxed like every worker) sends the document and reads the PDF back.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "gateway/service/event_log.h"

namespace mugai {

struct OfficePoolOptions {
  std::string program_dir;   // office.libreoffice_dir
  std::string root;          // <state>/office
  unsigned size = 1;         // office.pool_size
  uint32_t max_documents = 200;
  uint32_t timeout_seconds = 60;
  uint64_t memory_bytes = 0;  // address-space limit of a converter process (0 = none)
  uint64_t max_document_bytes = 0;
  uint64_t max_pdf_bytes = 0;
  bool namespaces = true;     // enter a new network (and mount) namespace, as workers do
  std::string executable;     // this program, run as `office-server`
};

class OfficePool {
 public:
  OfficePool(OfficePoolOptions options, EventLog* log);
  ~OfficePool();
  OfficePool(const OfficePool&) = delete;
  OfficePool& operator=(const OfficePool&) = delete;

  // "" when LibreOffice can be used; else what is missing and what to install.
  const std::string& missing() const { return missing_; }

  // Starts the converter processes now rather than at the first document (watch, milter).
  Status Prestart();

  // A connected socket to one converter process (round robin), started on first use. The
  // caller closes `fd`. Fails at once when the converters cannot start (the reason says why).
  struct Connection {
    int fd;
    unsigned slot;
  };
  Result<Connection> Connect();

  // Kills the slot's converter (it is started again): it overran a relay's deadline or
  // answered with something that is not a result.
  void Recycle(unsigned slot);

  // Converter processes started so far, and how many ended in failure (tests, logs).
  uint64_t processes_started() const { return started_count_.load(); }

 private:
  struct Slot {
    int listen_fd = -1;
    std::string socket_path;
    std::string work_dir;  // the converter's only writable folder, emptied before each start
    std::string log_path;  // its standard error (outside work_dir)
    pid_t pid = 0;
    int pidfd = -1;
    int64_t started_ms = 0;
    int64_t next_start_ms = 0;
    unsigned failures = 0;
  };

  Status StartLocked();
  void Manage();
  void Spawn(Slot& slot);
  void Reap(Slot& slot, bool wait);

  OfficePoolOptions options_;
  EventLog* log_;
  std::string missing_;
  std::string pool_dir_;  // <root>/pool-<pid>-XXXXXX: this pool's sockets, logs, slots
  std::mutex mu_;
  bool running_ = false;
  std::string start_error_;  // the last reason a converter could not start
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread manager_;
  std::vector<Slot> slots_;
  std::atomic<unsigned> next_{0};
  std::atomic<uint64_t> started_count_{0};
};

}  // namespace mugai
