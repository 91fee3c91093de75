// `mugai milter`: arguments → the milter service.
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunMilterCommand(const std::vector<std::string>& args);

extern const char kMilterHelp[];

}  // namespace mugai
