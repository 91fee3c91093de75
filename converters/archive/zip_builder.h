// Writes a new zip from bytes that have already been sanitised and verified: UTF-8 names with
// the UTF-8 flag (bit 11) set, deflate. Writing only (nothing is parsed), so the supervisor
// may use it to assemble an archive from its members' outputs.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace mugai {

struct ZipEntry {
  std::string path;  // UTF-8, relative, '/'-separated (the caller has checked it)
  const std::string* bytes;
  bool store = false;  // stored as is rather than deflated (an ODF's encrypted parts must be)
};

// Returns the zip's bytes, or kInternal when libarchive refuses an entry.
Result<std::string> BuildZip(const std::vector<ZipEntry>& entries);

}  // namespace mugai
