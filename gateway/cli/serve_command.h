// `mugai serve`: the host service (gateway/service/service.h).
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunServeCommand(const std::vector<std::string>& args);

}  // namespace mugai
