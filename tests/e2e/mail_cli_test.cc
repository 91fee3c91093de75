// `mugai mail` over crafted messages (table of the cases issue 6 names) and the mail corpora.
// Assertions are on the parsed output message: parts, types, decoded text, names, headers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "charset_table.h"
#include "converters/mail/mime_unpacker.h"
#include "test_support.h"

namespace mugai {
namespace {

using nlohmann::json;

std::string Base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    if ((i / 3 + 1) % 19 == 0) out += "\n";
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out + "\n";
}

const char kHead[] =
    "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\n"
    "To: soumu@city.example.lg.jp\n"
    "Subject: =?UTF-8?B?5LqI566X6KaB5rGC?=\n"
    "Date: Mon, 2 Nov 2026 10:00:00 +0900\n"
    "Message-ID: <case@example.jp>\n"
    "MIME-Version: 1.0\n";

std::string Mixed(const std::string& parts) {
  return std::string(kHead) + "Content-Type: multipart/mixed; boundary=\"B\"\n\n" +
         "--B\nContent-Type: text/plain; charset=utf-8\n\n本文です。\n" + parts + "--B--\n";
}

std::string Attachment(const std::string& type, const std::string& disposition_name,
                       const std::string& bytes) {
  return "--B\nContent-Type: " + type + "\nContent-Disposition: attachment; " +
         disposition_name + "\nContent-Transfer-Encoding: base64\n\n" + Base64(bytes);
}

class MailCli : public ::testing::Test {
 protected:
  struct Out {
    int exit_code;
    std::string message;
    json item;
    UnpackedMail parsed;
    std::string err;
  };
  Out Run(const std::string& message, std::vector<std::string> extra = {}) {
    testing::WriteFile(dir_ / "in.eml", message);
    std::vector<std::string> argv = {testing::MugaiBinary(), "mail", "--quiet",
                                     "--signatures", testing::SignaturesDir(),
                                     "--state", dir_ / "state", "--report", dir_ / "report.json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    testing::RunResult r = testing::Run(argv, dir_ / "in.eml");
    Out o{r.exit_code, r.out, json(), {}, r.err};
    if (std::filesystem::exists(dir_ / "report.json")) {
      o.item = json::parse(testing::ReadFile(dir_ / "report.json"))["items"][0];
      std::filesystem::remove(dir_ / "report.json");
    }
    if (!r.out.empty()) {
      MailOutcome m = UnpackMail(r.out, MailLimits{1000, 50, 1 << 20});
      EXPECT_EQ(m.problem, MailProblem::kNone) << m.detail;
      o.parsed = m.mail;
    }
    return o;
  }
  static const MailPart* Part(const Out& o, const std::string& name) {
    for (const auto& p : o.parsed.parts) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
  static std::string Header(const Out& o, const std::string& name) {
    for (const auto& [n, v] : o.parsed.headers) {
      if (n == name) return v;
    }
    return "";
  }
  testing::TempDir dir_;
};

// Issue 19's table, through `mugai mail` and `mugai sanitize`: every charset row's subject,
// HTML body, HTML attachment, text attachment, file name and zip member name come out as the
// exact characters the sender's client meant (charset_table.h; the milter's run is in
// milter_test.cc). The report's subject is the decoded one too.
TEST_F(MailCli, CharsetTableThroughMailAndSanitize) {
  for (const auto& c : charset_table::Cases()) {
    SCOPED_TRACE(c.id);
    const std::string msg = charset_table::Message(c);
    Out o = Run(msg);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(o.item["subject"], c.text);
    charset_table::Check(c, o.message);

    std::filesystem::remove_all(dir_ / "out");
    testing::WriteFile(dir_ / (std::string(c.id) + ".eml"), msg);
    testing::RunResult r = testing::Run(
        {testing::MugaiBinary(), "sanitize", "--quiet", "--signatures", testing::SignaturesDir(),
         "--state", dir_ / "state", "--out", dir_ / "out", "--report", "-",
         dir_ / (std::string(c.id) + ".eml")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["items"][0]["subject"], c.text);
    charset_table::Check(c, testing::ReadFile(dir_ / ("out/" + std::string(c.id) + ".eml")));
  }
}

TEST_F(MailCli, Iso2022JpPlainTextKeepsItsBodyBytesInANewFraming) {
  const std::string body = "\x1b$B$3$s$K$A$O\x1b(B\n";
  std::string msg = std::string(kHead) +
                    "Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n" +
                    body;
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.item["verdict"], "clean");
  EXPECT_NE(o.message.find("X-Mugai-Verdict: clean"), std::string::npos);
  // Rebuilt, not passed: the body's bytes and charset as they came, the framing mugai's.
  size_t blank = o.message.find("\n\n");
  ASSERT_NE(blank, std::string::npos) << o.message;
  EXPECT_EQ(o.message.substr(blank + 2), body);
  EXPECT_NE(o.message.find("Content-Type: text/plain; charset=ISO-2022-JP\n"), std::string::npos)
      << o.message;
  EXPECT_NE(o.message.find("Subject: =?UTF-8?B?5LqI566X6KaB5rGC?=\n"), std::string::npos);
  ASSERT_EQ(o.parsed.parts.size(), 1u);
  EXPECT_EQ(o.parsed.parts[0].bytes, body);
  // A sender cannot pre-set the verdict: their own X-Mugai-* lines are dropped.
  Out spoof = Run("X-Mugai-Verdict: clean\n\tfolded\n" + msg);
  ASSERT_EQ(spoof.exit_code, 0) << spoof.err;
  EXPECT_EQ(spoof.message.find("folded"), std::string::npos);
  EXPECT_EQ(spoof.message.find("X-Mugai-Verdict: clean\nX-Mugai-Actions: none\n"), 0u);
  EXPECT_EQ(spoof.message.find("X-Mugai-Verdict", 10), std::string::npos);
  EXPECT_TRUE(o.item["quarantine_id"].is_null());
}

TEST_F(MailCli, PlainTextPartsAreProcessedWithTheirMessageAndVerifiedInTheRebuiltOne) {
  // Small text/plain parts are processed by the worker that unpacked the message; what they
  // turn out to be still decides: a CSV loses its formulas (and is verified as a part of the
  // rebuilt message), an executable labelled text/plain is removed, and HTML labelled
  // text/plain goes to a worker of its own and becomes text.
  std::string exe = "MZ" + std::string(60, '\0') + std::string("\x80\0\0\0", 4) +
                    std::string(64, '\0') + "PE" + std::string(2, '\0') + std::string(200, '\x01');
  std::string msg = Mixed(
      "--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"data.csv\"\n\n"
      "name,total\r\n=cmd|' /C calc'!A0,1\r\n" +
      Attachment("text/plain", "filename=\"readme.txt\"", exe) +
      "--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"page.txt\"\n\n"
      "<html><body><script>alert(1)</script><p>お知らせ</p></body></html>\n");
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.item["verdict"], "sanitized");
  const MailPart* body = o.parsed.parts.empty() ? nullptr : &o.parsed.parts[0];
  ASSERT_NE(body, nullptr);
  EXPECT_NE(body->bytes.find("本文です。"), std::string::npos);
  const MailPart* csv = Part(o, "data.csv");
  ASSERT_NE(csv, nullptr) << o.message;
  EXPECT_NE(csv->bytes.find("'=cmd|"), std::string::npos) << csv->bytes;
  EXPECT_EQ(Part(o, "readme.txt"), nullptr) << "an executable labelled text/plain arrived";
  int found = 0;
  for (const auto& child : o.item["children"]) {
    found += child["name"] == "data.csv" || child["name"] == "readme.txt";
    if (child["name"] == "data.csv") {
      EXPECT_NE(child["actions"].dump().find("as a part of the rebuilt message"), std::string::npos)
          << child.dump();
    }
    if (child["name"] == "readme.txt") {
      EXPECT_EQ(child["verdict"], "blocked") << child.dump();
    }
  }
  EXPECT_EQ(found, 2) << o.item["children"].dump();
  EXPECT_EQ(o.message.find("alert(1)"), std::string::npos);
}

TEST_F(MailCli, Iso2022JpHtmlAsOutlookSendsItBecomesReadableText) {
  // Outlook's default on Japanese Windows: HTML in ISO-2022-JP (CP50221, with NEC and IBM
  // characters), the charset in both the MIME header and a <meta>.
  const std::string jis =
      "\x1b$B$43NG'$/$@$5$$\x1b(B \x1b$B-!-j-b\x1b(B \x1b$B|b66\x1b(B \x1b(I6@6E\x1b(B";
  std::string msg = std::string(kHead) +
                    "Content-Type: text/html; charset=\"iso-2022-jp\"\nContent-Transfer-Encoding: 7bit\n\n"
                    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
                    "charset=iso-2022-jp\"></head><body><p>" + jis + "</p><script>x()</script></body></html>\n";
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_FALSE(o.parsed.parts.empty()) << o.message;
  const MailPart& body = o.parsed.parts[0];
  EXPECT_NE(body.bytes.find("ご確認ください ①㈱№ 髙橋 ｶﾀｶﾅ"), std::string::npos) << body.bytes;
  EXPECT_EQ(body.bytes.find("$B"), std::string::npos) << "escape sequences lost, JIS bytes kept";
  EXPECT_EQ(body.bytes.find("\xEF\xBF\xBD"), std::string::npos) << "U+FFFD in the text";
  EXPECT_EQ(body.bytes.find("x()"), std::string::npos);
}

TEST_F(MailCli, HtmlThatLibmagicTakesForTextIsStillConvertedAsHtml) {
  // A fragment without <html> (libmagic: text/plain), its charset only in the MIME header:
  // named .html, it is converted, never delivered as text with its tags (a.html.txt).
  std::string frag = "<span>\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf</span>"
                     "<img src=\"http://evil.example/x.gif\" onerror=\"steal()\">\n";
  std::string msg = Mixed(
      "--B\nContent-Type: text/html; charset=utf-8\nContent-Disposition: attachment; "
      "filename=\"a.html\"\n\n" + frag +
      "--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"b.htm\"\n\n" + frag);
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  for (const char* name : {"a.txt", "b.txt"}) {
    const MailPart* p = Part(o, name);
    ASSERT_NE(p, nullptr) << name << "\n" << o.message;
    EXPECT_NE(p->bytes.find("こんにちは"), std::string::npos) << p->bytes;
    EXPECT_EQ(p->bytes.find("<span>"), std::string::npos) << p->bytes;
    EXPECT_EQ(p->bytes.find("steal()"), std::string::npos) << p->bytes;
  }
  EXPECT_EQ(Part(o, "a.html.txt"), nullptr);
  EXPECT_EQ(Part(o, "b.htm.txt"), nullptr);
  EXPECT_NE(o.item.dump().find("named as HTML"), std::string::npos) << o.item.dump();
}

TEST_F(MailCli, Iso2022JpFileNamesKeepTheirNecCharacters) {
  // 見積①㈱ in ISO-2022-JP (① and ㈱ are NEC row 13, which iconv's ISO-2022-JP lacks), as
  // Outlook writes it (RFC 2047 in the quoted value) and as RFC 2231 with continuations.
  std::string msg = Mixed(
      "--B\nContent-Type: text/html; charset=utf-8\nContent-Disposition: attachment; "
      "filename=\"=?ISO-2022-JP?B?GyRCOCtAUS0hLWobKEIuaHRtbA==?=\"\n\n<p>a</p>\n"
      "--B\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: attachment;\n"
      " filename*0*=iso-2022-jp''%1B%24%42%38%2B%40%51;\n filename*1*=%2D%21%2D%6A%1B%28%42;\n"
      " filename*2=\".txt\"\n\nb\n");
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::vector<std::string> names;
  for (const auto& child : o.item["children"]) names.push_back(child["name"]);
  EXPECT_NE(std::find(names.begin(), names.end(), "見積①㈱.html"), names.end()) << o.item.dump();
  EXPECT_NE(std::find(names.begin(), names.end(), "見積①㈱.txt"), names.end()) << o.item.dump();
  EXPECT_NE(Part(o, "見積①㈱.txt"), nullptr) << o.message;  // the converted HTML, or the text
  EXPECT_EQ(o.message.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST_F(MailCli, OnlyAPlainTextMessageGoesOnUnchanged) {
  // HTML that libmagic takes for plain text, and a text attachment with a risky name: both
  // clean as content, but the message is rebuilt, so neither arrives as the sender labelled it.
  std::string msg = std::string(kHead) +
                    "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/html\n\n"
                    "<img src=\"http://tracker.example/x.gif\">hello\n--B\nContent-Type: text/plain\n"
                    "Content-Disposition: attachment; filename=\"query.iqy\"\n\nWEB\n1\nhttp://evil.example/\n--B--\n";
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.item["verdict"], "sanitized");
  EXPECT_EQ(Part(o, "query.iqy"), nullptr);
  EXPECT_NE(Part(o, "query.iqy.txt"), nullptr);
  EXPECT_EQ(o.message.find("text/html"), std::string::npos);
}

TEST_F(MailCli, ShiftJisHtmlOnlyBecomesUtf8Text) {
  std::string html = "<html><head><meta charset=\"Shift_JIS\"></head><body><p>\x97\x5c\x8e\x5a\x97\x76\x8b\x81"
                     "<script>alert(1)</script></p></body></html>";
  std::string msg = std::string(kHead) + "Content-Type: text/html; charset=Shift_JIS\n"
                    "Content-Transfer-Encoding: base64\n\n" + Base64(html);
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.item["verdict"], "sanitized");
  ASSERT_FALSE(o.parsed.parts.empty());
  const MailPart& body = o.parsed.parts[0];
  EXPECT_EQ(body.declared_type, "text/plain");
  EXPECT_EQ(body.charset, "utf-8");
  EXPECT_NE(body.bytes.find("予算要求"), std::string::npos) << body.bytes;
  EXPECT_EQ(o.message.find("<script"), std::string::npos);
  EXPECT_EQ(Header(o, "Message-ID"), "<case@example.jp>");
  EXPECT_EQ(Header(o, "Subject"), "=?UTF-8?B?5LqI566X6KaB5rGC?=");
  EXPECT_FALSE(o.item["quarantine_id"].is_null());  // something changed: the original is kept
}

TEST_F(MailCli, AlternativeKeepsItsTextAndDropsTheScriptedHtml) {
  std::string msg = std::string(kHead) +
                    "Content-Type: multipart/alternative; boundary=\"A\"\n\n"
                    "--A\nContent-Type: text/plain; charset=utf-8\n\nplain version\n"
                    "--A\nContent-Type: text/html; charset=utf-8\n\n<p>x<script>evil()</script></p>\n--A--\n";
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.parsed.parts.at(0).bytes, "plain version");
  EXPECT_EQ(o.message.find("evil()"), std::string::npos);
  EXPECT_NE(o.message.find("X-Mugai-Actions: sanitized=0; removed=0; dropped=yes"),
            std::string::npos);
}

TEST_F(MailCli, AttachmentsGoThroughThePipelineByTheirRealType) {
  std::string pdf = testing::ReadFile(testing::FixturesDir() + "/pdf/js-openaction.pdf");
  std::string zip = testing::ReadFile(testing::FixturesDir() + "/archive/encrypted-aes.zip");
  std::string tnef = std::string("\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00", 11) + std::string(64, '\0');
  std::string msg = Mixed(
      Attachment("application/pdf", "filename=\"report.pdf\"", pdf) +
      Attachment("application/pdf", "filename=\"invoice.pdf\"", testing::Eicar()) +
      Attachment("application/zip", "filename=\"secret.zip\"", zip) +
      Attachment("application/ms-tnef", "filename=\"winmail.dat\"", tnef) +
      Attachment("text/plain", "filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.txt", "請求書の本文\n"));
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.item["verdict"], "sanitized");
  const MailPart* rebuilt = Part(o, "report.pdf");
  ASSERT_NE(rebuilt, nullptr);
  EXPECT_EQ(rebuilt->bytes.find("/JavaScript"), std::string::npos);
  EXPECT_EQ(rebuilt->bytes.rfind("%PDF", 0), 0u);
  EXPECT_EQ(Part(o, "invoice.pdf"), nullptr);
  ASSERT_NE(Part(o, "invoice.pdf.removed.txt"), nullptr);
  EXPECT_NE(Part(o, "invoice.pdf.removed.txt")->bytes.find("malware"), std::string::npos);
  EXPECT_EQ(o.message.find("EICAR"), std::string::npos);
  ASSERT_NE(Part(o, "secret.zip.removed.txt"), nullptr);
  EXPECT_NE(Part(o, "secret.zip.removed.txt")->bytes.find("encrypted"), std::string::npos);
  ASSERT_NE(Part(o, "winmail.dat.removed.txt"), nullptr);
  ASSERT_NE(Part(o, "請求書.txt"), nullptr);  // RFC 2231 name decoded and written again
  EXPECT_EQ(Part(o, "請求書.txt")->bytes, "請求書の本文\n");
  ASSERT_NE(Part(o, "mugai-notice.txt"), nullptr);
  // With the password the zip goes through as a zip.
  Out pw = Run(msg, {"--password", "secret"});
  ASSERT_EQ(pw.exit_code, 0) << pw.err;
  EXPECT_NE(Part(pw, "secret.zip"), nullptr);
}

