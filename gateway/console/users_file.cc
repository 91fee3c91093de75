#include "gateway/console/users_file.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <unistd.h>

#include <sstream>

#include "common/file_util.h"
#include "quarantine/release_rules.h"

namespace mugai {

namespace {
constexpr uint32_t kTimeCost = 3;
constexpr uint32_t kMemoryKiB = 64 * 1024;
constexpr uint32_t kParallelism = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
}  // namespace

Result<std::string> HashPassword(const std::string& password) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) return Status{StatusCode::kInternal, "no random bytes"};
  std::string encoded(argon2_encodedlen(kTimeCost, kMemoryKiB, kParallelism, kSaltBytes,
                                        kHashBytes, Argon2_id),
                      '\0');
  int rc = argon2id_hash_encoded(kTimeCost, kMemoryKiB, kParallelism, password.data(),
                                 password.size(), salt, sizeof salt, kHashBytes, encoded.data(),
                                 encoded.size());
  if (rc != ARGON2_OK) {
    return Status{StatusCode::kInternal, std::string("argon2id: ") + argon2_error_message(rc)};
  }
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  if (hash.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

Result<std::vector<ConsoleUser>> UsersFile::Load() const {
  std::vector<ConsoleUser> users;
  if (access(path_.c_str(), F_OK) != 0) return users;
  Result<std::string> text = ReadFileLimited(path_, 16 << 20);
  if (!text.ok()) return text.status();
  std::istringstream in(text.value());
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find(':'), b = line.rfind(':');
    ConsoleUser u;
    if (a != std::string::npos && b > a) {
      u.name = line.substr(0, a);
      u.hash = line.substr(a + 1, b - a - 1);
      std::string state = line.substr(b + 1);
      u.disabled = state == "disabled";
      if (ValidUserName(u.name) && (state == "enabled" || state == "disabled")) {
        users.push_back(u);
        continue;
      }
    }
    return Status{StatusCode::kConfig, path_ + ":" + std::to_string(n) +
                                           ": not a user line (name:hash:enabled|disabled)"};
  }
  return users;
}

std::optional<ConsoleUser> UsersFile::Find(const std::string& name) const {
  Result<std::vector<ConsoleUser>> users = Load();
  if (!users.ok()) return std::nullopt;
  for (const auto& u : users.value()) {
    if (u.name == name) return u;
  }
  return std::nullopt;
}

Status UsersFile::Save(const std::vector<ConsoleUser>& users) const {
  std::string text = "# mugai console users: name:argon2id hash:enabled|disabled (mugai user --help)\n";
  for (const auto& u : users) {
    text += u.name + ":" + u.hash + ":" + (u.disabled ? "disabled" : "enabled") + "\n";
  }
  size_t slash = path_.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : path_.substr(0, slash);
  if (Status s = MakeDirs(folder, 0700); !s.ok()) return s;  // a state folder not made yet
  if (Status s = WriteFileAtomically(path_, text, 0600, /*replace=*/true); !s.ok()) return s;
  return GiveToFolderOwner(path_, folder);
}

}  // namespace mugai
