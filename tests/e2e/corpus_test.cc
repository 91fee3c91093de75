// Real hostile and malformed files from other projects' test suites (../shared/corpora)
// through `mugai sanitize`. Skipped, visibly, when the corpora are absent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "converters/ooxml/ooxml_disarm.h"
#include "converters/pdf/pdf_analyzer.h"
#include "test_support.h"

namespace mugai {
namespace {

using nlohmann::json;

std::vector<std::string> FilesUnder(const std::string& dir, const std::string& only_ext) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.is_symlink()) continue;
    std::string name = e.path().filename().string();
    if (name == "MANIFEST.tsv") continue;
    if (!only_ext.empty() && e.path().extension() != only_ext) continue;
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every file gets a verdict, the supervisor survives, no delivered PDF holds active content,
// and ClamAV finds nothing in any output.
void RunCorpus(const std::string& folder, const std::string& only_ext) {
  std::string dir = testing::CorporaDir() + "/" + folder;
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus absent, skipped: " << dir;
  std::vector<std::string> files = FilesUnder(dir, only_ext);
  ASSERT_FALSE(files.empty());
  testing::TempDir work;
  testing::WriteFile(work / "fast.toml", "[worker]\nwall_seconds = 10\ncpu_seconds = 10\n");
  // One file per run keeps names unique and isolates each verdict.
  int delivered = 0, blocked = 0;
  for (const auto& file : files) {
    std::string out = work / ("out-" + std::to_string(delivered + blocked));
    testing::RunResult r = testing::Run(
        {testing::MugaiBinary(), "sanitize", "--quiet", "--signatures", testing::SignaturesDir(),
         "--state", work / "state", "--out", out, "--report", "-", "--config", work / "fast.toml",
         file});
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << file << " exit " << r.exit_code << r.err;
    json item = json::parse(r.out)["items"][0];
    std::string verdict = item["verdict"];
    ASSERT_TRUE(verdict == "clean" || verdict == "sanitized" || verdict == "blocked") << file;
    (verdict == "blocked" ? blocked : delivered)++;
    for (const auto& name : testing::ListFiles(out)) {
      std::string bytes = testing::ReadFile(out + "/" + name);
      bool image = bytes.rfind("\x89PNG", 0) == 0 || bytes.rfind("\xFF\xD8", 0) == 0 ||
                   bytes.rfind("GIF8", 0) == 0;
      if (image && access("/usr/bin/vips", X_OK) == 0) {
        // A delivered image decodes cleanly, every pixel ("[fail]": stop at any warning).
        testing::RunResult avg = testing::Run({"/usr/bin/vips", "avg", out + "/" + name + "[fail]"});
        EXPECT_EQ(avg.exit_code, 0) << file << " → " << name << ": " << avg.err;
      }
      if (bytes.rfind("PK", 0) == 0 && bytes.find("[Content_Types].xml") != std::string::npos) {
        // A delivered Office document holds no VBA, XLM, ActiveX, OLE, DDE or external links:
        // disarming it again finds nothing.
        OoxmlLimits l;
        l.package = ArchiveLimits{5000, 100u << 20, 200u << 20, 1000, 1u << 20};
        l.max_part_bytes = 64u << 20;
        l.max_parts = 5000;
        Result<OoxmlDisarmed> again = DisarmOoxml(bytes, l);
        ASSERT_TRUE(again.ok()) << file << " → " << name << ": " << again.status().message();
        EXPECT_TRUE(again->findings.removed.empty()) << file << " → " << name << ": "
                                                     << again->findings.removed.front().first;
        EXPECT_FALSE(again->findings.macro_enabled_input) << file << " → " << name;
      }
      // No output carries a VBA project in any form (issue 4); XLM and DDE in OOXML outputs
      // are checked by disarming them again, below.
      for (const char* marker : {"vbaProject.bin", "_VBA_PROJECT", "Attribute VB_Name"}) {
        EXPECT_EQ(bytes.find(marker), std::string::npos) << file << " → " << name << ": " << marker;
      }
      if (bytes.rfind("%PDF-", 0) == 0) {
        Result<PdfFindings> f = AnalyzePdf(bytes, "", PdfLimits{});
        ASSERT_TRUE(f.ok()) << file << " → " << name << ": " << f.status().message();
        EXPECT_FALSE(f->HasActiveContent()) << file << " → " << name;
      }
    }
  }
  // ClamAV (the same test database) over every output at once.
  testing::RunResult scan = testing::Run({"/usr/bin/clamscan", "--quiet", "--recursive", "-d",
                                          testing::SignaturesDir(), work.path()});
  EXPECT_NE(scan.exit_code, 1) << "ClamAV found something in an output:\n" << scan.out;
  std::printf("[ corpus ] %s: %zu files, %d delivered, %d blocked\n", folder.c_str(),
              files.size(), delivered, blocked);
}

TEST(Corpus, QpdfPdfs) { RunCorpus("qpdf", ".pdf"); }
TEST(Corpus, Dangerzone) { RunCorpus("dangerzone", ""); }
TEST(Corpus, ChardetJa) { RunCorpus("chardet-ja", ""); }
// Office files with VBA, Excel 4.0 macros, DDE, OLE objects, encryption (issue 9's corpus run;
// the archive and mail corpora have their own tests: ArchiveCorpus.*, MailCorpus.*).
TEST(Corpus, Oletools) { RunCorpus("oletools", ""); }
TEST(Corpus, ApachePoi) { RunCorpus("apache-poi", ""); }
TEST(Corpus, Libxml2) { RunCorpus("libxml2", ""); }

}  // namespace
}  // namespace mugai
