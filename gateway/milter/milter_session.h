// One SMTP transaction as the milter sees it: envelope, headers and body collected up to the
// size limit, then handed whole to the pipeline (ARCHITECTURE §1: the whole message is the
// item). Pure data and pure functions: no libmilter here, so it can be tested alone.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mugai {

struct MilterSession {
  std::string queue_id;
  std::string sender;
  std::vector<std::string> recipients;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;
  uint64_t size = 0;
  bool too_large = false;

  void Reset();
  // Adds bytes to the running size; false (and too_large) once `limit` is passed.
  bool Count(uint64_t bytes, uint64_t limit);
  // The message as one RFC 5322 text (headers, blank line, body; CRLF line ends).
  std::string Message() const;
  // {"sender":…, "recipients":[…], "queue_id":…} for the quarantine record.
  std::string SourceJson() const;
};

// The SIZE= value of an ESMTP MAIL FROM argument list (0 when absent or unreadable).
uint64_t EsmtpSize(const std::vector<std::string>& args);

// Splits a rebuilt message into its header fields (unfolded) and its body.
void SplitMessage(const std::string& message, std::vector<std::pair<std::string, std::string>>* headers,
                  std::string* body);

// True for the headers mugai replaces when it rewrites a message's MIME structure.
bool IsMimeHeader(const std::string& name);

}  // namespace mugai
