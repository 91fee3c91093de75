// Content-addressed store of originals. Runs in the supervisor; it only moves bytes, never
// parses them. Two kinds (quarantine.blob_store):
//  - "directory": <root>/<aa>/<sha256>, files 0600, folders 0700 (the state folder, or
//    quarantine.blob_dir on storage every node mounts);
//  - "database": table blobs of the PostgreSQL quarantine database. PathOf then copies the
//    blob into <cache>/<sha256> (0600) for its reader, who Release()s it after use; a copy
//    left by a crash is removed at the next start (SweepCopies) or kBlobCacheSeconds after.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "quarantine/sql_conn.h"

namespace mugai {

// How long a database blob's local copy (PathOf) is kept for its reader.
inline constexpr int kBlobCacheSeconds = 600;

class BlobStore {
 public:
  explicit BlobStore(std::string root) : root_(std::move(root)) {}
  // Blobs in the database behind `db`; `cache` is a private local folder for PathOf's copies.
  BlobStore(std::shared_ptr<SqlConn> db, std::string cache)
      : root_(std::move(cache)), db_(std::move(db)), mutex_(std::make_shared<std::mutex>()) {}

  bool in_database() const { return db_ != nullptr; }

  // Stores `bytes` whose sha256 is `sha256_hex` (the caller computed it). Idempotent: an
  // existing blob is kept. Written to a temporary name, fsync'd, then renamed. Returns the
  // blob's path, or kIo (the caller must then fail the item closed).
  Result<std::string> Put(const std::string& sha256_hex, std::string_view bytes);

  // Stores the file at `path` by streaming it (any size, constant memory): copied to a
  // temporary name while its sha256 is computed, fsync'd, then renamed to its hash.
  // Returns the sha256 (the blob's id), or kIo.
  Result<std::string> PutFile(const std::string& path);

  // Path of a stored blob ("" when absent, or when the database cannot be read).
  std::string PathOf(const std::string& sha256_hex) const;

  // The ids (sha256) of every stored blob, sorted; temporary files are not listed. An absent
  // root is an empty store; kIo when it cannot be read.
  Result<std::vector<std::string>> List() const;

  // Removes the blob `sha256_hex` (an absent blob is not an error). kInvalidArgument for a
  // bad id or a database store (QuarantineIndex::Purge deletes those in its transaction), kIo
  // when it cannot be removed.
  Status Remove(const std::string& sha256_hex);

  // After the database's row went (the index deleted it in its purge transaction): removes
  // this node's copy and lets PostgreSQL reclaim the space (VACUUM). No-op for a directory.
  void Forget(const std::string& sha256_hex);

  // Database store: removes a copy PathOf made (its reader is done). No-op for a directory.
  void Release(const std::string& path);
  // Database store: removes copies older than kBlobCacheSeconds (`all`: every copy; at start).
  void SweepCopies(bool all = false) const;

  const std::string& root() const { return root_; }

 private:

  std::string root_;  // the store (directory) or the copies' folder (database)
  std::shared_ptr<SqlConn> db_;
  std::shared_ptr<std::mutex> mutex_;  // db_ is one connection
};

// Stores a database original (table blobs; an existing one is kept) on `db`, in whatever
// transaction is open there.
Status PutBlobRow(SqlConn& db, const std::string& sha256_hex, std::string_view bytes);

}  // namespace mugai
