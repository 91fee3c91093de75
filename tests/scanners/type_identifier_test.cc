// libmagic identification of the types the policy depends on.
#include "scanners/type_identifier.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace mugai {
namespace {

class TypeIdentifierTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(id_.Load().ok()); }
  TypeIdentifier id_;
};

TEST_F(TypeIdentifierTest, IdentifiesByContentNotName) {
  EXPECT_EQ(id_.Identify("hello, world\n").mime, "text/plain");
  EXPECT_EQ(id_.Identify("<html><body><p>hi</p></body></html>\n").mime, "text/html");
  EXPECT_EQ(id_.Identify("").mime, "inode/x-empty");
  std::string elf = testing::ReadFile("/bin/true");
  std::string elf_type = id_.Identify(elf).mime;
  EXPECT_TRUE(elf_type == "application/x-pie-executable" || elf_type == "application/x-sharedlib" ||
              elf_type == "application/x-executable")
      << elf_type;
}

TEST_F(TypeIdentifierTest, RandomBytesAreUnknown) {
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<char>((i * 7919 + 13) % 251));
  DetectedType t = id_.Identify(bytes, true);
  EXPECT_EQ(t.mime, "application/octet-stream");
  EXPECT_FALSE(t.description.empty());
}

TEST_F(TypeIdentifierTest, DescriptionOnlyWhenAsked) {
  EXPECT_EQ(id_.Identify("plain\n").description, "");
  EXPECT_NE(id_.Identify("plain\n", true).description, "");
}

}  // namespace
}  // namespace mugai
