// ArchiveUnpacker: name decoding and neutralising, limits, encryption, zip name checks.
#include "converters/archive/archive_unpacker.h"

#include <gtest/gtest.h>

#include <filesystem>

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

// RAR 5 block headers, crafted: an archive encryption header right after the signature
// (names encrypted), a file header whose extra area holds an encryption record, the same
// without it, and headers that claim more than there is.
TEST(Rar5HasEncryption, CraftedHeaders) {
  const std::string sig("Rar!\x1A\x07\x01\x00", 8);
  const std::string crc(4, '\0');  // not checked: only the structure is read
  auto block = [&](const std::string& body) {  // body: type, flags, ... extra area
    return crc + std::string(1, static_cast<char>(body.size())) + body;
  };
  // Main archive header (type 1, no flags, archive flags 0), then an end of archive.
  const std::string main = block(std::string("\x01\x00\x00", 3));
  const std::string end = block(std::string("\x05\x00\x00", 3));
  EXPECT_TRUE(Rar5HasEncryption(sig + block(std::string("\x04\x00\x00\x00", 4))));
  // File header: type 2, flags 3 (extra area, data area), extra size 3, data size 2, then
  // file fields (flags, size, attributes, compression, host, name length 1, "a") and the
  // extra area: a record of size 2, type 1 (encryption), one byte of it.
  std::string fields("\x00\x02\x00\x00\x00\x01" "a", 7);
  std::string encrypted_file = block(std::string("\x02\x03\x03\x02", 4) + fields +
                                     std::string("\x02\x01\x00", 3)) + "xx";
  EXPECT_TRUE(Rar5HasEncryption(sig + main + encrypted_file + end));
  // The same with a record of type 2 (file hash would be): not encrypted.
  std::string plain_file = block(std::string("\x02\x03\x03\x02", 4) + fields +
                                 std::string("\x02\x02\x00", 3)) + "xx";
  EXPECT_FALSE(Rar5HasEncryption(sig + main + plain_file + end));
  // A data area longer than the file, a header longer than the file, RAR 4, not RAR at all.
  EXPECT_FALSE(Rar5HasEncryption(sig + main + plain_file.substr(0, plain_file.size() - 1)));
  EXPECT_FALSE(Rar5HasEncryption(sig + crc + "\x7f\x04"));
  EXPECT_FALSE(Rar5HasEncryption(std::string("Rar!\x1A\x07\x00", 7) + "\x04\x00"));
  EXPECT_FALSE(Rar5HasEncryption("just text"));
  EXPECT_FALSE(Rar5HasEncryption(sig));
  // An endless run of vint continuation bytes stops at the end of the input.
  EXPECT_FALSE(Rar5HasEncryption(sig + crc + std::string(100, '\xff')));
}

// Real RAR 5 archives: libarchive reads the encrypted ones as damaged; UnpackArchive says
// `encrypted` (and a plain one unpacks, a damaged non-encrypted one stays malformed).
TEST(Rar5HasEncryption, CorpusArchives) {
  const std::string re = testing::CorporaDir() + "/recursive-extractor/archives/";
  const std::string la = testing::CorporaDir() + "/libarchive/";
  if (!std::filesystem::exists(re) || !std::filesystem::exists(la)) {
    GTEST_SKIP() << "corpus absent, skipped: " << re << ", " << la;
  }
  for (const std::string& encrypted :
       {re + "TestDataEncrypted.rar", la + "test_read_format_rar5_encrypted.rar",
        la + "test_read_format_rar5_encrypted_filenames.rar",
        la + "test_read_format_rar5_solid_encrypted.rar"}) {
    SCOPED_TRACE(encrypted);
    std::string bytes = testing::ReadFile(encrypted);
    EXPECT_TRUE(Rar5HasEncryption(bytes));
    EXPECT_EQ(UnpackArchive(bytes, "", "", Generous()).problem, ArchiveProblem::kEncrypted);
  }
  std::string plain = testing::ReadFile(re + "TestData.rar");
  EXPECT_FALSE(Rar5HasEncryption(plain));
  EXPECT_EQ(UnpackArchive(plain, "", "", Generous()).problem, ArchiveProblem::kNone);
  EXPECT_FALSE(Rar5HasEncryption(testing::ReadFile(re + "TestDataEncrypted.rar4")));
}

}  // namespace
}  // namespace mugai
