// The allow-list: families from MIME types, output names.
#include "gateway/policy.h"

#include <gtest/gtest.h>

namespace mugai {
namespace {

TEST(Policy, Families) {
  EXPECT_EQ(ClassifyMime("text/plain"), TypeFamily::kText);
  EXPECT_EQ(ClassifyMime("text/html"), TypeFamily::kHtml);
  EXPECT_EQ(ClassifyMime("application/x-dosexec"), TypeFamily::kExecutable);
  EXPECT_EQ(ClassifyMime("application/x-pie-executable"), TypeFamily::kExecutable);
  EXPECT_EQ(ClassifyMime("text/x-shellscript"), TypeFamily::kScript);
  EXPECT_EQ(ClassifyMime("application/octet-stream"), TypeFamily::kUnknown);
  EXPECT_EQ(ClassifyMime("application/pdf"), TypeFamily::kNotAllowed);  // until issue 3
  EXPECT_EQ(ActionFor(TypeFamily::kUnknown), PolicyAction::kBlock);
  EXPECT_EQ(ActionFor(TypeFamily::kNotAllowed), PolicyAction::kBlock);
}

TEST(Policy, OutputNames) {
  EXPECT_EQ(OutputName("お知らせ.html", TypeFamily::kHtml), "お知らせ.txt");
  EXPECT_EQ(OutputName("page.HTM", TypeFamily::kHtml), "page.txt");
  EXPECT_EQ(OutputName("mail.eml", TypeFamily::kHtml), "mail.eml.txt");
  EXPECT_EQ(OutputName("memo.txt", TypeFamily::kText), "memo.txt");
  EXPECT_EQ(OutputName("data.csv", TypeFamily::kText), "data.csv");
  EXPECT_EQ(OutputName("README", TypeFamily::kText), "README");
  EXPECT_EQ(OutputName("notreally.pdf", TypeFamily::kText), "notreally.pdf.txt");
}

TEST(Policy, ClaimedType) {
  EXPECT_EQ(ClaimedTypeFromName("a.PDF"), "application/pdf");
  EXPECT_EQ(ClaimedTypeFromName("a.unknownext"), "");
}

}  // namespace
}  // namespace mugai
