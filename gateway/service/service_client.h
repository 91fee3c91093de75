// A front end's side of the service socket (ARCHITECTURE §6): reaching `mugai serve` (or, for
// `sanitize` and `mail` when none runs, a service started in-process for the one command),
// sending inputs as descriptors, writing the outputs it hands back, and merging its reports.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "gateway/service/config.h"

namespace mugai {

class Service;

struct ClientItem {
  std::string name;    // the claimed file name
  std::string source;  // where it came from, for the records
  int fd = -1;         // opened by the caller and stays the caller's; or -1: `path` is
  std::string path;    // opened (O_NOFOLLOW) just for its batch, so that a thousand inputs
                       // never hold a thousand descriptors
};

// Writes one output the service handed back; returns where it was put.
using ClientWriter = std::function<Result<std::string>(size_t item, const std::string& name,
                                                       const std::string& verdict,
                                                       const std::string& bytes)>;

struct ClientOutcome {
  int exit = 3;
  nlohmann::json report;  // the run report, items of every batch merged
  std::string notice;     // the bilingual notice for staff
  std::vector<std::string> notices;  // the same, per item
  std::vector<bool> failed;          // per item: failed inside mugai (nothing decided)
};

// A connection to a service: a running `mugai serve`, or one started in this process.
class ServiceConnection {
 public:
  ~ServiceConnection();

  // `path` given with --service: it must answer (else kUnavailable with what to do). Not
  // given: the configured socket answers, or, only when no socket file exists there, a service
  // starts in-process (`allow_no_signatures` for it). A permission error never falls back.
  static Result<std::unique_ptr<ServiceConnection>> Open(const Config& config,
                                                         const std::string& path,
                                                         bool allow_no_signatures,
                                                         const std::string& command);

  // Runs `items` through the service ("sanitize", "mail" or "watch"), at most 200 per request.
  // `deliver` false: report only. kUnavailable when the service went away; kLimit when it
  // takes nothing now (suspended, or held for stale signatures), with why.
  // `destination`: the folder the writer puts outputs in ("" = none), for the records.
  Result<ClientOutcome> Run(const std::string& op, const std::vector<ClientItem>& items,
                            const std::string& password, bool deliver,
                            const std::string& destination, const ClientWriter& writer);

  // An operator command (`quarantine …`, `audit …`) run by the service as the caller the
  // kernel names. Its exit status, standard output and error come back.
  struct OperatorReply {
    int exit = 3;
    std::string out, err;
  };
  // Files it hands back (approve/resubmit --out) go to `writer`, which returns where it put
  // each (or why not). `acting_for`: the console names the user logged in to it (the service
  // believes that only from console.unix_user).
  Result<OperatorReply> RunOperator(
      const std::vector<std::string>& argv,
      const std::function<Result<std::string>(const std::string& name, const std::string& bytes)>&
          writer,
      const std::string& acting_for = "");

  // The console tells the service a log-in's result (for /metrics).
  Status ReportLogin(const std::string& result, bool locked_now);

  // Whether the service takes items now: "" when it does, else why not (suspended,
  // signatures stale with scan.stale_action = "hold"). Not ok when the connection failed.
  Result<std::string> Held();

  bool in_process() const { return service_ != nullptr; }

 private:
  // The service's next JSON message (a "type" checked to be there), or kUnavailable.
  Status NextMessage(nlohmann::json* msg);
  // An output the service announced with `head`: its bytes are received, given to `write`,
  // and what it returned (where they went, or why not) is both answered and put in *put.
  // Not ok only when the connection failed.
  Status TakeOutput(const nlohmann::json& head,
                    const std::function<Result<std::string>(const std::string& bytes)>& write,
                    Result<std::string>* put);

  int fd_ = -1;
  std::unique_ptr<Service> service_;  // in-process only
  std::thread serving_;
};

}  // namespace mugai
