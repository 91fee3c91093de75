// The family table and the supervisor's check of worker answers against it (table-driven),
// and the rebuild request a rebuild worker decodes.
#include "gateway/pipeline/family_table.h"

#include <gtest/gtest.h>

#include "gateway/sandbox/rebuild_protocol.h"
#include "gateway/sandbox/worker_protocol.h"

namespace mugai {
namespace {

WorkerResult Answer(TypeFamily family, Verdict verdict, std::string detected = "",
                    std::string output_type = "", bool container = false) {
  WorkerResult w;
  w.family = family;
  w.verdict = verdict;
  w.detected_type = std::move(detected);
  w.is_container = container;
  if (!output_type.empty()) {
    w.has_output = true;
    w.output_type = std::move(output_type);
    w.output = "bytes";
  }
  return w;
}

TEST(FamilyTable, EveryFamilyHasItsRow) {
  for (int f = 0; f <= static_cast<int>(TypeFamily::kLast); ++f) {
    EXPECT_EQ(static_cast<int>(FamilyRowFor(static_cast<TypeFamily>(f)).family), f);
  }
  // A value outside the table (corrupt or from a newer worker) blocks.
  EXPECT_EQ(FamilyRowFor(static_cast<TypeFamily>(200)).action, PolicyAction::kBlock);
  EXPECT_EQ(FamilyRowFor(TypeFamily::kArchive).rebuild, RebuildKind::kZip);
  EXPECT_EQ(FamilyRowFor(TypeFamily::kMail).rebuild, RebuildKind::kMail);
  EXPECT_EQ(FamilyRowFor(TypeFamily::kOffice).rebuild, RebuildKind::kOnlyChild);
  EXPECT_EQ(FamilyRowFor(TypeFamily::kExecutable).entry, WorkerEntry::kNone);
}

TEST(FamilyTable, AllowedOutputsFollowTheSettings) {
  OutputPolicy normal;
  OutputPolicy text;
  text.pdf_text = true;
  text.ooxml_text = true;
  const FamilyRow& pdf = FamilyRowFor(TypeFamily::kPdf);
  EXPECT_EQ(AllowedOutputTypes(pdf, normal, "application/pdf"),
            std::vector<std::string>{"application/pdf"});
  EXPECT_EQ(AllowedOutputTypes(pdf, text, "application/pdf"),
            std::vector<std::string>{"text/plain; charset=utf-8"});
  const FamilyRow& image = FamilyRowFor(TypeFamily::kImage);
  EXPECT_EQ(AllowedOutputTypes(image, normal, "image/jpeg"), std::vector<std::string>{"image/jpeg"});
  EXPECT_EQ(AllowedOutputTypes(image, normal, "image/gif"), std::vector<std::string>{"image/png"});
  OutputPolicy gif;
  gif.gif_all_frames = true;
  EXPECT_EQ(AllowedOutputTypes(image, gif, "image/gif").size(), 2u);
  EXPECT_EQ(AllowedOutputTypes(FamilyRowFor(TypeFamily::kOoxml), text, "x"),
            std::vector<std::string>{"text/plain; charset=utf-8"});
  EXPECT_EQ(AllowedOutputTypes(FamilyRowFor(TypeFamily::kText), normal, "text/plain"),
            (std::vector<std::string>{"text/plain", "text/plain; charset=utf-8"}));  // taken out
}

struct AnswerCase {
  const char* what;
  WorkerResult answer;
  bool mail;
  bool accepted;
};

TEST(FamilyTable, WorkerAnswersAreCheckedAgainstTheTable) {
  const std::string docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  const std::string utf8 = "text/plain; charset=utf-8";
  const AnswerCase cases[] = {
      {"clean text", Answer(TypeFamily::kText, Verdict::kClean), false, true},
      {"clean html", Answer(TypeFamily::kHtml, Verdict::kClean), false, false},
      {"clean executable", Answer(TypeFamily::kExecutable, Verdict::kClean), false, false},
      {"sanitised executable", Answer(TypeFamily::kExecutable, Verdict::kSanitized, "", utf8), false, false},
      {"clean text with an output", Answer(TypeFamily::kText, Verdict::kClean, "", utf8), false, false},
      {"html to text", Answer(TypeFamily::kHtml, Verdict::kSanitized, "text/html", utf8), false, true},
      {"html to pdf", Answer(TypeFamily::kHtml, Verdict::kSanitized, "text/html", "application/pdf"), false, false},
      {"html without output", Answer(TypeFamily::kHtml, Verdict::kSanitized, "text/html"), false, false},
      {"pdf rebuilt", Answer(TypeFamily::kPdf, Verdict::kSanitized, "application/pdf", "application/pdf"), false, true},
      {"pdf into a zip", Answer(TypeFamily::kPdf, Verdict::kSanitized, "application/pdf", "application/zip"), false, false},
      {"jpeg kept jpeg", Answer(TypeFamily::kImage, Verdict::kSanitized, "image/jpeg", "image/jpeg"), false, true},
      {"png into jpeg", Answer(TypeFamily::kImage, Verdict::kSanitized, "image/png", "image/jpeg"), false, false},
      {"docx disarmed", Answer(TypeFamily::kOoxml, Verdict::kSanitized, docx, docx), false, true},
      {"docm kept macro type", Answer(TypeFamily::kOoxml, Verdict::kSanitized, docx, "application/vnd.ms-word.document.macroenabled.12"), false, false},
      {"archive unpacked", Answer(TypeFamily::kArchive, Verdict::kSanitized, "application/zip", "", true), false, true},
      {"archive not unpacked", Answer(TypeFamily::kArchive, Verdict::kSanitized, "application/zip", "application/zip"), false, false},
      {"pdf with members", Answer(TypeFamily::kPdf, Verdict::kSanitized, "application/pdf", "", true), false, false},
      {"office to convert", Answer(TypeFamily::kOffice, Verdict::kSanitized, "application/msword"), false, true},
      {"office with an output", Answer(TypeFamily::kOffice, Verdict::kSanitized, "application/msword", "application/pdf"), false, false},
      {"message unpacked", Answer(TypeFamily::kMail, Verdict::kSanitized, "message/rfc822", "", true), true, true},
      {"message read as text", Answer(TypeFamily::kText, Verdict::kClean), true, false},
      {"blocked anything", Answer(TypeFamily::kExecutable, Verdict::kBlocked), true, true},
  };
  for (const AnswerCase& c : cases) {
    std::string why = CheckWorkerAnswer(c.answer, c.mail, OutputPolicy{});
    EXPECT_EQ(why.empty(), c.accepted) << c.what << ": " << why;
  }
}

TEST(RebuildProtocol, RoundTripsAndRejectsMalformedRequests) {
  RebuildRequest r;
  r.kind = RebuildKind::kMail;
  r.headers = {{"Subject", "=?UTF-8?B?5LqI566X?="}};
  r.added = {{"X-Mugai-Verdict", "sanitized"}};
  r.parts.push_back({"", "本文\n", "text/plain", "utf-8", true});
  r.parts.push_back({"請求書.pdf", std::string("%PDF-1.7\0x", 10), "application/pdf", "", false});
  std::string bytes = EncodeRebuildRequest(r);
  Result<RebuildRequest> back = DecodeRebuildRequest(bytes, 1 << 20);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->kind, RebuildKind::kMail);
  ASSERT_EQ(back->parts.size(), 2u);
  EXPECT_EQ(back->parts[1].path, "請求書.pdf");
  EXPECT_EQ(back->parts[1].bytes, std::string("%PDF-1.7\0x", 10));
  EXPECT_TRUE(back->parts[0].inline_part);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeRebuildRequest(bytes.substr(0, n), 1 << 20).ok()) << n;
  }
  EXPECT_FALSE(DecodeRebuildRequest(bytes + "x", 1 << 20).ok());
  EXPECT_FALSE(DecodeRebuildRequest(bytes, 4).ok());  // a part over the limit
  std::string wrong_kind = bytes;
  wrong_kind[4] = static_cast<char>(RebuildKind::kOnlyChild);
  EXPECT_FALSE(DecodeRebuildRequest(wrong_kind, 1 << 20).ok());
}

}  // namespace
}  // namespace mugai