// PPAP as a 7z with encrypted headers named in ISO-2022-JP: blocked `encrypted` (a notice in
// its place) without the password; with it, the decryption helper's 7-Zip opens it and the
// recipient gets a zip of its sanitised members under the decoded name.
TEST_F(MailCli, A7zWithAPasswordArrivesAsASanitisedZip) {
  if (access("/usr/bin/7z", X_OK) != 0) GTEST_SKIP() << "7-Zip (p7zip-full) is not installed";
  std::string sz = testing::ReadFile(testing::FixturesDir() + "/archive/encrypted.7z");
  // 「資料.7z」 as an RFC 2047 word in ISO-2022-JP, as Japanese mail clients write it.
  std::string msg = Mixed(Attachment("application/x-7z-compressed",
                                     "filename=\"=?ISO-2022-JP?B?GyRCO3FOQRsoQi43eg==?=\"", sz));
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_NE(Part(o, "資料.7z.removed.txt"), nullptr) << o.message.substr(0, 3000);
  EXPECT_NE(Part(o, "資料.7z.removed.txt")->bytes.find("encrypted"), std::string::npos);
  Out pw = Run(msg, {"--password", "secret"});
  ASSERT_EQ(pw.exit_code, 0) << pw.err;
  const MailPart* zip = Part(pw, "資料.zip");
  ASSERT_NE(zip, nullptr) << pw.message.substr(0, 3000);
  EXPECT_EQ(zip->bytes.rfind("PK\x03\x04", 0), 0u);
  EXPECT_NE(zip->bytes.find("お知らせ.txt"), std::string::npos);
  EXPECT_EQ(Part(pw, "資料.7z"), nullptr);
}

