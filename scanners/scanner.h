// What worker code scans with: the host's one ClamAV engine, reached through the scanner
// process (scanners/scanner_client.h), or an engine in this process (MalwareScanner, used by
// the scanner process itself and by unit tests).
#pragma once

#include <cstdint>
#include <string>

namespace mugai {

enum class ScanOutcome { kClean, kInfected, kError };

struct ScanResult {
  ScanOutcome outcome = ScanOutcome::kError;
  std::string threat;  // signature name when infected (heuristics included)
  std::string error;   // libclamav's (or the connection's) message when kError
};

struct EngineInfo {
  std::string engine_version;     // e.g. "ClamAV 1.4.6"
  uint32_t signature_count = 0;
  uint32_t database_version = 0;  // daily.cvd version, 0 for custom databases
  // Unix time the newest database was built: the CVD/CLD header's (cl_engine_get_num
  // CL_ENGINE_DB_TIME), else the newest modification time of the signature files; 0 when
  // unknown (no signatures)
  int64_t database_time = 0;
  std::string signatures_path;
};

class Scanner {
 public:
  virtual ~Scanner() = default;

  // Scans the regular file or memfd `fd` from its start. Limits exceeded are kInfected with a
  // "Heuristics.Limits.Exceeded.*" threat, never clean; a degraded or failed scan is kError.
  virtual ScanResult Scan(int fd, const std::string& name) const = 0;

  // The name libclamav's macro heuristic gives an OLE2 document with VBA or Excel 4.0 macros,
  // "" when it finds none (or cannot tell). For the report only.
  virtual std::string MacroHeuristic(int fd, const std::string& name) const = 0;

  // Points libclamav's temporary files at `dir` for scans made by this process (a no-op
  // where the engine lives in another process).
  virtual void UseTempDirInThisProcess(const std::string& dir) const = 0;

  virtual bool loaded() const = 0;
};

}  // namespace mugai
