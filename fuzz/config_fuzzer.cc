// Fuzz target: configuration parsing (toml++ and mugai's schema checks).
#include <cstddef>
#include <cstdint>
#include <string>

#include "gateway/service/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  mugai::Result<mugai::Config> c = mugai::ParseConfig(text, "fuzz.toml");
  if (c.ok()) {
    // Whatever parses prints back to TOML that parses to the same settings.
    mugai::Result<mugai::Config> again = mugai::ParseConfig(mugai::ConfigToToml(c.value()), "again");
    if (!again.ok() || mugai::ConfigToToml(again.value()) != mugai::ConfigToToml(c.value())) {
      __builtin_trap();
    }
  }
  return 0;
}
