// `mugai-zygote unlock-helper`: argument parsing and the sandbox; the work is in
// converters/unlock/unlock_helper.cc.
#include "gateway/cli/unlock_helper_command.h"

#include <cstdio>

#include "converters/unlock/unlock_helper.h"
#include "gateway/cli/cli_args.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/sandbox/worker_seccomp.h"

namespace mugai {

namespace {

constexpr char kHelp[] = R"(Usage: mugai-zygote unlock-helper --work-dir DIR [OPTIONS]

Decrypts one password-protected item (パスワード付きファイルの復号) for the gateway, which starts
one such process per item it was given a password for; there is no need to run it by hand.
It reads one request (kind, password, bytes) from the connection it inherits as descriptor
3 and answers with the decrypted bytes: Word/Excel/PowerPoint documents through
msoffcrypto-tool (python3), 7z archives through 7-Zip and rar archives through The
Unarchiver's unar (as a plain tar). The password reaches msoffcrypto-tool and 7-Zip on their
standard input; unar accepts it only on its command line. Before it runs a tool it confines itself and the
tool with Landlock (changes only in --work-dir) and a seccomp filter (no other process, no
network, no new session); the gateway has already put it in its own network namespace with
resource limits. It ends --timeout-seconds after the request arrived, whatever it is doing.

Options:
  --work-dir DIR            its private folder (the item, the tool's output)
  --timeout-seconds N       for the whole request (unlock.timeout_seconds)
  --max-input-bytes N       largest item accepted
  --max-output-bytes N      largest decrypted document or tar returned
  --max-members N           archives: most members unpacked (archive.max_members)
  --max-total-bytes N       archives: most bytes unpacked (archive.max_total_bytes)
  --python PATH             python3 with msoffcrypto-tool (unlock.python)
  --seven-zip PATH          7-Zip (unlock.seven_zip)
  --unar PATH               The Unarchiver's unar, for rar (unlock.unar; empty: 7-Zip)
  --no-sandbox              skip Landlock (debugging only)
  -h, --help                show this help
)";

}  // namespace

int RunUnlockHelperCommand(const std::vector<std::string>& args) {
  UnlockHelperOptions o;
  o.max_input_bytes = 100ULL << 20;
  o.max_output_bytes = 200ULL << 20;
  o.max_members = 10000;
  o.max_total_bytes = 1ULL << 30;
  bool sandbox = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return kExitDelivered;
    }
    if (a == "--no-sandbox") {
      sandbox = false;
      continue;
    }
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "mugai unlock-helper: %s needs a value\n%s", a.c_str(), kHelp);
      return kExitUsage;
    }
    const std::string& v = args[++i];
    uint64_t n = 0;
    bool ok = true;
    if (a == "--work-dir") {
      o.work_dir = v;
    } else if (a == "--timeout-seconds") {
      ok = ParseU64(v, &n) && n >= 1 && n <= 86400;
      o.timeout_seconds = static_cast<uint32_t>(n);
    } else if (a == "--max-input-bytes") {
      ok = ParseU64(v, &o.max_input_bytes);
    } else if (a == "--max-output-bytes") {
      ok = ParseU64(v, &o.max_output_bytes);
    } else if (a == "--max-members") {
      ok = ParseU64(v, &n) && n >= 1 && n <= 10000000;
      o.max_members = static_cast<uint32_t>(n);
    } else if (a == "--max-total-bytes") {
      ok = ParseU64(v, &o.max_total_bytes);
    } else if (a == "--python") {
      o.python = v;
    } else if (a == "--seven-zip") {
      o.seven_zip = v;
    } else if (a == "--unar") {
      o.unar = v;
    } else {
      std::fprintf(stderr, "mugai unlock-helper: unknown option %s\n%s", a.c_str(), kHelp);
      return kExitUsage;
    }
    if (!ok) {
      std::fprintf(stderr, "mugai unlock-helper: bad value for %s: %s\n", a.c_str(), v.c_str());
      return kExitUsage;
    }
  }
  if (o.work_dir.empty()) {
    std::fprintf(stderr, "mugai unlock-helper: --work-dir is required\n%s", kHelp);
    return kExitUsage;
  }
  return RunUnlockHelper(o, [&] {
    if (!sandbox) return true;
    if (!InstallUnlockLandlock(o.work_dir)) {
      std::fprintf(stderr, "mugai unlock-helper: Landlock rules could not be installed\n");
      return false;
    }
    if (!InstallUnlockSeccomp()) {
      std::fprintf(stderr, "mugai unlock-helper: the seccomp filter could not be installed\n");
      return false;
    }
    return true;
  });
}

}  // namespace mugai
