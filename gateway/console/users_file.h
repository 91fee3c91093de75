// The console's local users (console.users_file, default <state>/console-users, mode 0600):
// one line per user, "name:argon2id-hash:enabled" or ":disabled". Managed by `mugai user`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mugai {

struct ConsoleUser {
  std::string name;
  std::string hash;  // argon2id, PHC string form ($argon2id$v=19$m=…,t=…,p=…$salt$hash)
  bool disabled = false;
};

// Hashes `password` with argon2id (64 MiB, 3 passes, a random 16-byte salt).
Result<std::string> HashPassword(const std::string& password);
// Whether `password` matches `hash` (constant time inside libargon2).
bool VerifyPassword(const std::string& hash, const std::string& password);

class UsersFile {
 public:
  explicit UsersFile(std::string path) : path_(std::move(path)) {}

  // Every user; an absent file is no users. kConfig naming the line of a malformed one.
  Result<std::vector<ConsoleUser>> Load() const;
  std::optional<ConsoleUser> Find(const std::string& name) const;
  // Writes all users atomically (0600, owned like the folder it is in).
  Status Save(const std::vector<ConsoleUser>& users) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mugai
