#include "gateway/cli/console_command.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "gateway/cli/cli_args.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/console/console_auth.h"
#include "gateway/console/console_server.h"
#include "gateway/console/users_file.h"
#include "gateway/service/config.h"
#include "gateway/service/privileges.h"
#include "quarantine/release_rules.h"

namespace mugai {

namespace {

constexpr char kConsoleHelp[] = R"(Usage: mugai console [OPTIONS]

The web console (管理・利用者コンソール) for staff, approvers, auditors and admins:
  staff      see the mail and files addressed to them that were sanitised or quarantined,
             enter the password of a PPAP attachment, download the sanitised copy, and ask
             for the original;
  approvers  approve or reject requests (never their own);
  auditors   search and verify the audit log, export it redacted;
  admins     a dashboard of items per day, pending requests and signature age.
Every action goes to `mugai serve` through its socket, for the logged-in user.

Options:
  --config FILE     TOML settings: [console] and [roles] (docs/CONSOLE.md, docs/CONFIG.md)
  --listen ADDR:PORT
                    where to listen (console.listen, default 127.0.0.1:8443). Anything but a
                    loopback address needs console.tls_cert and console.tls_key
  --service PATH    the service's socket (service.socket)
  --state DIR       the state folder (the users file and the audit log are there)
  -h, --help        show this help

Log-in: console.auth = "local" (the users file, managed with `mugai user`), "pam" (PAM
service "mugai": /etc/pam.d/mugai, e.g. pam_unix or pam_sss) or "both".
Exit status: 0 stopped by SIGTERM/SIGINT, 2 configuration error.
)";

constexpr char kUserHelp[] = R"(Usage: mugai user COMMAND [NAME] [OPTIONS]

The console's local users (console.users_file, default <state>/console-users, mode 0600;
passwords hashed with argon2id). Run as root or as the service's user.

Commands:
  add NAME        add a user; the password is read from standard input when it is not a
                  terminal, else asked for twice
  passwd NAME     set a new password (the same way)
  disable NAME    refuse the user's log-ins from now on (kept in the file)
  enable NAME     allow them again
  list            every user and whether it is enabled

Options: --config FILE, --state DIR, -h/--help.
Roles are not kept here: list the names under [roles] in the config.
Exit status: 0 done, 1 refused (no such user, already there), 2 usage or file error.
)";

// A password from standard input: one line when it is not a terminal, else asked twice
// without echo.
bool ReadPassword(std::string* out) {
  if (!isatty(STDIN_FILENO)) {
    if (!std::getline(std::cin, *out)) return false;
    if (!out->empty() && out->back() == '\r') out->pop_back();
    return true;
  }
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string again;
  std::fprintf(stderr, "Password (パスワード): ");
  bool ok = static_cast<bool>(std::getline(std::cin, *out));
  std::fprintf(stderr, "\nAgain (再入力): ");
  ok = ok && std::getline(std::cin, again);
  std::fprintf(stderr, "\n");
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  if (ok && *out != again) {
    std::fprintf(stderr, "mugai user: the two passwords differ\n");
    return false;
  }
  return ok;
}

}  // namespace

int RunConsoleCommand(const std::vector<std::string>& args) {
  CliArgs a = ParseCliArgs(args, {"--config", "--listen", "--service", "--state", "--signatures"},
                           {"--help"});
  if (a.Has("--help")) {
    std::fputs(kConsoleHelp, stdout);
    return kExitDelivered;
  }
  auto usage = [](const std::string& m) {
    std::fprintf(stderr, "mugai console: %s\nTry 'mugai console --help'.\n", m.c_str());
    return kExitUsage;
  };
  if (!a.error.empty()) return usage(a.error);
  if (!a.words.empty()) return usage("unexpected argument '" + a.words[0] + "'");
  Result<Config> loaded = CommandConfig(a);
  if (!loaded.ok()) return usage("config error: " + loaded.status().message());
  if (Status s = DropPrivileges(loaded->process_user); !s.ok()) return usage(s.message());
  ConsoleOptions options;
  options.listen = a.Get("--listen");
  options.service_socket = a.Get("--service");
  return RunConsole(loaded.value(), options);
}

int RunUserCommand(const std::vector<std::string>& args) {
  CliArgs a = ParseCliArgs(args, {"--config", "--state", "--signatures"}, {"--help"});
  if (a.Has("--help") || args.empty()) {
    std::fputs(kUserHelp, a.Has("--help") ? stdout : stderr);
    return a.Has("--help") ? kExitDelivered : kExitUsage;
  }
  auto usage = [](const std::string& m) {
    std::fprintf(stderr, "mugai user: %s\nTry 'mugai user --help'.\n", m.c_str());
    return kExitUsage;
  };
  if (!a.error.empty()) return usage(a.error);
  if (a.words.empty()) return usage("no command given");
  const std::string sub = a.words[0];
  Result<Config> loaded = CommandConfig(a);
  if (!loaded.ok()) return usage("config error: " + loaded.status().message());
  UsersFile file(ConsoleUsersPath(loaded.value()));
  Result<std::vector<ConsoleUser>> users = file.Load();
  if (!users.ok()) return usage(users.status().message());
  if (sub == "list") {
    for (const auto& u : users.value()) {
      std::printf("%s\t%s\n", u.name.c_str(), u.disabled ? "disabled" : "enabled");
    }
    return kExitDelivered;
  }
  if (sub != "add" && sub != "passwd" && sub != "disable" && sub != "enable") {
    return usage("unknown command '" + sub + "'");
  }
  if (a.words.size() != 2) return usage(sub + " needs one user NAME");
  const std::string name = a.words[1];
  if (!ValidUserName(name) || name == "root") {
    return usage("'" + name + "' is not a user name for the console (1-64 letters, digits, "
                 "'.', '_', '-', '@'; not root)");
  }
  auto it = std::find_if(users->begin(), users->end(), [&](const ConsoleUser& u) { return u.name == name; });
  if (sub == "add" && it != users->end()) {
    std::fprintf(stderr, "mugai user: '%s' is already there (use passwd to change the password)\n", name.c_str());
    return kExitBlocked;
  }
  if (sub != "add" && it == users->end()) {
    std::fprintf(stderr, "mugai user: no user '%s' in %s\n", name.c_str(), file.path().c_str());
    return kExitBlocked;
  }
  if (sub == "add" || sub == "passwd") {
    std::string password;
    if (!ReadPassword(&password)) return usage("no password given");
    if (password.size() < 8) return usage("the password needs at least 8 characters");
    Result<std::string> hash = HashPassword(password);
    if (!hash.ok()) return usage(hash.status().message());
    if (sub == "add") {
      users->push_back(ConsoleUser{name, hash.value(), false});
    } else {
      it->hash = hash.value();
    }
  } else {
    it->disabled = sub == "disable";
  }
  if (Status s = file.Save(users.value()); !s.ok()) {
    return usage("cannot write " + file.path() + ": " + s.message());
  }
  std::printf("mugai user: %s %s (%s)\n", name.c_str(),
              sub == "add" ? "added" : sub == "passwd" ? "has a new password"
              : sub == "disable" ? "disabled" : "enabled",
              file.path().c_str());
  return kExitDelivered;
}

}  // namespace mugai
