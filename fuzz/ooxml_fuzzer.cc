// Fuzz target: OOXML disarming (libarchive's zip reader, libxml2 on every part, and mugai's
// relationship, field and workbook edits), then text mode on the same input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "converters/ooxml/ooxml_disarm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view package(reinterpret_cast<const char*>(data), size);
  mugai::OoxmlLimits limits;
  limits.package = mugai::ArchiveLimits{200, 1 << 20, 4 << 20, 200, 256 << 10};
  limits.max_part_bytes = 1 << 20;
  limits.max_parts = 200;
  (void)mugai::DisarmOoxml(package, limits);
  (void)mugai::OoxmlText(package, limits);
  return 0;
}
