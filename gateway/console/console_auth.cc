#include "gateway/console/console_auth.h"

#include <security/pam_appl.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace mugai {

namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

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
                     const std::string& password) {
  PamData data{&password};
  struct pam_conv conv = {Converse, &data};
  pam_handle_t* h = nullptr;
  if (pam_start(service.c_str(), user.c_str(), &conv, &h) != PAM_SUCCESS) return false;
  int rc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  if (rc == PAM_SUCCESS) rc = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  pam_end(h, rc);
  return rc == PAM_SUCCESS;
}

std::string ConsoleUsersPath(const Config& config) {
  return config.console_users_file.empty() ? config.state_dir + "/console-users"
                                           : config.console_users_file;
}

ConsoleAuth::ConsoleAuth(const Config& config)
    : config_(config), users_(ConsoleUsersPath(config)) {}

bool ConsoleAuth::Password(const std::string& user, const std::string& password) {
  if (config_.console_auth == "local" || config_.console_auth == "both") {
    std::optional<ConsoleUser> u = users_.Find(user);
    if (u && !u->disabled && VerifyPassword(u->hash, password)) return true;
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
    return PamAuthenticate("mugai", user, password);
  }
  return false;
}

bool ConsoleAuth::Locked(const std::string& user, int64_t* until) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = accounts_.find(user);
  if (it == accounts_.end() || it->second.locked_until <= Now()) return false;
  if (until) *until = it->second.locked_until;
  return true;
}

LoginResult ConsoleAuth::Check(const std::string& user, const std::string& password,
                               const std::string& address, bool* locked_now) {
  *locked_now = false;
  const int64_t window = int64_t{config_.console_lockout_minutes} * 60;
  const int per_address = static_cast<int>(config_.console_lockout_failures) * 10;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = Now();
    Failures& a = addresses_[address];
    if (a.locked_until > now) return LoginResult::kThrottled;
    Failures& f = accounts_[user];
    if (f.locked_until > now) return LoginResult::kLocked;
  }
  const bool ok = Password(user, password);
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = Now();
  Failures& f = accounts_[user];
  Failures& a = addresses_[address];
  if (ok) {
    accounts_.erase(user);
    return LoginResult::kOk;
  }
  for (Failures* x : {&f, &a}) {
    if (x->locked_until != 0 && x->locked_until <= now) *x = Failures{};  // served its time
    if (x->count == 0 || now - x->since > window) {
      x->count = 0;
      x->since = now;
    }
    ++x->count;
  }
  if (f.count >= static_cast<int>(config_.console_lockout_failures)) {
    f.locked_until = now + window;
    f.count = 0;
    *locked_now = true;
  }
  if (a.count >= per_address) {
    a.locked_until = now + window;
    a.count = 0;
  }
  return LoginResult::kWrongPassword;
}

}  // namespace mugai
