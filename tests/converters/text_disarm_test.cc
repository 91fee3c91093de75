// Encoded blocks and CSV formulas (converters/text/text_disarm.h), on exact bytes.
#include "converters/text/text_disarm.h"
#include "converters/office/rtf_disarm.h"

#include <gtest/gtest.h>

namespace mugai {
namespace {

TEST(RemoveEncodedBlocks, EveryKindGoesAndTheRestStays) {
  struct Case {
    const char* what;
    std::string in;
    std::string kind;
    std::string name;
  };
  const Case cases[] = {
      {"uuencode", "a\nbegin 644 x.exe\nM35J0\n`\nend\nb\n", "uuencoded", "x.exe"},
      {"uuencode, mode 0755", "a\nbegin 0755 run.bat\n#:&D*\n`\nend\nb\n", "uuencoded", "run.bat"},
      {"indented by a conversion", "a\n    begin 644 x.exe\n    M35J0\n    end\nb\n", "uuencoded", "x.exe"},
      {"indented with U+3000", "a\n\xE3\x80\x80" "begin 644 x.exe\nM35J0\nend\nb\n", "uuencoded", "x.exe"},
      {"base64 uuencode", "a\nbegin-base64 644 x.exe\nTVqQAAMAAAAEAAAA\n====\nb\n", "base64 uuencoded", "x.exe"},
      {"yEnc", "a\n=ybegin line=128 size=3 name=x.exe\nabc\n=yend size=3\nb\n", "yEnc", "x.exe"},
      {"CRLF", "a\r\nbegin 644 x.exe\r\nM35J0\r\nend\r\nb\r\n", "uuencoded", "x.exe"},
      {"bare CR", "a\rbegin 644 x.exe\rM35J0\rend\rb\r", "uuencoded", "x.exe"},
      {"BinHex", "a\n(This file must be converted with BinHex 4.0)\n:M35J0TVqQ\nTVqQ:\nb\n", "BinHex", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<EncodedBlock> found;
    std::string out = RemoveEncodedBlocks(c.in, &found);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].kind, c.kind);
    EXPECT_EQ(found[0].name, c.name);
    EXPECT_EQ(out.find("M35J0"), std::string::npos) << out;
    EXPECT_EQ(out.find("TVqQ"), std::string::npos) << out;
    EXPECT_EQ(out.rfind("a", 0), 0u);
    EXPECT_TRUE(out.find("\nb") != std::string::npos || out.find("\rb") != std::string::npos) << out;
    EXPECT_FALSE(HasEncodedBlock(out)) << out;
    EXPECT_TRUE(HasEncodedBlock(c.in));
  }
}

TEST(RemoveEncodedBlocks, UnterminatedBlockRunsToTheEnd) {
  std::vector<EncodedBlock> found;
  std::string out = RemoveEncodedBlocks("text\nbegin 644 a.exe\nM35J0\nM35J0\n", &found);
  EXPECT_EQ(out, "text\n[mugai: uuencoded file a.exe removed / エンコードされたファイルを除去]\n");
}

TEST(RemoveEncodedBlocks, OrdinaryTextIsUntouched) {
  const std::string texts[] = {
      "We begin at 9.\nbegin the meeting\nbegin 9 am\n", "=ybeginning\n", "", "no newline"};
  for (const std::string& t : texts) {
    std::vector<EncodedBlock> found;
    EXPECT_EQ(RemoveEncodedBlocks(t, &found), t);
    EXPECT_TRUE(found.empty());
  }
}

TEST(NeutraliseCsvFormulas, RiskyCellsArePrefixedAndOthersKeepTheirBytes) {
  struct Case {
    const char* what;
    std::string in;
    char delimiter;
    std::string out;
    size_t changed;
  };
  const Case cases[] = {
      {"DDE", "a,=cmd|' /C calc'!A0,c\n", ',', "a,'=cmd|' /C calc'!A0,c\n", 1},
      {"every trigger", "=1,+2+3,-A1,@SUM(A1),\tx\n", ',', "'=1,'+2+3,'-A1,'@SUM(A1),'\tx\n", 5},
      {"quoted", "\"=HYPERLINK(\"\"http://x\"\")\",b\r\n", ',',
       "\"'=HYPERLINK(\"\"http://x\"\")\",b\r\n", 1},
      {"quoted delimiter", "\"a,=b\",c\n", ',', "\"a,=b\",c\n", 0},
      {"numbers stay", "-5,+1.5,-1e3,\"-1,234\"\n", ',', "-5,+1.5,-1e3,\"-1,234\"\n", 0},
      {"phone number is a formula", "+81-3-1234\n", ',', "'+81-3-1234\n", 1},
      {"TSV", "a\t=1+1\t@x\n", '\t', "a\t'=1+1\t'@x\n", 2},
      {"UTF-8 BOM kept", "\xEF\xBB\xBF=1,b\n", ',', "\xEF\xBB\xBF'=1,b\n", 1},
      {"CP932 kept", "\x83\x40=,=1\n", ',', "\x83\x40=,'=1\n", 1},
      {"plain", "name,city\n山田,五霞町\n", ',', "name,city\n山田,五霞町\n", 0},
      {"sep= line", "sep=;\na;=cmd|' /C calc'!A0\n", ',', "sep=;\na;'=cmd|' /C calc'!A0\n", 1},
      {"bare CR rows", "a,b\r=1,c\r", ',', "a,b\r'=1,c\r", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    size_t changed = 99;
    EXPECT_EQ(NeutraliseCsvFormulas(c.in, c.delimiter, &changed), c.out);
    EXPECT_EQ(changed, c.changed);
  }
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

TEST(StripRtfLinks, FieldInstructionsPictureLinksAndDataFieldsGo) {
  RtfLinks found;
  std::string out = StripRtfLinks(
      "{\\rtf1 A{\\field{\\*\\fldinst INCLUDEPICTURE \"x\\}\\{\"}{\\fldrslt B}}"
      "{\\field{\\fldinst {\\field{\\*\\fldinst INC}}LUDETEXT y}{\\fldrslt C}}"
      "{\\shp{\\*\\shpinst{\\sp{\\sn pibName}{\\sv C:\\\\a.png}}{\\sp{\\sn fLine}{\\sv 0}}}}"
      "{\\*\\datafield 0001}{\\pict\\bin3 {}}D}",
      &found);
  EXPECT_EQ(out,
            "{\\rtf1 A{\\field{\\fldrslt B}}{\\field{\\fldrslt C}}"
            "{\\shp{\\*\\shpinst{\\sp{\\sn fLine}{\\sv 0}}}}{\\pict\\bin3 {}}D}");
  EXPECT_EQ(found.field_instructions, 2u);
  EXPECT_EQ(found.linked_pictures, 1u);
  EXPECT_EQ(found.data_fields, 1u);
  EXPECT_EQ(found.unclear, "");
}

// The review's bypasses: a field instruction later in its group, a \bin that is not a clear
// count, a \' without hex digits, a picture name spelt with escapes.
TEST(StripRtfLinks, TricksAreTakenOutOrMakeTheDocumentUnclear) {
  struct Case {
    const char* what;
    std::string in;
    bool unclear;
  };
  const Case cases[] = {
      {"fldinst after another word", "{\\rtf1{\\field{\\plain\\fldinst INCLUDEPICTURE x}{\\fldrslt r}}}", false},
      {"\\bin0", "{\\rtf1 \\bin0 \\{\\*\\fldinst INCLUDEPICTURE x}}", true},
      {"huge \\bin", "{\\rtf1 \\bin9999999999 x{\\*\\fldinst INCLUDEPICTURE x}}", true},
      {"\\' before a brace", "{\\rtf1 \\'{\\*\\fldinst INCLUDEPICTURE x}}", true},
      {"fldinst at top level", "\\fldinst INCLUDEPICTURE x", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    RtfLinks found;
    std::string out = StripRtfLinks(c.in, &found);
    EXPECT_EQ(!found.unclear.empty(), c.unclear) << found.unclear;
    if (!c.unclear) {
      EXPECT_EQ(out.find("fldinst"), std::string::npos) << out;
      EXPECT_EQ(out.find("INCLUDEPICTURE"), std::string::npos) << out;
    }
  }
  RtfLinks found;
  std::string out = StripRtfLinks(
      "{\\rtf1{\\shp{\\sp{\\sn pib\\'4eame}{\\sv C:\\\\a.png}}{\\sp{\\sn \\u112?ibName}{\\sv x}}}}", &found);
  EXPECT_EQ(found.linked_pictures, 2u);
  EXPECT_EQ(out, "{\\rtf1{\\shp}}");
}

}  // namespace
}  // namespace mugai
