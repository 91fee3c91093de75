// Small shared argument parser for the operator commands (quarantine, audit): flags with
// values (--name VALUE or --name=VALUE), boolean switches, and positional words.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "gateway/service/config.h"

namespace mugai {

struct CliArgs {
  std::map<std::string, std::string> values;  // "--user" → "alice"
  std::set<std::string> switches;             // "--json"
  std::vector<std::string> words;             // positional
  std::string error;                          // non-empty: what was wrong

  bool Has(const std::string& flag) const { return switches.count(flag) || values.count(flag); }
  std::string Get(const std::string& flag) const {
    auto it = values.find(flag);
    return it == values.end() ? "" : it->second;
  }
};

// Parses `args`: flags in `with_value` take a value, flags in `switches` do not; anything
// else starting with "-" is an error.
// A decimal number with nothing after it; false on anything else.
bool ParseU64(const std::string& text, uint64_t* out);

// The settings a command runs with: --config FILE if given (else the built-in defaults), then
// --signatures and --state on top. The config file's own error when it is bad.
Result<Config> CommandConfig(const CliArgs& args);

CliArgs ParseCliArgs(const std::vector<std::string>& args, const std::set<std::string>& with_value,
                     const std::set<std::string>& switches);

}  // namespace mugai
