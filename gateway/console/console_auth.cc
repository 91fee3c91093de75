#include "gateway/console/console_auth.h"

#include <pwd.h>
#include <security/pam_appl.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "quarantine/release_rules.h"

namespace mugai {

namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct PamData {
  const std::string* password;
};

// Answers every password prompt with the password; anything else gets no answer.
int Converse(int n, const struct pam_message** msg, struct pam_response** resp, void* data) {
  auto* d = static_cast<PamData*>(data);
  auto* out = static_cast<pam_response*>(calloc(static_cast<size_t>(n), sizeof(pam_response)));
  if (!out) return PAM_BUF_ERR;
  for (int i = 0; i < n; ++i) {
    if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
      out[i].resp = strdup(d->password->c_str());
    }
  }
  *resp = out;
  return PAM_SUCCESS;
}

}  // namespace

bool PamAuthenticate(const std::string& service, const std::string& user,
                     const std::string& password, std::string* canonical) {
  PamData data{&password};
  struct pam_conv conv = {Converse, &data};
  pam_handle_t* h = nullptr;
  if (pam_start(service.c_str(), user.c_str(), &conv, &h) != PAM_SUCCESS) return false;
  int rc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  if (rc == PAM_SUCCESS) rc = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  std::string name = user;
  const void* item = nullptr;
  if (rc == PAM_SUCCESS && pam_get_item(h, PAM_USER, &item) == PAM_SUCCESS && item) {
    name = static_cast<const char*>(item);
  }
  pam_end(h, rc);
  if (rc != PAM_SUCCESS) return false;
  // One person, one name: "TANAKA", "tanaka" and "tanaka@corp" (sssd) are the passwd name.
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) return false;
  *canonical = found->pw_name;
  return true;
}

std::string ConsoleUsersPath(const Config& config) {
  return config.console_users_file.empty() ? config.state_dir + "/console-users"
                                           : config.console_users_file;
}

ConsoleAuth::ConsoleAuth(const Config& config)
    : config_(config), users_(ConsoleUsersPath(config)) {}

bool ConsoleAuth::Password(const std::string& user, const std::string& password,
                           std::string* canonical, std::string* local_hash) {
  if (config_.console_auth == "local" || config_.console_auth == "both") {
    std::optional<ConsoleUser> u = users_.Find(user);
    if (u && !u->disabled && VerifyPassword(u->hash, password)) {
      *canonical = u->name;
      *local_hash = u->hash;
      return true;
    }
    if (u && config_.console_auth == "both") return false;  // a local user is never PAM's
    if (!u) {
      // The same work for an unknown name as for a known one.
      static const std::string dummy =
          "$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$"
          "Rr2ZlVAUyMD0Eh9VIrnSutLmbpQXxbELUAyKOU8PFo0";
      VerifyPassword(dummy, password);
    }
  }
  if (config_.console_auth == "pam" || config_.console_auth == "both") {
    std::string name;
    if (!PamAuthenticate("mugai", user, password, &name)) return false;
    // A PAM name that is also a local user (another person in the users file) or root: no.
    if (name == "root" || !ValidUserName(name) ||
        (config_.console_auth == "both" && users_.Find(name))) {
      return false;
    }
    *canonical = name;
    local_hash->clear();
    return true;
  }
  return false;
}

bool ConsoleAuth::StillValid(const std::string& user, const std::string& local_hash) {
  if (local_hash.empty()) return true;
  std::optional<ConsoleUser> u = users_.Find(user);
  return u && !u->disabled && u->hash == local_hash;
}

bool ConsoleAuth::Locked(const std::string& user, int64_t* until) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = accounts_.find(Lower(user));
  if (it == accounts_.end() || it->second.locked_until <= Now()) return false;
  if (until) *until = it->second.locked_until;
  return true;
}

bool ConsoleAuth::Fail(Failures& f, int limit, int64_t now) {
  const int64_t window = int64_t{config_.console_lockout_minutes} * 60;
  if (++since_prune_ >= 1024) {
    // Runs that ended and locks that expired are forgotten: many names or addresses cannot
    // grow the maps for ever. (`f` itself is never among them: it is being counted now.)
    since_prune_ = 0;
    for (auto* m : {&accounts_, &addresses_}) {
      for (auto it = m->begin(); it != m->end();) {
        const Failures& x = it->second;
        const bool over = x.locked_until <= now && now - x.since > window;
        if (over && &x != &f) it = m->erase(it);
        else ++it;
      }
    }
  }
  if (f.locked_until != 0 && f.locked_until <= now) f = Failures{};  // served its time
  if (f.count == 0 || now - f.since > window) {
    f.count = 0;
    f.since = now;
  }
  if (++f.count < limit) return false;
  f.locked_until = now + window;
  f.count = 0;
  return true;
}

bool ConsoleAuth::Malformed(const std::string& address, bool* throttled_now) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = Now();
  Failures& a = addresses_[address];
  if (a.locked_until > now) {
    *throttled_now = false;
    return true;
  }
  *throttled_now = Fail(a, static_cast<int>(config_.console_lockout_failures) * 10, now);
  return *throttled_now;
}

LoginOutcome ConsoleAuth::Check(const std::string& user, const std::string& password,
                                const std::string& address) {
  LoginOutcome out;
  // The account, counted once however it is spelt: in lower case, and with PAM the name the
  // system resolves it to (sssd takes "tanaka" and "tanaka@corp" for one account).
  std::string key = Lower(user);
  if (config_.console_auth != "local") {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) == 0 && found) {
      key = Lower(found->pw_name);
    }
  }
  // One attempt at a time per account (64 stripes): parallel guesses cannot all pass the
  // lock check that the failures before them would have closed.
  std::lock_guard<std::mutex> one(stripes_[std::hash<std::string>{}(key) % kStripes]);
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = Now();
    if (addresses_[address].locked_until > now) {
      out.result = LoginResult::kThrottled;
      return out;
    }
    if (accounts_[key].locked_until > now) {
      out.result = LoginResult::kLocked;
      return out;
    }
  }
  const bool ok = Password(user, password, &out.user, &out.local_hash);
  std::lock_guard<std::mutex> lock(mu_);
  if (ok) {
    accounts_.erase(key);  // counting starts again
    out.result = LoginResult::kOk;
    return out;
  }
  const int64_t now = Now();
  out.locked_now = Fail(accounts_[key], static_cast<int>(config_.console_lockout_failures), now);
  out.throttled_now =
      Fail(addresses_[address], static_cast<int>(config_.console_lockout_failures) * 10, now);
  out.result = LoginResult::kWrongPassword;
  return out;
}

}  // namespace mugai