// PPAP as a RAR 5 with a password (RecursiveExtractor's, password "TestData"): a notice without
// the password saying to resubmit it with the password; with it, The Unarchiver in the decryption helper opens it and the recipient gets
// a zip of its members.
TEST_F(MailCli, ARarWithAPasswordArrivesAsASanitisedZip) {
  std::string path = testing::CorporaDir() + "/recursive-extractor/archives/TestDataEncrypted.rar";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "corpus absent, skipped: " << path;
  if (access("/usr/bin/unar", X_OK) != 0) GTEST_SKIP() << "unar is not installed";
  std::string msg = Mixed(Attachment("application/vnd.rar", "filename=\"資料.rar\"",
                                     testing::ReadFile(path)));
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_NE(Part(o, "資料.rar.removed.txt"), nullptr) << o.message.substr(0, 3000);
  EXPECT_NE(Part(o, "資料.rar.removed.txt")->bytes.find("encrypted: resubmit with the password"),
            std::string::npos) << Part(o, "資料.rar.removed.txt")->bytes;
  Out pw = Run(msg, {"--password", "TestData"});
  ASSERT_EQ(pw.exit_code, 0) << pw.err;
  const MailPart* zip = Part(pw, "資料.zip");
  ASSERT_NE(zip, nullptr) << pw.message.substr(0, 3000);
  EXPECT_EQ(zip->bytes.rfind("PK\x03\x04", 0), 0u);
  EXPECT_NE(zip->bytes.find("TestData/Foo/Bar/Lorem.txt"), std::string::npos);
  EXPECT_EQ(Part(pw, "資料.rar"), nullptr);
}

