// Content-addressed quarantine blobs: right place, right mode, idempotent.
#include "quarantine/blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "common/file_util.h"
#include "test_support.h"

namespace mugai {
namespace {

TEST(BlobStore, StoresByHashWithPrivateModes) {
  testing::TempDir dir;
  BlobStore store(dir / "blobs");
  std::string bytes = "original bytes";
  std::string sha = Sha256Hex(bytes);
  Result<std::string> path = store.Put(sha, bytes);
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(path.value(), dir / "blobs/" + sha.substr(0, 2) + "/" + sha);
  EXPECT_EQ(testing::ReadFile(path.value()), bytes);
  struct stat st;
  ASSERT_EQ(stat(path.value().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir / "blobs/" + sha.substr(0, 2)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(store.PathOf(sha), path.value());
  // Idempotent.
  EXPECT_TRUE(store.Put(sha, bytes).ok());
}

TEST(BlobStore, RejectsABadHash) {
  testing::TempDir dir;
  BlobStore store(dir.path());
  EXPECT_FALSE(store.Put("../../etc/passwd", "x").ok());
  EXPECT_EQ(store.PathOf("nothex"), "");
}

TEST(BlobStore, UnwritableRootIsAnError) {
  BlobStore store("/proc/mugai-cannot-write-here");
  EXPECT_FALSE(store.Put(Sha256Hex("x"), "x").ok());
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

TEST(BlobStore, PutFileStreamsAndNamesByHash) {
  testing::TempDir dir;
  std::string big(3 << 20, 'x');  // larger than the copy buffer
  big += "end";
  testing::WriteFile(dir / "original.bin", big);
  BlobStore store(dir / "blobs");
  Result<std::string> id = store.PutFile(dir / "original.bin");
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(id.value(), Sha256Hex(big));
  EXPECT_EQ(testing::ReadFile(store.PathOf(id.value())), big);
  EXPECT_FALSE(store.PutFile(dir / "missing").ok());
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

TEST(BlobStore, ListsAndRemovesBlobs) {
  testing::TempDir dir;
  BlobStore store(dir / "blobs");
  Result<std::vector<std::string>> ids = store.List();
  ASSERT_TRUE(ids.ok());  // an absent root is an empty store
  EXPECT_TRUE(ids->empty());
  std::string a = Sha256Hex("a"), b = Sha256Hex("b");
  ASSERT_TRUE(store.Put(a, "a").ok());
  ASSERT_TRUE(store.Put(b, "b").ok());
  testing::WriteFile(dir / "blobs/.incoming-123456", "partial");  // a temporary is not a blob
  ids = store.List();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids.value(), (std::vector<std::string>{std::min(a, b), std::max(a, b)}));
  ASSERT_TRUE(store.Remove(a).ok());
  EXPECT_EQ(store.PathOf(a), "");
  EXPECT_TRUE(store.Remove(a).ok());  // already gone
  EXPECT_FALSE(store.Remove("../x").ok());
  EXPECT_EQ(store.List()->size(), 1u);
}

}  // namespace
}  // namespace mugai
