// Opens one RFC 5322 message with GMime 3, under limits, into the parts the pipeline then
// processes as child nodes (text bodies, HTML bodies, attachments, forwarded messages) and
// the headers kept for the rebuilt message. Runs only inside a worker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "converters/mail/mail_text.h"

namespace mugai {

struct MailLimits {
  uint32_t max_parts = 0;         // MIME entities (leaves and multiparts)
  uint32_t max_depth = 0;         // multipart nesting
  uint32_t max_header_bytes = 0;  // one header, name and value
};

enum class MailPartRole { kBody, kAttachment };

struct MailPart {
  std::string name;  // decoded (RFC 2231/2047) UTF-8 file name, or "body-N.txt/.html"
  std::string bytes;  // content with the transfer encoding removed
  MailPartRole role = MailPartRole::kAttachment;
  std::string declared_type;  // "text/plain", lower case, as declared
  std::string charset;        // declared charset parameter ("" when none)
};

struct UnpackedMail {
  // Kept headers (From, To, Cc, Reply-To, Subject, Date, Message-ID, In-Reply-To,
  // References) as 7-bit values: as received when already ASCII, otherwise decoded and
  // encoded again as RFC 2047 UTF-8.
  std::vector<std::pair<std::string, std::string>> headers;
  // The Subject as the recipient's mail client shows it, UTF-8 (ISO-2022-JP read as CP50221,
  // 8-bit bytes in the charset they decode in): for reports and logs only.
  std::string subject;
  std::vector<MailPart> parts;
  std::vector<std::string> notes;  // what was dropped while unpacking (HTML alternatives...)
  // Structure that another parser may read differently from GMime: duplicate Content-Type,
  // Content-Transfer-Encoding or Content-Disposition headers, duplicate parameters, a
  // boundary that needs trimming, bare CR line endings, MIME-looking text outside the
  // boundaries. The rebuilt message carries GMime's reading only; these say what was
  // normalised away.
  std::vector<std::string> ambiguities;
};

enum class MailProblem { kNone, kLimit, kMalformed };

struct MailOutcome {
  MailProblem problem = MailProblem::kNone;
  std::string detail;
  UnpackedMail mail;
};


// Call once per process before any other GMime use (the supervisor does, before forking).
void InitMailLibrary();

// Parses `bytes`. A multipart/alternative keeps its text/plain part (its HTML alternatives
// are dropped and noted); one without text keeps its HTML, to be converted to text.
// message/rfc822 parts become attachments named "*.eml" (processed again as messages);
// uuencoded and yEnc blocks inside text bodies are cut out into attachments of their own.
MailOutcome UnpackMail(std::string_view bytes, const MailLimits& limits);

}  // namespace mugai
