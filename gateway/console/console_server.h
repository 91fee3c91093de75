// `mugai console`: the web console for staff, approvers, auditors and admins (docs/CONSOLE.md).
// HTTPS (cpp-httplib over OpenSSL; plain HTTP only on a loopback address), pages from mstch
// templates, log-in through the local users file or PAM. Every action goes to `mugai serve`
// through its socket, naming the logged-in user (the service believes that only from the
// console's Unix user); the service enforces roles and rules again whatever the page sent.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "gateway/service/config.h"

namespace mugai {

struct ConsoleOptions {
  std::string listen;          // ADDR:PORT (console.listen when empty)
  std::string service_socket;  // the service's socket (service.socket when empty)
};

// Serves until SIGTERM or SIGINT. Returns the exit status (2 for a configuration problem,
// after saying what to fix).
int RunConsole(const Config& config, const ConsoleOptions& options);

}  // namespace mugai
