// The rebuilt message's writer: a part's name never carries a control character into the
// headers (a blocked part's notice is named after whatever name the sender gave it).
#include "converters/mail/mail_builder.h"

#include <gtest/gtest.h>

#include "converters/mail/mime_unpacker.h"

namespace mugai {
namespace {

TEST(MailBuilder, ControlCharactersInANameNeverReachTheHeaders) {
  InitMailLibrary();
  std::string body = "本文\n";
  std::string notice = "removed\n";
  std::vector<BuiltPart> parts = {
      {"", &body, "text/plain", "utf-8", true},
      {"x\r\nBcc: victim@example.jp\r\nX-Injected: 1.removed.txt", &notice, "text/plain", "us-ascii",
       false}};
  Result<std::string> m = BuildMail({{"Subject", "test"}}, {}, parts);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->find("\nBcc:"), std::string::npos) << *m;
  EXPECT_EQ(m->find("\nX-Injected:"), std::string::npos) << *m;
  MailOutcome back = UnpackMail(*m, MailLimits{100, 20, 1 << 20});
  ASSERT_EQ(back.problem, MailProblem::kNone) << back.detail;
  ASSERT_EQ(back.mail.parts.size(), 2u);
  EXPECT_EQ(back.mail.parts[1].bytes, notice);
}

}  // namespace
}  // namespace mugai
