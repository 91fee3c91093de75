// The crash-safe hand-over of one dropped file (issue 8). A file is claimed by renaming it
// into <inbox>/.mugai-work/ next to a small record of where it came from; its outputs are
// staged in <outbox>/.mugai-staging/<id>/ and a delivery journal is written before they
// are renamed into the outbox. After a kill -9 at any point, Recover() finishes or retries
// each claim: nothing is lost, nothing is delivered twice, no original reaches the outbox.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mugai {

struct Claim {
  std::string id;
  std::string inbox;     // the mapping's inbox root
  std::string relpath;   // path of the file relative to the inbox ("user/sub/a.pdf")
  std::string out_dir;   // the outbox folder its outputs go to (sub-folders preserved)
  std::string staging;   // <outbox root>/.mugai-staging/<id>
  std::string original;  // <inbox>/.mugai-work/<id>.orig
};

// A staged file and its final place in the outbox.
using Delivery = std::pair<std::string, std::string>;

class ClaimStore {
 public:
  // Claims `path` (under `inbox`) for delivery into `out_dir`, staging under `out_root`.
  // Writes the record (fsync'd), then renames the file into the work folder.
  static Result<Claim> Create(const std::string& inbox, const std::string& path,
                              const std::string& out_dir, const std::string& out_root);

  // Every claim left in `inbox`'s work folder: records without a claimed file are removed
  // (the file is still in the inbox); the rest are returned, oldest first.
  static std::vector<Claim> Pending(const std::string& inbox);

  // True when `claim` already has a delivery journal (its outputs were staged and named).
  static bool HasJournal(const Claim& claim);

  // Writes the journal (atomically), then renames every staged file into place.
  static Status Deliver(const Claim& claim, const std::vector<Delivery>& deliveries);

  // Replays a journal written before a crash: renames what is still staged.
  static Status Replay(const Claim& claim);

  // Removes the claim: the original (already kept in the quarantine), journal, staging, record.
  static void Finish(const Claim& claim);

  // Empties a claim's staging folder (before it is processed again).
  static void ClearStaging(const Claim& claim);

  static std::string WorkDir(const std::string& inbox) { return inbox + "/.mugai-work"; }
};

// Test hook: when the environment names `step` in MUGAI_WATCH_CRASH_AT, the process dies
// right here, as with kill -9 (the crash-safety tests use it).
void CrashPoint(const char* step);

// `name` with "(1)", "(2)"... before its extension until `dir` has no such entry.
std::string FreeName(const std::string& dir, const std::string& name);

}  // namespace mugai
