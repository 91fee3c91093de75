// The supervisor's handle on the scanner process (ARCHITECTURE §3): starts `mugai
// scanner-server` (the one compiled ClamAV engine of this supervisor), hands each scanning
// worker a fresh connection to it, and restarts it when it has died. The supervisor itself
// loads no engine, so forking a worker copies a small process, not ~1–2 GB of signatures.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <string>

#include "common/status.h"
#include "scanners/malware_scanner.h"

namespace mugai {

class EventLog;

struct ScannerProcessOptions {
  std::string executable;   // the mugai program (runs `mugai scanner-server`)
  std::string run_dir;      // a private folder for its socket and temporary files (0700)
  std::string signatures;
  bool empty = false;       // --allow-no-signatures
  ScanLimits limits{};
  uint32_t reload_check_seconds = 60;
  bool namespaces = false;  // enter its own network and mount namespaces
  uint32_t start_timeout_seconds = 600;  // a real-size database takes ~20 s on 2 cores
};

class ScannerProcess {
 public:
  ScannerProcess(ScannerProcessOptions options, EventLog* log);
  ~ScannerProcess();
  ScannerProcess(const ScannerProcess&) = delete;
  ScannerProcess& operator=(const ScannerProcess&) = delete;

  // Starts the scanner and waits until its engine is compiled. kConfig with the scanner's
  // own message when the signatures cannot be loaded.
  Status Start();

  // A new connection for one worker (close-on-exec; the pool passes it to the child). While
  // the scanner restarts, the connection waits in the backlog and its scans wait (within the
  // worker's deadline). -1 when the socket cannot be reached; the caller then fails the job.
  int Connect();

  // The engine in use now (asked of the scanner, so it follows reloads); the last known one
  // when the scanner cannot be asked.
  // `answered` (optional): whether the scanner answered just now.
  EngineInfo CurrentInfo(bool* answered = nullptr);
  const EngineInfo& StartInfo() const { return info_; }

  // Asks the scanner to load the signatures again now (SIGHUP).
  void Reload();
  pid_t pid() const { return pid_; }
  // How often the watcher has started it again after it died.
  uint64_t restarts() const { return restarts_.load(); }

 private:
  Status Spawn();
  void Stop();
  bool Alive();
  // A thread that restarts the scanner the moment it dies, so that connections waiting in
  // the listening socket's backlog are served by the new one rather than by nobody.
  void Watch();

  ScannerProcessOptions options_;
  EventLog* log_;
  std::string socket_path_;
  int listen_fd_ = -1;
  pid_t pid_ = -1;
  EngineInfo info_;
  std::mutex mutex_;  // Connect() from several pools (the milter's threads)
  std::thread watcher_;
  int stop_fd_ = -1;  // eventfd: ends the watcher
  std::atomic<uint64_t> restarts_{0};
};

}  // namespace mugai
