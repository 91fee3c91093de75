// The decryption helper (`mugai unlock-helper`, issue 19): one short-lived process per
// password-protected item, started by the supervisor with a recipient's password. It reads
// one request (the office converter's frames: kind, password, bytes) from the connection it
// inherits as descriptor 3, decrypts with a maintained tool, and answers with the decrypted
// bytes, which the pipeline then processes like any file (identified, scanned, disarmed or
// converted, verified). It never judges what it decrypted.
//
//   kind "ooxml": Word/Excel/PowerPoint 2007+ (ECMA-376 agile or standard encryption) and
//   kind "ppt":   PowerPoint 97-2003 (RC4 CryptoAPI) — msoffcrypto-tool (python3), answering
//                 the decrypted document;
//   kind "7z":    7-Zip (`unlock.seven_zip`), and
//   kind "rar":   The Unarchiver's unar (`unlock.unar`; 7-Zip when that is empty), both
//                 answering a plain tar of what came out, which the ordinary archive
//                 unpacker then reads under every archive.* limit.
//
// The password reaches msoffcrypto-tool and 7-Zip on their standard input. unar takes it
// only as an argument: it is on that tool's command line while it runs (see RunUnar). The
// supervisor has already put the process in its own network and mount namespaces with
// resource limits; `confine` (Landlock: writes only in its folder; seccomp: no other process,
// no network, no new session) runs once the request has been read and before any tool, and
// is inherited by the tools it runs. When it fails, the answer says so.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace mugai {

struct UnlockHelperOptions {
  int conn_fd = 3;
  std::string work_dir;            // private, empty, removed by the supervisor afterwards
  uint32_t timeout_seconds = 60;   // the whole request; SIGALRM ends the process (and its tool)
  uint64_t max_input_bytes = 0;
  uint64_t max_output_bytes = 0;   // the decrypted document, or the tar
  uint32_t max_members = 0;        // archives: what 7-Zip may unpack
  uint64_t max_total_bytes = 0;
  std::string python = "/usr/bin/python3";
  std::string seven_zip = "/usr/bin/7z";
  std::string unar = "/usr/bin/unar";  // rar; lsar beside it lists. Empty: 7-Zip
};

// The kinds a request may name.
bool IsUnlockKind(const std::string& kind);

// Serves one request and returns the exit status (0 answered, 3 failed to answer, 4 the
// sandbox could not be set up).
int RunUnlockHelper(const UnlockHelperOptions& options, const std::function<bool()>& confine);

}  // namespace mugai
