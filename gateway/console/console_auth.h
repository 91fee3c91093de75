// Log-in for the console: a password checked against the local users file (argon2id) or
// PAM (service "mugai": pam_unix, or AD/LDAP through sssd), with throttling per account and
// per source address, and a timed lockout.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "gateway/console/users_file.h"
#include "gateway/service/config.h"

namespace mugai {

enum class LoginResult { kOk, kWrongPassword, kLocked, kThrottled };

// What one log-in attempt came to.
struct LoginOutcome {
  LoginResult result = LoginResult::kWrongPassword;
  std::string user;         // kOk: the canonical name (the users file's, or the passwd name
                            // PAM's user resolves to), which the session and records use
  std::string local_hash;   // kOk through the users file: its hash (a session ends when it
                            // changes: passwd, disable)
  bool locked_now = false;     // this failure locked the account
  bool throttled_now = false;  // this failure throttled the address
};

class ConsoleAuth {
 public:
  explicit ConsoleAuth(const Config& config);

  // Checks `user`/`password` from `address` (one attempt at a time per account). kLocked while the account is locked (after
  // console.lockout_failures failures in a row, for console.lockout_minutes); kThrottled when
  // the address failed too often (10 × lockout_failures within lockout_minutes). Accounts are
  // counted by their name in lower case (Sato and sato are one account).
  LoginOutcome Check(const std::string& user, const std::string& password,
                     const std::string& address);
  // A malformed attempt (no valid name): counted against the address only. Whether the
  // address is throttled now, and whether this attempt throttled it.
  bool Malformed(const std::string& address, bool* throttled_now);

  // Whether a session of `user` opened with `local_hash` still holds: the user is still in
  // the users file, enabled, with that password. True for PAM sessions (local_hash "").
  bool StillValid(const std::string& user, const std::string& local_hash);

  // Whether the account is locked now, and until when (seconds since the epoch).
  bool Locked(const std::string& user, int64_t* until);

 private:
  // Ok: the canonical name in *canonical (and the local hash, if any).
  bool Password(const std::string& user, const std::string& password, std::string* canonical,
                std::string* local_hash);
  struct Failures {
    int count = 0;
    int64_t since = 0;         // first failure of the current run
    int64_t locked_until = 0;  // 0: not locked
  };
  // Counts a failure of `f` in the window; true when that reaches `limit` (and locks it).
  bool Fail(Failures& f, int limit, int64_t now);
  Config config_;
  UsersFile users_;
  std::mutex mu_;
  std::map<std::string, Failures> accounts_;
  std::map<std::string, Failures> addresses_;
  int since_prune_ = 0;  // failures counted since the maps were last pruned
  static constexpr size_t kStripes = 64;
  std::mutex stripes_[kStripes];  // serialise attempts per account (by a hash of its name)
};

// PAM authentication and account check for `user` under service name `service`. Ok: the
// account's name as the system knows it (PAM's final PAM_USER, then its passwd entry) in
// *canonical.
bool PamAuthenticate(const std::string& service, const std::string& user,
                     const std::string& password, std::string* canonical);

// console.users_file, or <state>/console-users.
std::string ConsoleUsersPath(const Config& config);

}  // namespace mugai