// A password-protected workbook (Apache POI's, ECMA-376) in a message: a notice without the
// password, the disarmed workbook with it.
TEST_F(MailCli, AnEncryptedWorkbookArrivesDisarmedWithThePassword) {
  std::string path = testing::CorporaDir() + "/apache-poi/spreadsheet/protected_passtika.xlsx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "corpus absent, skipped: " << path;
  if (access("/usr/lib/python3/dist-packages/msoffcrypto", R_OK) != 0) {
    GTEST_SKIP() << "python3-msoffcrypto-tool is not installed: skipped";
  }
  std::string msg = Mixed(Attachment(
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "filename*=UTF-8''%E4%BA%88%E7%AE%97.xlsx", testing::ReadFile(path)));
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_NE(Part(o, "予算.xlsx.removed.txt"), nullptr) << o.message.substr(0, 3000);
  EXPECT_NE(Part(o, "予算.xlsx.removed.txt")->bytes.find("encrypted"), std::string::npos);
  Out pw = Run(msg, {"--password", "tika"});
  ASSERT_EQ(pw.exit_code, 0) << pw.err;
  const MailPart* xlsx = Part(pw, "予算.xlsx");
  ASSERT_NE(xlsx, nullptr) << pw.message.substr(0, 3000);
  EXPECT_EQ(xlsx->bytes.rfind("PK\x03\x04", 0), 0u);
  EXPECT_EQ(xlsx->bytes.find("EncryptedPackage"), std::string::npos);
}

