// Fuzz target: the archive layer (libarchive's readers for every enabled format and filter,
// mugai's zip central-directory reader, name decoding and neutralising, limits).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "converters/archive/archive_unpacker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  mugai::ArchiveLimits limits{200, 1 << 20, 4 << 20, 200, 256 << 10};
  (void)mugai::UnpackArchive(bytes, "data", "", limits);
  (void)mugai::UnpackArchive(bytes, "data", "secret", limits);
  std::string why;
  bool cp932 = false;
  (void)mugai::SafeMemberPath(bytes.substr(0, 512), &why, &cp932);
  return 0;
}
