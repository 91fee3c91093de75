// `mugai scanner-server`: the scanner process (scanners/scanner_server.h). Started by the
// supervisor (gateway/sandbox/scanner_process.cc), never by hand; documented for operators who see it
// in `ps`.
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunScannerServerCommand(const std::vector<std::string>& args);

}  // namespace mugai
