// libmagic wrapper: two cookies, one for the MIME type and one for the description.
#include "scanners/type_identifier.h"

namespace mugai {

namespace {
// Compressed files are identified as what they are, not unpacked (MAGIC_COMPRESS off);
// no device or symlink following: we only ever pass buffers.
constexpr int kMimeFlags = MAGIC_MIME_TYPE | MAGIC_ERROR;
constexpr int kTextFlags = MAGIC_NONE | MAGIC_ERROR;

Status LoadCookie(magic_t* cookie, int flags, const std::string& database) {
  *cookie = magic_open(flags);
  if (*cookie == nullptr) return {StatusCode::kInternal, "libmagic: magic_open failed"};
  if (magic_load(*cookie, database.empty() ? nullptr : database.c_str()) != 0) {
    std::string why = magic_error(*cookie) ? magic_error(*cookie) : "unknown error";
    return {StatusCode::kConfig, "libmagic: cannot load the magic database: " + why +
                                     " (install the libmagic-mgc package)"};
  }
  return Status::Ok();
}
}  // namespace

TypeIdentifier::~TypeIdentifier() {
  if (mime_) magic_close(mime_);
  if (text_) magic_close(text_);
}

Status TypeIdentifier::Load(const std::string& database) {
  if (Status s = LoadCookie(&mime_, kMimeFlags, database); !s.ok()) return s;
  return LoadCookie(&text_, kTextFlags, database);
}

DetectedType TypeIdentifier::Identify(std::string_view bytes, bool describe) const {
  DetectedType out{"application/octet-stream", describe ? "unidentified" : ""};
  if (!mime_ || !text_) return out;
  if (bytes.empty()) return {"inode/x-empty", "empty"};
  const char* mime = magic_buffer(mime_, bytes.data(), bytes.size());
  if (mime == nullptr) return out;
  out.mime = mime;
  if (!describe) return out;
  const char* text = magic_buffer(text_, bytes.data(), bytes.size());
  out.description = text ? text : "unidentified";
  return out;
}

std::string TypeIdentifier::Version() const { return "libmagic " + std::to_string(magic_version()); }

}  // namespace mugai
