// Starts the decryption helper (`mugai-zygote unlock-helper`, converters/unlock/) for one
// password-protected item: a fresh process per item, so that nothing of one item or its
// password is ever in a process that sees another. It runs in its own network and mount
// namespaces (where the kernel permits), with limits on memory, CPU time, file size and
// descriptors, in a private folder under <state>/unlock that is removed afterwards. The
// supervisor does not talk to it: a relay worker carries the item and the answer.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/status.h"

namespace mugai {

struct UnlockOptions {
  std::string executable;  // mugai-zygote
  std::string root;        // <state>/unlock
  uint32_t timeout_seconds = 60;
  uint64_t memory_bytes = 0;
  uint64_t max_input_bytes = 0;
  uint64_t max_output_bytes = 0;
  uint32_t max_members = 0;
  uint64_t max_total_bytes = 0;
  std::string python;
  std::string seven_zip;
  std::string unar;
  bool namespaces = true;
};

struct UnlockProcess {
  int fd = -1;  // the connection the relay worker writes the request to
  pid_t pid = 0;
  std::string work_dir;
};

// Forks and executes the helper (holding ForkMutex). The caller hands `fd` to a relay worker
// and calls EndUnlockHelper once the relay has finished, whatever its outcome.
Result<UnlockProcess> StartUnlockHelper(const UnlockOptions& options);

// Kills the helper if it still runs, reaps it, closes the connection and removes its folder.
// Safe to call again.
void EndUnlockHelper(UnlockProcess& process);

// Removes what helpers of processes that no longer run left under `root` (a kill -9 or a
// crash between start and end): the item and whatever was decrypted from it.
void RemoveStaleUnlockFolders(const std::string& root);

}  // namespace mugai
