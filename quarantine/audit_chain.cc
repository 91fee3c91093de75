// Audit log internals: the lock file, audit.head, line reading, record parsing and the
// chain verifier (see audit_chain.h).
#include "quarantine/audit_chain.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/file_util.h"

namespace mugai::audit_internal {

namespace {
// The head is a few dozen bytes; anything much larger is not ours.
constexpr uint64_t kMaxHeadBytes = 4096;

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Reads `key` of `j` as T; false when absent or of another type.
template <typename T>
bool Field(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if constexpr (std::is_same_v<T, uint64_t>) {
    if (!it->is_number_unsigned()) return false;
  } else {
    if (!it->is_string()) return false;
  }
  out = it->get<T>();
  return true;
}
}  // namespace

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // closing releases the flock
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Result<FileLock> FileLock::Acquire(const std::string& path, bool exclusive) {
  FileLock lock;
  int flags = O_CLOEXEC | O_NOFOLLOW | (exclusive ? O_RDWR | O_CREAT : O_RDONLY);
  lock.fd_ = open(path.c_str(), flags, 0600);
  if (lock.fd_ < 0) {
    if (!exclusive) return lock;
    return Status{StatusCode::kIo, "cannot open '" + path + "': " + strerror(errno)};
  }
  int rc;
  do {
    rc = flock(lock.fd_, exclusive ? LOCK_EX : LOCK_SH);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Status{StatusCode::kIo, "cannot lock '" + path + "': " + strerror(errno)};
  return lock;
}

Result<std::optional<Head>> ReadHead(const std::string& path) {
  Result<std::string> text = ReadFileLimited(path, kMaxHeadBytes);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return std::optional<Head>();
    if (text.status().code() == StatusCode::kLimit) {
      return Status{StatusCode::kInvalidArgument, "audit.head is too large"};
    }
    return text.status();
  }
  nlohmann::json j = nlohmann::json::parse(text.value(), nullptr, /*allow_exceptions=*/false);
  Head head;
  if (!j.is_object() || !Field(j, "seq", head.seq) || !Field(j, "hash", head.hash) ||
      !IsHex64(head.hash)) {
    return Status{StatusCode::kInvalidArgument, "audit.head is malformed"};
  }
  return std::optional<Head>(head);
}

Status WriteHead(const std::string& path, const Head& head) {
  std::string text = nlohmann::json{{"seq", head.seq}, {"hash", head.hash}}.dump() + "\n";
  return WriteFileAtomically(path, text, 0600, /*replace=*/true);
}

Result<Lines> ReadLines(const std::string& path) {
  // The whole log is held in memory: 3 years of records at a few hundred bytes each.
  Result<std::string> text = ReadFileLimited(path, uint64_t{1} << 34);
  if (!text.ok()) return text.status();
  Lines out;
  std::string_view rest = text.value();
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      out.lines.emplace_back(rest);
      out.complete = false;
      break;
    }
    out.lines.emplace_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  return out;
}

std::optional<Record> ParseRecord(std::string_view line, std::string* why) {
  if (line.size() > kAuditMaxRecordBytes) {
    *why = "record longer than " + std::to_string(kAuditMaxRecordBytes) + " bytes";
    return std::nullopt;
  }
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *why = "not a JSON object (bad JSON)";
    return std::nullopt;
  }
  Record r;
  std::string time, actor, item_id;
  for (auto [ok, name] :
       {std::pair{Field(j, "seq", r.seq), "seq"},
        std::pair{Field(j, "time", time) && ParseUtc(time), "time"},
        std::pair{Field(j, "event", r.event) && ParseAuditEvent(r.event).has_value(), "event"},
        std::pair{Field(j, "actor", actor), "actor"},
        std::pair{Field(j, "item_id", item_id), "item_id"},
        std::pair{j.contains("details") && j["details"].is_object(), "details"},
        std::pair{Field(j, "prev", r.prev) && IsHex64(r.prev), "prev"}}) {
    if (!ok) {
      *why = std::string("missing or malformed field '") + name + "'";
      return std::nullopt;
    }
  }
  r.time = ParseUtc(time).value_or(0);
  r.details = j["details"];
  return r;
}

std::string LineHash(std::string_view line) { return Sha256Hex(line); }

void ChainVerifier::Problem(const std::string& file, uint64_t line, uint64_t seq,
                            std::string what) {
  if (!result_.problem) result_.problem = AuditProblem{file, line, seq, std::move(what)};
}

void ChainVerifier::NoteCheckpoint(const Record& r) {
  if (r.event != "checkpoint" || start_covered_) return;
  uint64_t last_seq = 0;
  std::string last_hash;
  if (Field(r.details, "removed_last_seq", last_seq) &&
      Field(r.details, "removed_last_hash", last_hash) && last_seq + 1 == result_.first_seq &&
      last_hash == start_prev_) {
    start_covered_ = true;
  }
}

