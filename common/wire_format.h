// The little-endian, length-prefixed fields shared by the fixed formats between the
// supervisor and its workers (worker results, rebuild requests). The Reader treats every byte
// as hostile: a field that runs past the end or over its cap is a failure, never a clamp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mugai::wire {

inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v));
  PutU32(out, static_cast<uint32_t>(v >> 32));
}
// Writes `s` (cut to `cap` bytes) as u32 length + bytes.
inline void PutStr(std::string* out, std::string_view s, size_t cap) {
  if (s.size() > cap) s = s.substr(0, cap);
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view untrusted) : data_(untrusted) {}

  bool U8(uint8_t* v) {
    if (data_.size() - pos_ < 1) return false;
    *v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool U32(uint32_t* v) {
    if (data_.size() - pos_ < 4) return false;
    uint32_t out = 0;
    for (int i = 0; i < 4; ++i) {
      out |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + static_cast<size_t>(i)]))
             << (8 * i);
    }
    pos_ += 4;
    *v = out;
    return true;
  }
  bool U64(uint64_t* v) {
    uint32_t lo = 0, hi = 0;
    if (!U32(&lo) || !U32(&hi)) return false;
    *v = (static_cast<uint64_t>(hi) << 32) | lo;
    return true;
  }
  // Reads a length-prefixed string of at most `cap` bytes.
  bool Str(std::string* s, uint64_t cap) {
    uint32_t untrusted_len = 0;
    if (!U32(&untrusted_len)) return false;
    if (untrusted_len > cap || untrusted_len > data_.size() - pos_) return false;
    s->assign(data_.substr(pos_, untrusted_len));
    pos_ += untrusted_len;
    return true;
  }
  // Consumes `magic` at the very start.
  bool Magic(std::string_view magic) {
    if (pos_ != 0 || data_.substr(0, magic.size()) != magic) return false;
    pos_ = magic.size();
    return true;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace mugai::wire