// A Word 97 attachment reaches the recipient as the rebuilt PDF LibreOffice made of it.
TEST_F(MailCli, LegacyWordAttachmentArrivesAsARebuiltPdf) {
  if (access("/usr/lib/libreoffice/program/libmergedlo.so", R_OK) != 0) {
    GTEST_SKIP() << "LibreOffice is not installed: skipped";
  }
  std::string doc = testing::ReadFile(testing::FixturesDir() + "/office/memo-ja.doc");
  Out o = Run(Mixed(Attachment("application/msword",
                               "filename*=UTF-8''%E4%BC%9A%E8%AD%B0%E6%A1%88%E5%86%85.doc", doc)));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.item["verdict"], "sanitized");
  EXPECT_EQ(Part(o, "会議案内.doc"), nullptr);
  const MailPart* pdf = Part(o, "会議案内.pdf");
  ASSERT_NE(pdf, nullptr) << o.message.substr(0, 2000);
  EXPECT_EQ(pdf->declared_type, "application/pdf");
  EXPECT_EQ(pdf->bytes.rfind("%PDF-", 0), 0u);
  EXPECT_EQ(pdf->bytes.find("/JavaScript"), std::string::npos);
  EXPECT_EQ(o.message.find(Base64(doc).substr(0, 60)), std::string::npos);  // no trace of the .doc
}

