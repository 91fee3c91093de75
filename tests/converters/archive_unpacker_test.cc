// ArchiveUnpacker: name decoding and neutralising, limits, encryption, zip name checks.
#include "converters/archive/archive_unpacker.h"

#include <gtest/gtest.h>

#include "converters/archive/zip_builder.h"
#include "test_support.h"

namespace mugai {
namespace {

ArchiveLimits Generous() { return ArchiveLimits{1000, 1 << 26, 1 << 27, 200, 1 << 20}; }

std::string Zip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<ZipEntry> entries;
  for (const auto& [name, bytes] : files) entries.push_back({name, &bytes});
  return BuildZip(entries).value();
}

TEST(SafeMemberPath, Table) {
  struct Case {
    std::string raw, want;
    bool cp932;
    bool why;
  };
  const Case cases[] = {
      {"docs/a.txt", "docs/a.txt", false, false},
      {"./docs//a.txt", "docs/a.txt", false, false},
      {"../../etc/passwd", "etc/passwd", false, true},
      {"/etc/passwd", "etc/passwd", false, true},
      {"C:\\Windows\\win.ini", "Windows/win.ini", false, true},
      {"a\\..\\..\\b.txt", "a/b.txt", false, true},
      {"dir\x01x/f.txt", "dir_x/f.txt", false, false},
      {"what?.txt", "what_.txt", false, false},
      {"\x97\x5C\x8E\x5A.txt", "予算.txt", true, false},  // 0x5C inside a CP932 character
      {"..", "", false, true},
      {"", "", false, true},
  };
  for (const auto& c : cases) {
    std::string why;
    bool cp932 = false;
    EXPECT_EQ(SafeMemberPath(c.raw, &why, &cp932), c.want) << c.raw;
    EXPECT_EQ(cp932, c.cp932) << c.raw;
    EXPECT_EQ(!why.empty(), c.why) << c.raw << ": " << why;
  }
  std::string why;
  bool cp932 = false;
  EXPECT_EQ(SafeMemberPath("\xFF\xFE\xFD", &why, &cp932), "");  // neither UTF-8 nor CP932
}

TEST(UncompressedName, Table) {
  EXPECT_EQ(UncompressedName("report.txt.gz"), "report.txt");
  EXPECT_EQ(UncompressedName("REPORT.TXT.BZ2"), "REPORT.TXT");
  EXPECT_EQ(UncompressedName("x.tgz"), "x.tar");
  EXPECT_EQ(UncompressedName("data.xz"), "data");
  EXPECT_EQ(UncompressedName("noext"), "noext");
  EXPECT_EQ(UncompressedName(""), "data");
}

TEST(UnpackArchive, MembersComeOutWithTheirBytes) {
  UnpackOutcome u = UnpackArchive(Zip({{"a/b.txt", "hello"}, {"c.txt", ""}}), "x", "", Generous());
  ASSERT_EQ(u.problem, ArchiveProblem::kNone) << u.detail;
  ASSERT_EQ(u.archive.members.size(), 2u);
  EXPECT_EQ(u.archive.members[0].path, "a/b.txt");
  EXPECT_EQ(u.archive.members[0].bytes, "hello");
  EXPECT_EQ(u.archive.members[1].bytes, "");
  EXPECT_EQ(u.archive.expanded_bytes, 5u);
}

TEST(UnpackArchive, EachLimitStopsTheWholeArchive) {
  std::string big(2 << 20, 'a');
  std::string zip = Zip({{"a.txt", big}, {"b.txt", big}});
  ArchiveLimits members = Generous();
  members.max_members = 1;
  EXPECT_EQ(UnpackArchive(zip, "", "", members).problem, ArchiveProblem::kLimit);
  ArchiveLimits member_bytes = Generous();
  member_bytes.max_member_bytes = 1 << 20;
  UnpackOutcome u = UnpackArchive(zip, "", "", member_bytes);
  EXPECT_EQ(u.problem, ArchiveProblem::kLimit);
  EXPECT_TRUE(u.archive.members.empty());  // never a partial listing
  ArchiveLimits total = Generous();
  total.max_total_bytes = 3 << 20;
  EXPECT_EQ(UnpackArchive(zip, "", "", total).problem, ArchiveProblem::kLimit);
  ArchiveLimits ratio = Generous();  // 4 MiB of 'a' compress to a few KiB
  ratio.max_ratio = 50;
  EXPECT_NE(UnpackArchive(zip, "", "", ratio).detail.find("ratio"), std::string::npos);
}

TEST(UnpackArchive, HostileFixtures) {
  auto fixture = [](const std::string& n) {
    return testing::ReadFile(testing::FixturesDir() + "/archive/" + n);
  };
  EXPECT_EQ(UnpackArchive(fixture("name-mismatch.zip"), "", "", Generous()).problem,
            ArchiveProblem::kBadName);
  EXPECT_EQ(UnpackArchive(fixture("truncated.zip"), "", "", Generous()).problem,
            ArchiveProblem::kMalformed);
  EXPECT_EQ(UnpackArchive(fixture("encrypted-aes.zip"), "", "", Generous()).problem,
            ArchiveProblem::kEncrypted);
  EXPECT_EQ(UnpackArchive(fixture("encrypted-aes.zip"), "", "secret", Generous()).problem,
            ArchiveProblem::kNone);
  EXPECT_EQ(UnpackArchive(fixture("overlap-bomb.zip"), "", "", Generous()).problem,
            ArchiveProblem::kLimit);
  UnpackOutcome cp = UnpackArchive(fixture("cp932-names.zip"), "", "", Generous());
  ASSERT_EQ(cp.problem, ArchiveProblem::kNone);
  EXPECT_EQ(cp.archive.members[1].path, "資料/議事録①.txt");
  UnpackOutcome empty = UnpackArchive(fixture("empty.zip"), "", "", Generous());
  EXPECT_EQ(empty.problem, ArchiveProblem::kNone);
  EXPECT_TRUE(empty.archive.members.empty());
}

TEST(UnpackArchive, NotAnArchiveIsMalformed) {
  EXPECT_EQ(UnpackArchive("just some text", "", "", Generous()).problem,
            ArchiveProblem::kMalformed);
  EXPECT_EQ(UnpackArchive("", "", "", Generous()).problem, ArchiveProblem::kMalformed);
  EXPECT_EQ(UnpackArchive("PK", "", "", Generous()).problem, ArchiveProblem::kMalformed);
}

}  // namespace
}  // namespace mugai
