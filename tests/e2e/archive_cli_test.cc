// Archives through `mugai sanitize`: crafted fixtures (fixtures/archive), archives built at
// run time (EICAR, nesting, many members), and the libarchive / RecursiveExtractor corpora.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sstream>

#include "converters/archive/archive_unpacker.h"
#include "converters/archive/zip_builder.h"
#include "sanitize_fixture.h"
#include "test_support.h"

namespace mugai {
namespace {

using nlohmann::json;

struct ZipName {
  std::string name;
  bool utf8_flag;
};

// The names (and UTF-8 flags) of a zip's central directory, read by the test itself.
std::vector<ZipName> CentralNames(const std::string& z) {
  auto le = [&z](size_t at, int n) {
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(z[at + static_cast<size_t>(i)]);
    return v;
  };
  std::vector<ZipName> out;
  size_t eocd = z.rfind(std::string("PK\x05\x06", 4));
  if (eocd == std::string::npos) return out;
  size_t at = le(eocd + 16, 4);
  for (uint32_t i = 0; i < le(eocd + 10, 2); ++i) {
    uint32_t flags = le(at + 8, 2);
    size_t n = le(at + 28, 2), m = le(at + 30, 2), k = le(at + 32, 2);
    out.push_back({z.substr(at + 46, n), (flags & 0x800) != 0});
    at += 46 + n + m + k;
  }
  return out;
}

std::string Zip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<ZipEntry> entries;
  for (const auto& [name, bytes] : files) entries.push_back({name, &bytes});
  Result<std::string> z = BuildZip(entries);
  EXPECT_TRUE(z.ok()) << z.status().message();
  return z.ok() ? z.value() : "";
}

class ArchiveCli : public testing::SanitizeFixture {
 protected:
  std::string Fixture(const std::string& name) {
    return testing::FixturesDir() + "/archive/" + name;
  }
  std::string Out(const std::string& name) { return testing::ReadFile(dir_ / ("out/" + name)); }
};

TEST_F(ArchiveCli, MixedZipDeliversSanitisedMembersAndListsTheBlockedOne) {
  std::string pe = "MZ" + std::string(58, '\0') + std::string("\x40\0\0\0", 4) + std::string(64, '\0');
  pe.replace(64, 4, std::string("PE\0\0", 4));
  testing::WriteFile(dir_ / "in.zip",
                     Zip({{"docs/readme.txt", "plain text\n"},
                          {"docs/page.html", "<p>hi<script>alert(1)</script></p>"},
                          {"invoice.pdf.exe", pe}}));
  testing::RunResult r = Sanitize({dir_ / "in.zip"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Item()["verdict"], "sanitized");
  ASSERT_EQ(Item()["children"].size(), 3u);
  EXPECT_EQ(Item()["children"][0]["verdict"], "clean");
  EXPECT_EQ(Item()["children"][1]["verdict"], "sanitized");
  EXPECT_EQ(Item()["children"][2]["verdict"], "blocked");
  EXPECT_FALSE(Item()["quarantine_id"].is_null());  // the original archive is kept
  std::vector<ZipName> names = CentralNames(Out("in.zip"));
  std::set<std::string> got;
  for (const auto& n : names) got.insert(n.name);
  EXPECT_EQ(got, (std::set<std::string>{"docs/readme.txt", "docs/page.txt", "MUGAI-NOTICE.txt"}));
}

TEST_F(ArchiveCli, EicarEightLevelsDownIsFoundAndNothingIsDelivered) {
  std::string inner = Zip({{"eicar.com.txt", testing::Eicar()}});
  for (int depth = 1; depth < 8; ++depth) {
    inner = Zip({{"level" + std::to_string(depth) + ".zip", inner}, {"note.txt", "hello\n"}});
  }
  testing::WriteFile(dir_ / "nested.zip", inner);
  testing::RunResult r = Sanitize({dir_ / "nested.zip"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(Item()["verdict"], "blocked");
  EXPECT_EQ(Reason(), "malware");
  ASSERT_FALSE(Item()["threats"].empty());
  EXPECT_NE(Item()["threats"][0]["name"].get<std::string>().find("EICAR"), std::string::npos);
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
}

TEST_F(ArchiveCli, NestingDeeperThanTheLimitBlocksTheWholeArchive) {
  std::string inner = Zip({{"note.txt", "bottom\n"}});
  for (int depth = 1; depth < 5; ++depth) inner = Zip({{"l" + std::to_string(depth) + ".zip", inner}});
  testing::WriteFile(dir_ / "deep.zip", inner);
  testing::WriteFile(dir_ / "c.toml", "[archive]\nmax_depth = 3\n");
  testing::RunResult r = Sanitize({dir_ / "deep.zip"}, {"--config", dir_ / "c.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "archive_limit");
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("archive.max_depth"), std::string::npos);
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
  // Within the default limit the same nesting is delivered, zips inside the zip.
  testing::RunResult ok = Sanitize({dir_ / "deep.zip"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(CentralNames(Out("deep.zip")).at(0).name, "l4.zip");
}

TEST_F(ArchiveCli, TenThousandTinyMembersHitTheMemberLimit) {
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < 10000; ++i) files.push_back({"f" + std::to_string(i) + ".txt", "x\n"});
  testing::WriteFile(dir_ / "many.zip", Zip(files));
  // ClamAV's own limit (scan.max_files, 10000) would block it first, as scan_limit.
  testing::WriteFile(dir_ / "c.toml", "[scan]\nmax_files = 20000\n");
  testing::RunResult r = Sanitize({dir_ / "many.zip"}, {"--config", dir_ / "c.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "archive_limit");
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("archive.max_members"), std::string::npos);
}

struct FixtureCase {
  const char* file;
  int exit_code;
  const char* verdict;
  const char* reason;  // "" when delivered
};

TEST_F(ArchiveCli, CraftedFixtures) {
  const FixtureCase cases[] = {
      {"ratio-bomb.zip", 1, "blocked", "archive_limit"},
      {"overlap-bomb.zip", 1, "blocked", "archive_limit"},
      {"name-mismatch.zip", 1, "blocked", "archive_name"},
      {"encrypted-zipcrypto.zip", 1, "blocked", "encrypted"},
      {"encrypted-aes.zip", 1, "blocked", "encrypted"},
      {"encrypted.7z", 1, "blocked", "encrypted"},
      {"truncated.zip", 1, "blocked", "archive_broken"},
      {"empty.zip", 0, "sanitized", ""},
      {"mixed.7z", 0, "sanitized", ""},
      {"mixed.tar.gz", 0, "sanitized", ""},
      {"duplicates.zip", 0, "sanitized", ""},
  };
  for (const auto& c : cases) {
    testing::RunResult r = Sanitize({Fixture(c.file)});
    EXPECT_EQ(r.exit_code, c.exit_code) << c.file << r.err;
    EXPECT_EQ(Item()["verdict"], c.verdict) << c.file;
    EXPECT_EQ(Reason(), c.reason) << c.file << ": " << Item()["reason"].dump();
    if (std::string(c.verdict) == "blocked") {
      EXPECT_FALSE(Item()["quarantine_id"].is_null()) << c.file;
    }
  }
}

TEST_F(ArchiveCli, SevenZipAndTarGzBecomeZipsOfSanitisedMembers) {
  for (const char* f : {"mixed.7z", "mixed.tar.gz"}) {
    std::filesystem::remove_all(dir_ / "out");
    testing::RunResult r = Sanitize({Fixture(f)});
    ASSERT_EQ(r.exit_code, 0) << f << r.err;
    std::set<std::string> got;
    for (const auto& n : CentralNames(Out("mixed.zip"))) {
      got.insert(n.name);
      if (n.name.find_first_of("\x80\xFF") != std::string::npos) {
        EXPECT_TRUE(n.utf8_flag) << n.name;
      }
    }
    EXPECT_EQ(got, (std::set<std::string>{"お知らせ.txt", "資料/page.txt"})) << f;
  }
}

TEST_F(ArchiveCli, Cp932NamesAreDecodedAndWrittenAsFlaggedUtf8) {
  testing::RunResult r = Sanitize({Fixture("cp932-names.zip")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<ZipName> names = CentralNames(Out("cp932-names.zip"));
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].name, "予算要求.txt");
  EXPECT_EQ(names[1].name, "資料/議事録①.txt");
  EXPECT_TRUE(names[0].utf8_flag);
  EXPECT_TRUE(names[1].utf8_flag);
  EXPECT_EQ(Item()["children"][0]["name"], "予算要求.txt");
}

TEST_F(ArchiveCli, DocmInsideAZipComesOutAsADocxWithoutVba) {
  std::string docm = testing::ReadFile(testing::FixturesDir() + "/ooxml/docm-vba.docm");
  testing::WriteFile(dir_ / "office.zip", Zip({{"資料/plan.docm", docm}}));
  testing::RunResult r = Sanitize({dir_ / "office.zip"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<ZipName> names = CentralNames(Out("office.zip"));
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].name, "資料/plan.docx");
  EXPECT_EQ(Item()["children"][0]["verdict"], "sanitized");
  bool vba_removed = false;
  for (const auto& a : Item()["children"][0]["actions"]) {
    vba_removed = vba_removed || (a["action"] == "removed" &&
                                  a["detail"].get<std::string>().rfind("vba_project", 0) == 0);
  }
  EXPECT_TRUE(vba_removed) << Item()["children"][0]["actions"].dump();
}

TEST_F(ArchiveCli, TraversalNamesAreMadeRelative) {
  testing::RunResult r = Sanitize({Fixture("traversal.zip")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> got;
  for (const auto& n : CentralNames(Out("traversal.zip"))) got.insert(n.name);
  EXPECT_EQ(got, (std::set<std::string>{"etc/cron.d/evil.txt", "abs/path.txt",
                                        "Windows/three.txt", "a/b/c.txt"}));
}

TEST_F(ArchiveCli, PasswordOpensAnEncryptedZipAndAWrongOneDoesNot) {
  for (const char* f : {"encrypted-zipcrypto.zip", "encrypted-aes.zip"}) {
    std::filesystem::remove_all(dir_ / "out");
    testing::RunResult ok = Sanitize({Fixture(f)}, {"--password", "secret"});
    EXPECT_EQ(ok.exit_code, 0) << f << ok.err;
    EXPECT_EQ(Item()["verdict"], "sanitized") << f;
    EXPECT_EQ(Item()["children"].size(), 2u) << f;
    testing::RunResult bad = Sanitize({Fixture(f)}, {"--password", "wrong"});
    EXPECT_EQ(bad.exit_code, 1) << f;
    EXPECT_EQ(Reason(), "encrypted") << f;
    EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("does not open"),
              std::string::npos) << f;
  }
}

// 7z with a password (libarchive cannot decrypt 7z): blocked `encrypted` without it or with a
// wrong one; with it, the decryption helper's 7-Zip unpacks it (also with encrypted headers,
// -mhe=on) and what came out goes through the pipeline like a zip's members: a Japanese name
// kept, malware and an executable removed and listed, the rest delivered in a new zip.
TEST_F(ArchiveCli, SevenZipWithAPasswordIsUnpackedByTheDecryptionHelper) {
  if (access("/usr/bin/7z", X_OK) != 0) GTEST_SKIP() << "7-Zip (p7zip-full) is not installed";
  // The committed fixture: encrypted headers, password "secret".
  testing::RunResult r = Sanitize({Fixture("encrypted.7z")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "encrypted");
  r = Sanitize({Fixture("encrypted.7z")}, {"--password", "wrong"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "encrypted");
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("does not open"), std::string::npos)
      << Item().dump(1);
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
  r = Sanitize({Fixture("encrypted.7z")}, {"--password", "secret"});
  ASSERT_EQ(r.exit_code, 0) << Item().dump(1) << r.err;
  std::set<std::string> got;
  for (const auto& n : CentralNames(Out("encrypted.zip"))) got.insert(n.name);
  EXPECT_EQ(got, (std::set<std::string>{"お知らせ.txt", "資料/page.txt"}));

  // One made here, contents encrypted (headers not), an executable inside: removed and
  // listed, the rest delivered.
  std::filesystem::create_directories(dir_ / "src/書類");
  testing::WriteFile(dir_ / "src/書類/議事録.txt", "第3回会議の議事録です。\n");
  std::string pe = "MZ" + std::string(58, '\0') + std::string("\x40\0\0\0", 4) + std::string(64, '\0');
  pe.replace(64, 4, std::string("PE\0\0", 4));
  testing::WriteFile(dir_ / "src/請求書.pdf.exe", pe);
  auto seven_zip = [&](const std::string& archive, const std::string& password) {
    return testing::Run({"/bin/sh", "-c", "cd '" + (dir_ / "src") + "' && 7z a -bd -bso0 -t7z -p" +
                                              password + " ../" + archive + " ."});
  };
  ASSERT_EQ(seven_zip("made.7z", "pass123").exit_code, 0);
  std::filesystem::remove_all(dir_ / "out");
  r = Sanitize({dir_ / "made.7z"}, {"--password", "pass123"});
  ASSERT_EQ(r.exit_code, 0) << Item().dump(1) << r.err;
  EXPECT_EQ(Item()["verdict"], "sanitized");
  ASSERT_EQ(Item()["children"].size(), 1u);  // the decrypted archive
  const auto& tar = Item()["children"][0];
  EXPECT_EQ(tar["detected_type"], "application/x-tar");
  std::map<std::string, std::string> verdicts;
  for (const auto& c : tar["children"]) verdicts[c["name"]] = c["verdict"];
  EXPECT_EQ(verdicts["書類/議事録.txt"], "clean") << tar.dump(1);
  EXPECT_EQ(verdicts["請求書.pdf.exe"], "blocked");
  got.clear();
  for (const auto& n : CentralNames(Out("made.zip"))) got.insert(n.name);
  EXPECT_EQ(got, (std::set<std::string>{"書類/議事録.txt", "MUGAI-NOTICE.txt"}));

  // Malware inside is found once decrypted, as in any archive: nothing is delivered.
  testing::WriteFile(dir_ / "src/eicar.com", testing::Eicar());
  ASSERT_EQ(seven_zip("eicar.7z", "pass123").exit_code, 0);
  std::filesystem::remove_all(dir_ / "out");
  r = Sanitize({dir_ / "eicar.7z"}, {"--password", "pass123"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "malware") << Item().dump(1);
  EXPECT_NE(Item().dump().find("EICAR"), std::string::npos);
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());

  // The archive limits hold before 7-Zip writes anything: two members over max_members = 1.
  testing::WriteFile(dir_ / "one.toml", "[archive]\nmax_members = 1\n");
  std::filesystem::remove_all(dir_ / "out");
  r = Sanitize({Fixture("encrypted.7z")}, {"--password", "secret", "--config", dir_ / "one.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "archive_limit") << Item().dump(1);
  // (said by the helper's listing, before extraction: "would unpack to")
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("would unpack to 2 member(s)"),
            std::string::npos) << Item().dump(1);
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
  // Every helper's folder (the item, what was decrypted) is gone after each run.
  EXPECT_TRUE(testing::ListFiles(dir_ / "state/unlock").empty());
}

// Fail closed: a decryption helper that cannot run its tool blocks the item (kept in the
// quarantine) and says which setting to look at.
TEST_F(ArchiveCli, ADecryptionHelperWithoutItsToolBlocksTheItem) {
  testing::WriteFile(dir_ / "no7z.toml", "[unlock]\nseven_zip = \"/nonexistent/7z\"\n");
  testing::RunResult r = Sanitize({Fixture("encrypted.7z")},
                                  {"--password", "secret", "--config", dir_ / "no7z.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "conversion_failed") << Item().dump(1);
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("unlock.seven_zip"),
            std::string::npos) << Item().dump(1);
  EXPECT_FALSE(Item()["quarantine_id"].is_null());
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
}

// The members of an archive as path → bytes (the repository's own unpacker, no limits to speak of).
std::map<std::string, std::string> ArchiveMembers(const std::string& archive) {
  std::map<std::string, std::string> out;
  UnpackOutcome u = UnpackArchive(archive, "", "", ArchiveLimits{1000, 1 << 30, 1 << 30, 100000, 0});
  for (auto& m : u.archive.members) out[m.path] = m.bytes;
  return out;
}

// RAR with a password (libarchive cannot decrypt rar, Debian's 7-Zip has no RAR codec): The
// Unarchiver (unar) in the decryption helper opens RAR 5. RecursiveExtractor's test archives,
// password "TestData": blocked without it and with a wrong one; with it, the members come
// out byte for byte as in the same project's TestData.rar without a password. The archive
// limits hold before unar writes anything. RAR 4 with a password, which Debian 12's unar
// cannot decrypt, is blocked saying so; with unlock.unar emptied, 7-Zip is asked and the
// report says what would open it.
TEST_F(ArchiveCli, RarWithAPasswordOpensInTheDecryptionHelper) {
  std::string root = testing::CorporaDir() + "/recursive-extractor/archives/";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "corpus absent, skipped: " << root;
  if (access("/usr/bin/unar", X_OK) != 0) GTEST_SKIP() << "unar is not installed";
  const std::string rar5 = root + "TestDataEncrypted.rar";
  // libarchive reads an encrypted RAR 5 as damaged; its block headers say it is encrypted.
  testing::RunResult r = Sanitize({rar5});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "encrypted") << Item().dump(1);
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("resubmit it with the password"),
            std::string::npos) << Item().dump(1);
  r = Sanitize({rar5}, {"--password", "wrong"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "encrypted") << Item().dump(1);
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("does not open"), std::string::npos)
      << Item().dump(1);
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());

  r = Sanitize({rar5}, {"--password", "TestData"});
  ASSERT_EQ(r.exit_code, 0) << Item().dump(1) << r.err;
  EXPECT_NE(Item()["actions"].dump().find("The Unarchiver (unar) unpacked it"), std::string::npos)
      << Item().dump(1);
  std::map<std::string, std::string> got = ArchiveMembers(Out("TestDataEncrypted.zip"));
  // The same project's RAR 5 of the same files without a password, read by libarchive.
  std::map<std::string, std::string> want = ArchiveMembers(testing::ReadFile(root + "TestData.rar"));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got, want);
  EXPECT_NE(got["TestData/Lorem.txt"].find("Lorem ipsum"), std::string::npos);

  testing::WriteFile(dir_ / "two.toml", "[archive]\nmax_members = 2\n");
  std::filesystem::remove_all(dir_ / "out");
  r = Sanitize({rar5}, {"--password", "TestData", "--config", dir_ / "two.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "archive_limit") << Item().dump(1);
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("would unpack to 3 member(s)"),
            std::string::npos) << Item().dump(1);
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());

  for (const char* rar4 : {"TestDataEncrypted.rar4", "EncryptedWithPlainNames.rar4"}) {
    SCOPED_TRACE(rar4);
    r = Sanitize({root + rar4}, {"--password", "TestData"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(Reason(), "conversion_failed") << Item().dump(1);
    EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("encrypted RAR 4"),
              std::string::npos) << Item().dump(1);
    EXPECT_FALSE(Item()["quarantine_id"].is_null());
    EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
  }

  testing::WriteFile(dir_ / "nounar.toml", "[unlock]\nunar = \"\"\n");
  r = Sanitize({rar5}, {"--password", "TestData", "--config", dir_ / "nounar.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(Item()["reason"]["detail"].get<std::string>().find("7zip-rar"), std::string::npos)
      << Item().dump(1);
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
  EXPECT_TRUE(testing::ListFiles(dir_ / "state/unlock").empty());
}

TEST_F(ArchiveCli, BareGzipUnwrapsToItsContent) {
  std::string gz = dir_ / "report.txt.gz";
  testing::WriteFile(dir_ / "report.txt", "第一四半期の報告\n");
  ASSERT_EQ(testing::Run({"/bin/gzip", "-k", dir_ / "report.txt"}).exit_code, 0);
  testing::RunResult r = Sanitize({gz});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Out("report.txt"), "第一四半期の報告\n");
}

TEST_F(ArchiveCli, PolicyCanBlockAnArchiveWithABlockedMember) {
  testing::WriteFile(dir_ / "in.zip", Zip({{"a.txt", "fine\n"}, {"run.js", "alert(1)\n"}}));
  testing::WriteFile(dir_ / "c.toml", "[archive]\nblock_if_member_blocked = true\n");
  testing::RunResult r = Sanitize({dir_ / "in.zip"}, {"--config", dir_ / "c.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Reason(), "member_blocked");
  EXPECT_TRUE(testing::ListFiles(dir_ / "out").empty());
  testing::RunResult d = Sanitize({dir_ / "in.zip"});
  EXPECT_EQ(d.exit_code, 0);
  std::string zip = Out("in.zip");
  std::set<std::string> got;
  for (const auto& n : CentralNames(zip)) got.insert(n.name);
  EXPECT_EQ(got, (std::set<std::string>{"a.txt", "MUGAI-NOTICE.txt"}));
}

// Every corpus file: no crash, a verdict, bounded time and memory, no traversal name in any
// output. The worst time and memory are printed for the closing note.
void RunArchiveCorpus(const std::string& folder) {
  std::string dir = testing::CorporaDir() + "/" + folder;
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus absent, skipped: " << dir;
  testing::TempDir work;
  testing::WriteFile(work / "c.toml",
                     "[worker]\nwall_seconds = 20\ncpu_seconds = 20\n[archive]\nmax_seconds = 60\n");
  double worst_seconds = 0;
  long worst_kib = 0;
  std::string worst_time_file, worst_mem_file;
  int n = 0, blocked = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename() == "MANIFEST.tsv") continue;
    std::string file = e.path().string();
    std::string out = work / ("out-" + std::to_string(n++));
    testing::RunResult r = testing::Run(
        {"/usr/bin/time", "-f", "@@%e %M", testing::MugaiBinary(), "sanitize", "--quiet",
         "--signatures", testing::SignaturesDir(), "--state", work / "state", "--out", out,
         "--report", "-", "--config", work / "c.toml", file});
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << file << " exit " << r.exit_code << r.err;
    json item = json::parse(r.out)["items"][0];
    std::string verdict = item["verdict"];
    ASSERT_TRUE(verdict == "clean" || verdict == "sanitized" || verdict == "blocked") << file;
    if (verdict == "blocked") ++blocked;
    size_t at = r.err.rfind("@@");
    ASSERT_NE(at, std::string::npos) << r.err;
    double seconds = 0;
    long kib = 0;
    std::istringstream(r.err.substr(at + 2)) >> seconds >> kib;
    if (seconds > worst_seconds) worst_seconds = seconds, worst_time_file = file;
    if (kib > worst_kib) worst_kib = kib, worst_mem_file = file;
    for (const auto& name : testing::ListFiles(out)) {
      std::string bytes = testing::ReadFile(out + "/" + name);
      if (bytes.rfind("PK", 0) != 0) continue;
      for (const auto& z : CentralNames(bytes)) {
        EXPECT_EQ(z.name.find(".."), std::string::npos) << file << ": " << z.name;
        EXPECT_NE(z.name.front(), '/') << file << ": " << z.name;
        EXPECT_EQ(z.name.find('\\'), std::string::npos) << file << ": " << z.name;
      }
    }
  }
  std::printf("[corpus %s] %d files, %d blocked; worst time %.2f s (%s); worst memory %ld KiB (%s)\n",
              folder.c_str(), n, blocked, worst_seconds, worst_time_file.c_str(), worst_kib,
              worst_mem_file.c_str());
  EXPECT_LT(worst_seconds, 120.0);  // every limit fired well before the run would hang
}

TEST(ArchiveCorpus, Libarchive) { RunArchiveCorpus("libarchive"); }
TEST(ArchiveCorpus, RecursiveExtractor) { RunArchiveCorpus("recursive-extractor"); }

}  // namespace
}  // namespace mugai
