// Mail string helpers shared by the supervisor, the front ends and the workers.
#include "converters/mail/mail_text.h"

#include <strings.h>

#include <cstring>

namespace mugai {

namespace {

const char* const kKept[] = {"From",    "To",         "Cc",         "Reply-To",
                             "Sender",  "Subject",    "Date",       "Message-ID",
                             "In-Reply-To", "References", "Authentication-Results"};

}  // namespace

const char* KeptMailHeader(std::string_view name) {
  for (const char* keep : kKept) {
    if (name.size() == strlen(keep) && strncasecmp(name.data(), keep, name.size()) == 0) {
      return keep;
    }
  }
  return nullptr;
}

std::string WithCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

std::string WithVerdictHeaders(const std::string& message, const std::string& verdict,
                               const std::string& actions) {
  std::string out = "X-Mugai-Verdict: " + verdict + "\nX-Mugai-Actions: " + actions + "\n";
  size_t at = 0;
  bool dropping = false;
  while (at < message.size()) {
    size_t nl = message.find('\n', at);
    size_t next = nl == std::string::npos ? message.size() : nl + 1;
    std::string_view line(message.data() + at, next - at);
    if (line == "\n" || line == "\r\n") break;  // end of the header block
    bool continuation = line[0] == ' ' || line[0] == '\t';
    if (!continuation) dropping = line.size() >= 8 && strncasecmp(line.data(), "X-Mugai-", 8) == 0;
    if (!dropping) out.append(line);
    at = next;
  }
  return out + message.substr(at);
}

bool IsSafeHeaderValue(const std::string& value) {
  if (value.size() > 16384) return false;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) return false;
  }
  return true;
}

}  // namespace mugai
