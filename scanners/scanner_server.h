// The scanner process (ARCHITECTURE §3): holds the host's one compiled ClamAV engine and scans
// the sealed memfds workers send it, a thread per connection on that one engine, as clamd
// does. It reloads when the signature folder changes (checked every reload_check_seconds, as
// clamd's SelfCheck) and on SIGHUP: a second engine is loaded beside the first by a thread at
// the lowest CPU priority (SCHED_IDLE), then swapped in; scans in progress finish on the old
// one, and no request waits for the reload.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "scanners/malware_scanner.h"

namespace mugai {

struct ScannerServerOptions {
  int listen_fd = 3;      // a listening Unix stream socket
  int ready_fd = 4;       // gets "ready\t<engine>\t<signatures>\t<version>\n" or "error\t<why>\n"
  std::string signatures;  // a database file or folder
  bool empty = false;      // --allow-no-signatures: an engine with no signatures
  ScanLimits limits{};
  std::string temp_dir;    // libclamav's temporary files
  uint32_t reload_check_seconds = 60;  // 0 = only on SIGHUP
  pid_t parent_pid = 0;    // the supervisor: the scanner ends itself when it is gone
};

// Runs until the listening socket fails or the process is killed. Returns an exit code.
int RunScannerServer(const ScannerServerOptions& options);

// A fingerprint of what a signature folder (or file) holds now: names, sizes and times of
// its database files. Two equal fingerprints mean nothing to reload.
std::string SignatureFingerprint(const std::string& path);

}  // namespace mugai
