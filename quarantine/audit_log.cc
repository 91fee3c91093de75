// Audit log: append under a lock with the hash chain, verify, and retention with checkpoints.
#include "quarantine/audit_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/file_util.h"
#include "quarantine/audit_chain.h"

namespace mugai {

using audit_internal::ChainVerifier;
using audit_internal::FileLock;
using audit_internal::Head;
using audit_internal::LineHash;

namespace {

constexpr const char* kEventNames[] = {
    "item_processed",    "delivered",           "quarantined",
    "release_requested", "release_approved",    "release_rejected",
    "released",          "resubmitted",         "purged",
    "config_loaded",     "signatures_reloaded", "checkpoint",
    "suspended",         "resumed",             "downloaded",
    "login",             "login_failed",        "lockout",
    "logout",            "imported"};

Status IoError(const std::string& what, const std::string& path) {
  return {StatusCode::kIo, what + " '" + path + "': " + strerror(errno)};
}

// Where the next record chains on: the last record's seq and hash (0 / genesis when empty).
struct Tail {
  uint64_t seq = 0;
  std::string hash{kAuditGenesisHash};
};

// One record line, fields in a fixed order; invalid UTF-8 is replaced, never thrown on.
std::string FormatRecord(uint64_t seq, int64_t time, AuditEvent event, const std::string& actor,
                         const std::string& item_id, const nlohmann::json& details,
                         const std::string& prev, const std::string& node = "") {
  nlohmann::ordered_json j;
  j["seq"] = seq;
  j["time"] = FormatUtc(time);
  j["event"] = AuditEventName(event);
  j["actor"] = actor;
  j["item_id"] = item_id;
  if (!node.empty()) j["node"] = node;  // the database chain, shared by several nodes
  j["details"] = nlohmann::ordered_json(details);
  j["prev"] = prev;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// The last line of the open log (`size` bytes, ending with a newline), without it.
Result<std::string> ReadLastLine(int fd, uint64_t size, const std::string& path) {
  uint64_t window = std::min<uint64_t>(size, kAuditMaxRecordBytes + 2);
  std::string buf(static_cast<size_t>(window), '\0');
  ssize_t n = pread(fd, buf.data(), buf.size(), static_cast<off_t>(size - window));
  if (n != static_cast<ssize_t>(window)) return IoError("cannot read", path);
  if (buf.back() != '\n') {
    return Status{StatusCode::kIo,
                  "the last record of '" + path + "' was cut short (no newline); run audit verify"};
  }
  buf.pop_back();
  size_t nl = buf.rfind('\n');
  if (nl == std::string::npos && window < size) {
    return Status{StatusCode::kIo, "the last record of '" + path + "' is too long"};
  }
  return nl == std::string::npos ? buf : buf.substr(nl + 1);
}

// Refuses to chain onto a tail that audit.head contradicts: otherwise an edited last record
// or a removed end would be sealed into the chain by the new record.
Status TailMatchesHead(const audit_internal::Record& last, const std::string& last_hash,
                       const Result<std::optional<Head>>& head) {
  auto refuse = [](const std::string& why) {
    return Status{StatusCode::kIo, "the audit log does not match audit.head (" + why +
                                       "); appending refused, run audit verify"};
  };
  if (!head.ok()) return refuse(head.status().message());
  const std::optional<Head>& h = head.value();
  if (!h) {
    if (last.seq == 1 && last.prev == kAuditGenesisHash) return Status::Ok();
    return refuse("audit.head is missing");
  }
  if (h->seq == last.seq && h->hash == last_hash) return Status::Ok();
  if (h->seq + 1 == last.seq && h->hash == last.prev) return Status::Ok();
  return refuse("head seq " + std::to_string(h->seq) + ", log ends at seq " +
                std::to_string(last.seq));
}

// Reads and checks where the next record chains on.
Result<Tail> ReadTail(int fd, const std::string& log, const std::string& head_path) {
  struct stat st;
  if (fstat(fd, &st) != 0) return IoError("cannot stat", log);
  Result<std::optional<Head>> head = audit_internal::ReadHead(head_path);
  if (!head.ok() && head.status().code() == StatusCode::kIo) return head.status();
  if (st.st_size == 0) {
    if (head.ok() && (!head.value() || head.value()->seq == 0)) return Tail{};
    return Status{StatusCode::kIo,
                  "audit.log is empty but audit.head says it held records; "
                  "appending refused, run audit verify"};
  }
  Result<std::string> line = ReadLastLine(fd, static_cast<uint64_t>(st.st_size), log);
  if (!line.ok()) return line.status();
  std::string why;
  std::optional<audit_internal::Record> last = audit_internal::ParseRecord(line.value(), &why);
  if (!last) {
    return Status{StatusCode::kIo, "the last record of the audit log is damaged (" + why +
                                       "); appending refused, run audit verify"};
  }
  Tail tail{last->seq, LineHash(line.value())};
  if (Status s = TailMatchesHead(*last, tail.hash, head); !s.ok()) return s;
  return tail;
}

// Writes `bytes` with one write() so a concurrent reader never sees half a record; a short
// write is undone so the log never keeps a torn line.
Status WriteRecord(int fd, uint64_t old_size, const std::string& bytes, const std::string& log) {
  ssize_t n;
  do {
    n = write(fd, bytes.data(), bytes.size());
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(bytes.size())) return Status::Ok();
  Status s = n < 0 ? IoError("cannot write", log)
                   : Status{StatusCode::kIo, "short write to '" + log + "'"};
  if (ftruncate(fd, static_cast<off_t>(old_size)) != 0) {
    return {StatusCode::kIo, s.message() + "; the log now ends with a torn record"};
  }
  return s;
}

void FsyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

// "audit-<YYYYMMDD>-<first>-<last>.log.archived": the same records always get the same name,
// so a purge repeated after a crash overwrites its own earlier archive.
std::string ArchiveName(int64_t last_time, uint64_t first_seq, uint64_t last_seq) {
  std::string date = FormatUtc(last_time).substr(0, 10);
  date.erase(std::remove(date.begin(), date.end(), '-'), date.end());
  return "audit-" + date + "-" + std::to_string(first_seq) + "-" + std::to_string(last_seq) +
         ".log.archived";
}

// First seq in an archive's name (0 when the name does not parse).
uint64_t ArchiveFirstSeq(const std::string& name) {
  size_t dash = name.find('-', 6);
  if (dash == std::string::npos) return 0;
  return std::strtoull(name.c_str() + dash + 1, nullptr, 10);
}

std::vector<std::string> ListArchives(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> found;
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      const std::string suffix = ".log.archived";
      if (name.rfind("audit-", 0) == 0 && name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        found.emplace_back(ArchiveFirstSeq(name), dir + "/" + name);
      }
    }
    closedir(d);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  for (auto& f : found) paths.push_back(std::move(f.second));
  return paths;
}

void FeedLines(ChainVerifier& v, const std::string& path, const audit_internal::Lines& lines) {
  const std::vector<std::string>& l = lines.lines;
  for (size_t i = 0; i < l.size(); ++i) {
    if (i + 1 == l.size() && !lines.complete) {
      v.CutShort(path, i + 1, v.result().last_seq + 1);
    } else {
      v.Feed(path, i + 1, l[i]);
    }
  }
}

// Feeds every line of `path` to `v`; an absent file is empty.
Status FeedFile(ChainVerifier& v, const std::string& path) {
  Result<audit_internal::Lines> lines = audit_internal::ReadLines(path);
  if (!lines.ok()) {
    return lines.status().code() == StatusCode::kNotFound ? Status::Ok() : lines.status();
  }
  FeedLines(v, path, lines.value());
  return Status::Ok();
}

std::string Join(const std::vector<std::string>& lines, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += lines[i] + "\n";
  return out;
}

std::string Describe(const AuditProblem& p) {
  return p.file + " line " + std::to_string(p.line) + " (seq " + std::to_string(p.seq) +
         "): " + p.what;
}

}  // namespace

std::string_view AuditEventName(AuditEvent event) {
  return kEventNames[static_cast<size_t>(event)];
}

std::optional<AuditEvent> ParseAuditEvent(std::string_view name) {
  for (size_t i = 0; i < std::size(kEventNames); ++i) {
    if (name == kEventNames[i]) return static_cast<AuditEvent>(i);
  }
  return std::nullopt;
}

void AuditLog::KeepOwner(const std::string& path) const {
  // Root acting on the state folder (an operator command without the service) must not
  // leave files the service's user can no longer replace or read. On failure the file is
  // left as it is: the service's next append then says it cannot write the log.
  (void)GiveToFolderOwner(path, state_dir_);
}

Result<uint64_t> AuditLog::Append(const AuditEntry& entry) {
  return AppendAll(std::vector<AuditEntry>{entry});
}

namespace {
Status CheckEntries(const std::vector<AuditEntry>& entries) {
  if (entries.empty()) return Status{StatusCode::kInvalidArgument, "no audit records to append"};
  for (const AuditEntry& entry : entries) {
    if (!entry.details.is_object()) {
      return Status{StatusCode::kInvalidArgument, "audit details must be a JSON object"};
    }
    if (entry.event == AuditEvent::kCheckpoint) {
      return Status{StatusCode::kInvalidArgument, "checkpoint records are written by Purge"};
    }
  }
  return Status::Ok();
}

const char* const kDbLog = "database table audit";
const char* const kDbHead = "database table audit_head";

// The head as ChainVerifier::Finish takes it: none for an empty chain.
Result<std::optional<Head>> AsFinishHead(const Head& head) {
  return head.seq == 0 ? std::optional<Head>() : std::optional<Head>(head);
}

// What a retention purge of a verified chain removes: its records older than `cutoff`.
struct PurgePlan {
  size_t removed = 0;  // the first `removed` lines go
  uint64_t last_removed_seq = 0;
  AuditPurgeResult result;
  nlohmann::json checkpoint;  // the checkpoint record's details
};

// `verified`: the verifier's result for exactly `lines`, ok.
PurgePlan PlanPurge(const std::vector<std::string>& lines, const AuditVerifyResult& verified,
                    int64_t cutoff) {
  PurgePlan plan;
  std::string why;
  int64_t last_time = 0;
  for (; plan.removed < lines.size(); ++plan.removed) {
    std::optional<audit_internal::Record> r =
        audit_internal::ParseRecord(lines[plan.removed], &why);
    if (!r || r->time >= cutoff) break;  // verified, so r is always set
    last_time = r->time;
  }
  size_t k = plan.removed;
  if (k == 0) {
    plan.result = AuditPurgeResult{0, lines.size(), ""};
    return plan;
  }
  const uint64_t first_removed = verified.first_seq;
  plan.last_removed_seq = first_removed + k - 1;
  plan.result = AuditPurgeResult{k, lines.size() - k + 1,
                                 ArchiveName(last_time, first_removed, plan.last_removed_seq)};
  plan.checkpoint = {{"removed_first_seq", first_removed},
                     {"removed_last_seq", plan.last_removed_seq},
                     {"removed_last_hash", LineHash(lines[k - 1])},
                     {"removed_count", k},
                     {"kept_count", lines.size() - k},
                     {"cutoff", FormatUtc(cutoff)},
                     {"archive", plan.result.archive}};
  return plan;
}

// The head row, locked for this transaction when `lock`.
Result<Head> ReadDbHead(SqlConn& db, bool lock) {
  Result<std::vector<SqlRow>> rows = db.Query(
      std::string("SELECT seq, hash FROM audit_head WHERE id = 1") + (lock ? db.ForUpdate() : ""));
  if (!rows.ok()) return rows.status();
  if (rows->empty()) {
    return Status{StatusCode::kIo, "the audit_head row is missing; run mugai audit verify"};
  }
  return Head{std::stoull(rows->front()[0].value_or("0")), rows->front()[1].value_or("")};
}

// Chains `entries` onto `head` and inserts them; moves the head. Inside a transaction.
Result<std::vector<std::string>> InsertRecords(SqlConn& db, Head head,
                                               const std::vector<AuditEntry>& entries,
                                               const std::string& node, int64_t now) {
  std::vector<std::string> lines;
  for (const AuditEntry& entry : entries) {
    ++head.seq;
    std::string line = FormatRecord(head.seq, now, entry.event, entry.actor, entry.item_id,
                                    entry.details, head.hash, node);
    if (line.size() > kAuditMaxRecordBytes) {
      return Status{StatusCode::kLimit,
                    "audit record over " + std::to_string(kAuditMaxRecordBytes) + " bytes"};
    }
    if (Status s = db.Exec("INSERT INTO audit (seq, node, time, line) VALUES ($1, $2, $3, $4)",
                           {static_cast<int64_t>(head.seq), node, FormatUtc(now), line});
        !s.ok()) {
      return s;
    }
    head.hash = LineHash(line);
    lines.push_back(std::move(line));
  }
  if (Status s = db.Exec("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
                         {static_cast<int64_t>(head.seq), head.hash});
      !s.ok()) {
    return s;
  }
  return lines;
}
}  // namespace

Result<std::vector<std::string>> AppendAuditRecords(SqlConn& db,
                                                    const std::vector<AuditEntry>& entries,
                                                    const std::string& node, int64_t now) {
  if (Status s = CheckEntries(entries); !s.ok()) return s;
  // The lock on the head row serialises every node's appends; it is held to COMMIT.
  Result<Head> head = ReadDbHead(db, /*lock=*/true);
  if (!head.ok()) return head.status();
  // Refuse to seal an edited or removed last record into the chain (as with audit.head).
  Result<std::string> last = db.Scalar("SELECT line FROM audit WHERE seq = $1",
                                       {static_cast<int64_t>(head->seq)});
  if (!last.ok()) return last.status();
  bool matches = head->seq == 0 ? last->empty() : (!last->empty() && LineHash(*last) == head->hash);
  if (!matches) {
    return Status{StatusCode::kIo, "the audit table does not match audit_head (head seq " +
                                       std::to_string(head->seq) +
                                       "); appending refused, run mugai audit verify"};
  }
  return InsertRecords(db, head.value(), entries, node, now);
}

void AuditLog::UseDatabase(std::unique_ptr<SqlConn> db, std::string node) {
  db_ = std::move(db);
  node_ = std::move(node);
}

void AuditLog::Forward(const std::vector<std::string>& lines) const {
  if (!syslog_) return;
  for (const std::string& line : lines) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    std::string event = j.is_object() ? j.value("event", "") : "";
    syslog_->Send(6, event, line);
  }
}

