// `mugai scanner-server`: confines itself, then hands over to scanners/scanner_server.cc.
#include "gateway/cli/scanner_server_command.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "gateway/cli/cli_args.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/sandbox/worker_seccomp.h"
#include "scanners/scanner_server.h"

namespace mugai {

namespace {

constexpr char kHelp[] = R"(Usage: mugai scanner-server (--signatures PATH | --empty) --temp-dir DIR [OPTIONS]

The scanner process of a mugai gateway (マルウェア検査プロセス): it holds the one compiled
ClamAV engine and scans, for every worker, the sealed in-memory files the worker sends it,
many at once on that one engine (as clamd does). mugai starts it itself; there is no need to
run it by hand. It accepts connections on the listening socket it inherits as descriptor 3
and says "ready" (or why not) on descriptor 4 once the engine is compiled. It loads the
signatures again on SIGHUP and whenever the signature folder changes (checked every
--reload-check-seconds), beside the engine in use and at the lowest CPU priority, then swaps.
Before loading anything it confines itself: Landlock (reads only the signatures and the
libraries, writes only in --temp-dir) and a seccomp filter (no programs, no network, no new
processes, no signals to other processes).

Options:
  --signatures PATH             a ClamAV database file or folder (scan.signatures)
  --empty                       no signatures (--allow-no-signatures; tests and demos only)
  --temp-dir DIR                libclamav's temporary files
  --parent-pid PID              end when this process (the supervisor) is gone
  --reload-check-seconds N      how often to look for new signatures (0 = only on SIGHUP)
  --max-file-size N, --max-scan-size N, --max-recursion N, --max-files N,
  --max-scan-time-ms N          libclamav's limits (scan.*)
  --no-image-fuzzy-hash         skip libclamav's image fuzzy hashing
  --no-sandbox                  skip Landlock and seccomp (debugging only)
  -h, --help                    show this help
)";

}  // namespace

int RunScannerServerCommand(const std::vector<std::string>& args) {
  ScannerServerOptions o;
  o.limits = ScanLimits{100ULL << 20, 400ULL << 20, 17, 10000, 120000, true, false};
  bool sandbox = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return kExitDelivered;
    }
    if (a == "--no-sandbox" || a == "--empty" || a == "--no-image-fuzzy-hash") {
      if (a == "--no-sandbox") sandbox = false;
      if (a == "--empty") o.empty = true;
      if (a == "--no-image-fuzzy-hash") o.limits.image_fuzzy_hash = false;
      continue;
    }
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "mugai scanner-server: %s needs a value\n%s", a.c_str(), kHelp);
      return kExitUsage;
    }
    const std::string& v = args[++i];
    uint64_t n = 0;
    bool ok = true;
    if (a == "--signatures") {
      o.signatures = v;
    } else if (a == "--parent-pid") {
      ok = ParseU64(v, &n) && n > 0 && n < (1u << 30);
      o.parent_pid = static_cast<pid_t>(n);
    } else if (a == "--temp-dir") {
      o.temp_dir = v;
    } else if (a == "--reload-check-seconds") {
      ok = ParseU64(v, &n) && n <= 86400;
      o.reload_check_seconds = static_cast<uint32_t>(n);
    } else if (a == "--max-file-size") {
      ok = ParseU64(v, &o.limits.max_file_size);
    } else if (a == "--max-scan-size") {
      ok = ParseU64(v, &o.limits.max_scan_size);
    } else if (a == "--max-recursion") {
      ok = ParseU64(v, &n) && n <= 1000;
      o.limits.max_recursion = static_cast<uint32_t>(n);
    } else if (a == "--max-files") {
      ok = ParseU64(v, &n) && n <= UINT32_MAX;
      o.limits.max_files = static_cast<uint32_t>(n);
    } else if (a == "--max-scan-time-ms") {
      ok = ParseU64(v, &n) && n <= UINT32_MAX;
      o.limits.max_scan_time_ms = static_cast<uint32_t>(n);
    } else {
      std::fprintf(stderr, "mugai scanner-server: unknown option %s\n%s", a.c_str(), kHelp);
      return kExitUsage;
    }
    if (!ok) {
      std::fprintf(stderr, "mugai scanner-server: bad value for %s: %s\n", a.c_str(), v.c_str());
      return kExitUsage;
    }
  }
  if ((o.signatures.empty() && !o.empty) || o.temp_dir.empty()) {
    std::fprintf(stderr, "mugai scanner-server: --signatures (or --empty) and --temp-dir are "
                         "required\n%s", kHelp);
    return kExitUsage;
  }
  if (sandbox) {
    // Landlock rules name folders: a database given as one file is read beneath its folder.
    std::string readable = o.empty ? o.temp_dir : o.signatures;
    struct stat st;
    if (!o.empty && stat(readable.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      size_t slash = readable.rfind('/');
      readable = slash == std::string::npos ? "." : slash == 0 ? "/" : readable.substr(0, slash);
    }
    if (WorkerLandlockAbi() > 0 && !InstallOfficeLandlock(o.temp_dir, readable)) {
      std::fprintf(stderr, "mugai scanner-server: Landlock rules could not be installed\n");
      return 3;
    }
    if (!InstallOfficeSeccomp()) {
      std::fprintf(stderr, "mugai scanner-server: the seccomp filter could not be installed\n");
      return 3;
    }
  }
  return RunScannerServer(o);
}

}  // namespace mugai
