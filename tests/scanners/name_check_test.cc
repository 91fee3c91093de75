// Table-driven tests of the file-name checks.
#include "scanners/name_check.h"

#include <gtest/gtest.h>

namespace mugai {
namespace {

struct NameCase {
  const char* name;
  NameProblem expected;
};

class NameCheckTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(NameCheckTest, Classifies) {
  const NameCase& c = GetParam();
  EXPECT_EQ(CheckFileName(c.name).problem, c.expected) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Names, NameCheckTest,
    ::testing::Values(
        NameCase{"report.pdf", NameProblem::kNone},
        NameCase{"請求書.pdf", NameProblem::kNone},
        NameCase{"議事録 (1).txt", NameProblem::kNone},
        NameCase{"README", NameProblem::kNone},
        NameCase{"v1.2.docx", NameProblem::kNone},
        NameCase{"setup.exe", NameProblem::kDangerousExtension},
        NameCase{"SETUP.EXE", NameProblem::kDangerousExtension},
        NameCase{"shortcut.lnk", NameProblem::kDangerousExtension},
        NameCase{"invoice.js", NameProblem::kDangerousExtension},
        NameCase{"setup.exe.", NameProblem::kDangerousExtension},   // Windows drops the dot
        NameCase{"setup.exe   ", NameProblem::kDangerousExtension},
        NameCase{"請求書.pdf.exe", NameProblem::kDoubleExtension},
        NameCase{"report.docx.scr", NameProblem::kDoubleExtension},
        NameCase{"請求書．exe", NameProblem::kFullwidthDot},       // U+FF0E
        NameCase{"請求書。exe", NameProblem::kFullwidthDot},       // U+3002
        NameCase{"請求書.pdf．exe", NameProblem::kFullwidthDot},
        NameCase{"請求書.ｅｘｅ", NameProblem::kDangerousExtension},  // full-width letters
        NameCase{"\xE2\x80\xAE" "fdp.exe", NameProblem::kBidiControl},  // U+202E
        NameCase{"photo\xE2\x81\xA6gpj.scr", NameProblem::kBidiControl},  // U+2066
        NameCase{"a\xE2\x80\x8F.txt", NameProblem::kBidiControl},        // U+200F
        NameCase{"line\nbreak.txt", NameProblem::kControlCharacter},
        NameCase{"tab\t.txt", NameProblem::kControlCharacter},
        NameCase{"c1\xC2\x85.txt", NameProblem::kControlCharacter},       // U+0085
        NameCase{"sjis\x8C\x8F.txt", NameProblem::kInvalidUtf8},
        NameCase{"overlong\xC0\xAF.txt", NameProblem::kInvalidUtf8},
        NameCase{"zero\xE2\x80\x8B.exe", NameProblem::kDangerousExtension}));

TEST(NameCheck, ReportsTheExtension) {
  NameCheck c = CheckFileName("請求書.pdf.exe");
  EXPECT_EQ(c.extension, "exe");
  EXPECT_EQ(c.detail, "double extension .pdf.exe");
  EXPECT_STREQ(NameProblemCode(c.problem), "name_double_extension");
}

TEST(NameCheck, PlainExtensionIsLowerCase) {
  EXPECT_EQ(PlainExtension("A.TXT"), "txt");
  EXPECT_EQ(PlainExtension("noext"), "");
  EXPECT_EQ(PlainExtension("trailing."), "");
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

TEST(VisibleName, EscapesWhatCouldRearrangeTheScreen) {
  EXPECT_EQ(VisibleName("photo\xE2\x80\xAEgpj.scr"), "photo<U+202E>gpj.scr");
  EXPECT_EQ(VisibleName("a\nb"), "a<U+000A>b");
  EXPECT_EQ(VisibleName("sjis\x8C\x8F.txt"), "sjis<0x8C><0x8F>.txt");
  EXPECT_EQ(VisibleName("請求書.pdf"), "請求書.pdf");
}

}  // namespace
}  // namespace mugai
