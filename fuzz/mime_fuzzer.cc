// Fuzz target: the MIME layer (GMime's parser, mugai's walk, header re-encoding, uuencode and
// yEnc extraction), then the writer on what came out.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "converters/mail/mail_builder.h"
#include "converters/mail/mime_unpacker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  mugai::MailOutcome m = mugai::UnpackMail(bytes, mugai::MailLimits{200, 20, 65536});
  if (m.problem != mugai::MailProblem::kNone) return 0;
  std::vector<mugai::BuiltPart> parts;
  for (const auto& p : m.mail.parts) {
    parts.push_back({p.role == mugai::MailPartRole::kBody ? "" : p.name, &p.bytes, p.declared_type,
                     p.charset, p.role == mugai::MailPartRole::kBody});
  }
  (void)mugai::BuildMail(m.mail.headers, {{"X-Mugai-Verdict", "sanitized"}}, parts);
  return 0;
}
