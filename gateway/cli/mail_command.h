// `mugai mail`: one RFC 5322 message from standard input, sanitised, to standard output.
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunMailCommand(const std::vector<std::string>& args);

extern const char kMailHelp[];

}  // namespace mugai
