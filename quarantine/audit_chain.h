// Internal to the audit log (not a public header): the lock, audit.head, line reading and the
// chain verifier shared by AuditLog::Append, Verify, Purge and Export.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "quarantine/audit_log.h"

namespace mugai::audit_internal {

// An flock on <state>/audit.lock, held until destruction. The log itself is not locked
// because Purge replaces it by rename; the lock file is never replaced.
class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;

  // Exclusive: creates the lock file (0600) when absent; kIo on failure. Shared (readers):
  // when the file cannot be opened (a read-only auditor, no log yet) proceeds unlocked.
  static Result<FileLock> Acquire(const std::string& path, bool exclusive);

 private:
  int fd_ = -1;
};

struct Head {
  uint64_t seq = 0;
  std::string hash;
};

// audit.head: nullopt when absent; kInvalidArgument when malformed; kIo when unreadable.
Result<std::optional<Head>> ReadHead(const std::string& path);
// Replaces audit.head atomically (temp + fsync + rename), mode 0600.
Status WriteHead(const std::string& path, const Head& head);

// The lines of `path` without their newlines. `complete` is false when the file does not
// end with a newline (its last line was cut short). kNotFound when absent.
struct Lines {
  std::vector<std::string> lines;
  bool complete = true;
};
Result<Lines> ReadLines(const std::string& path);

// The parts of a record the chain needs; nullopt (and `why`) when the line is not a
// well-formed record.
struct Record {
  uint64_t seq = 0;
  int64_t time = 0;
  std::string event;
  std::string prev;
  nlohmann::json details;
};
std::optional<Record> ParseRecord(std::string_view line, std::string* why);

// Checks records one line at a time, across files, and keeps the first problem.
class ChainVerifier {
 public:
  void Feed(const std::string& file, uint64_t line_no, std::string_view line);
  // A file whose last line has no newline.
  void CutShort(const std::string& file, uint64_t line_no, uint64_t seq_hint);
  // After the last line of the last file: was the start covered by a checkpoint, and does
  // the end agree with audit.head (`head_file`; `head` nullopt when it is absent)?
  // A malformed audit.head (`head` not ok) is reported as the problem.
  void Finish(const std::string& log_file, const std::string& head_file,
              const Result<std::optional<Head>>& head);
  const AuditVerifyResult& result() const { return result_; }
  // Notes (result().anchor_seen/anchor_matches) whether the record `seq` is read with `hash`.
  void WatchFor(uint64_t seq, std::string hash) {
    watch_seq_ = seq;
    watch_hash_ = std::move(hash);
  }

 private:
  void Problem(const std::string& file, uint64_t line, uint64_t seq, std::string what);
  void NoteCheckpoint(const Record& record);
  void CheckHead(const std::string& log_file, const std::string& head_file,
                 const std::optional<Head>& head);

  AuditVerifyResult result_;
  std::string prev_hash_;  // hash of the last good line
  std::string last_prev_;  // prev field of the last good line
  std::string last_file_;
  uint64_t last_line_ = 0;
  // Where the chain starts; a start other than seq 1 / genesis needs a checkpoint.
  std::string start_file_;
  uint64_t start_line_ = 0;
  std::string start_prev_;
  bool start_covered_ = false;
  uint64_t watch_seq_ = 0;
  std::string watch_hash_;
};

// hex sha256 of a record line's exact bytes (no newline).
std::string LineHash(std::string_view line);

}  // namespace mugai::audit_internal
