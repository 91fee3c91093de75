// `mugai milter`: the Postfix/Sendmail milter (libmilter). Each message is collected, handed
// whole to the shared pipeline, and then accepted with X-Mugai headers (clean), rewritten
// (sanitised: new MIME structure and body), rejected with 5xx (blocked) or tempfailed with
// 4xx (any failure, overload or deadline). Unsanitised mail is never accepted.
#pragma once

#include <string>

namespace mugai {

struct MilterOptions {
  std::string config_file;
  std::string socket;      // overrides milter.socket: unix:PATH or inet:PORT@HOST
  std::string signatures;  // overrides paths.signatures
  std::string state;       // overrides paths.state
  bool allow_no_signatures = false;
  std::string service;     // a `mugai serve` socket: messages go there ("" = milter.use_service)
};

// Runs until SIGTERM/SIGINT. Returns the process exit status.
int RunMilter(const MilterOptions& options);

}  // namespace mugai
