// Content-addressed store of originals: <root>/<aa>/<sha256>. Files 0600, folders 0700.
// Runs in the supervisor; it only moves bytes, never parses them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mugai {

class BlobStore {
 public:
  explicit BlobStore(std::string root) : root_(std::move(root)) {}

  // Stores `bytes` whose sha256 is `sha256_hex` (the caller computed it). Idempotent: an
  // existing blob is kept. Written to a temporary name, fsync'd, then renamed. Returns the
  // blob's path, or kIo (the caller must then fail the item closed).
  Result<std::string> Put(const std::string& sha256_hex, std::string_view bytes);

  // Stores the file at `path` by streaming it (any size, constant memory): copied to a
  // temporary name while its sha256 is computed, fsync'd, then renamed to its hash.
  // Returns the sha256 (the blob's id), or kIo.
  Result<std::string> PutFile(const std::string& path);

  // Path of a stored blob ("" when absent).
  std::string PathOf(const std::string& sha256_hex) const;

  // The ids (sha256) of every stored blob, sorted; temporary files are not listed. An absent
  // root is an empty store; kIo when it cannot be read.
  Result<std::vector<std::string>> List() const;

  // Removes the blob `sha256_hex` (an absent blob is not an error). kInvalidArgument for a
  // bad id, kIo when it cannot be removed.
  Status Remove(const std::string& sha256_hex);

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace mugai
