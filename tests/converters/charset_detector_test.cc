// Charset detection of Japanese text in every encoding staff send.
#include "converters/text/charset_detector.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace mugai {
namespace {

struct CharsetCase {
  const char* fixture;
  const char* charset;
};

class CharsetTest : public ::testing::TestWithParam<CharsetCase> {};

TEST_P(CharsetTest, DetectsAndDecodes) {
  std::string bytes = testing::ReadFile(testing::FixturesDir() + "/text/" + GetParam().fixture);
  CharsetGuess g = DetectCharset(bytes);
  EXPECT_EQ(g.charset, GetParam().charset);
  EXPECT_TRUE(g.confirmed);
  std::string utf8;
  ASSERT_TRUE(ConvertToUtf8(bytes, g.charset, &utf8));
  EXPECT_NE(utf8.find("予算要求"), std::string::npos);
  EXPECT_TRUE(IsReadableText(bytes, &g));
}

INSTANTIATE_TEST_SUITE_P(Japanese, CharsetTest,
                         ::testing::Values(CharsetCase{"utf8.txt", "UTF-8"},
                                           CharsetCase{"shift_jis.txt", "Shift_JIS"},
                                           CharsetCase{"cp932.txt", "Shift_JIS"},
                                           CharsetCase{"euc-jp.txt", "EUC-JP"},
                                           CharsetCase{"iso-2022-jp.txt", "ISO-2022-JP"}));

TEST(Charset, AsciiIsAscii) { EXPECT_EQ(DetectCharset("hello\n").charset, "US-ASCII"); }

TEST(Charset, BinaryIsNotReadableText) {
  CharsetGuess g;
  EXPECT_FALSE(IsReadableText(std::string("MZ\x90\x00\x03\x00\x00\x00", 8), &g));
  EXPECT_FALSE(IsReadableText(std::string("text with a NUL\0 inside", 23), &g));
}

TEST(Charset, TruncatedMultibyteIsNotConfirmedAsThatCharset) {
  std::string utf8 = "予算";
  std::string truncated = utf8.substr(0, utf8.size() - 1);
  std::string out;
  EXPECT_FALSE(ConvertToUtf8(truncated, "UTF-8", &out));
}

// Every text file of the chardet-ja corpus is readable text (skipped without ../shared).
TEST(Charset, ChardetJaCorpusIsReadableText) {
  std::string root = testing::CorporaDir() + "/chardet-ja";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "corpus absent: " << root;
  int checked = 0;
  for (const char* dir : {"SHIFT_JIS", "CP932", "EUC-JP", "iso-2022-jp", "utf-8"}) {
    for (const auto& e : std::filesystem::directory_iterator(root + "/" + dir)) {
      std::string bytes = testing::ReadFile(e.path());
      CharsetGuess g = DetectCharset(bytes);
      EXPECT_TRUE(g.confirmed) << e.path();
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

TEST(Charset, ShortEucJpIsNotTakenForWindows1252) {
  std::string euc = "\xA5\xED\xA5\xB0\xA5\xA4\xA5\xF3";  // ログイン
  EXPECT_EQ(DetectCharset(euc).charset, "EUC-JP");
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

// ISO-2022-JP as Outlook and other Japanese mail clients write it (CP50221): NEC row 13 (①㈱№),
// an NEC-selected IBM extension (髙, row 92) and JIS X 0201 katakana (ESC ( I).
const char kCp50221[] =
    "\x1b$B$43NG'$/$@$5$$\x1b(B \x1b$B-!-j-b\x1b(B \x1b$B|b66\x1b(B \x1b(I6@6E\x1b(B";
const char kCp50221Utf8[] = "ご確認ください ①㈱№ 髙橋 ｶﾀｶﾅ";

TEST(Charset, Iso2022JpIsReadAsMailClientsWriteIt) {
  std::string utf8;
  ASSERT_TRUE(ConvertToUtf8(kCp50221, "ISO-2022-JP", &utf8));
  EXPECT_EQ(utf8, kCp50221Utf8);
  ASSERT_TRUE(ConvertToUtf8(kCp50221, "iso-2022-jp", &utf8));
  EXPECT_EQ(utf8, kCp50221Utf8);
  CharsetGuess g = DetectCharset(kCp50221);
  EXPECT_EQ(g.charset, "ISO-2022-JP");
  EXPECT_TRUE(g.confirmed);
  // What is not ISO-2022-JP is refused, not guessed at: 8-bit bytes, a cut pair.
  EXPECT_FALSE(ConvertToUtf8("\x1b$B$4\xa4\x1b(B", "ISO-2022-JP", &utf8));
  EXPECT_FALSE(ConvertToUtf8("\x1b$B$", "ISO-2022-JP", &utf8));
  // The JIS X 0208-1990 announcer (ESC & @ ESC $ B) is one escape, not an error.
  ASSERT_TRUE(ConvertToUtf8("\x1b&@\x1b$B$43NG'\x1b(B", "ISO-2022-JP", &utf8));
  EXPECT_EQ(utf8, "ご確認");
}

}  // namespace
}  // namespace mugai
