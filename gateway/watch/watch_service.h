// `mugai watch`: the drop-folder entry point. Watches inbox folders (inotify plus a periodic
// rescan), takes files once they are stable or moved in, claims them crash-safely, runs them
// through the shared Pipeline, and delivers sanitised outputs and bilingual notes into the
// matching outbox. SIGTERM finishes the current batch and exits; SIGHUP reloads the config.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "gateway/service/config.h"
#include "gateway/service/event_log.h"
#include "gateway/pipeline/pipeline.h"
#include "gateway/service/service_client.h"
#include "gateway/watch/claim_store.h"

namespace mugai {

struct WatchOptions {
  std::string config_file;  // re-read on SIGHUP ("" = built-in defaults + flags)
  Config overrides;         // values from flags, applied over the file
  bool have_signatures_flag = false, have_state_flag = false;
  std::vector<WatchMapping> extra_mappings;  // --in/--out
  bool allow_no_signatures = false;
  bool once = false;        // process what is there (and stable), then exit
  std::string service;      // --service PATH: must answer ("" = service.socket if a service
                            // listens there, else one started in this process)
};

class WatchService {
 public:
  explicit WatchService(WatchOptions options);
  ~WatchService();

  // Runs until SIGTERM/SIGINT (or, with `once`, until the inboxes are empty). Returns an
  // exit status: 0, or 2 for a configuration error, 3 when the service cannot go on.
  int Run();

 private:
  struct Candidate {
    size_t mapping;
    off_t size = -1;
    int64_t mtime_ns = -1;
    int64_t stable_since_ms = 0;
    bool moved_in = false;
  };

  Status Load();
  void WatchTree(size_t mapping, const std::string& dir);
  void Scan(size_t mapping, const std::string& dir);
  void HandleInotify();
  std::vector<std::pair<std::string, Candidate>> TakeEligible(bool force);
  void Process(const std::vector<std::pair<std::string, Candidate>>& files);
  void Recover();
  // What the service said about one item, as the watcher needs it.
  struct Finished {
    std::string name, verdict, sha256, quarantine_id, notice;
    std::vector<std::pair<std::string, std::string>> outputs;  // staged path, final path
  };
  // Runs `claims` (one outbox folder) through the service; false when it did not answer.
  bool RunClaims(const std::vector<Claim>& claims);
  void Complete(const Claim& claim, const Finished& item);
  // Where a file from `relpath` in mapping `m` goes: the outbox folder and its root.
  bool Destination(size_t m, const std::string& relpath, std::string* out_dir,
                   std::string* out_root) const;

  WatchOptions options_;
  Config config_;
  std::unique_ptr<ServiceConnection> service_;  // `mugai serve`, or one in this process
  EventLog log_;
  int inotify_fd_ = -1;
  int signal_fd_ = -1;
  std::map<int, std::pair<size_t, std::string>> watches_;  // wd → (mapping, folder)
  std::map<std::string, Candidate> candidates_;
  bool stop_ = false;
  int exit_code_ = 0;
  // Suspended or held (the service's answer, "" when items are taken), asked at most once a
  // second while files wait.
  bool Admitted();
  // A new connection to `mugai serve` (not for an in-process service); false when none.
  bool Reconnect();
  std::string held_;
  int64_t admission_checked_ms_ = -1;
};

// A path component made safe for an outbox: control, bidi and invalid bytes become '_',
// trailing dots and spaces go. Never empty, never "." or "..".
std::string SafeComponent(const std::string& name);

}  // namespace mugai