void ChainVerifier::CutShort(const std::string& file, uint64_t line_no, uint64_t seq_hint) {
  Problem(file, line_no, seq_hint, "the record has no newline: its write was cut short");
}

void ChainVerifier::Feed(const std::string& file, uint64_t line_no, std::string_view line) {
  std::string why;
  std::optional<Record> r = ParseRecord(line, &why);
  bool first = result_.records == 0 && start_file_.empty();
  if (result_.problem) {  // after a problem, only look for a checkpoint covering the start
    if (r) NoteCheckpoint(*r);
    return;
  }
  if (!r) {
    if (first) start_covered_ = true;  // line 1 itself is the problem
    Problem(file, line_no, result_.records == 0 ? 1 : result_.last_seq + 1, why);
    return;
  }
  if (first) {
    start_file_ = file;
    start_line_ = line_no;
    start_prev_ = r->prev;
    result_.first_seq = r->seq;
    start_covered_ = r->seq == 1 && r->prev == kAuditGenesisHash;
  } else if (r->seq != result_.last_seq + 1) {
    Problem(file, line_no, r->seq,
            "seq " + std::to_string(r->seq) + " where " + std::to_string(result_.last_seq + 1) +
                " was expected: " +
                (r->seq <= result_.last_seq ? "a record was inserted, duplicated or moved"
                                            : "records before this one were deleted or moved"));
    return;
  } else if (r->prev != prev_hash_) {
    // seq runs on, so the previous record's bytes are what changed (or this prev was).
    Problem(last_file_, last_line_, result_.last_seq,
            "this record was edited: its hash does not match the prev sealed in the next "
            "record (line " +
                std::to_string(line_no) + ", seq " + std::to_string(r->seq) + ")");
    return;
  }
  NoteCheckpoint(*r);
  prev_hash_ = LineHash(line);
  if (watch_seq_ != 0 && r->seq == watch_seq_) {
    result_.anchor_seen = true;
    result_.anchor_matches = prev_hash_ == watch_hash_;
  }
  result_.last_time = r->time;
  last_prev_ = r->prev;
  last_file_ = file;
  last_line_ = line_no;
  result_.last_seq = r->seq;
  result_.last_hash = prev_hash_;
  ++result_.records;
}

void ChainVerifier::Finish(const std::string& log_file, const std::string& head_file,
                           const Result<std::optional<Head>>& head) {
  if (result_.records > 0 && !start_covered_) {
    // Line 1 comes before any other problem, so it replaces one found later.
    result_.problem = AuditProblem{
        start_file_, start_line_, result_.first_seq,
        "the chain starts at seq " + std::to_string(result_.first_seq) +
            " but no checkpoint covers the records before it: records were removed from the "
            "start"};
    return;
  }
  if (result_.problem) return;
  if (!head.ok()) {
    Problem(head_file, 0, result_.last_seq, head.status().message());
  } else {
    CheckHead(log_file, head_file, head.value());
  }
}

void ChainVerifier::CheckHead(const std::string& log_file, const std::string& head_file,
                              const std::optional<Head>& head) {
  const uint64_t last = result_.last_seq;
  if (!head) {
    // Tolerated only for a crash between the very first append and its head update.
    bool first_only = result_.records == 0 || (last == 1 && last_prev_ == kAuditGenesisHash);
    if (!first_only) Problem(head_file, 0, last, "audit.head is missing");
    return;
  }
  if (head->seq > last) {
    Problem(last_file_.empty() ? log_file : last_file_, last_line_ + 1, last + 1,
            "records " + std::to_string(last + 1) + ".." + std::to_string(head->seq) +
                " are missing: audit.head records seq " + std::to_string(head->seq) +
                ", the log ends at " + std::to_string(last) + " (the end was removed)");
  } else if (head->seq == last) {
    if (head->hash != result_.last_hash) {
      Problem(last_file_, last_line_, last,
              "the last record was edited: its hash does not match audit.head");
    }
  } else if (head->seq + 1 == last) {
    // A crash between writing the record and updating the head leaves it one behind.
    if (head->hash != last_prev_) {
      Problem(last_file_, last_line_ - 1, head->seq,
              "the record was edited: its hash does not match audit.head");
    }
  } else {
    uint64_t first_unsealed = head->seq + 2;
    Problem(last_file_, last_line_ - (last - first_unsealed), first_unsealed,
            "records after seq " + std::to_string(head->seq + 1) +
                " are not covered by audit.head: appended without mugai");
  }
}

}  // namespace mugai::audit_internal
