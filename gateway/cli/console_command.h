// `mugai console` (the web console) and `mugai user` (its local users).
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunConsoleCommand(const std::vector<std::string>& args);
int RunUserCommand(const std::vector<std::string>& args);

}  // namespace mugai
