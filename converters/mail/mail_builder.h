// Writes a new RFC 5322 message from parts that have already been sanitised and verified,
// with GMime: kept headers (checked 7-bit values), then a new MIME structure. Writing only
// (nothing received is parsed), so the supervisor may use it to rebuild a message.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "converters/mail/mail_text.h"

namespace mugai {

struct BuiltPart {
  std::string filename;      // "" for a message body (inline, no name)
  const std::string* bytes;  // content, not yet transfer-encoded
  std::string content_type;  // "text/plain", "application/pdf", "message/rfc822", ...
  std::string charset;       // text parts: the charset of `bytes`
  bool inline_part = false;  // shown in the message (bodies, the notice) rather than attached
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// `headers` are written first, as given (each value must be printable 7-bit ASCII on one
// line: anything else is refused with kInvalidArgument); then MIME-Version and `added`.
// One body part alone is the whole message; anything else is multipart/mixed in order.
// Non-ASCII file names are written per RFC 2231. Lines end in "\n" (`crlf`: "\r\n").
Result<std::string> BuildMail(const HeaderList& headers, const HeaderList& added,
                              const std::vector<BuiltPart>& parts, bool crlf = false);




}  // namespace mugai
