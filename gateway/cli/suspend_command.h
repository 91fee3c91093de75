// `mugai suspend --reason TEXT` and `mugai resume`: the switch that stops mail and watched
// folders at once (gateway/service/suspension.h). Admin role, audited, through the service.
#pragma once

#include <string>
#include <vector>

#include "gateway/cli/operator_context.h"

namespace mugai {

// `which` is "suspend" or "resume".
int RunSuspendCommand(const std::string& which, const std::vector<std::string>& args,
                      const ServiceCaller* service = nullptr);

}  // namespace mugai
