// `mugai sanitize` as a user runs it: the real binary, real files, the generated ClamAV
// test database. Asserts exit codes, output bytes and report fields.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "test_support.h"

namespace mugai {
namespace {

using nlohmann::json;
using testing::ReadFile;
using testing::WriteFile;

class SanitizeCli : public ::testing::Test {
 protected:
  // Runs mugai sanitize with the test signatures, a private state and out folder.
  testing::RunResult Sanitize(std::vector<std::string> inputs, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {testing::MugaiBinary(), "sanitize",
                                     "--signatures", testing::SignaturesDir(),
                                     "--state", state_ / "state",
                                     "--out", out_.path(),
                                     "--report", "-"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (auto& i : inputs) argv.push_back(in_ / i);
    return testing::Run(argv);
  }

  // The report's item for one input (single-input runs).
  json Item(const testing::RunResult& r) {
    json report = json::parse(r.out);
    EXPECT_EQ(report["items"].size(), 1u);
    return report["items"][0];
  }

  void Put(const std::string& name, const std::string& bytes) { WriteFile(in_ / name, bytes); }
  std::string Fixture(const std::string& rel) {
    return ReadFile(testing::FixturesDir() + "/" + rel);
  }

  testing::TempDir in_, out_, state_;
};

// A minimal PE32 header: what a Windows program looks like to libmagic.
std::string TinyPe() {
  std::string pe(512, '\0');
  pe[0] = 'M';
  pe[1] = 'Z';
  pe[0x3c] = 0x40;  // e_lfanew
  pe.replace(0x40, 4, std::string("PE\0\0", 4));
  pe[0x44] = 0x4c;  // machine i386
  pe[0x45] = 0x01;
  pe[0x46] = 0x01;  // one section
  pe[0x54] = static_cast<char>(0xe0);  // optional header size
  pe[0x56] = 0x02;  // characteristics: executable
  pe[0x58] = 0x0b;  // optional header magic 0x10b (PE32)
  pe[0x59] = 0x01;
  pe[0x5c + 0x40] = 0x02;  // subsystem GUI
  return pe;
}

TEST_F(SanitizeCli, EicarIsBlockedWhateverItsName) {
  for (const char* name : {"eicar.com.txt", "eicar.txt", "eicar.pdf", "請求書.txt"}) {
    testing::TempDir out;
    Put(name, testing::Eicar());
    auto r = Sanitize({name});
    EXPECT_EQ(r.exit_code, 1) << name << r.err;
    json item = Item(r);
    EXPECT_EQ(item["verdict"], "blocked");
    EXPECT_EQ(item["reason"]["code"], "malware");
    EXPECT_EQ(item["threats"][0]["engine"], "clamav");
    EXPECT_EQ(item["threats"][0]["name"], "Mugai.Test.EICAR.UNOFFICIAL");
    EXPECT_EQ(item["quarantine_id"].get<std::string>().rfind("q-", 0), 0u);
    EXPECT_EQ(item["sha256"], Sha256Hex(testing::Eicar()));
    EXPECT_TRUE(testing::ListFiles(out_.path()).empty()) << name;
    EXPECT_NE(r.err.find("マルウェアを検出しました"), std::string::npos);
  }
}

TEST_F(SanitizeCli, ClamavTestFileInZipIsBlocked) {
  std::string zip = "/usr/share/clamav-testfiles/clam.zip";
  if (access(zip.c_str(), R_OK) != 0) GTEST_SKIP() << "clamav-testfiles not installed";
  Put("documents.zip", ReadFile(zip));
  auto r = Sanitize({"documents.zip"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Item(r)["reason"]["code"], "malware");
}

TEST_F(SanitizeCli, ExecutablesNamedAsDocumentsAreBlocked) {
  Put("invoice.pdf", ReadFile("/bin/true"));
  Put("report.pdf", TinyPe());
  for (const char* name : {"invoice.pdf", "report.pdf"}) {
    auto r = Sanitize({name});
    EXPECT_EQ(r.exit_code, 1) << name;
    json item = Item(r);
    EXPECT_EQ(item["reason"]["code"], "executable") << name << " " << item.dump();
    EXPECT_EQ(item["claimed_type"], "application/pdf");
    EXPECT_TRUE(testing::ListFiles(out_.path()).empty());
  }
}

TEST_F(SanitizeCli, DeceptiveNamesAreBlocked) {
  struct Case {
    std::string name, code;
  };
  for (const Case& c : std::vector<Case>{
           {"請求書.pdf.exe", "name_double_extension"},
           {"請求書．exe", "name_fullwidth_dot"},
           {"invoice\xE2\x80\xAEtxt.exe", "name_bidi_control"},
           {"report\xE2\x80\xAE" "fdp.txt", "name_bidi_control"},
           {"line\x01" "break.txt", "name_control_character"},
           {"setup.exe", "name_dangerous_extension"}}) {
    Put(c.name, "plain text, harmless\n");
    auto r = Sanitize({c.name});
    EXPECT_EQ(r.exit_code, 1) << c.name;
    EXPECT_EQ(Item(r)["reason"]["code"], c.code) << c.name;
    EXPECT_TRUE(testing::ListFiles(out_.path()).empty()) << c.name;
  }
}

TEST_F(SanitizeCli, APdfBehindAFewLinesOfTextIsNotDeliveredAsText) {
  // Acrobat opens a file as a PDF when "%PDF-" is anywhere in its first 1,024 bytes: such a
  // file is rebuilt as the PDF it is (its JavaScript gone), never passed on byte-identical as
  // text. Junk that only looks like one is blocked.
  Put("note.pdf", "Please read the attached report.\n\n" + Fixture("pdf/js-openaction.pdf"));
  testing::RunResult r = Sanitize({"note.pdf"});
  json item = Item(r);
  EXPECT_EQ(item["detected_type"], "application/pdf") << item.dump();
  EXPECT_FALSE(std::filesystem::exists(out_ / "note.pdf.txt"));
  EXPECT_FALSE(std::filesystem::exists(out_ / "note.txt"));
  if (item["verdict"] == "sanitized") {
    std::string out = ReadFile(out_ / "note.pdf");
    EXPECT_EQ(out.rfind("%PDF-", 0), 0u);
    EXPECT_EQ(out.find("/JavaScript"), std::string::npos);
  } else {
    EXPECT_EQ(item["verdict"], "blocked") << item.dump();
  }
  Put("fake.txt", "line one\n%PDF-1.7 is the version we use\n");
  testing::RunResult f = Sanitize({"fake.txt"});
  json fake = Item(f);
  EXPECT_EQ(fake["verdict"], "blocked") << f.out;
  EXPECT_EQ(fake["detected_type"], "application/pdf") << f.out;  // taken for what readers see
  EXPECT_FALSE(std::filesystem::exists(out_ / "fake.txt")) << "delivered as text";
}

TEST_F(SanitizeCli, JapaneseTextIsDeliveredByteIdentical) {
  struct Case {
    std::string fixture, charset;
  };
  for (const Case& c : std::vector<Case>{{"utf8.txt", "UTF-8"},
                                         {"shift_jis.txt", "Shift_JIS"},
                                         {"cp932.txt", "Shift_JIS"},
                                         {"euc-jp.txt", "EUC-JP"},
                                         {"iso-2022-jp.txt", "ISO-2022-JP"}}) {
    std::string bytes = Fixture("text/" + c.fixture);
    Put(c.fixture, bytes);
    auto r = Sanitize({c.fixture});
    EXPECT_EQ(r.exit_code, 0) << c.fixture << r.err;
    json item = Item(r);
    EXPECT_EQ(item["verdict"], "clean") << item.dump();
    EXPECT_EQ(item["charset"], c.charset) << c.fixture;
    EXPECT_EQ(item["detected_type"], "text/plain");
    EXPECT_EQ(ReadFile(out_ / c.fixture), bytes) << c.fixture;
    EXPECT_EQ(item["outputs"][0]["sha256"], Sha256Hex(bytes));
    EXPECT_EQ(item["quarantine_id"], nullptr);
  }
}

TEST_F(SanitizeCli, HostileHtmlBecomesText) {
  Put("お知らせ.html", Fixture("html/hostile.html"));
  auto r = Sanitize({"お知らせ.html"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json item = Item(r);
  EXPECT_EQ(item["verdict"], "sanitized");
  EXPECT_EQ(item["detected_type"], "text/html");
  EXPECT_EQ(item["outputs"][0]["name"], "お知らせ.txt");
  EXPECT_EQ(item["outputs"][0]["type"], "text/plain; charset=utf-8");
  EXPECT_FALSE(item["quarantine_id"].is_null());  // the original is kept
  std::string text = ReadFile(out_ / "お知らせ.txt");
  EXPECT_EQ(item["outputs"][0]["sha256"], Sha256Hex(text));
  EXPECT_NE(text.find("窓口の受付時間が変わります。"), std::string::npos);
  EXPECT_EQ(text.find("<script"), std::string::npos);
  EXPECT_EQ(text.find("alert"), std::string::npos);
  EXPECT_EQ(text.find("onerror"), std::string::npos);
  EXPECT_EQ(text.find("iframe"), std::string::npos);
  bool removed_script = false, verified = false;
  for (const auto& a : item["actions"]) {
    if (a["action"] == "removed" && a["detail"] == "script: 2") removed_script = true;
    if (a["action"] == "verified") verified = true;
  }
  EXPECT_TRUE(removed_script) << item["actions"].dump();
  EXPECT_TRUE(verified);
  EXPECT_TRUE(testing::ListFiles(out_.path()) == std::vector<std::string>{"お知らせ.txt"});
}

TEST_F(SanitizeCli, UnknownBinaryIsBlocked) {
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<char>((i * 7919 + 13) % 251));
  Put("data.bin", bytes);
  auto r = Sanitize({"data.bin"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Item(r)["reason"]["code"], "unknown_type");
}

TEST_F(SanitizeCli, KnownButUnhandledTypeIsBlocked) {
  // A WAV recording: identified, but no converter of this build handles audio.
  std::string wav = std::string("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
                                "\x40\x1f\x00\x00\x40\x1f\x00\x00\x01\x00\x08\x00" "data\x00\x00\x00\x00", 44);
  Put("voice.wav", wav);
  auto r = Sanitize({"voice.wav"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Item(r)["reason"]["code"], "type_not_allowed");
}

TEST_F(SanitizeCli, EmptyFileIsDeliveredEmpty) {
  Put("empty.txt", "");
  auto r = Sanitize({"empty.txt"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Item(r)["verdict"], "clean");
  EXPECT_EQ(ReadFile(out_ / "empty.txt"), "");
}

TEST_F(SanitizeCli, MixedBatchExitsOneAndDeliversTheRest) {
  Put("memo.txt", "hello\n");
  Put("eicar.txt", testing::Eicar());
  auto r = Sanitize({"memo.txt", "eicar.txt"});
  EXPECT_EQ(r.exit_code, 1);
  json report = json::parse(r.out);
  EXPECT_EQ(report["summary"]["delivered"], 1);
  EXPECT_EQ(report["summary"]["blocked"], 1);
  EXPECT_EQ(report["items"][0]["name"], "memo.txt");
  EXPECT_EQ(report["scanner"]["engine"].get<std::string>().rfind("ClamAV ", 0), 0u);
  EXPECT_GE(report["scanner"]["signatures"].get<int>(), 1);
  EXPECT_EQ(testing::ListFiles(out_.path()), std::vector<std::string>{"memo.txt"});
}

TEST_F(SanitizeCli, TextUnderADocumentNameIsRenamed) {
  Put("notreally.pdf", "just words\n");
  auto r = Sanitize({"notreally.pdf"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(testing::ListFiles(out_.path()), std::vector<std::string>{"notreally.pdf.txt"});
}

TEST_F(SanitizeCli, UsageErrorsExitTwoAndProcessNothing) {
  Put("memo.txt", "hello\n");
  std::string bin = testing::MugaiBinary();
  EXPECT_EQ(testing::Run({bin, "sanitize"}).exit_code, 2);
  EXPECT_EQ(testing::Run({bin, "sanitize", "--bogus", in_ / "memo.txt"}).exit_code, 2);
  EXPECT_EQ(testing::Run({bin, "frobnicate"}).exit_code, 2);
  auto missing = Sanitize({"memo.txt", "nope.txt"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.txt"), std::string::npos);
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());
  WriteFile(in_ / "bad.toml", "[worker]\njobz = 2\n");
  auto bad = Sanitize({"memo.txt"}, {"--config", in_ / "bad.toml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown key 'worker.jobz'"), std::string::npos) << bad.err;
}

TEST_F(SanitizeCli, NoSignaturesRefusesUnlessAskedTo) {
  Put("memo.txt", "hello\n");
  testing::TempDir empty;
  std::vector<std::string> argv = {testing::MugaiBinary(), "sanitize", "--signatures",
                                   empty.path(), "--state", state_ / "s", "--out", out_.path(),
                                   in_ / "memo.txt"};
  auto refused = testing::Run(argv);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("no ClamAV signatures"), std::string::npos) << refused.err;
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());
  argv.push_back("--allow-no-signatures");
  auto demo = testing::Run(argv);
  EXPECT_EQ(demo.exit_code, 0) << demo.err;
  EXPECT_NE(demo.err.find("WITHOUT malware signatures"), std::string::npos);
}

TEST_F(SanitizeCli, HelpDescribesEveryOption) {
  auto top = testing::Run({testing::MugaiBinary(), "--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("sanitize"), std::string::npos);
  auto help = testing::Run({testing::MugaiBinary(), "sanitize", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* opt : {"--out", "--report", "--config", "--signatures", "--state",
                          "--password", "--jobs", "--allow-no-signatures", "Exit status"}) {
    EXPECT_NE(help.out.find(opt), std::string::npos) << opt;
  }
}

// Issue 18's `mugai check-config FILE`: a valid file prints the effective configuration with
// every default (and the file's own values); an invalid one exits 2 naming the key.
TEST_F(SanitizeCli, CheckConfigPrintsTheEffectiveConfigurationOrNamesTheBadKey) {
  Put("good.toml", "[unlock]\ntimeout_seconds = 30\n");
  auto good = testing::Run({testing::MugaiBinary(), "check-config", in_ / "good.toml"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("valid"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("timeout_seconds = 30"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("[archive]"), std::string::npos) << good.out;  // defaults too
  EXPECT_NE(good.out.find("seven_zip = '/usr/bin/7z'"), std::string::npos) << good.out;
  Put("bad.toml", "[unlock]\ntimeout_secs = 30\n");
  auto bad = testing::Run({testing::MugaiBinary(), "check-config", in_ / "bad.toml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("timeout_secs"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty());
  auto none = testing::Run({testing::MugaiBinary(), "check-config", in_ / "missing.toml"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("cannot read"), std::string::npos) << none.err;
}

TEST_F(SanitizeCli, LogLinesAreGrepable) {
  Put("eicar.txt", testing::Eicar());
  Sanitize({"eicar.txt"});
  std::string log = ReadFile(state_ / "state/mugai.log");
  EXPECT_NE(log.find("event=item_done name=\"eicar.txt\""), std::string::npos) << log;
  EXPECT_NE(log.find("verdict=\"blocked\" reason=\"malware\""), std::string::npos) << log;
}

// Issue 20: a CSV whose cells Excel would run as formulas arrives with those cells prefixed
// by ' (CP932 bytes and the rest of the file unchanged); text.csv_formulas chooses.
TEST_F(SanitizeCli, CsvFormulasAreNeutralisedByDefaultOrKeptOrBlocked) {
  const std::string csv = "\x96\xbc\x91\x4f,\x8b\xe0\x8a\x7a\r\n"        // 名前,金額 in CP932
                          "\x8e\x52\x93\x63,=cmd|' /C calc'!A0\r\n"        // 山田
                          "b,\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\"\r\n"
                          "c,@SUM(1+1)*cmd|' /C calc'!A0\r\n"
                          "d,-5\r\n";
  Put("list.csv", csv);
  auto r = Sanitize({"list.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json item = Item(r);
  EXPECT_EQ(item["verdict"], "sanitized");
  EXPECT_EQ(ReadFile(out_ / "list.csv"),
            "\x96\xbc\x91\x4f,\x8b\xe0\x8a\x7a\r\n"
            "\x8e\x52\x93\x63,'=cmd|' /C calc'!A0\r\n"
            "b,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\"\r\n"
            "c,'@SUM(1+1)*cmd|' /C calc'!A0\r\n"
            "d,-5\r\n");
  EXPECT_NE(item["actions"].dump().find("csv_formulas_neutralised"), std::string::npos);
  EXPECT_NE(item["actions"].dump().find("3 cell(s)"), std::string::npos) << item["actions"].dump();
  EXPECT_EQ(item["quarantine_id"].get<std::string>().rfind("q-", 0), 0u);  // original kept

  WriteFile(in_ / "keep.toml", "[text]\ncsv_formulas = \"keep\"\n");
  std::filesystem::remove(out_ / "list.csv");
  auto kept = Sanitize({"list.csv"}, {"--config", in_ / "keep.toml"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(ReadFile(out_ / "list.csv"), csv);
  EXPECT_NE(Item(kept)["actions"].dump().find("csv_formulas_kept"), std::string::npos);

  WriteFile(in_ / "block.toml", "[text]\ncsv_formulas = \"block\"\n");
  std::filesystem::remove(out_ / "list.csv");
  auto blocked = Sanitize({"list.csv"}, {"--config", in_ / "block.toml"});
  EXPECT_EQ(blocked.exit_code, 1) << blocked.err;
  EXPECT_EQ(Item(blocked)["verdict"], "blocked");
  EXPECT_NE(Item(blocked)["reason"]["detail"].get<std::string>().find("csv_formulas"), std::string::npos);
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());

  WriteFile(in_ / "bad.toml", "[text]\ncsv_formulas = \"strip\"\n");
  auto bad = Sanitize({"list.csv"}, {"--config", in_ / "bad.toml"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("csv_formulas"), std::string::npos) << bad.err;
}

// A CSV in UTF-16 (Excel's "Unicode text" export) and one named so that Windows drops a
// trailing dot are neutralised too.
TEST_F(SanitizeCli, Utf16CsvAndTrailingDotNamesAreNeutralisedToo) {
  std::string utf16 = "\xFF\xFE";
  for (char c : std::string("a,=cmd|' /C calc'!A0\r\n")) utf16 += std::string{c, '\0'};
  Put("wide.csv", utf16);
  Put("dotted.csv.", "a,=1+1\n");
  auto r = Sanitize({"wide.csv", "dotted.csv."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json report = json::parse(r.out);
  EXPECT_EQ(report["items"][0]["verdict"], "sanitized");
  EXPECT_EQ(ReadFile(out_ / "wide.csv"), "\xEF\xBB\xBF" "a,'=cmd|' /C calc'!A0\r\n");
  EXPECT_NE(report["items"][0]["actions"].dump().find("UTF-16 text to UTF-8"), std::string::npos)
      << report["items"][0]["actions"].dump();
  EXPECT_EQ(report["items"][1]["verdict"], "sanitized");
  std::string dotted = report["items"][1]["outputs"][0]["name"];
  EXPECT_EQ(ReadFile(out_ / dotted), "a,'=1+1\n");
}

// Issue 20, second parser: a Word document carrying an executable behind an image, a font,
// a web add-in and customXml, sanitised; Python's zipfile lists the delivered package and
// finds only the parts Word needs, and no executable bytes anywhere.
TEST_F(SanitizeCli, OoxmlAllowListCheckedByPythonZipfile) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "/usr/bin/python3 absent, skipped";
  const std::string make = R"(
import sys, zipfile
R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
exe = b'MZ\x90\x00' + b'This program cannot be run in DOS mode.'
z = zipfile.ZipFile(sys.argv[1], 'w')
z.writestr('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="odttf" ContentType="application/vnd.openxmlformats-officedocument.obfuscatedFont"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/webextensions/taskpanes.xml" ContentType="application/vnd.ms-office.webextensiontaskpanes+xml"/></Types>')
z.writestr('_rels/.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="' + R + 'officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes" Target="webextensions/taskpanes.xml"/></Relationships>')
z.writestr('word/document.xml', '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>ZIPFILE-TEXT</w:t></w:r></w:p></w:body></w:document>')
z.writestr('word/_rels/document.xml.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId5" Type="' + R + 'image" Target="media/image1.png"/><Relationship Id="rId6" Type="' + R + 'font" Target="fonts/font1.odttf"/><Relationship Id="rId7" Type="' + R + 'customXml" Target="../customXml/item1.xml"/></Relationships>')
z.writestr('word/media/image1.png', exe)
z.writestr('word/fonts/font1.odttf', exe)
z.writestr('webextensions/taskpanes.xml', '<wetp:taskpanes xmlns:wetp="http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"/>')
z.writestr('customXml/item1.xml', '<DataMashup xmlns="http://schemas.microsoft.com/DataMashup">AAAA</DataMashup>')
z.close()
)";
  const std::string list = R"(
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
for n in sorted(z.namelist()):
    print(n, b'This program' in z.read(n))
)";
  testing::WriteFile(in_ / "make.py", make);
  testing::WriteFile(in_ / "list.py", list);
  ASSERT_EQ(testing::Run({"/usr/bin/python3", in_ / "make.py", in_ / "report.docx"}).exit_code, 0);
  auto r = Sanitize({"report.docx"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json item = Item(r);
  EXPECT_EQ(item["verdict"], "sanitized");
  testing::RunResult listed = testing::Run({"/usr/bin/python3", in_ / "list.py", out_ / "report.docx"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out,
            "[Content_Types].xml False\n_rels/.rels False\nword/_rels/document.xml.rels False\n"
            "word/document.xml False\n")
      << listed.out;
  for (const char* what : {"image_not_an_image", "part_not_allowed"}) {
    EXPECT_NE(item["actions"].dump().find(what), std::string::npos) << what;
  }
}

// A uuencoded program inside a text file is not delivered, whatever the file is called.
TEST_F(SanitizeCli, UuencodedFileInAPlainTextIsRemoved) {
  Put("notes.txt", "minutes of the meeting\nbegin 644 setup.exe\nM35J0``,````$````__\\``+@````\n`\nend\nthat is all\n");
  auto r = Sanitize({"notes.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json item = Item(r);
  EXPECT_EQ(item["verdict"], "sanitized");
  EXPECT_EQ(ReadFile(out_ / "notes.txt"),
            "minutes of the meeting\n[mugai: uuencoded file setup.exe removed / "
            "エンコードされたファイルを除去]\nthat is all\n");
  EXPECT_NE(item["actions"].dump().find("encoded_file_removed"), std::string::npos);
}

}  // namespace
}  // namespace mugai
