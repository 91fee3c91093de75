// PDF analysis (qpdf object model) and reconstruction (Poppler + cairo) on crafted fixtures.
// Some fixtures are derived at test time with the qpdf command: object streams, encryption.
#include <gtest/gtest.h>
#include <unistd.h>

#include "converters/pdf/pdf_analyzer.h"
#include "converters/pdf/pdf_renderer.h"
#include "test_support.h"

namespace mugai {
namespace {

std::string Fixture(const std::string& name) {
  return testing::ReadFile(testing::FixturesDir() + "/pdf/" + name);
}

// Runs the qpdf command on a fixture and returns the resulting file's bytes.
std::string Qpdf(const std::string& fixture, std::vector<std::string> args) {
  testing::TempDir dir;
  std::vector<std::string> argv = {"/usr/bin/qpdf"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(testing::FixturesDir() + "/pdf/" + fixture);
  argv.push_back(dir / "out.pdf");
  testing::RunResult r = testing::Run(argv);
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.err;  // 3: warnings
  return testing::ReadFile(dir / "out.pdf");
}

PdfFindings Analyze(const std::string& bytes, const std::string& password = "") {
  Result<PdfFindings> f = AnalyzePdf(bytes, password, PdfLimits{});
  EXPECT_TRUE(f.ok()) << f.status().message();
  return f.ok() ? f.value() : PdfFindings{};
}

TEST(PdfAnalyzer, PlainHasNothingActive) {
  PdfFindings f = Analyze(Fixture("plain.pdf"));
  EXPECT_EQ(f.pages, 1);
  EXPECT_FALSE(f.HasActiveContent());
}

TEST(PdfAnalyzer, FindsOpenActionJavaScript) {
  PdfFindings f = Analyze(Fixture("js-openaction.pdf"));
  EXPECT_TRUE(f.open_action);
  EXPECT_EQ(f.javascript, 2);  // the OpenAction's and the name tree's action
  EXPECT_EQ(f.actions["JavaScript"], 2);
}

TEST(PdfAnalyzer, FindsEscapedNames) {
  PdfFindings f = Analyze(Fixture("js-escaped-names.pdf"));
  EXPECT_TRUE(f.open_action);
  EXPECT_EQ(f.javascript, 1);
  EXPECT_EQ(f.actions["JavaScript"], 1);
}

TEST(PdfAnalyzer, FindsJavaScriptInsideObjectStreams) {
  if (access("/usr/bin/qpdf", X_OK) != 0) GTEST_SKIP() << "qpdf command not installed";
  std::string packed = Qpdf("js-openaction.pdf", {"--object-streams=generate"});
  ASSERT_NE(packed.find("/ObjStm"), std::string::npos);
  ASSERT_EQ(packed.find("/JavaScript"), std::string::npos);  // not visible as plain bytes
  PdfFindings f = Analyze(packed);
  EXPECT_EQ(f.javascript, 2);
  EXPECT_TRUE(f.open_action);
}

TEST(PdfAnalyzer, FindsLaunchInPageAdditionalActions) {
  PdfFindings f = Analyze(Fixture("launch-aa.pdf"));
  EXPECT_EQ(f.additional_actions, 1);
  EXPECT_EQ(f.actions["Launch"], 1);
}

TEST(PdfAnalyzer, FindsLinksAnnotationsAndFormFields) {
  PdfFindings links = Analyze(Fixture("links.pdf"));
  EXPECT_EQ(links.annotations, 3);
  EXPECT_EQ(links.links, 2);
  EXPECT_EQ(links.uris, (std::vector<std::string>{"https://evil.example/phish",
                                                  "https://www.city.example.lg.jp/"}));
  PdfFindings form = Analyze(Fixture("acroform.pdf"));
  EXPECT_EQ(form.form_fields, 1);
  EXPECT_EQ(form.annotations, 1);
}

TEST(PdfAnalyzer, FindsEmbeddedFilesAndTheirBytes) {
  if (access("/usr/bin/qpdf", X_OK) != 0) GTEST_SKIP() << "qpdf command not installed";
  testing::TempDir dir;
  testing::WriteFile(dir / "report.txt", "attached contents\n");
  std::string bytes = Qpdf("plain.pdf", {"--add-attachment", dir / "report.txt", "--"});
  PdfFindings f = Analyze(bytes);
  ASSERT_EQ(f.embedded_files.size(), 1u);
  EXPECT_EQ(f.embedded_files[0].name, "report.txt");
  EXPECT_EQ(f.embedded_files[0].bytes, "attached contents\n");
  EXPECT_EQ(f.embedded_files[0].size, 18u);
  PdfLimits tiny;
  tiny.max_embedded_bytes = 4;
  Result<PdfFindings> capped = AnalyzePdf(bytes, "", tiny);
  ASSERT_TRUE(capped.ok());
  EXPECT_TRUE(capped->embedded_files[0].truncated);
}

TEST(PdfAnalyzer, UserPasswordIsNeededAndAccepted) {
  if (access("/usr/bin/qpdf", X_OK) != 0) GTEST_SKIP() << "qpdf command not installed";
  std::string enc = Qpdf("plain.pdf", {"--encrypt", "user-pw", "owner-pw", "256", "--"});
  Result<PdfFindings> none = AnalyzePdf(enc, "", PdfLimits{});
  EXPECT_TRUE(IsPasswordError(none.status())) << none.status().message();
  EXPECT_TRUE(IsPasswordError(AnalyzePdf(enc, "wrong", PdfLimits{}).status()));
  PdfFindings f = Analyze(enc, "user-pw");
  EXPECT_TRUE(f.encrypted);
  std::string owner_only = Qpdf("plain.pdf", {"--encrypt", "", "owner-pw", "256", "--"});
  PdfFindings o = Analyze(owner_only);
  EXPECT_TRUE(o.encrypted);
  EXPECT_TRUE(o.owner_password_only);
}

TEST(PdfAnalyzer, DamagedFilesAreErrorsNotCrashes) {
  EXPECT_FALSE(AnalyzePdf(Fixture("truncated.pdf"), "", PdfLimits{}).ok());
  EXPECT_TRUE(AnalyzePdf(Fixture("broken-xref.pdf"), "", PdfLimits{}).ok());  // recovered
  EXPECT_FALSE(AnalyzePdf("not a pdf at all", "", PdfLimits{}).ok());
  EXPECT_FALSE(AnalyzePdf("", "", PdfLimits{}).ok());
}

TEST(PdfRenderer, ReconstructionHoldsNothingActive) {
  for (const char* name : {"js-openaction.pdf", "launch-aa.pdf", "links.pdf", "acroform.pdf"}) {
    Result<PdfRendered> out = RenderPdf(Fixture(name), "", PdfRenderOptions{});
    ASSERT_TRUE(out.ok()) << name << ": " << out.status().message();
    EXPECT_EQ(out->bytes.rfind("%PDF-", 0), 0u);
    PdfFindings f = Analyze(out->bytes);
    EXPECT_FALSE(f.HasActiveContent()) << name;
    EXPECT_EQ(f.pages, 1);
    for (const char* key : {"/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/Annots",
                            "/AcroForm", "/URI"}) {
      EXPECT_EQ(out->bytes.find(key), std::string::npos) << name << " " << key;
    }
  }
}

TEST(PdfRenderer, ModesAndLimits) {
  PdfRenderOptions text;
  text.mode = PdfMode::kText;
  Result<PdfRendered> t = RenderPdf(Fixture("acroform.pdf"), "", text);
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->bytes.find("Application form"), std::string::npos) << t->bytes;
  PdfRenderOptions raster;
  raster.mode = PdfMode::kRaster;
  Result<PdfRendered> r = RenderPdf(Fixture("plain.pdf"), "", raster);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->bytes.find("/Image"), std::string::npos);
  raster.max_raster_pixels = 1000;
  EXPECT_EQ(RenderPdf(Fixture("plain.pdf"), "", raster).status().code(), StatusCode::kLimit);
  PdfRenderOptions small;
  small.max_output_bytes = 100;
  EXPECT_EQ(RenderPdf(Fixture("plain.pdf"), "", small).status().code(), StatusCode::kLimit);
  EXPECT_FALSE(RenderPdf(Fixture("zero-pages.pdf"), "", PdfRenderOptions{}).ok());
}

}  // namespace
}  // namespace mugai
