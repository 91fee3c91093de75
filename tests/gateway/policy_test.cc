// The allow-list: families from MIME types, output names.
#include "gateway/pipeline/policy.h"
#include "gateway/pipeline/family_table.h"

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
  EXPECT_EQ(ClassifyMime("application/pdf"), TypeFamily::kPdf);
  EXPECT_EQ(FamilyRowFor(TypeFamily::kPdf).action, PolicyAction::kConvertPdf);
  EXPECT_EQ(ClassifyMime("image/gif"), TypeFamily::kImage);
  EXPECT_EQ(ClassifyMime("text/rtf"), TypeFamily::kOffice);
  EXPECT_EQ(ClassifyMime("application/msword"), TypeFamily::kOffice);
  EXPECT_EQ(ClassifyMime("application/vnd.oasis.opendocument.spreadsheet"), TypeFamily::kOffice);
  EXPECT_EQ(FamilyRowFor(TypeFamily::kOffice).action, PolicyAction::kConvertOffice);
  EXPECT_EQ(OfficeExtensionFor("application/vnd.ms-powerpoint"), "ppt");
  EXPECT_EQ(ClassifyMime("audio/x-wav"), TypeFamily::kNotAllowed);
  EXPECT_EQ(FamilyRowFor(TypeFamily::kUnknown).action, PolicyAction::kBlock);
  EXPECT_EQ(FamilyRowFor(TypeFamily::kNotAllowed).action, PolicyAction::kBlock);
}

TEST(Policy, OutputNames) {
  EXPECT_EQ(OutputName("お知らせ.html", TypeFamily::kHtml), "お知らせ.txt");
  // A document LibreOffice converted takes the PDF's extension in place of its own.
  EXPECT_EQ(OutputName("議事録.doc", TypeFamily::kOffice, "application/pdf"), "議事録.pdf");
  EXPECT_EQ(OutputName("表.XLS", TypeFamily::kOffice, "application/pdf"), "表.pdf");
  EXPECT_EQ(OutputName("memo", TypeFamily::kOffice, "application/pdf"), "memo.pdf");
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

namespace mugai {
namespace {

TEST(Policy, TrailingDotsCannotSmuggleAnExtension) {
  EXPECT_EQ(OutputName("page.html.", TypeFamily::kText), "page.html.txt");
  EXPECT_EQ(OutputName("a.svg . .", TypeFamily::kText), "a.svg.txt");
  EXPECT_EQ(OutputName("memo.txt.", TypeFamily::kText), "memo.txt");
  EXPECT_EQ(OutputName("...", TypeFamily::kText), "unnamed");
  EXPECT_EQ(OutputName("report.pdf", TypeFamily::kPdf, "application/pdf"), "report.pdf");
  EXPECT_EQ(OutputName("report.pdf", TypeFamily::kPdf, "text/plain; charset=utf-8"),
            "report.txt");
  EXPECT_EQ(OutputName("scan", TypeFamily::kPdf, "application/pdf"), "scan.pdf");
}

}  // namespace
}  // namespace mugai
