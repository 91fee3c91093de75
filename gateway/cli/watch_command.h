// `mugai watch`: arguments → WatchService.
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunWatchCommand(const std::vector<std::string>& args);

extern const char kWatchHelp[];

}  // namespace mugai
