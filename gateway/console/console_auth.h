// Log-in for the console: a password checked against the local users file (argon2id) or
// PAM (service "mugai": pam_unix, or AD/LDAP through sssd), with throttling per account and
// per source address, and a timed lockout.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "gateway/console/users_file.h"
#include "gateway/service/config.h"

namespace mugai {

enum class LoginResult { kOk, kWrongPassword, kLocked, kThrottled };

class ConsoleAuth {
 public:
  explicit ConsoleAuth(const Config& config);

  // Checks `user`/`password` from `address`. kLocked while the account is locked (after
  // console.lockout_failures failures in a row, for console.lockout_minutes); kThrottled when
  // the address failed too often (10 × lockout_failures within lockout_minutes). `*locked_now`
  // says that this failure locked the account.
  LoginResult Check(const std::string& user, const std::string& password,
                    const std::string& address, bool* locked_now);

  // Whether the account is locked now, and until when (seconds since the epoch).
  bool Locked(const std::string& user, int64_t* until);

 private:
  bool Password(const std::string& user, const std::string& password);

  struct Failures {
    int count = 0;
    int64_t since = 0;         // first failure of the current run
    int64_t locked_until = 0;  // 0: not locked
  };
  Config config_;
  UsersFile users_;
  std::mutex mu_;
  std::map<std::string, Failures> accounts_;
  std::map<std::string, Failures> addresses_;
};

// PAM authentication and account check for `user` under service name `service`.
bool PamAuthenticate(const std::string& service, const std::string& user,
                     const std::string& password);

// console.users_file, or <state>/console-users.
std::string ConsoleUsersPath(const Config& config);

}  // namespace mugai
