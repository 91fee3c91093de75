// Blob store: atomic, durable, idempotent writes of quarantined originals.
#include "quarantine/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <ctime>

#include <openssl/evp.h>

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

// Appends to `ids` the blob names in `dir` (one <aa> folder). false when it cannot be read.
bool ListFolder(const std::string& dir, std::vector<std::string>& ids) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (IsHex64(name)) ids.push_back(name);
  }
  closedir(d);
  return true;
}
}  // namespace

Result<std::string> BlobStore::PutFile(const std::string& path) {
  if (db_) {
    Result<std::string> bytes = ReadFileLimited(path, UINT64_MAX);
    if (!bytes.ok()) return bytes.status();
    std::string sha = Sha256Hex(bytes.value());
    Result<std::string> put = Put(sha, bytes.value());
    if (!put.ok()) return put.status();
    return sha;
  }
  if (Status s = MakeDirs(root_, 0700); !s.ok()) return s;
  int in = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return Status{StatusCode::kIo, "cannot open '" + path + "': " + strerror(errno)};
  std::string tmp = root_ + "/.incoming-XXXXXX";
  int out = mkostemp(tmp.data(), O_CLOEXEC);
  if (out < 0) {
    close(in);
    return Status{StatusCode::kIo, "cannot create a file in '" + root_ + "': " + strerror(errno)};
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  char buf[1 << 16];
  bool ok = true;
  for (ssize_t n; ok && (n = read(in, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      ok = errno == EINTR;
      continue;
    }
    EVP_DigestUpdate(md, buf, static_cast<size_t>(n));
    for (ssize_t done = 0; ok && done < n;) {
      ssize_t w = write(out, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      ok = w > 0;
      done += w > 0 ? w : 0;
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md, digest, &len);
  EVP_MD_CTX_free(md);
  close(in);
  ok = ok && fchmod(out, 0600) == 0 && fsync(out) == 0;
  if (close(out) != 0) ok = false;
  std::string hex;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  std::string dir = root_ + "/" + hex.substr(0, 2);
  ok = ok && MakeDirs(dir, 0700).ok() && rename(tmp.c_str(), (dir + "/" + hex).c_str()) == 0;
  if (!ok) {
    unlink(tmp.c_str());
    return Status{StatusCode::kIo, "cannot store '" + path + "' in the quarantine"};
  }
  return hex;
}

void BlobStore::Release(const std::string& path) {
  if (!db_ || path.empty() || path.rfind(root_ + "/", 0) != 0) return;
  std::lock_guard<std::mutex> lock(*mutex_);
  unlink(path.c_str());
}

void BlobStore::SweepCopies(bool all) const {
  if (!db_) return;
  DIR* d = opendir(root_.c_str());
  if (d == nullptr) return;
  time_t now = time(nullptr);
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = root_ + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) == 0 && (all || now - st.st_mtime > kBlobCacheSeconds)) {
      unlink(path.c_str());
    }
  }
  closedir(d);
}

std::string BlobStore::PathOf(const std::string& sha256_hex) const {
  if (!IsHex64(sha256_hex)) return "";
  if (db_) {
    std::lock_guard<std::mutex> lock(*mutex_);
    SweepCopies();
    Result<std::vector<SqlRow>> rows =
        db_->Query("SELECT bytes FROM blobs WHERE sha256 = $1", {sha256_hex});
    if (!rows.ok() || rows->empty() || !rows->front()[0]) return "";
    std::string path = root_ + "/" + sha256_hex;
    if (!MakeDirs(root_, 0700).ok() ||
        !WriteFileAtomically(path, *rows->front()[0], 0600, /*replace=*/true).ok()) {
      return "";
    }
    return path;
  }
  std::string path = root_ + "/" + sha256_hex.substr(0, 2) + "/" + sha256_hex;
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? path : "";
}

Result<std::string> BlobStore::Put(const std::string& sha256_hex, std::string_view bytes) {
  if (!IsHex64(sha256_hex)) return Status{StatusCode::kInvalidArgument, "bad sha256"};
  if (db_) {
    std::lock_guard<std::mutex> lock(*mutex_);
    // Committed (autocommit) before the index row names it: a crash in between leaves an
    // orphan that reconcile reports, never a row without its original.
    if (Status s = PutBlobRow(*db_, sha256_hex, bytes); !s.ok()) return s;
    return "database:" + sha256_hex;
  }
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

Result<std::vector<std::string>> BlobStore::List() const {
  std::vector<std::string> ids;
  if (db_) {
    std::lock_guard<std::mutex> lock(*mutex_);
    Result<std::vector<SqlRow>> rows = db_->Query("SELECT sha256 FROM blobs ORDER BY sha256");
    if (!rows.ok()) return rows.status();
    for (const SqlRow& r : rows.value()) ids.push_back(r[0].value_or(""));
    return ids;
  }
  DIR* root = opendir(root_.c_str());
  if (root == nullptr) {
    if (errno == ENOENT) return ids;
    return Status{StatusCode::kIo, "cannot read '" + root_ + "': " + strerror(errno)};
  }
  bool ok = true;
  while (struct dirent* e = readdir(root)) {
    std::string name = e->d_name;
    bool prefix = name.size() == 2 && IsHex64(name + std::string(62, '0'));
    if (prefix) ok = ListFolder(root_ + "/" + name, ids) && ok;
  }
  closedir(root);
  if (!ok) return Status{StatusCode::kIo, "cannot read a folder of '" + root_ + "'"};
  std::sort(ids.begin(), ids.end());
  return ids;
}

void BlobStore::Forget(const std::string& sha256_hex) {
  if (!db_ || !IsHex64(sha256_hex)) return;
  std::lock_guard<std::mutex> lock(*mutex_);
  unlink((root_ + "/" + sha256_hex).c_str());
  // The row's bytes stay in the table's pages until VACUUM marks them free and new rows
  // overwrite them (docs/SCALE-OUT.md: what a purge leaves behind).
  (void)db_->Script("VACUUM blobs");
}

Status PutBlobRow(SqlConn& db, const std::string& sha256_hex, std::string_view bytes) {
  return db.Exec(
      "INSERT INTO blobs (sha256, size, bytes) VALUES ($1, $2, $3) "
      "ON CONFLICT (sha256) DO NOTHING",
      {sha256_hex, static_cast<int64_t>(bytes.size()), SqlParam::Binary(std::string(bytes))});
}

Status BlobStore::Remove(const std::string& sha256_hex) {
  if (!IsHex64(sha256_hex)) return {StatusCode::kInvalidArgument, "bad sha256"};
  if (db_) {
    // A database original goes in the index's purge transaction, with its row's change.
    return {StatusCode::kInvalidArgument, "a database original is removed by the index's purge"};
  }
  std::string path = root_ + "/" + sha256_hex.substr(0, 2) + "/" + sha256_hex;
  // Overwrite with zeros and sync before unlinking, so the content does not linger in free
  // blocks. (On copy-on-write file systems and SSDs this is best effort; use an encrypted
  // volume for the state folder where that matters: docs/QUARANTINE.md.)
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      std::string zeros(64 * 1024, '\0');
      off_t left = st.st_size;
      off_t at = 0;
      while (left > 0) {
        size_t n = static_cast<size_t>(std::min<off_t>(left, static_cast<off_t>(zeros.size())));
        ssize_t w = pwrite(fd, zeros.data(), n, at);
        if (w <= 0) break;
        at += w;
        left -= w;
      }
      fsync(fd);
    }
    close(fd);
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return {StatusCode::kIo, "cannot remove '" + path + "': " + strerror(errno)};
  }
  return Status::Ok();
}

}  // namespace mugai
