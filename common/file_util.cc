// File helpers: every write is temp + fsync + rename, every read is bounded.
#include "common/file_util.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

namespace mugai {

namespace {
std::string Errno(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + strerror(errno);
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return {StatusCode::kIo, Errno("cannot write", path)};
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}
}  // namespace

Status MakeDirs(const std::string& path, mode_t mode) {
  if (path.empty()) return {StatusCode::kInvalidArgument, "empty directory name"};
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
      return {StatusCode::kIo, Errno("cannot create directory", partial)};
    }
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return {StatusCode::kIo, "'" + path + "' is not a directory"};
  }
  return Status::Ok();
}

Result<std::string> ReadFileLimited(const std::string& path, uint64_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    return Status{errno == ENOENT ? StatusCode::kNotFound : StatusCode::kIo,
                  Errno("cannot open", path)};
  }
  std::unique_ptr<int, void (*)(int*)> guard(&fd, [](int* f) { close(*f); });
  struct stat st;
  if (fstat(fd, &st) != 0) return Status{StatusCode::kIo, Errno("cannot stat", path)};
  if (!S_ISREG(st.st_mode)) {
    return Status{StatusCode::kInvalidArgument, "'" + path + "' is not a regular file"};
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status{StatusCode::kLimit, "'" + path + "' is " + std::to_string(st.st_size) +
                                          " bytes, over the limit of " +
                                          std::to_string(max_bytes)};
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  std::array<char, 65536> buf;
  while (true) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status{StatusCode::kIo, Errno("cannot read", path)};
    }
    if (n == 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
    if (out.size() > max_bytes) {  // the file grew while we read it
      return Status{StatusCode::kLimit, "'" + path + "' grew over the limit while being read"};
    }
  }
  return out;
}

Status WriteUserFile(const std::string& path, std::string_view bytes, mode_t mode) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) return {StatusCode::kInvalidArgument, "'" + path + "' is a folder"};
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return {StatusCode::kIo, Errno("cannot open", path)};
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(fd);
        return {StatusCode::kIo, Errno("cannot write", path)};
      }
      done += static_cast<size_t>(n);
    }
    close(fd);
    return Status::Ok();
  }
  return WriteFileAtomically(path, bytes, mode, /*replace=*/true);
}

std::string CollisionName(const std::string& name, int n) {
  size_t dot = name.rfind('.');
  std::string suffix = " (" + std::to_string(n) + ")";
  if (dot == std::string::npos || dot == 0) return name + suffix;
  return name.substr(0, dot) + suffix + name.substr(dot);
}

Result<std::string> WriteNewFile(const std::string& dir, const std::string& name,
                                 std::string_view bytes) {
  Status last;
  for (int n = 0; n < 1000; ++n) {
    std::string path = dir + "/" + (n == 0 ? name : CollisionName(name, n));
    struct stat st;
    if (lstat(path.c_str(), &st) == 0) continue;
    last = WriteFileAtomically(path, bytes, 0644, /*replace=*/false);
    if (last.ok()) return path;
    if (lstat(path.c_str(), &st) != 0) break;  // failed for another reason than a race
  }
  return last.ok() ? Status{StatusCode::kIo, "no free output name for " + name + " in " + dir}
                   : last;
}

Result<std::string> ReadFdLimited(int fd, uint64_t max_bytes, const std::string& what) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Status{StatusCode::kIo, Errno("cannot stat", what)};
  off_t offset = 0;
  const bool seekable = S_ISREG(st.st_mode);
  if (seekable && static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status{StatusCode::kLimit, "'" + what + "' is " + std::to_string(st.st_size) +
                                          " bytes, over the limit of " + std::to_string(max_bytes)};
  }
  std::string out;
  std::array<char, 65536> buf;
  while (true) {
    // pread on files (the descriptor's offset is shared with the sender), read on pipes.
    ssize_t n = seekable ? pread(fd, buf.data(), buf.size(), offset) : read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status{StatusCode::kIo, Errno("cannot read", what)};
    }
    if (n == 0) break;
    offset += n;
    out.append(buf.data(), static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return Status{StatusCode::kLimit, "'" + what + "' is over the limit of " +
                                            std::to_string(max_bytes) + " bytes"};
    }
  }
  return out;
}

Status WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode,
                           bool replace) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = dir + "/.mugai-tmp-" + std::to_string(getpid()) + "-XXXXXX";
  std::unique_ptr<char[]> templ(new char[tmp.size() + 1]);
  memcpy(templ.get(), tmp.c_str(), tmp.size() + 1);
  int fd = mkostemp(templ.get(), O_CLOEXEC);
  if (fd < 0) return {StatusCode::kIo, Errno("cannot create a temporary file in", dir)};
  tmp = templ.get();
  Status s = WriteAll(fd, bytes, tmp);
  if (s.ok() && fchmod(fd, mode) != 0) s = {StatusCode::kIo, Errno("cannot chmod", tmp)};
  if (s.ok() && fsync(fd) != 0) s = {StatusCode::kIo, Errno("cannot fsync", tmp)};
  if (close(fd) != 0 && s.ok()) s = {StatusCode::kIo, Errno("cannot close", tmp)};
  if (s.ok()) {
    int rc = replace ? rename(tmp.c_str(), path.c_str())
                     : renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
    if (rc != 0) s = {StatusCode::kIo, Errno("cannot rename into", path)};
  }
  if (!s.ok()) {
    int saved = errno;
    unlink(tmp.c_str());
    errno = saved;
    return s;
  }
  // Make the rename durable too.
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

Status GiveToFolderOwner(const std::string& path, const std::string& folder) {
  if (geteuid() != 0) return Status::Ok();
  struct stat dir;
  if (stat(folder.c_str(), &dir) != 0 || dir.st_uid == 0) return Status::Ok();
  if (chown(path.c_str(), dir.st_uid, dir.st_gid) != 0) {
    return {StatusCode::kIo, "cannot give " + path + " to the owner of " + folder + ": " +
                                 strerror(errno)};
  }
  return Status::Ok();
}

int SealedMemfd(const std::string& bytes) {
  int fd = memfd_create("mugai", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  if (!WriteAll(fd, bytes, "memfd").ok()) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return fd;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string BaseName(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace mugai