TEST_F(MailCli, ForwardedMessageIsSanitisedToo) {
  std::string docm = testing::ReadFile(testing::FixturesDir() + "/ooxml/docm-vba.docm");
  std::string inner = "From: x@example.com\nTo: y@example.jp\nSubject: fwd\nMIME-Version: 1.0\n"
                      "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nsee attached\n" +
                      Attachment("application/vnd.ms-word.document.macroEnabled.12",
                                 "filename=\"plan.docm\"", docm) + "--B--\n";
  std::string msg = Mixed("--B\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n" + inner);
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const MailPart* fwd = Part(o, "forwarded-1.eml");
  ASSERT_NE(fwd, nullptr);
  EXPECT_EQ(fwd->declared_type, "message/rfc822");
  MailOutcome inner_out = UnpackMail(fwd->bytes, MailLimits{100, 20, 1 << 20});
  ASSERT_EQ(inner_out.problem, MailProblem::kNone);
  bool docx = false;
  for (const auto& p : inner_out.mail.parts) {
    if (p.name == "plan.docx") {
      docx = true;
      EXPECT_EQ(p.bytes.find("vbaProject"), std::string::npos);
    }
    EXPECT_NE(p.name, "plan.docm");
  }
  EXPECT_TRUE(docx);
}

TEST_F(MailCli, UuencodedBlockInTheBodyIsAnAttachment) {
  std::string msg = std::string(kHead) + "Content-Type: text/plain\n\nsee below\n"
                    "begin 644 hello.txt\n&:&5L;&\\*\n`\nend\nbye\n";
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const MailPart* att = Part(o, "hello.txt");
  ASSERT_NE(att, nullptr);
  EXPECT_EQ(att->bytes, "hello\n");
  EXPECT_EQ(o.parsed.parts.at(0).bytes.find("begin 644"), std::string::npos);
}

// Issue 20: messages that GMime and other parsers read differently. Whatever the trick, the
// delivered message is mugai's own writing: a second parser (Python's `email`) must find in it
// exactly the parts the report says were delivered, byte for byte, and no executable.
TEST_F(MailCli, AmbiguousStructureIsNormalisedAndASecondParserAgrees) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "/usr/bin/python3 absent, skipped";
  const std::string exe = Base64(std::string("MZ\x90\x00\x03\x00\x00\x00", 8) +
                                 "This program cannot be run in DOS mode.\r\r\n$");
  const std::string head = "From: a@example.jp\nTo: b@example.jp\nSubject: invoice\nMIME-Version: 1.0\n";
  const std::string att = "--XX\nContent-Type: application/octet-stream; name=\"invoice.exe\"\n"
                          "Content-Disposition: attachment; filename=\"invoice.exe\"\n"
                          "Content-Transfer-Encoding: base64\n\n" + exe + "--XX--\n";
  const std::string parts = "--XX\nContent-Type: text/plain\n\nplease see the invoice\n" + att;
  std::string bare_cr = head + "Content-Type: multipart/mixed; boundary=\"XX\"\n\n" + parts;
  for (char& c : bare_cr) c = c == '\n' ? '\r' : c;
  struct Case {
    const char* what;
    std::string message;
    const char* reported;  // in a mime_ambiguous action
  };
  const Case cases[] = {
      {"second Content-Type",
       head + "Content-Type: multipart/mixed; boundary=\"XX\"\nContent-Type: text/plain\n\n" + parts,
       "more than one Content-Type"},
      {"boundary with trailing space",
       head + "Content-Type: multipart/mixed; boundary=\"XX \"\n\n" + parts, "boundary with spaces"},
      {"duplicated boundary parameter",
       head + "Content-Type: multipart/mixed; boundary=\"YY\"; boundary=\"XX\"\n\n" + parts,
       "parameter boundary twice"},
      {"bare CR line endings", bare_cr, "bare CR"},
      {"second Content-Transfer-Encoding",
       head + "Content-Type: text/plain\nContent-Transfer-Encoding: 7bit\n"
              "Content-Transfer-Encoding: base64\n\naGVsbG8K\n",
       "more than one Content-Transfer-Encoding"},
      {"parts outside the boundaries",
       head + "Content-Type: multipart/mixed; boundary=\"XX\"\n\n--XX\nContent-Type: text/plain\n\nhi\n--XX--\n" + att,
       "outside a multipart's boundaries"},
  };
  const std::string script = R"(
