// What the supervisor hands a rebuild worker: the verified outputs of a container's children,
// to be written into a new zip or a new message (ARCHITECTURE §3: rebuilding containers happens
// in workers; the supervisor only moves verified bytes). Layout (little-endian): "MGR1",
// u8 kind, u32 n_headers × (str name, str value), u32 n_added × (str, str),
// u32 n_parts × (str path, blob bytes, str content_type, str charset, u8 inline).
// The worker decodes it as untrusted (a short, over-long or trailing request is refused).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "gateway/pipeline/family_table.h"

namespace mugai {

struct RebuildPart {
  std::string path;          // zip: the member path; mail: the part's file name ("" = a body)
  std::string bytes;         // verified output (or clean original) of the child
  std::string content_type;  // mail: "text/plain", "application/pdf", ...
  std::string charset;       // mail text parts: the charset of `bytes`
  bool inline_part = false;  // mail: shown in the message rather than attached
};

struct RebuildRequest {
  RebuildKind kind = RebuildKind::kNone;  // kZip or kMail
  std::vector<std::pair<std::string, std::string>> headers;  // mail: headers kept
  std::vector<std::pair<std::string, std::string>> added;    // mail: X-Mugai-* added
  std::vector<RebuildPart> parts;
};

std::string EncodeRebuildRequest(const RebuildRequest& request);

// Parses and range-checks a request; parts larger than `max_part_bytes` are refused.
// kProtocol on anything malformed.
Result<RebuildRequest> DecodeRebuildRequest(std::string_view untrusted_bytes,
                                            uint64_t max_part_bytes);

}  // namespace mugai
