// EMF ([MS-EMF] 2.3) and WMF ([MS-WMF] 2.3) record walks. See metafile.h.
#include "converters/image/metafile.h"

#include <cstdint>
#include <cstring>

namespace mugai {

namespace {

uint32_t U32(std::string_view b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;  // little-endian hosts only (x86-64, arm64)
}
uint16_t U16(std::string_view b, size_t at) {
  uint16_t v;
  std::memcpy(&v, b.data() + at, 2);
  return v;
}
void PutU32(std::string* b, size_t at, uint32_t v) { std::memcpy(b->data() + at, &v, 4); }
void PutU16(std::string* b, size_t at, uint16_t v) { std::memcpy(b->data() + at, &v, 2); }

Status Bad(const char* what) { return Status{StatusCode::kInvalidArgument, what}; }

}  // namespace

Result<std::string> CleanEmf(std::string_view b, size_t* dropped) {
  *dropped = 0;
  constexpr uint32_t kHeader = 1, kEof = 14, kComment = 70, kDrawEscape = 105,
                     kExtEscape = 106, kNamedEscape = 110;
  if (b.size() < 88 || U32(b, 0) != kHeader || b.substr(40, 4) != " EMF") {
    return Bad("not an EMF metafile");
  }
  std::string out;
  uint32_t records = 0;
  size_t at = 0;
  bool ended = false;
  while (at + 8 <= b.size()) {
    uint32_t type = U32(b, at), size = U32(b, at + 4);
    if (size < 8 || size % 4 != 0 || size > b.size() - at) return Bad("an EMF record runs past the file");
    if (at == 0 && size < 88) return Bad("an EMF header too short");
    bool drop = type == kComment || type == kDrawEscape || type == kExtEscape || type == kNamedEscape;
    if (drop) {
      ++*dropped;
    } else {
      out.append(b.substr(at, size));
      ++records;
    }
    at += size;
    if (type == kEof) {
      ended = true;
      break;
    }
  }
  if (!ended) return Bad("an EMF metafile without its end-of-file record");
  if (at < b.size()) ++*dropped;  // bytes after the end
  PutU32(&out, 48, static_cast<uint32_t>(out.size()));  // nBytes
  PutU32(&out, 52, records);                            // nRecords
  return out;
}

Result<std::string> CleanWmf(std::string_view b, size_t* dropped) {
  *dropped = 0;
  size_t base = 0;
  if (b.size() >= 22 && U32(b, 0) == 0x9AC6CDD7u) base = 22;  // the placeable header
  if (b.size() < base + 18) return Bad("not a WMF metafile");
  uint16_t type = U16(b, base), header_words = U16(b, base + 2);
  if ((type != 1 && type != 2) || header_words != 9) return Bad("not a WMF metafile");
  constexpr uint16_t kEof = 0x0000, kEscape = 0x0626;
  std::string out(b.substr(0, base + 18));
  uint32_t largest = 0;
  size_t at = base + 18;
  bool ended = false;
  while (at + 6 <= b.size()) {
    uint32_t words = U32(b, at);
    uint16_t function = U16(b, at + 4);
    if (words < 3 || words > (b.size() - at) / 2) return Bad("a WMF record runs past the file");
    size_t size = static_cast<size_t>(words) * 2;
    if (function == kEscape) {
      ++*dropped;
    } else {
      out.append(b.substr(at, size));
      if (words > largest) largest = words;
    }
    at += size;
    if (function == kEof) {
      ended = true;
      break;
    }
  }
  if (!ended) return Bad("a WMF metafile without its end-of-file record");
  if (at < b.size()) ++*dropped;
  PutU32(&out, base + 6, static_cast<uint32_t>((out.size() - base) / 2));  // mtSize, in words
  PutU32(&out, base + 12, largest);                                          // mtMaxRecord
  return out;
}

}  // namespace mugai