import email, email.policy, hashlib, json, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.compat32)
out = []
for p in m.walk():
    if p.is_multipart():
        continue
    data = p.get_payload(decode=True) or b''
    out.append({'name': p.get_filename() or '', 'sha256': hashlib.sha256(data).hexdigest(),
                'mz': data[:2] == b'MZ'})
print(json.dumps({'parts': out, 'defects': len(m.defects)}))
)";
  testing::WriteFile(dir_ / "parts.py", script);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Out o = Run(c.message);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(o.item["verdict"], "sanitized");
    bool reported = false;
    for (const auto& a : o.item["actions"]) {
      reported = reported || (a["action"] == "mime_ambiguous" &&
                              a["detail"].get<std::string>().find(c.reported) != std::string::npos);
    }
    EXPECT_TRUE(reported) << o.item["actions"].dump();
    testing::WriteFile(dir_ / "out.eml", o.message);
    testing::RunResult py = testing::Run({"/usr/bin/python3", dir_ / "parts.py", dir_ / "out.eml"});
    ASSERT_EQ(py.exit_code, 0) << py.err;
    json seen = json::parse(py.out);
    EXPECT_EQ(seen["defects"], 0);
    // What the report says was delivered: each child's output, then the notice.
    std::vector<std::string> reported_sha;
    for (const auto& child : o.item["children"]) {
      for (const auto& out : child["outputs"]) reported_sha.push_back(out["sha256"]);
    }
    ASSERT_EQ(seen["parts"].size(), reported_sha.size() + 1) << py.out;
    ASSERT_EQ(o.parsed.parts.size(), reported_sha.size() + 1);
    for (size_t i = 0; i < seen["parts"].size(); ++i) {
      const json& p = seen["parts"][i];
      EXPECT_FALSE(p["mz"].get<bool>()) << "an executable reached the output";
      EXPECT_NE(p["name"], "invoice.exe");
      // Both parsers read the same bytes in the same part.
      EXPECT_EQ(p["sha256"], Sha256Hex(o.parsed.parts[i].bytes)) << i;
      if (i < reported_sha.size()) EXPECT_EQ(p["sha256"], reported_sha[i]) << i;
    }
    EXPECT_EQ(seen["parts"].back()["name"], "mugai-notice.txt");
    EXPECT_NE(Part(o, "mugai-notice.txt")->bytes.find("normalised"), std::string::npos);
  }
}

// A uuencoded file written inside HTML (with entities, so that only the text shows it) does
// not survive the conversion to text.
TEST_F(MailCli, UuencodedFileInsideHtmlIsRemovedFromTheText) {
  std::string msg = std::string(kHead) + "Content-Type: text/html; charset=utf-8\n\n"
                    "<html><body><p>invoice below</p><pre>begin 644 invoice.exe\n"
                    "M35J0``,````$````__\\``+@`````````0```````````````````````````\n"
                    "`\nend\n</pre><p>&lt;thanks&amp;regards&gt;</p></body></html>\n";
  Out o = Run(msg);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_FALSE(o.parsed.parts.empty());
  const std::string& text = o.parsed.parts[0].bytes;
  EXPECT_EQ(text.find("begin 644"), std::string::npos) << text;
  EXPECT_EQ(text.find("M35J0"), std::string::npos) << text;
  EXPECT_NE(text.find("uuencoded file invoice.exe removed"), std::string::npos) << text;
  EXPECT_NE(text.find("invoice below"), std::string::npos) << text;
  EXPECT_NE(o.item["children"][0]["actions"].dump().find("encoded_file_removed"), std::string::npos);
}

