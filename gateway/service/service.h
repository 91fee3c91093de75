// `mugai serve`, the host service (ARCHITECTURE §1, §3): owns the pipeline (and through it the
// scanner process, the workers, the quarantine and the audit log) and serves its front ends
// over a Unix socket. A client's identity is the Unix user at the other end (SO_PEERCRED),
// never a name it gives. The same class serves a one-shot command in-process when no service
// is running, so both paths speak the same protocol.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "gateway/service/config.h"
#include "gateway/pipeline/pipeline.h"
#include "gateway/service/notifier.h"

namespace mugai {

struct ServiceOptions {
  bool allow_no_signatures = false;  // demo/test only
  std::string entry_point = "service";
};

class Service {
 public:
  // Loads the pipeline (the scanner process's engine included). kConfig with what to do.
  static Result<std::unique_ptr<Service>> Create(const Config& config,
                                                 const ServiceOptions& options);

  // Listens on `path` (mode 0660, group `group` when given; a stale socket is replaced, a
  // live one is an error) and serves until SIGTERM or SIGINT. SIGHUP reloads the signatures.
  // Returns an exit code.
  int Listen(const std::string& path, const std::string& group);

  // Serves one connection to its end (a thread per connection in Listen; a one-shot command's
  // own thread in-process). Takes ownership of `conn`.
  void ServeConnection(int conn);

  Pipeline& pipeline() { return *pipeline_; }

 private:
  explicit Service(const Config& config) : config_(config) {}
  void Handle(int conn, uint32_t uid, int32_t pid, const std::string& actor,
              const std::string& request_json, std::vector<int>& fds);
  // `mugai quarantine …` / `mugai audit …` for a client, as the user the kernel names.
  void HandleOperator(int conn, uint32_t uid, int32_t pid, const std::string& actor,
                      const nlohmann::json& req);

  // The Unix user the console runs as (console.unix_user, or the service's own).
  uid_t ConsoleUid() const;

  Config config_;
  ServiceOptions options_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<Notifier> notifier_;  // after pipeline_: stopped before it
};

// The name the audit records for the Unix user `uid` ("uid 1234" when it has no name).
std::string UserNameOf(uint32_t uid);

// The user whose log-in opened the session of process `pid` (/proc/PID/loginuid, kept through
// sudo and su), or "" when unset (daemons, containers), root's own, or unreadable.
std::string LoginNameOf(int32_t pid);

}  // namespace mugai