Result<uint64_t> AuditLog::AppendToDatabase(const std::vector<AuditEntry>& entries) {
  std::lock_guard<std::mutex> lock(*db_mutex_);
  SqlTransaction tx(*db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  Result<std::vector<std::string>> lines = AppendAuditRecords(*db_, entries, node_, clock_());
  if (!lines.ok()) return lines.status();
  if (Status s = tx.Commit(); !s.ok()) return s;
  Forward(lines.value());
  nlohmann::json last = nlohmann::json::parse(lines->back(), nullptr, false);
  return last.value("seq", uint64_t{0});
}

Status ImportAuditLines(SqlConn& db, const std::vector<std::string>& lines) {
  Result<Head> head = ReadDbHead(db, /*lock=*/true);
  if (!head.ok()) return head.status();
  Result<std::string> count = db.Scalar("SELECT count(*) FROM audit");
  if (!count.ok()) return count.status();
  if (head->seq != 0 || count.value() != "0") {
    return {StatusCode::kInvalidArgument,
            "the database's audit chain is not empty (" + count.value() +
                " records): an import needs a database no node has written to yet"};
  }
  Head last{0, std::string(kAuditGenesisHash)};
  for (const std::string& line : lines) {
    std::string why;
    std::optional<audit_internal::Record> r = audit_internal::ParseRecord(line, &why);
    if (!r) return {StatusCode::kInvalidArgument, "an audit record does not parse: " + why};
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (Status s = db.Exec("INSERT INTO audit (seq, node, time, line) VALUES ($1, $2, $3, $4)",
                           {static_cast<int64_t>(r->seq), j.value("node", std::string()),
                            FormatUtc(r->time), line});
        !s.ok()) {
      return s;
    }
    last = Head{r->seq, LineHash(line)};
  }
  return db.Exec("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
                 {static_cast<int64_t>(last.seq), last.hash});
}

Result<std::vector<std::string>> AuditLog::ReadAll() const {
  std::vector<std::string> out;
  if (db_) {
    std::lock_guard<std::mutex> lock(*db_mutex_);
    Result<std::vector<SqlRow>> rows = db_->Query("SELECT line FROM audit ORDER BY seq");
    if (!rows.ok()) return rows.status();
    for (const SqlRow& r : rows.value()) out.push_back(r[0].value_or(""));
    return out;
  }
  Result<FileLock> lock = FileLock::Acquire(lock_path(), /*exclusive=*/false);
  if (!lock.ok()) return lock.status();
  Result<audit_internal::Lines> lines = audit_internal::ReadLines(log_path());
  if (!lines.ok()) {
    if (lines.status().code() == StatusCode::kNotFound) return out;
    return lines.status();
  }
  return std::move(lines->lines);
}

Result<AuditVerifyResult> AuditLog::VerifyDatabase(bool with_archives,
                                                   const std::optional<AuditAnchor>& anchor) const {
  std::lock_guard<std::mutex> lock(*db_mutex_);
  // One snapshot: the rows and the head as of the same moment.
  if (Status s = db_->BeginSnapshot(); !s.ok()) return s;
  struct End {
    SqlConn& db;
    ~End() { db.Rollback(); }
  } end{*db_};
  ChainVerifier v;
  if (anchor) v.WatchFor(anchor->seq, anchor->hash);
  if (with_archives) {
    // Segments a retention purge moved out (into the state folder of the node that ran it).
    for (const std::string& archive : ListArchives(state_dir_)) {
      if (Status s = FeedFile(v, archive); !s.ok()) return s;
    }
  }
  Result<std::vector<SqlRow>> rows = db_->Query("SELECT seq, line FROM audit ORDER BY seq");
  if (!rows.ok()) return rows.status();
  uint64_t n = 0;
  for (const SqlRow& r : rows.value()) v.Feed(kDbLog, ++n, r[1].value_or(""));
  Result<Head> head = ReadDbHead(*db_, false);
  if (!head.ok()) return head.status();
  v.Finish(kDbLog, kDbHead, AsFinishHead(head.value()));
  return v.result();
}

Result<AuditPurgeResult> AuditLog::PurgeDatabase(int older_than_days, const std::string& actor) {
  std::lock_guard<std::mutex> lock(*db_mutex_);
  SqlTransaction tx(*db_);
  if (Status s = tx.Begin(); !s.ok()) return s;
  Result<Head> head = ReadDbHead(*db_, /*lock=*/true);  // no node appends meanwhile
  if (!head.ok()) return head.status();
  Result<std::vector<SqlRow>> rows = db_->Query("SELECT seq, line FROM audit ORDER BY seq");
  if (!rows.ok()) return rows.status();
  std::vector<std::string> lines;
  for (const SqlRow& r : rows.value()) lines.push_back(r[1].value_or(""));
  ChainVerifier v;
  for (size_t i = 0; i < lines.size(); ++i) v.Feed(kDbLog, i + 1, lines[i]);
  v.Finish(kDbLog, kDbHead, AsFinishHead(head.value()));
  if (!v.result().ok()) {
    return Status{StatusCode::kInvalidArgument,
                  "the audit chain does not verify, purge refused: " + Describe(*v.result().problem)};
  }
  PurgePlan plan = PlanPurge(lines, v.result(), clock_() - int64_t{older_than_days} * 86400);
  if (plan.removed == 0) return plan.result;
  AuditEntry checkpoint{AuditEvent::kCheckpoint, actor, "", plan.checkpoint};
  // The archive is written (on this node's state folder) before the rows go: a failed
  // commit leaves a duplicate archive that a retried purge overwrites with the same bytes.
  std::string archive = state_dir_ + "/" + plan.result.archive;
  if (Status s = MakeDirs(state_dir_, 0700); !s.ok()) return s;
  if (Status s = WriteFileAtomically(archive, Join(lines, 0, plan.removed), 0600, true); !s.ok()) {
    return s;
  }
  KeepOwner(archive);
  if (Status s = db_->Exec("DELETE FROM audit WHERE seq <= $1",
                           {static_cast<int64_t>(plan.last_removed_seq)});
      !s.ok()) {
    return s;
  }
  Result<std::vector<std::string>> written =
      InsertRecords(*db_, head.value(), {checkpoint}, node_, clock_());
  if (!written.ok()) return written.status();
  if (Status s = tx.Commit(); !s.ok()) return s;
  Forward(written.value());
  return plan.result;
}

Result<uint64_t> AuditLog::AppendAll(const std::vector<AuditEntry>& entries) {
  if (Status s = CheckEntries(entries); !s.ok()) return s;
  if (db_) return AppendToDatabase(entries);
  if (Status s = MakeDirs(state_dir_, 0700); !s.ok()) return s;
  Result<FileLock> lock = FileLock::Acquire(lock_path(), /*exclusive=*/true);
  if (!lock.ok()) return lock.status();
  const std::string log = log_path();
  int fd = open(log.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError("cannot open", log);
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  Result<Tail> tail = ReadTail(fd, log, head_path());
  if (!tail.ok()) return tail.status();
  uint64_t seq = tail->seq;
  std::string prev = tail->hash;
  std::string text;
  std::vector<std::string> lines;  // for syslog
  int64_t now = clock_();
  for (const AuditEntry& entry : entries) {
    ++seq;
    std::string line =
        FormatRecord(seq, now, entry.event, entry.actor, entry.item_id, entry.details, prev);
    if (line.size() > kAuditMaxRecordBytes) {
      return Status{StatusCode::kLimit,
                    "audit record over " + std::to_string(kAuditMaxRecordBytes) + " bytes"};
    }
    prev = LineHash(line);
    text += line + "\n";
    if (syslog_) lines.push_back(std::move(line));
  }
  // The records of one call land with one write and one fsync: they belong to one event
  // (an item's decision and its quarantine), and a crash keeps all of them or none whole.
  struct stat st;
  if (fstat(fd, &st) != 0) return IoError("cannot stat", log);
  if (Status s = WriteRecord(fd, static_cast<uint64_t>(st.st_size), text, log); !s.ok()) {
    return s;
  }
  if (fsync(fd) != 0) return IoError("cannot fsync", log);
  if (st.st_size == 0) FsyncDir(state_dir_);  // the log file may be new
  if (Status s = audit_internal::WriteHead(head_path(), Head{seq, prev}); !s.ok()) {
    return s;
  }
  if (st.st_size == 0) KeepOwner(log);
  KeepOwner(head_path());
  // Under the lock still: the remote copy arrives in the chain's order.
  for (size_t i = 0; i < lines.size(); ++i) {
    syslog_->Send(6, AuditEventName(entries[i].event), lines[i]);  // 6: informational
  }
  return seq;
}

std::optional<AuditAnchor> ParseAuditAnchor(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 20) return std::nullopt;
  AuditAnchor a;
  for (char c : text.substr(0, colon)) {
    if (c < '0' || c > '9') return std::nullopt;
    a.seq = a.seq * 10 + static_cast<uint64_t>(c - '0');
  }
  a.hash = std::string(text.substr(colon + 1));
  if (a.seq == 0 || a.hash.size() != 64 ||
      a.hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::nullopt;
  }
  return a;
}

Result<AuditVerifyResult> AuditLog::Verify(bool with_archives,
                                           const std::optional<AuditAnchor>& anchor) const {
  if (db_) return VerifyDatabase(with_archives, anchor);
  Result<FileLock> lock = FileLock::Acquire(lock_path(), /*exclusive=*/false);
  if (!lock.ok()) return lock.status();
  ChainVerifier v;
  if (anchor) v.WatchFor(anchor->seq, anchor->hash);
  if (with_archives) {
    for (const std::string& archive : ListArchives(state_dir_)) {
      if (Status s = FeedFile(v, archive); !s.ok()) return s;
    }
  }
  if (Status s = FeedFile(v, log_path()); !s.ok()) return s;
  Result<std::optional<Head>> head = audit_internal::ReadHead(head_path());
  if (!head.ok() && head.status().code() == StatusCode::kIo) return head.status();
  v.Finish(log_path(), head_path(), head);
  return v.result();
}

Result<AuditPurgeResult> AuditLog::Purge(int older_than_days, const std::string& actor) {
  if (older_than_days < 0) return Status{StatusCode::kInvalidArgument, "negative retention"};
  if (actor.empty()) return Status{StatusCode::kInvalidArgument, "a purge needs its actor"};
  if (db_) return PurgeDatabase(older_than_days, actor);
  Result<FileLock> lock = FileLock::Acquire(lock_path(), /*exclusive=*/true);
  if (!lock.ok()) return lock.status();
  Result<audit_internal::Lines> read = audit_internal::ReadLines(log_path());
  if (!read.ok()) {
    if (read.status().code() == StatusCode::kNotFound) return AuditPurgeResult{};
    return read.status();
  }
  const std::vector<std::string>& lines = read->lines;
  ChainVerifier v;
  FeedLines(v, log_path(), read.value());
  Result<std::optional<Head>> head = audit_internal::ReadHead(head_path());
  if (!head.ok() && head.status().code() == StatusCode::kIo) return head.status();
  v.Finish(log_path(), head_path(), head);
  if (!v.result().ok()) {
    return Status{StatusCode::kInvalidArgument,
                  "the audit log does not verify, purge refused: " + Describe(*v.result().problem)};
  }
  PurgePlan plan = PlanPurge(lines, v.result(), clock_() - int64_t{older_than_days} * 86400);
  if (plan.removed == 0) return plan.result;
  const size_t k = plan.removed;
  uint64_t seq = v.result().last_seq + 1;
  std::string checkpoint = FormatRecord(seq, clock_(), AuditEvent::kCheckpoint, actor, "",
                                        plan.checkpoint, v.result().last_hash);
  // Archive first: a crash before the log is replaced only leaves a duplicate archive that
  // the retried purge overwrites with the same bytes.
  std::string archive = state_dir_ + "/" + plan.result.archive;
  if (Status s = WriteFileAtomically(archive, Join(lines, 0, k), 0600, true); !s.ok()) return s;
  std::string kept = Join(lines, k, lines.size()) + checkpoint + "\n";
  if (Status s = WriteFileAtomically(log_path(), kept, 0600, true); !s.ok()) return s;
  if (Status s = audit_internal::WriteHead(head_path(), Head{seq, LineHash(checkpoint)}); !s.ok()) {
    return s;
  }
  KeepOwner(archive);
  KeepOwner(log_path());
  KeepOwner(head_path());
  if (syslog_) syslog_->Send(6, AuditEventName(AuditEvent::kCheckpoint), checkpoint);
  return plan.result;
}

}  // namespace mugai
