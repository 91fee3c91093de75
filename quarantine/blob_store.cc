// Blob store: atomic, durable, idempotent writes of quarantined originals.
#include "quarantine/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.h"

namespace mugai {

namespace {
bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
}  // namespace

std::string BlobStore::PathOf(const std::string& sha256_hex) const {
  if (!IsHex64(sha256_hex)) return "";
  std::string path = root_ + "/" + sha256_hex.substr(0, 2) + "/" + sha256_hex;
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? path : "";
}

Result<std::string> BlobStore::Put(const std::string& sha256_hex, std::string_view bytes) {
  if (!IsHex64(sha256_hex)) return Status{StatusCode::kInvalidArgument, "bad sha256"};
  std::string dir = root_ + "/" + sha256_hex.substr(0, 2);
  if (Status s = MakeDirs(dir, 0700); !s.ok()) return s;
  std::string path = dir + "/" + sha256_hex;
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == bytes.size()) {
    // Same name and size: keep it only if it really is the same content.
    Result<std::string> existing = ReadFileLimited(path, bytes.size());
    if (existing.ok() && Sha256Hex(existing.value()) == sha256_hex) return path;
  }
  if (Status s = WriteFileAtomically(path, bytes, 0600, /*replace=*/true); !s.ok()) return s;
  return path;
}

}  // namespace mugai
