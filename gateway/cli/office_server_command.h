// `mugai office-server`: one LibreOffice converter process of the warm pool. Started by the
// supervisor (gateway/sandbox/office_pool.cc), never by hand; documented for operators who see it in
// `ps`.
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunOfficeServerCommand(const std::vector<std::string>& args);

}  // namespace mugai
