// `mugai audit …`: verify the hash chain, export (optionally redacted), retention purge.
#pragma once

#include <string>
#include <vector>

#include "gateway/cli/operator_context.h"

namespace mugai {

int RunAuditCommand(const std::vector<std::string>& args, const ServiceCaller* service = nullptr);

extern const char kAuditHelp[];

}  // namespace mugai
