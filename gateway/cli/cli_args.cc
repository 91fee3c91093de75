// The operator commands' argument parser.
#include "gateway/cli/cli_args.h"

#include <cstdlib>

namespace mugai {

CliArgs ParseCliArgs(const std::vector<std::string>& args, const std::set<std::string>& with_value,
                     const std::set<std::string>& switches) {
  CliArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      out.switches.insert("--help");
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      out.words.push_back(arg);
      continue;
    }
    std::string flag = arg;
    std::string value;
    bool inline_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    if (switches.count(flag) && !inline_value) {
      out.switches.insert(flag);
    } else if (with_value.count(flag)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) {
          out.error = flag + " needs a value";
          return out;
        }
        value = args[++i];
      }
      out.values[flag] = value;
    } else {
      out.error = "unknown option '" + arg + "'";
      return out;
    }
  }
  return out;
}

bool ParseU64(const std::string& text, uint64_t* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

Result<Config> CommandConfig(const CliArgs& args) {
  Config config;
  if (!args.Get("--config").empty()) {
    Result<Config> loaded = LoadConfigFile(args.Get("--config"));
    if (!loaded.ok()) return loaded.status();
    config = loaded.value();
  }
  if (!args.Get("--signatures").empty()) config.signatures = args.Get("--signatures");
  if (!args.Get("--state").empty()) config.state_dir = args.Get("--state");
  return config;
}

}  // namespace mugai
