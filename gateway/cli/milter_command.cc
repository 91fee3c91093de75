// `mugai milter` front end: arguments → RunMilter.
#include <cstdio>
#include <string>
#include <vector>

#include "gateway/cli/cli_args.h"
#include "gateway/cli/milter_command.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/milter/milter_service.h"

namespace mugai {

const char kMilterHelp[] =
    R"(Usage: mugai milter [--socket unix:PATH|inet:PORT@HOST] [OPTIONS]

Runs the mail gateway as a milter for Postfix (smtpd_milters) or Sendmail. Every message is
sanitised as a whole (see 'mugai mail --help') before the MTA accepts it:
  clean      accepted unchanged, with X-Mugai-Verdict / X-Mugai-Actions headers added
  sanitized  accepted with its MIME structure and body replaced by the sanitised message
  blocked    rejected: 550 5.7.1 with the reason (and quarantine id)
  failure    any error, overload or deadline: 451 4.3.0 (tempfail; the sender retries)
Messages larger than milter.max_message_bytes are refused at MAIL FROM (SIZE=) and at the
end of the data: 552 5.3.4.

Options:
  --socket SPEC         where to listen (default: milter.socket, unix:/run/mugai/milter.sock)
  --config FILE         TOML settings (docs/CONFIG.md: [milter], [mail] ...)
  --signatures PATH     ClamAV database file or folder
  --state DIR           quarantine, audit log and mugai.log
  --service PATH        hand every message to the running `mugai serve` at PATH (its
                        socket) instead of a pipeline of the milter's own: one ClamAV engine
                        for the host. Also milter.use_service = true (then service.socket).
                        When the service does not answer, messages are tempfailed (451).
  --allow-no-signatures run without malware signatures (demo/test only)
  -h, --help            show this help

Postfix: see docs/POSTFIX.md (smtpd_milters, milter_default_action = tempfail, timeouts).
Stop with SIGTERM. Logs: <state>/mugai.log (grep event=milter_ or event=item_done).
)";

int RunMilterCommand(const std::vector<std::string>& args) {
  CliArgs a = ParseCliArgs(args, {"--socket", "--config", "--signatures", "--state", "--service"},
                           {"--allow-no-signatures", "--help"});
  if (a.Has("--help")) {
    std::fputs(kMilterHelp, stdout);
    return kExitDelivered;
  }
  if (!a.error.empty() || !a.words.empty()) {
    std::fprintf(stderr, "mugai milter: %s\nTry 'mugai milter --help'.\n",
                 a.error.empty() ? ("unexpected argument '" + a.words[0] + "'").c_str()
                                 : a.error.c_str());
    return kExitUsage;
  }
  MilterOptions o;
  o.config_file = a.Get("--config");
  o.socket = a.Get("--socket");
  o.signatures = a.Get("--signatures");
  o.state = a.Get("--state");
  o.allow_no_signatures = a.Has("--allow-no-signatures");
  o.service = a.Get("--service");
  return RunMilter(o);
}

}  // namespace mugai
