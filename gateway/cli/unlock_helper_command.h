// `mugai-zygote unlock-helper`: decrypts one password-protected item for the pipeline
// (converters/unlock/unlock_helper.h). Started by the supervisor
// (gateway/sandbox/unlock_process.cc), never by hand; documented for operators who see it in
// `ps`.
#pragma once

#include <string>
#include <vector>

namespace mugai {

int RunUnlockHelperCommand(const std::vector<std::string>& args);

}  // namespace mugai
