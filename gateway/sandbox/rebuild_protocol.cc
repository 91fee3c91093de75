// Rebuild request encoding (supervisor) and its defensive decoder (worker).
#include "gateway/sandbox/rebuild_protocol.h"

#include "gateway/service/limits.h"
#include "common/wire_format.h"

namespace mugai {

namespace {

constexpr std::string_view kMagic = "MGR1";

Status Bad(const std::string& what) {
  return {StatusCode::kProtocol, "malformed rebuild request: " + what};
}

void PutHeaders(std::string* out, const std::vector<std::pair<std::string, std::string>>& h) {
  size_t n = std::min<size_t>(h.size(), limits::kMaxHeaders);
  wire::PutU32(out, static_cast<uint32_t>(n));
  for (size_t i = 0; i < n; ++i) {
    wire::PutStr(out, h[i].first, limits::kMaxShortField);
    wire::PutStr(out, h[i].second, limits::kMaxHeaderValue);
  }
}

bool GetHeaders(wire::Reader& in, std::vector<std::pair<std::string, std::string>>* h) {
  uint32_t untrusted_n = 0;
  if (!in.U32(&untrusted_n) || untrusted_n > limits::kMaxHeaders) return false;
  h->resize(untrusted_n);
  for (auto& [name, value] : *h) {
    if (!in.Str(&name, limits::kMaxShortField) || !in.Str(&value, limits::kMaxHeaderValue)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string EncodeRebuildRequest(const RebuildRequest& r) {
  std::string out(kMagic);
  wire::PutU8(&out, static_cast<uint8_t>(r.kind));
  PutHeaders(&out, r.headers);
  PutHeaders(&out, r.added);
  // The supervisor never asks for more parts than a container may have (+ one notice).
  wire::PutU32(&out, static_cast<uint32_t>(r.parts.size()));
  for (const RebuildPart& p : r.parts) {
    wire::PutStr(&out, p.path, limits::kMaxPathField);
    wire::PutStr(&out, p.bytes, UINT32_MAX);
    wire::PutStr(&out, p.content_type, limits::kMaxShortField);
    wire::PutStr(&out, p.charset, limits::kMaxShortField);
    wire::PutU8(&out, p.inline_part ? 1 : 0);
  }
  return out;
}

Result<RebuildRequest> DecodeRebuildRequest(std::string_view untrusted, uint64_t max_part_bytes) {
  wire::Reader in(untrusted);
  RebuildRequest r;
  if (!in.Magic(kMagic)) return Bad("bad magic or version");
  uint8_t kind = 0;
  if (!in.U8(&kind)) return Bad("truncated kind");
  r.kind = static_cast<RebuildKind>(kind);
  if (r.kind != RebuildKind::kZip && r.kind != RebuildKind::kMail) return Bad("unknown kind");
  if (!GetHeaders(in, &r.headers) || !GetHeaders(in, &r.added)) return Bad("headers");
  uint32_t untrusted_n = 0;
  if (!in.U32(&untrusted_n) || untrusted_n > limits::kMaxMembers + 1) return Bad("part count");
  r.parts.resize(untrusted_n);
  for (RebuildPart& p : r.parts) {
    uint8_t inline_part = 0;
    if (!in.Str(&p.path, limits::kMaxPathField) || !in.Str(&p.bytes, max_part_bytes) ||
        !in.Str(&p.content_type, limits::kMaxShortField) ||
        !in.Str(&p.charset, limits::kMaxShortField) || !in.U8(&inline_part) || inline_part > 1) {
      return Bad("part");
    }
    p.inline_part = inline_part == 1;
  }
  if (!in.AtEnd()) return Bad("trailing bytes");
  return r;
}

}  // namespace mugai
