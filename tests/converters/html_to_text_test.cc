// HTML → text: active content goes, visible text stays, links become text.
#include "converters/html/html_to_text.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace mugai {
namespace {

uint32_t Removed(const HtmlText& t, const std::string& what) {
  for (const auto& r : t.removed) {
    if (r.what == what) return r.count;
  }
  return 0;
}

TEST(HtmlToText, HostileFixture) {
  std::string html = testing::ReadFile(testing::FixturesDir() + "/html/hostile.html");
  Result<HtmlText> r = HtmlToText(html, "", HtmlToTextOptions{});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const std::string& text = r->text;
  // Visible text stays.
  EXPECT_NE(text.find("お知らせ"), std::string::npos);
  EXPECT_NE(text.find("市民課からのお知らせ"), std::string::npos);
  EXPECT_NE(text.find("窓口の受付時間が変わります。"), std::string::npos);
  EXPECT_NE(text.find("[地図]"), std::string::npos);
  EXPECT_NE(text.find("ここをクリック"), std::string::npos);
  EXPECT_NE(text.find("9:00-17:00"), std::string::npos);
  // Active content goes.
  for (const char* gone : {"alert", "steal", "injected", "iframe fallback", "object fallback",
                           "noscript text", "javascript", "background", "evil.example"}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << gone << " in:\n" << text;
  }
  // The link is text, defanged by default.
  EXPECT_NE(text.find("市のサイト <hxxps://www[.]city[.]example[.]lg[.]jp/info>"),
            std::string::npos)
      << text;
  EXPECT_EQ(Removed(*r, "script"), 2u);
  EXPECT_EQ(Removed(*r, "iframe"), 1u);
  EXPECT_EQ(Removed(*r, "event_handler"), 2u);  // onload, onerror
  EXPECT_EQ(Removed(*r, "script_url"), 1u);
  EXPECT_EQ(r->links, 1u);
}

TEST(HtmlToText, LinkStyles) {
  std::string html = "<p><a href=\"https://a.example/x\">label</a></p>";
  HtmlToTextOptions show;
  show.links = LinkStyle::kShow;
  EXPECT_EQ(HtmlToText(html, "", show)->text, "label <https://a.example/x>\n");
  HtmlToTextOptions drop;
  drop.links = LinkStyle::kDrop;
  EXPECT_EQ(HtmlToText(html, "", drop)->text, "label\n");
}

TEST(HtmlToText, ShiftJisDeclaredCharset) {
  std::string html = testing::ReadFile(testing::FixturesDir() + "/html/shift_jis.html");
  Result<HtmlText> r = HtmlToText(html, "", HtmlToTextOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->text.find("申請書は総務課へ提出してください。"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("案内"), std::string::npos);
}

TEST(HtmlToText, DeepNestingIsALimitNotACrash) {
  std::string html;
  for (int i = 0; i < 5000; ++i) html += "<div>";
  html += "deep";
  HtmlToTextOptions o;
  o.max_depth = 100;
  Result<HtmlText> r = HtmlToText(html, "", o);
  // libxml2 itself caps nesting at 256 and may flatten; either way no crash and no silent
  // truncation: a limit error, or the text is kept.
  if (r.ok()) {
    EXPECT_NE(r->text.find("deep"), std::string::npos);
  } else {
    EXPECT_EQ(r.status().code(), StatusCode::kLimit);
  }
}

TEST(HtmlToText, MalformedHtmlStillYieldsText) {
  Result<HtmlText> r = HtmlToText("<p>unclosed <b>bold <i>text</p></div></span>", "",
                                  HtmlToTextOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "unclosed bold text\n");
}

TEST(HtmlToText, OutputLimit) {
  HtmlToTextOptions o;
  o.max_output_bytes = 10;
  Result<HtmlText> r = HtmlToText("<p>" + std::string(100, 'x') + "</p>", "", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimit);
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

TEST(HtmlToText, HrefsAreNormalisedBeforeTheSchemeCheck) {
  for (const char* href : {"\njavascript:alert(1)", "java\tscript:alert(1)", " \x01javascript:x",
                           "JAVASCRIPT:x", "vbscript:x", "data:text/html,x"}) {
    std::string html = std::string("<p><a href=\"") + href + "\">click</a></p>";
    Result<HtmlText> r = HtmlToText(html, "", HtmlToTextOptions{});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->text, "click\n") << href;
    EXPECT_EQ(Removed(*r, "script_url"), 1u) << href;
  }
  for (const char* href : {"file://host/share/x.exe", "\\\\host\\share", "search-ms:query=x",
                           "ms-msdt:/id x", "//evil.example/x"}) {
    std::string html = std::string("<p><a href=\"") + href + "\">open</a></p>";
    Result<HtmlText> r = HtmlToText(html, "", HtmlToTextOptions{});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->text, "open\n") << href;
    EXPECT_EQ(Removed(*r, "unsafe_url"), 1u) << href;
  }
}

TEST(HtmlToText, AddressesInTheTextAreDefangedToo) {
  Result<HtmlText> r = HtmlToText(
      "<p>see https://evil.example/x or www.evil.example and file://host/s and "
      "\\\\host\\share</p>",
      "", HtmlToTextOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text,
            "see hxxps://evil[.]example/x or www[.]evil[.]example and file[:]//host/s and "
            "[\\\\]host\\share\n");
  HtmlToTextOptions show;
  show.links = LinkStyle::kShow;
  EXPECT_NE(HtmlToText("<p>https://a.example/</p>", "", show)->text.find("https://a.example/"),
            std::string::npos);
}

TEST(HtmlToText, ControlAndBidiCharactersInHrefsAreEscaped) {
  HtmlToTextOptions show;
  show.links = LinkStyle::kShow;
  Result<HtmlText> r =
      HtmlToText("<p><a href=\"https://a.example/\xE2\x80\xAEgpj.exe\">x</a></p>", "", show);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "x <https://a.example/%E2%80%AEgpj.exe>\n");
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

TEST(HtmlToText, Cp932ExtensionsDecodeWithTheSupersetHint) {
  // "髙橋①" in CP932: 0xFB 0xFC is an IBM extension, 0x87 0x40 an NEC one; neither is in
  // JIS X 0208 Shift_JIS.
  std::string html = "<html><head><meta charset=\"Shift_JIS\"></head><body><p>\xFB\xFC\x8B\xB4"
                     "\x87\x40</p></body></html>";
  Result<HtmlText> wrong = HtmlToText(html, "", HtmlToTextOptions{});
  EXPECT_FALSE(wrong.ok());  // cut short by libxml2: reported, never silently truncated
  Result<HtmlText> right = HtmlToText(html, "CP932", HtmlToTextOptions{});
  ASSERT_TRUE(right.ok()) << right.status().message();
  EXPECT_EQ(right->text, "髙橋①\n");
}

}  // namespace
}  // namespace mugai
