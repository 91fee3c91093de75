// A worker's side of the scanner process: scans through the one connection the worker was
// started with (ARCHITECTURE §3: one engine per host, in the scanner process; workers hold no
// engine). Any failure of the connection or a malformed reply is a failed scan (kError), so
// the node is blocked: fail closed.
#pragma once

#include "scanners/scanner.h"
#include "scanners/scanner_protocol.h"

namespace mugai {

class ScannerClient final : public Scanner {
 public:
  // Sets this process's connection to the scanner (a worker right after fork; -1 = none).
  static void SetConnectionInThisProcess(int fd);
  static int ConnectionInThisProcess();

  ScanResult Scan(int fd, const std::string& name) const override;
  std::string MacroHeuristic(int fd, const std::string& name) const override;
  void UseTempDirInThisProcess(const std::string&) const override {}
  bool loaded() const override { return true; }

  // One request over `sock`; the reply, or kError saying what went wrong.
  static ScanReply Ask(int sock, ScanOp op, const std::string& name, int fd);
};

}  // namespace mugai
