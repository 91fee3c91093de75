// `mugai sanitize`: the one-shot command (ARCHITECTURE §6). Parses arguments, builds the
// pipeline, runs it, writes reports, returns the exit status.
#pragma once

#include <string>
#include <vector>

namespace mugai {

// Exit statuses of the one-shot commands.
enum ExitCode : int {
  kExitDelivered = 0,  // every input delivered (clean or sanitized)
  kExitBlocked = 1,    // at least one input blocked
  kExitUsage = 2,      // usage or configuration error
  kExitInternal = 3,   // internal failure: nothing delivered for the failed input
};

// Runs `mugai sanitize` with `args` (without the program and command names).
int RunSanitizeCommand(const std::vector<std::string>& args);

extern const char kSanitizeHelp[];

}  // namespace mugai
