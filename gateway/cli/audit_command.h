// `mugai audit …`: verify the hash chain, export (optionally redacted), retention purge.
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunAuditCommand(const std::vector<std::string>& args);

extern const char kAuditHelp[];

}  // namespace mugai
