// Milter transaction bookkeeping.
#include "gateway/milter/milter_session.h"

#include <strings.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace mugai {

void MilterSession::Reset() {
  sender.clear();
  recipients.clear();
  headers.clear();
  body.clear();
  size = 0;
  too_large = false;
}

bool MilterSession::Count(uint64_t bytes, uint64_t limit) {
  size += bytes;
  if (size > limit) too_large = true;
  return !too_large;
}

std::string MilterSession::Message() const {
  std::string out;
  out.reserve(size + 64);
  for (const auto& [name, value] : headers) {
    out += name + ": " + value + "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

std::string MilterSession::SourceJson() const {
  return nlohmann::json{{"sender", sender}, {"recipients", recipients}, {"queue_id", queue_id}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

uint64_t EsmtpSize(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (strncasecmp(a.c_str(), "SIZE=", 5) == 0) {
      char* end = nullptr;
      unsigned long long v = std::strtoull(a.c_str() + 5, &end, 10);
      if (end && *end == '\0') return v;
    }
  }
  return 0;
}

void SplitMessage(const std::string& message,
                  std::vector<std::pair<std::string, std::string>>* headers, std::string* body) {
  size_t end = message.find("\n\n");
  size_t body_at = end == std::string::npos ? message.size() : end + 2;
  std::string block = message.substr(0, end == std::string::npos ? message.size() : end + 1);
  *body = message.substr(body_at);
  size_t i = 0;
  while (i < block.size()) {
    size_t nl = block.find('\n', i);
    if (nl == std::string::npos) nl = block.size();
    std::string line = block.substr(i, nl - i);
    i = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if ((line[0] == ' ' || line[0] == '\t') && !headers->empty()) {
      size_t text = line.find_first_not_of(" \t");  // a blank continuation adds nothing
      if (text != std::string::npos) headers->back().second += " " + line.substr(text);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    headers->emplace_back(line.substr(0, colon), value);
  }
}

bool IsMimeHeader(const std::string& name) {
  return strncasecmp(name.c_str(), "Content-", 8) == 0 || strcasecmp(name.c_str(), "MIME-Version") == 0 ||
         strncasecmp(name.c_str(), "X-Mugai-", 8) == 0;  // a sender's own verdict is never kept
}

}  // namespace mugai
