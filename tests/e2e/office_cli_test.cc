// Legacy Office, RTF and ODF through `mugai sanitize` and the warm LibreOffice pool: crafted
// fixtures (fixtures/office), the oletools corpus for VBA, embedded OLE objects and
// encryption, and the failure paths (no LibreOffice, a converter that crashes or hangs, the
// pool recycling its processes). Also: disarmed OOXML outputs open in LibreOffice.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <nlohmann/json.hpp>

#include "converters/archive/archive_unpacker.h"
#include "converters/pdf/pdf_analyzer.h"
#include "sanitize_fixture.h"
#include "test_support.h"

namespace mugai {
namespace {

using nlohmann::json;

bool HaveLibreOffice() {
  return access("/usr/lib/libreoffice/program/libmergedlo.so", R_OK) == 0;
}

class OfficeCli : public testing::SanitizeFixture {
 protected:
  void SetUp() override {
    if (!HaveLibreOffice()) GTEST_SKIP() << "LibreOffice is not installed: skipped";
  }
  std::string Fixture(const std::string& name) { return testing::FixturesDir() + "/office/" + name; }
  std::string Corpus(const std::string& rel) {
    std::string path = testing::CorporaDir() + "/oletools/" + rel;
    return std::filesystem::exists(path) ? path : "";
  }
  bool HasAction(size_t i, const std::string& action, const std::string& detail_part = "") {
    for (const auto& a : Item(i)["actions"]) {
      if (a["action"] == action &&
          a["detail"].get<std::string>().find(detail_part) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  std::string PdfText(const std::string& name) {
    return testing::Run({"/usr/bin/pdftotext", dir_ / ("out/" + name), "-"}).out;
  }
  // A delivered PDF: rebuilt (no active content, nothing embedded) and holding `text`.
  void ExpectRebuiltPdf(const std::string& name, const std::vector<std::string>& texts) {
    std::string pdf = testing::ReadFile(dir_ / ("out/" + name));
    ASSERT_EQ(pdf.rfind("%PDF-", 0), 0u) << name;
    Result<PdfFindings> f = AnalyzePdf(pdf, "", PdfLimits{});
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_FALSE(f->HasActiveContent()) << name;
    EXPECT_EQ(pdf.find("/EmbeddedFile"), std::string::npos) << name;
    std::string text = PdfText(name);
    for (const auto& t : texts) EXPECT_NE(text.find(t), std::string::npos) << name << ": " << t << "\n" << text;
  }
  std::string Log() { return testing::ReadFile(dir_ / "state/mugai.log"); }
  static size_t Count(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
    return n;
  }
};

TEST_F(OfficeCli, WordExcelPowerPointAndOdtBecomeRebuiltPdfsWithTheirJapaneseText) {
  // (The ODF copy gets a name of its own: two outputs named memo-ja.pdf would be numbered in
  // the order they finish.)
  std::filesystem::copy_file(Fixture("memo-ja.odt"), dir_ / "letter-ja.odt");
  testing::RunResult r = Sanitize({Fixture("memo-ja.doc"), Fixture("table-ja.xls"),
                                   Fixture("slides-ja.ppt"), dir_ / "letter-ja.odt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const char* kTypes[] = {"application/msword", "application/vnd.ms-excel",
                          "application/vnd.ms-powerpoint", "application/vnd.oasis.opendocument.text"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(Item(i)["verdict"], "sanitized") << i;
    EXPECT_EQ(Item(i)["detected_type"], kTypes[i]);
    EXPECT_TRUE(HasAction(i, "converted", "LibreOffice")) << i;
    // The PDF LibreOffice made is a child node, rebuilt and verified like any PDF.
    ASSERT_EQ(Item(i)["children"].size(), 1u);
    EXPECT_EQ(Item(i)["children"][0]["detected_type"], "application/pdf");
    EXPECT_EQ(Item(i)["children"][0]["verdict"], "sanitized");
    EXPECT_FALSE(Item(i)["quarantine_id"].is_null());
  }
  EXPECT_EQ(Item(0)["outputs"][0]["name"], "memo-ja.pdf");
  EXPECT_EQ(Item(1)["outputs"][0]["name"], "table-ja.pdf");
  EXPECT_EQ(Item(2)["outputs"][0]["name"], "slides-ja.pdf");
  EXPECT_EQ(Item(3)["outputs"][0]["name"], "letter-ja.pdf");
  ExpectRebuiltPdf("memo-ja.pdf", {"会議資料のお知らせ", "MEMO-FIXTURE-TEXT", "よろしくお願いいたします"});
  ExpectRebuiltPdf("table-ja.pdf", {"りんご", "TABLE-FIXTURE-TEXT", "産地直送"});
  ExpectRebuiltPdf("slides-ja.pdf", {"住民説明会", "SLIDES-FIXTURE-TEXT"});
  ExpectRebuiltPdf("letter-ja.pdf", {"会議資料のお知らせ", "MEMO-FIXTURE-TEXT"});
  // Nothing but the four PDFs reached the output folder.
  EXPECT_EQ(testing::ListFiles(dir_ / "out").size(), 4u);
}

TEST_F(OfficeCli, RtfWithAnEmbeddedPackageObjectKeepsTheTextAndLosesTheObject) {
  testing::RunResult r = Sanitize({Fixture("object.rtf")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Item()["detected_type"], "text/rtf");
  EXPECT_EQ(Item()["outputs"][0]["name"], "object.pdf");
  ExpectRebuiltPdf("object.pdf", {"埋め込みオブジェクト付きの文書", "RTF-FIXTURE-TEXT", "以上です"});
  std::string pdf = testing::ReadFile(dir_ / "out/object.pdf");
  EXPECT_EQ(pdf.find("PAYLOAD-MUST-NOT-ARRIVE"), std::string::npos);
  EXPECT_EQ(PdfText("object.pdf").find("PAYLOAD-MUST-NOT-ARRIVE"), std::string::npos);
  EXPECT_EQ(PdfText("object.pdf").find("payload.bat"), std::string::npos);
}

// A Word 97 file whose embedded spreadsheet is an OLE object (ObjectPool holding an Excel
// workbook), and the ODF text it was made from: the text arrives, the object's data does not.
TEST_F(OfficeCli, CraftedDocAndOdtWithAnEmbeddedObjectKeepTheTextAndLoseTheObject) {
  std::string doc = testing::ReadFile(Fixture("memo-object.doc"));
  ASSERT_NE(doc.find(std::string("O\0b\0j\0e\0c\0t\0P\0o\0o\0l\0", 20)), std::string::npos)
      << "the fixture should hold an ObjectPool";
  testing::RunResult r = Sanitize({Fixture("memo-object.doc"), Fixture("ole-object.odt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"memo-object.pdf", "ole-object.pdf"}) {
    ExpectRebuiltPdf(name, {"表計算オブジェクト入りの文書", "OLE-DOC-TEXT"});
    std::string pdf = testing::ReadFile(dir_ / (std::string("out/") + name));
    for (const char* marker : {"ObjectPool", "Workbook", "Ole10Native", "/EmbeddedFiles",
                               "/Launch", "/RichMedia"}) {
      EXPECT_EQ(pdf.find(marker), std::string::npos) << name << ": " << marker;
    }
  }
}

// Issue 20: LibreOffice's RTF importer reads an INCLUDEPICTURE field's file by itself, so no
// field instruction reaches it. Pictures under /usr and in the state folder, text from /etc and
// a URL on a loopback listener: none arrives in the PDF, and the listener sees no connection.
TEST_F(OfficeCli, RtfFieldsLoadNoLinkedContent) {
  std::string png;
  for (const char* candidate : {"/usr/share/gitweb/static/git-logo.png",
                                "/usr/lib/libreoffice/share/gallery/apples.gif"}) {
    if (access(candidate, R_OK) == 0) png = candidate;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_ / "state", ec);
  if (!png.empty()) std::filesystem::copy_file(png, dir_ / "state/secret.png", ec);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x.png";
  auto field = [](const std::string& instruction) {
    std::string escaped;
    for (char c : instruction) escaped += c == '\\' ? std::string("\\\\") : std::string(1, c);
    return "{\\field{\\*\\fldinst " + escaped + "}{\\fldrslt SHOWN-RESULT}}\\par\n";
  };
  std::string rtf = "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Helvetica;}}\\f0 RTF-LINK-TEXT\\par\n" +
                    field("INCLUDEPICTURE \"file://" + (png.empty() ? "/usr/share/x.png" : png) + "\" \\d") +
                    field("INCLUDEPICTURE \"" + std::string(dir_ / "state/secret.png") + "\" \\d") +
                    field("INCLUDETEXT \"/etc/hostname\"") +
                    field("INCLUDEPICTURE \"" + url + "\" \\d") +
                    "{\\*\\fldinst{\\field{\\*\\fldinst INCLUDE}}PICTURE \"" + png + "\"}\\par\n"
                    "THE-END\\par}\n";
  testing::WriteFile(dir_ / "links.rtf", rtf);
  testing::WriteFile(dir_ / "links.doc", rtf);  // RTF by another name: identified by content
  testing::RunResult r = Sanitize({dir_ / "links.rtf", dir_ / "links.doc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (size_t i = 0; i < 2; ++i) {
    const std::string name = i == 0 ? "links.pdf" : "links.doc.pdf";
    SCOPED_TRACE(name);
    EXPECT_EQ(Item(i)["detected_type"], "text/rtf");
    EXPECT_TRUE(HasAction(i, "removed", "rtf_field_instruction")) << Item(i)["actions"].dump();
    std::string out = Item(i)["outputs"][0]["name"];
    ExpectRebuiltPdf(out, {"RTF-LINK-TEXT", "THE-END"});
    testing::RunResult images =
        testing::Run({"/usr/bin/pdfimages", "-list", dir_ / ("out/" + out)});
    ASSERT_EQ(images.exit_code, 0) << images.err;
    // The header and its rule, and no image row.
    EXPECT_EQ(Count(images.out, "\n"), 2u) << images.out;
    std::string text = PdfText(out);
    std::string hostname = testing::ReadFile("/etc/hostname");
    while (!hostname.empty() && hostname.back() == '\n') hostname.pop_back();
    if (!hostname.empty()) {
      EXPECT_EQ(text.find(hostname), std::string::npos) << text;
    }
  }
  sockaddr_in peer{};
  socklen_t peer_len = sizeof peer;
  EXPECT_LT(accept(listener, reinterpret_cast<sockaddr*>(&peer), &peer_len), 0)
      << "LibreOffice connected to the loopback listener";
  close(listener);
}

// LibreOffice loads an ODF spreadsheet's linked image while importing: the links go first.
TEST_F(OfficeCli, OdfLinkedImagesAreNeverLoaded) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "/usr/bin/python3 absent, skipped";
  std::string png;
  for (const char* candidate : {"/usr/share/gitweb/static/git-logo.png",
                                "/usr/lib/libreoffice/share/gallery/apples.gif"}) {
    if (access(candidate, R_OK) == 0) png = candidate;
  }
  if (png.empty()) GTEST_SKIP() << "no image under /usr to link to, skipped";
  testing::RunResult made = testing::Run({"/usr/bin/python3", "-c", R"(
import sys, zipfile
ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:xlink="http://www.w3.org/1999/xlink" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2"')
mt = 'application/vnd.oasis.opendocument.spreadsheet'
z = zipfile.ZipFile(sys.argv[1], 'w')
z.writestr(zipfile.ZipInfo('mimetype'), mt)
z.writestr('META-INF/manifest.xml', '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
  'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
  '<manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/><manifest:file-entry '
  'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>' % mt)
z.writestr('content.xml', '<?xml version="1.0" encoding="UTF-8"?><office:document-content %s>'
  '<office:body><office:spreadsheet><table:table table:name="S"><table:shapes><draw:frame '
  'svg:width="3cm" svg:height="3cm" svg:x="1cm" svg:y="1cm"><draw:image xlink:href="file://%s" '
  'xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></table:shapes>'
  '<table:table-row><table:table-cell office:value-type="string"><text:p>ODS-LINK-TEXT</text:p>'
  '</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body>'
  '</office:document-content>' % (ns, sys.argv[2]))
z.close()
)", dir_ / "linked.ods", png});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  testing::RunResult r = Sanitize({dir_ / "linked.ods"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(HasAction(0, "removed", "odf_outside_link: 1")) << Item()["actions"].dump();
  ExpectRebuiltPdf("linked.pdf", {"ODS-LINK-TEXT"});
  testing::RunResult images = testing::Run({"/usr/bin/pdfimages", "-list", dir_ / "out/linked.pdf"});
  EXPECT_EQ(Count(images.out, "\n"), 2u) << images.out;
}

TEST_F(OfficeCli, DocWithAnEmbeddedOleObjectFromTheCorpus) {
  std::string doc = Corpus("oleobj/sample_with_calc_embedded.doc");
  if (doc.empty()) GTEST_SKIP() << "corpus absent, skipped: ../shared/corpora/oletools";
  testing::RunResult r = Sanitize({doc});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Item()["verdict"], "sanitized");
  ExpectRebuiltPdf("sample_with_calc_embedded.pdf", {});
  std::string pdf = testing::ReadFile(dir_ / "out/sample_with_calc_embedded.pdf");
  EXPECT_EQ(pdf.find("Ole10Native"), std::string::npos);
  EXPECT_EQ(pdf.find("/Launch"), std::string::npos);
}

TEST_F(OfficeCli, VbaInAnOle2DocumentIsReportedAndNotCarriedIntoThePdf) {
  std::string ppt = Corpus("olevba/sample_with_vba.ppt");
  std::string xls = Corpus("excel4-macros/excel4_sample_macro.xls");
  if (ppt.empty() || xls.empty()) GTEST_SKIP() << "corpus absent, skipped: ../shared/corpora/oletools";
  testing::RunResult r = Sanitize({ppt, xls});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(HasAction(0, "macros_found", "Heuristics.OLE2.ContainsMacros")) << Item(0).dump(1);
  EXPECT_TRUE(HasAction(1, "macros_found", "Heuristics.OLE2.ContainsMacros")) << Item(1).dump(1);
  for (const auto& name : testing::ListFiles(dir_ / "out")) {
    std::string out = testing::ReadFile(dir_ / ("out/" + name));
    EXPECT_EQ(out.rfind("%PDF-", 0), 0u) << name;
    EXPECT_EQ(out.find("_VBA_PROJECT"), std::string::npos) << name;
    EXPECT_EQ(out.find("Attribute VB_"), std::string::npos) << name;
  }
}

TEST_F(OfficeCli, AnEncryptedDocIsBlockedAsEncryptedAndAWrongPasswordDoesNotOpenIt) {
  std::string doc = Corpus("encrypted/encrypted.doc");
  if (doc.empty()) GTEST_SKIP() << "corpus absent, skipped: ../shared/corpora/oletools";
  testing::RunResult r = Sanitize({doc});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "encrypted");
  EXPECT_FALSE(Item()["quarantine_id"].is_null());
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
  r = Sanitize({doc}, {"--password", "not-the-password"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "encrypted");
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("does not open"), std::string::npos);
}

// Apache POI's encrypted legacy documents, whose passwords its MANIFEST.tsv gives: blocked
// `encrypted` without the password, converted with it (as `quarantine resubmit --password`
// does).
TEST_F(OfficeCli, EncryptedLegacyDocumentsOpenWithTheirPasswords) {
  struct Case {
    const char* rel;
    const char* password;
  };
  const Case kCases[] = {{"document/password_password_cryptoapi.doc", "password"},
                         {"document/password_tika_binaryrc4.doc", "tika"},
                         {"spreadsheet/password.xls", "password"}};
  std::string root = testing::CorporaDir() + "/apache-poi/";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "corpus absent, skipped: " << root;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.rel);
    std::filesystem::remove_all(dir_ / "out");
    testing::RunResult r = Sanitize({root + c.rel});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(Reason(), "encrypted") << Item().dump(1);
    std::filesystem::remove_all(dir_ / "out");
    r = Sanitize({root + c.rel}, {"--password", c.password});
    EXPECT_EQ(r.exit_code, 0) << Item().dump(1);
    std::vector<std::string> outs = testing::ListFiles(dir_ / "out");
    ASSERT_EQ(outs.size(), 1u);
    EXPECT_EQ(outs[0].substr(outs[0].size() - 4), ".pdf");
    EXPECT_EQ(testing::ReadFile(dir_ / ("out/" + outs[0])).rfind("%PDF-", 0), 0u);
  }
}

// Password-protected Word/Excel/PowerPoint 2007+ documents (ECMA-376 agile and standard
// encryption, made by Microsoft Office and by Apache POI) and PowerPoint 97 presentations
// (RC4 CryptoAPI): blocked `encrypted` without the password, `encrypted` with a wrong one
// ("does not open"), and with the right one decrypted by the decryption helper and then
// disarmed (OOXML stays OOXML) or converted (PowerPoint 97 → PDF) like any document.
TEST_F(OfficeCli, EncryptedOoxmlAndPowerPointOpenWithThePasswordInTheDecryptionHelper) {
  std::string root = testing::CorporaDir() + "/apache-poi/";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "corpus absent, skipped: " << root;
  if (access("/usr/lib/python3/dist-packages/msoffcrypto", R_OK) != 0) {
    GTEST_SKIP() << "python3-msoffcrypto-tool is not installed: skipped";
  }
  struct Case {
    const char* rel;
    const char* password;
    const char* output;   // the delivered file's name
    const char* type;     // what it decrypted to
  };
  const Case kCases[] = {
      {"spreadsheet/protected_passtika.xlsx", "tika", "protected_passtika.xlsx",
       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"poifs/60320-protected.xlsx", "Test001!!", "60320-protected.xlsx",
       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"poifs/protect.xlsx", "VelvetSweatshop", "protect.xlsx",
       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"slideshow/Password_Protected-np-hello.ppt", "hello", "Password_Protected-np-hello.pdf",
       "application/vnd.ms-powerpoint"},
      // These two keep their summary in an EncryptedSummary stream, which LibreOffice takes
      // for "still encrypted" unless the helper hides it.
      {"slideshow/Password_Protected-hello.ppt", "hello", "Password_Protected-hello.pdf",
       "application/vnd.ms-powerpoint"},
      {"slideshow/Password_Protected-56-hello.ppt", "hello", "Password_Protected-56-hello.pdf",
       "application/vnd.ms-powerpoint"},
      // Decrypted, libmagic cannot name it; its "PowerPoint Document" stream does.
      {"slideshow/ppt_with_png_encrypted.ppt", "password", "ppt_with_png_encrypted.pdf",
       "application/vnd.ms-powerpoint"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.rel);
    std::filesystem::remove_all(dir_ / "out");
    testing::RunResult r = Sanitize({root + c.rel});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(Reason(), "encrypted") << Item().dump(1);
    EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("resubmit it with the password"),
              std::string::npos);
    EXPECT_FALSE(Item()["quarantine_id"].is_null());
    r = Sanitize({root + c.rel}, {"--password", "not-the-password"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(Reason(), "encrypted") << Item().dump(1);
    EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("does not open"),
              std::string::npos) << Item().dump(1);
    EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
    r = Sanitize({root + c.rel}, {"--password", c.password});
    ASSERT_EQ(r.exit_code, 0) << Item().dump(1) << r.err;
    EXPECT_TRUE(HasAction(0, "to_unlock")) << Item().dump(1);
    EXPECT_TRUE(HasAction(0, "decrypted", "msoffcrypto-tool")) << Item().dump(1);
    ASSERT_EQ(Item()["children"].size(), 1u);
    EXPECT_EQ(Item()["children"][0]["detected_type"], c.type) << Item().dump(1);
    EXPECT_EQ(testing::ListFiles(dir_ / "out"), std::vector<std::string>{c.output});
    // What was decrypted was checked like any document: a workbook is a plain zip again,
    // the slide's text is in the rebuilt PDF.
    if (std::string(c.output).ends_with(".xlsx")) {
      std::string xlsx = testing::ReadFile(dir_ / ("out/" + std::string(c.output)));
      EXPECT_EQ(xlsx.rfind("PK\x03\x04", 0), 0u);
      EXPECT_EQ(xlsx.find("EncryptedPackage"), std::string::npos);
    } else if (std::string(c.output).starts_with("ppt_with_png")) {
      ExpectRebuiltPdf(c.output, {"Here is a PNG image"});
      // Its picture too: the Pictures stream is decrypted by the helper, not only the slides.
      std::string images =
          testing::Run({"/usr/bin/pdfimages", "-list", dir_ / ("out/" + std::string(c.output))}).out;
      EXPECT_NE(images.find(" image "), std::string::npos) << images;
    } else {
      ExpectRebuiltPdf(c.output, {"This is a protected"});
    }
  }
  // Encryptions the helper cannot undo are said so, not reported as a wrong password: a
  // Word 2007 document with a 160-bit key and a PowerPoint whose RC4 key size is 0.
  for (const auto& [rel, password] : {std::pair{"document/bug53475-password-is-pass.docx", "pass"},
                                      std::pair{"slideshow/cryptoapi-proc2356.ppt", "crypto"}}) {
    SCOPED_TRACE(rel);
    std::filesystem::remove_all(dir_ / "out");
    testing::RunResult r = Sanitize({root + rel}, {"--password", password});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(Reason(), "conversion_failed") << Item().dump(1);
    EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("could not decrypt"),
              std::string::npos) << Item().dump(1);
    EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
  }
}

// Password-protected documents LibreOffice itself made (fixtures/office/make_encrypted.py,
// password 「パス123」): Word/Excel/PowerPoint 2007+ with ECMA-376 standard encryption,
// Word 97 and Excel 97 with their filters' encryption, and ODF encryption. Each is blocked
// `encrypted` without the password and with a wrong one; with the Japanese password the
// OOXML ones are decrypted and disarmed (still OOXML, the text inside), the others converted
// to PDF showing the text.
TEST_F(OfficeCli, DocumentsLibreOfficeEncryptedOpenWithAJapanesePassword) {
  if (access("/usr/lib/python3/dist-packages/msoffcrypto", R_OK) != 0) {
    GTEST_SKIP() << "python3-msoffcrypto-tool is not installed: skipped";
  }
  for (const std::string ext : {"docx", "xlsx", "pptx", "doc", "xls", "odt"}) {
    SCOPED_TRACE(ext);
    const std::string input = Fixture("encrypted-lo." + ext);
    const std::string text = "LO-ENCRYPTED-" + [&] {
      std::string upper = ext;
      for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
      return upper;
    }();
    std::filesystem::remove_all(dir_ / "out");
    testing::RunResult r = Sanitize({input});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(Reason(), "encrypted") << Item().dump(1);
    EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("resubmit it with the password"),
              std::string::npos) << Item().dump(1);
    r = Sanitize({input}, {"--password", "パス12"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(Reason(), "encrypted") << Item().dump(1);
    EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("does not open"),
              std::string::npos) << Item().dump(1);
    EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
    r = Sanitize({input}, {"--password", "パス123"});
    ASSERT_EQ(r.exit_code, 0) << Item().dump(1) << r.err;
    std::vector<std::string> outs = testing::ListFiles(dir_ / "out");
    ASSERT_EQ(outs.size(), 1u);
    if (ext.size() == 4 && ext != "odt") {
      EXPECT_EQ(outs[0], "encrypted-lo." + ext);
      std::string ooxml = testing::ReadFile(dir_ / ("out/" + outs[0]));
      ASSERT_EQ(ooxml.rfind("PK\x03\x04", 0), 0u);
      UnpackOutcome u = UnpackArchive(ooxml, "", "", ArchiveLimits{1000, 1 << 26, 1 << 27, 1000, 0});
      ASSERT_EQ(u.problem, ArchiveProblem::kNone) << u.detail;
      std::string all;
      for (const auto& m : u.archive.members) all += m.bytes;
      // (LibreOffice writes the Japanese and the Latin text as separate runs)
      EXPECT_NE(all.find("暗号化文書"), std::string::npos);
      EXPECT_NE(all.find(text), std::string::npos);
    } else {
      EXPECT_EQ(outs[0], "encrypted-lo.pdf");
      ExpectRebuiltPdf("encrypted-lo.pdf", {"暗号化文書 " + text});
    }
  }
}

TEST_F(OfficeCli, WithoutLibreOfficeTheDocumentIsBlockedWithAClearReason) {
  testing::WriteFile(dir_ / "c.toml", "[office]\nlibreoffice_dir = \"/nonexistent/libreoffice\"\n");
  testing::RunResult r = Sanitize({Fixture("memo-ja.doc")}, {"--config", dir_ / "c.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "converter_missing");
  std::string detail = Item()["reason"]["detail"];
  EXPECT_NE(detail.find("LibreOffice is not installed"), std::string::npos) << detail;
  EXPECT_NE(detail.find("libreoffice-writer"), std::string::npos) << detail;
  EXPECT_NE(Item()["reason"]["message_ja"].get<std::string>().find("LibreOffice"), std::string::npos);
  EXPECT_FALSE(Item()["quarantine_id"].is_null());
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
}

// A converter that crashes, and one that hangs past office.timeout_seconds: the document is
// blocked and kept, the converter replaced, and the next document converted.
TEST_F(OfficeCli, AConverterThatCrashesOrHangsBlocksOnlyThatDocument) {
  std::string rtf = "{\\rtf1\\ansi ";
  testing::WriteFile(dir_ / "crash.rtf", rtf + "MUGAI-OFFICE-FAULT-CRASH\\par}\n");
  testing::WriteFile(dir_ / "hang.rtf", rtf + "MUGAI-OFFICE-FAULT-HANG\\par}\n");
  testing::WriteFile(dir_ / "fine.rtf", rtf + "FINE-AFTER-FAULTS\\par}\n");
  testing::WriteFile(dir_ / "c.toml", "[office]\ntimeout_seconds = 3\n[worker]\njobs = 1\n");
  setenv("MUGAI_OFFICE_FAULTS", "1", 1);
  testing::RunResult r = Sanitize({dir_ / "crash.rtf", dir_ / "hang.rtf", dir_ / "fine.rtf"},
                                  {"--config", dir_ / "c.toml"});
  unsetenv("MUGAI_OFFICE_FAULTS");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(Item(0)["verdict"], "blocked");
  EXPECT_EQ(Reason(0), "conversion_failed");
  EXPECT_EQ(Item(1)["verdict"], "blocked");
  EXPECT_EQ(Reason(1), "conversion_failed");
  EXPECT_EQ(Item(2)["verdict"], "sanitized") << Item(2).dump(1);
  EXPECT_NE(PdfText("fine.pdf").find("FINE-AFTER-FAULTS"), std::string::npos);
  std::vector<std::string> outs = testing::ListFiles(dir_ / "out");
  EXPECT_EQ(outs, std::vector<std::string>{"fine.pdf"});
  std::string log = Log();
  EXPECT_GE(Count(log, "event=office_converter_ended"), 2u) << log;
  EXPECT_NE(log.find("a document overran office.timeout_seconds"), std::string::npos) << log;
  EXPECT_NE(log.find("a document failed, timed out or crashed it"), std::string::npos) << log;
  EXPECT_EQ(log.find("could not start"), std::string::npos) << log;
}

// Two gateway processes on one state folder (a watcher and a `mugai mail`, say) each get
// converters of their own; a pool left by a process that died is cleared away.
TEST_F(OfficeCli, TwoGatewayProcessesOnOneStateFolderNeverShareAConverter) {
  std::filesystem::create_directories(dir_ / "state/office/pool-999999-dead00/slot-0");
  auto run = [&](const std::string& input, const std::string& out, testing::RunResult* r) {
    *r = testing::Run({testing::MugaiBinary(), "sanitize", "--quiet", "--signatures",
                       testing::SignaturesDir(), "--state", dir_ / "state", "--out", out, input});
  };
  testing::RunResult a, b;
  std::thread ta(run, Fixture("memo-ja.doc"), dir_ / "out-a", &a);
  std::thread tb(run, Fixture("table-ja.xls"), dir_ / "out-b", &b);
  ta.join();
  tb.join();
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::string text_a = testing::Run({"/usr/bin/pdftotext", dir_ / "out-a/memo-ja.pdf", "-"}).out;
  std::string text_b = testing::Run({"/usr/bin/pdftotext", dir_ / "out-b/table-ja.pdf", "-"}).out;
  EXPECT_NE(text_a.find("MEMO-FIXTURE-TEXT"), std::string::npos);
  EXPECT_EQ(text_a.find("TABLE-FIXTURE-TEXT"), std::string::npos);
  EXPECT_NE(text_b.find("TABLE-FIXTURE-TEXT"), std::string::npos);
  EXPECT_EQ(text_b.find("MEMO-FIXTURE-TEXT"), std::string::npos);
  // Each pool removed its own folder; the dead one's was removed by whichever started first.
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "state/office")) {
    left.push_back(e.path().filename().string());
  }
  EXPECT_TRUE(left.empty()) << left.front();
}

TEST_F(OfficeCli, ConvertersAreReplacedAfterMaxDocuments) {
  testing::WriteFile(dir_ / "c.toml", "[office]\nmax_documents = 1\n");
  std::vector<std::string> inputs;
  for (int i = 0; i < 3; ++i) {
    std::string p = dir_ / ("doc" + std::to_string(i) + ".rtf");
    testing::WriteFile(p, "{\\rtf1\\ansi RECYCLE-" + std::to_string(i) + "\\par}\n");
    inputs.push_back(p);
  }
  testing::RunResult r = Sanitize(inputs, {"--config", dir_ / "c.toml"});
  ASSERT_EQ(r.exit_code, 0) << r.err << report_.dump(1) << Log();
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(PdfText("doc" + std::to_string(i) + ".pdf").find("RECYCLE-" + std::to_string(i)),
              std::string::npos);
  }
  EXPECT_GE(Count(Log(), "event=office_converter_started"), 3u);
}

// Issue 4: a disarmed OOXML document still opens in LibreOffice, with its text.
TEST_F(OfficeCli, DisarmedOoxmlOutputsOpenInLibreOffice) {
  // Every OOXML fixture that is delivered (all but the billion-laughs and zip-bomb ones).
  std::vector<std::string> inputs;
  for (const auto& name : testing::ListFiles(testing::FixturesDir() + "/ooxml")) {
    if (name.find('.') == std::string::npos || name.ends_with(".py") ||
        name.rfind("billion-laughs", 0) == 0 || name.rfind("zip-bomb", 0) == 0) {
      continue;
    }
    inputs.push_back(testing::FixturesDir() + "/ooxml/" + name);
  }
  ASSERT_GE(inputs.size(), 15u);
  testing::RunResult r = Sanitize(inputs);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> outs = testing::ListFiles(dir_ / "out");
  ASSERT_EQ(outs.size(), inputs.size());
  std::string profile = "file://" + (dir_ / "lo-profile");
  for (const auto& name : outs) {
    // Each into a folder of its own: ja-text.docx and ja-text.xlsx both make ja-text.pdf.
    std::string outdir = dir_ / ("pdf/" + name);
    testing::RunResult c = testing::Run({"/usr/bin/soffice", "--headless",
                                         "-env:UserInstallation=" + profile, "--convert-to",
                                         "pdf", "--outdir", outdir, dir_ / ("out/" + name)});
    EXPECT_EQ(c.exit_code, 0) << name << c.err;
    std::string pdf = outdir + "/" + name.substr(0, name.rfind('.')) + ".pdf";
    ASSERT_TRUE(std::filesystem::exists(pdf)) << name << " does not open in LibreOffice\n"
                                              << c.out << c.err;
    if (name.rfind("ja-text.", 0) == 0) {
      std::string text = testing::Run({"/usr/bin/pdftotext", pdf, "-"}).out;
      EXPECT_NE(text.find("予算要求"), std::string::npos) << name << ": " << text;
    }
  }
}

}  // namespace
}  // namespace mugai
