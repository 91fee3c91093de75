// Pure string helpers for mail that the supervisor and the front ends use (no GMime, no
// parsing of received bytes beyond finding the end of a header block): which headers a
// rebuilt message keeps, CRLF line ends, mugai's verdict headers on an unchanged message.
#pragma once

#include <string>
#include <string_view>

namespace mugai {

// The canonical spelling of `name` when it is one of the headers a rebuilt message keeps
// (From, To, Cc, Reply-To, Sender, Subject, Date, Message-ID, In-Reply-To, References),
// nullptr otherwise. Case-insensitive.
const char* KeptMailHeader(std::string_view name);

// `text` with every bare "\n" turned into "\r\n" (SMTP and milter bodies want CRLF).
std::string WithCrlf(std::string_view text);

// A message delivered unchanged: mugai's X-Mugai-Verdict/Actions lines (`verdict`, `actions`)
// first, and any X-Mugai-* field the sender wrote (with its continuation lines) dropped from
// the header block; the rest byte for byte.
std::string WithVerdictHeaders(const std::string& message, const std::string& verdict,
                               const std::string& actions);

// True when `value` may be written as a header value unchanged (printable ASCII, no CR/LF).
bool IsSafeHeaderValue(const std::string& value);

}  // namespace mugai