// The MTA's DKIM/SPF verdict on the original is kept (the rebuilt message no longer carries a
// valid signature) and recorded in the report.
TEST_F(MailCli, AuthenticationResultsAreKeptAndReported) {
  std::string msg = "Authentication-Results: mx.city.example.lg.jp; dkim=pass header.d=example.jp\n" +
                    std::string(kHead) + "Content-Type: text/plain\n\nhello\n";
  // Without mail.authserv_id none is believed: anyone can write such a header.
  Out untrusted = Run(msg);
  ASSERT_EQ(untrusted.exit_code, 0) << untrusted.err;
  EXPECT_EQ(Header(untrusted, "Authentication-Results"), "");
  EXPECT_NE(untrusted.item["actions"].dump().find("authentication_results_ignored"), std::string::npos);
  // The MTA's own (its authserv-id) is kept; a forged one beside it is not.
  testing::WriteFile(dir_ / "ar.toml", "[mail]\nauthserv_id = \"mx.city.example.lg.jp\"\n");
  Out o = Run("Authentication-Results: evil.example; dkim=pass header.d=bank.example\n" + msg,
              {"--config", dir_ / "ar.toml"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(Header(o, "Authentication-Results"), "mx.city.example.lg.jp; dkim=pass header.d=example.jp");
  EXPECT_EQ(o.message.find("bank.example"), std::string::npos) << o.message;
  bool recorded = false;
  for (const auto& a : o.item["actions"]) {
    recorded = recorded || (a["action"] == "authentication_results" &&
                            a["detail"] == "mx.city.example.lg.jp; dkim=pass header.d=example.jp");
  }
  EXPECT_TRUE(recorded) << o.item["actions"].dump();
}

TEST_F(MailCli, MalformedMimeNeverCrashesOrPassesUnprocessed) {
  const std::string cases[] = {
      std::string(kHead) + "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/html\n\n<script>x()</script><p>no end boundary\n",
      std::string(kHead) + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!\n",
      std::string("From: a\x00b@example.jp\nSubject: \xff\xfe 8-bit\n", 38) + "\nbody with NUL \0 inside\n",
      std::string(kHead) + "Content-Type: multipart/mixed\n\n--\n--\n",
      "",
  };
  for (const auto& msg : cases) {
    if (msg.empty()) continue;
    Out o = Run(msg);
    EXPECT_TRUE(o.exit_code == 0 || o.exit_code == 1) << o.exit_code << o.err;
    EXPECT_EQ(o.message.find("<script"), std::string::npos);
  }
}

TEST_F(MailCli, TooDeepNestingBlocksTheMessage) {
  std::string msg = std::string(kHead) + "Content-Type: multipart/mixed; boundary=\"b0\"\n\n";
  for (int i = 0; i < 30; ++i) {
    msg += "--b" + std::to_string(i) + "\nContent-Type: multipart/mixed; boundary=\"b" +
           std::to_string(i + 1) + "\"\n\n";
  }
  msg += "--b30\nContent-Type: text/plain\n\ndeep\n";
  // ClamAV's own nesting limit (scan.max_recursion, 17) would block it first, as scan_limit.
  testing::WriteFile(dir_ / "c.toml", "[scan]\nmax_recursion = 64\n");
  Out o = Run(msg, {"--config", dir_ / "c.toml"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.item["reason"]["code"], "mail_limit");
  EXPECT_TRUE(o.message.empty());
}

// Every corpus message: no crash, a verdict, and output that parses as MIME.
void RunMailCorpus(const std::string& folder) {
  std::string dir = testing::CorporaDir() + "/" + folder;
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus absent, skipped: " << dir;
  testing::TempDir work;
  int n = 0, blocked = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename() == "MANIFEST.tsv") continue;
    if (e.file_size() == 0) continue;  // no message at all: a usage error (exit 2), not mail
    testing::RunResult r = testing::Run(
        {testing::MugaiBinary(), "mail", "--quiet", "--signatures", testing::SignaturesDir(),
         "--state", work / "state", "--report", work / "r.json"},
        e.path().string());
    ++n;
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << e.path() << " exit " << r.exit_code << r.err;
    json item = json::parse(testing::ReadFile(work / "r.json"))["items"][0];
    std::string verdict = item["verdict"];
    ASSERT_TRUE(verdict == "clean" || verdict == "sanitized" || verdict == "blocked") << e.path();
    if (verdict == "blocked") {
      ++blocked;
      EXPECT_TRUE(r.out.empty()) << e.path();
      continue;
    }
    MailOutcome m = UnpackMail(r.out, MailLimits{10000, 100, 1 << 24});
    EXPECT_EQ(m.problem, MailProblem::kNone) << e.path() << ": " << m.detail;
  }
  std::printf("[mail corpus %s] %d messages, %d blocked\n", folder.c_str(), n, blocked);
}

TEST(MailCorpus, MikelMail) { RunMailCorpus("mikel-mail"); }
TEST(MailCorpus, MimeKit) { RunMailCorpus("mimekit"); }
TEST(MailCorpus, CpythonEmail) { RunMailCorpus("cpython-email"); }

}  // namespace
}  // namespace mugai
