// The suspend switch (issue 18; 000 Art.65(6): mail service stopped at once, without notice,
// when infection may spread by mail; (5): notice to staff for a planned stop). `mugai suspend` writes <state>/suspended; while it is there the service
// takes no item (the milter answers 451 and the MTA keeps the mail queued, watch leaves files
// in the inbox). A file, so that it survives a restart of every process, and every process
// on the state folder (an in-process milter too) sees it.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace mugai {

struct Suspension {
  bool active = false;
  std::string reason;
  std::string actor;
  int64_t since = 0;  // Unix seconds
};

std::string SuspensionPath(const std::string& state_dir);

// The switch as the state folder holds it. A file that cannot be read or parsed counts as
// suspended (fail closed), with a reason that says so.
Suspension ReadSuspension(const std::string& state_dir);

// Sets (atomically, 0600) or clears the switch.
Status WriteSuspension(const std::string& state_dir, const Suspension& s);
Status ClearSuspension(const std::string& state_dir);

}  // namespace mugai
