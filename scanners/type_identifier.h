// Identifies the real type of bytes with libmagic (content, never the name).
// Load once in the supervisor, before forking; call identify() only inside a worker.
#pragma once

#include <magic.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace mugai {

struct DetectedType {
  std::string mime;         // e.g. "text/plain"; "application/octet-stream" when unknown
  std::string description;  // libmagic's human description, e.g. "PE32 executable"
};

class TypeIdentifier {
 public:
  TypeIdentifier() = default;
  ~TypeIdentifier();
  TypeIdentifier(const TypeIdentifier&) = delete;
  TypeIdentifier& operator=(const TypeIdentifier&) = delete;

  // Loads the compiled magic database (the system default when `database` is empty).
  Status Load(const std::string& database = "");

  // Returns the MIME type of `bytes` (description only when `describe`; it costs a second
  // pass). On a libmagic failure returns "application/octet-stream" so that policy blocks it.
  DetectedType Identify(std::string_view bytes, bool describe = false) const;

  std::string Version() const;

 private:
  magic_t mime_ = nullptr;
  magic_t text_ = nullptr;
};

}  // namespace mugai
