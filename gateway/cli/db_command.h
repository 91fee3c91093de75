// `mugai db status|migrate|import-sqlite` (docs/SCALE-OUT.md).
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunDbCommand(const std::vector<std::string>& args);

}  // namespace mugai
