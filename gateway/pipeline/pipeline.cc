// Supervisor-side orchestration of one batch of items through worker processes.
#include "gateway/pipeline/pipeline.h"

#include "gateway/service/suspension.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <set>

#include "common/clock.h"
#include "common/file_util.h"
#include "converters/mail/mail_text.h"
#include "gateway/service/limits.h"
#include "gateway/pipeline/family_table.h"
#include "gateway/sandbox/rebuild_protocol.h"
#include "gateway/sandbox/worker_job.h"
#include "gateway/sandbox/zygote_client.h"
#include "gateway/pipeline/policy.h"
#include "gateway/sandbox/worker_seccomp.h"
#include "scanners/name_check.h"

namespace mugai {

namespace {

unsigned DefaultJobs(uint32_t configured) {
  if (configured > 0) return configured;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}



// The supervisor's own check of a member path a worker returned: relative, '/'-separated,
// no empty, "." or ".." component, no backslash or control character, valid UTF-8.
bool MemberPathIsSafe(const std::string& untrusted_path) {
  if (untrusted_path.empty() || untrusted_path.size() > limits::kMaxPathField ||
      untrusted_path.front() == '/' || untrusted_path.back() == '/') {
    return false;
  }
  size_t last_slash = untrusted_path.rfind('/');
  size_t start = 0;
  while (start <= untrusted_path.size()) {
    size_t end = untrusted_path.find('/', start);
    if (end == std::string::npos) end = untrusted_path.size();
    std::string_view part(untrusted_path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  for (size_t i = 0; i < untrusted_path.size(); ++i) {
    auto u = static_cast<unsigned char>(untrusted_path[i]);
    bool in_folder = last_slash != std::string::npos && i < last_slash;
    // Controls in the file name itself are left for the member's name check, which blocks it.
    if (u == '\\' || (in_folder && (u < 0x20 || u == 0x7F))) return false;
  }
  return CheckFileName(untrusted_path).problem != NameProblem::kInvalidUtf8;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

}  // namespace

// One item's tree of nodes (an archive's members, their members...): the archive limits
// count over the whole tree, and the first limit hit condemns the whole item.
struct Pipeline::Tree {
  std::string root_name;
  uint64_t members = 0;
  uint64_t expanded_bytes = 0;
  int64_t start_ms = 0;
  Reason failed = Reason::kNone;
  std::string failed_detail;
};

// The items of one Sanitize() call. At most `max_in_flight` are read into memory at once, so
// a batch of thousands of files neither runs out of descriptors nor holds them all.
struct Pipeline::Batch {
  const std::vector<ItemInput>* items;
  std::vector<NodeReport>* reports;
  WorkerPool* pool;
  std::string out_dir;  // where outputs go unless an item names its own
  const OutputSink* sink = nullptr;  // or here, when set
  size_t next = 0;
  size_t in_flight = 0;
  size_t max_in_flight = 4;
  bool filling = false;
  // Decryption helpers of this batch running now (at most its pool's parallelism), and its
  // items waiting for one. Per batch: a waiting item only ever waits behind helpers whose
  // relay jobs keep this batch's pool running, so none is stranded when the pool ends.
  unsigned unlock_cap = 1;
  unsigned unlock_running = 0;
  std::deque<std::shared_ptr<ItemState>> unlock_waiting;
};

struct Pipeline::ItemState {
  Stage stage = Stage::kIntake;
  int64_t stage_started_ms = MonotonicMs();
  ItemInput input;
  NodeReport report;
  std::string bytes;
  int fd = -1;         // sealed memfd of the original
  int output_fd = -1;  // sealed memfd of the output, during verify
  WorkerResult result;
  Batch* batch = nullptr;
  size_t index = 0;
  std::string output_name;  // the name the delivered output gets
  // Archive trees. A member knows its parent until it has reported to it; the parent keeps
  // its members until it has rebuilt itself from their outputs.
  std::shared_ptr<Tree> tree;
  std::shared_ptr<ItemState> parent;
  uint32_t depth = 0;
  std::vector<std::shared_ptr<ItemState>> children;
  size_t pending_children = 0;
  bool deliverable = false;   // a member whose output goes into the rebuilt archive
  std::string deliver_path;   // its path there
  std::string deliver_type;
  std::string* deliver_bytes = nullptr;  // moved into the rebuild request
  std::vector<AuditEntry> pending_audit;  // written together with the item's decision
  // PostgreSQL: the quarantine row (its id already given out), written with pending_audit
  // and the original in one transaction by Record().
  std::optional<QuarantineRecord> pending_row;
  bool record_failed = false;  // that transaction failed: the item fails, and is not kept again
  Member member;  // what its container said of it (role, declared type; bytes moved out)
  std::string clean_mail_part;  // a message delivered unchanged: the sha256 of its only part
  // A text part processed by its message's worker (Member::processed): its output is
  // verified as a part of the rebuilt message, not by a worker of its own.
  bool processed_in_parent = false;
  // A message: the text parts so verified, as the sha256 of their bytes without CRs; the
  // message's verifier must find each among the text parts it reads.
  std::vector<std::string> text_parts_to_verify;
  size_t inline_parts = 0;  // a message: members that came processed
  ~ItemState() {
    if (fd >= 0) close(fd);
    if (output_fd >= 0) close(output_fd);
  }
};

Pipeline::Pipeline(const Config& config)
    : config_(config),
      output_policy_(OutputPolicy::From(config)),
      blobs_(config.state_dir + "/quarantine/blobs") {}

Pipeline::~Pipeline() {
  office_.reset();
  zygote_.reset();
  scanner_.reset();
}

Result<std::unique_ptr<Pipeline>> Pipeline::Create(const Config& config,
                                                   const PipelineOptions& options) {
  std::unique_ptr<Pipeline> p(new Pipeline(config));
  if (Status s = MakeDirs(config.state_dir, 0700); !s.ok()) {
    return Status{StatusCode::kConfig, "state folder: " + s.message() +
                                           " (set --state DIR or paths.state to a writable folder)"};
  }
  chmod(config.state_dir.c_str(), 0700);
  p->scratch_root_ = config.scratch_dir.empty() ? config.state_dir + "/tmp" : config.scratch_dir;
  p->slots_ = std::make_unique<WorkerSlots>(DefaultJobs(config.jobs));
  if (Status s = MakeDirs(p->scratch_root_, 0700); !s.ok()) {
    return Status{StatusCode::kConfig, "worker scratch folder: " + s.message() +
                                           " (set paths.scratch to a writable folder)"};
  }
  if (Status s = p->log_.Open(config.state_dir + "/mugai.log"); !s.ok()) {
    return Status{StatusCode::kConfig, s.message()};
  }
  p->options_ = options;
  Result<Stores> stores = OpenStores(StoreOptionsFrom(config));
  if (!stores.ok()) {
    return Status{stores.status().code() == StatusCode::kUnavailable ? StatusCode::kUnavailable
                                                                    : StatusCode::kConfig,
                  "quarantine: " + stores.status().message()};
  }
  if (stores->blobs->in_database() && config.max_input_bytes > (uint64_t{1} << 30)) {
    return Status{StatusCode::kConfig,
                  "limits.max_input_bytes is " + std::to_string(config.max_input_bytes) +
                      " bytes, over the 1 GiB a PostgreSQL bytea holds: lower it, or keep the "
                      "originals in a shared folder (quarantine.blob_store = \"directory\")"};
  }
  p->index_ = std::move(stores->index);
  p->audit_ = std::move(stores->audit);
  p->blobs_ = *stores->blobs;
  if (!config.audit_syslog_facility.empty()) {
    Result<std::shared_ptr<SyslogSender>> syslog =
        SyslogSender::Open(config.audit_syslog_facility, config.audit_syslog_target);
    if (!syslog.ok()) return Status{StatusCode::kConfig, "audit.syslog_target: " + syslog.status().message()};
    p->syslog_ = syslog.value();
    p->audit_->ForwardTo(p->syslog_);
  }
  p->DeclareMetrics();
  // The engine is loaded by the scanner process, never here: a worker forked from this
  // process then copies a small process, not the signatures (ARCHITECTURE §3).
  ScannerProcessOptions scan;
  scan.executable = ZygoteExecutable();
  scan.run_dir = p->scratch_root_ + "/scanner-" + std::to_string(getpid()) + "-" +
                 std::to_string(reinterpret_cast<uintptr_t>(p.get()) & 0xffffff);
  scan.signatures = config.signatures;
  scan.limits = ScanLimits{config.scan_max_file_size, config.scan_max_scan_size,
                           config.scan_max_recursion, config.scan_max_files,
                           config.scan_max_time_ms, config.scan_image_fuzzy_hash, false};
  scan.reload_check_seconds = config.scan_reload_check_seconds;
  scan.namespaces = WorkerNamespacesAvailable();
  p->scanner_ = std::make_unique<ScannerProcess>(scan, &p->log_);
  Status loaded = p->scanner_->Start();
  if (!loaded.ok()) {
    if (!options.allow_no_signatures || loaded.code() != StatusCode::kConfig) return loaded;
    // Explicitly asked for: run without signatures, loudly.
    scan.empty = true;
    p->scanner_ = std::make_unique<ScannerProcess>(scan, &p->log_);
    if (Status s = p->scanner_->Start(); !s.ok()) return s;
    p->scanning_enabled_ = false;
    p->log_.Write("warning", "no_signatures", {{"detail", loaded.message()}});
    fprintf(stderr,
            "mugai: WARNING: running WITHOUT malware signatures (--allow-no-signatures): %s\n"
            "mugai: 警告: マルウェア定義なしで動作しています。本番では使用しないでください。\n",
            loaded.message().c_str());
  }
  OfficePoolOptions office;
  office.program_dir = config.office_libreoffice_dir;
  office.root = config.state_dir + "/office";
  office.size = config.office_pool_size;
  office.max_documents = config.office_max_documents;
  office.timeout_seconds = config.office_timeout_seconds;
  office.memory_bytes = config.office_memory_bytes;
  office.max_document_bytes = config.max_input_bytes;
  office.max_pdf_bytes = config.max_output_bytes;
  office.namespaces = WorkerNamespacesAvailable();
  office.executable = ZygoteExecutable();
  p->office_ = std::make_unique<OfficePool>(std::move(office), &p->log_);
  p->unlock_.executable = ZygoteExecutable();
  p->unlock_.root = config.state_dir + "/unlock";
  p->unlock_.timeout_seconds = config.unlock_timeout_seconds;
  p->unlock_.memory_bytes = config.unlock_memory_bytes;
  p->unlock_.max_input_bytes = config.max_input_bytes;
  p->unlock_.max_output_bytes = config.max_output_bytes;
  p->unlock_.max_members = config.archive_max_members;
  p->unlock_.max_total_bytes = std::min(config.archive_max_total_bytes, config.max_output_bytes);
  p->unlock_.python = config.unlock_python;
  p->unlock_.seven_zip = config.unlock_seven_zip;
  p->unlock_.unar = config.unlock_unar;
  p->unlock_.namespaces = WorkerNamespacesAvailable();
  RemoveStaleUnlockFolders(p->unlock_.root);
  // Workers are forked from the zygote, which holds the format libraries warmed up and no
  // item bytes; this process links none of them.
  p->zygote_ = std::make_unique<ZygoteClient>(ZygoteExecutable(), &p->log_);
  if (Status s = p->zygote_->Start(config); !s.ok()) return s;
  if (WorkerLandlockAbi() == 0) {
    p->log_.Write("warning", "landlock_unavailable",
                  {{"detail", "this kernel has no Landlock: workers can read and write "
                              "wherever the mugai user can (the quarantine included); run "
                              "mugai as a dedicated user"}});
    fprintf(stderr, "mugai: warning: no Landlock in this kernel; worker file access is not "
                    "confined\n");
  }
  if (!WorkerNamespacesAvailable()) {
    p->log_.Write("warning", "namespaces_unavailable",
                  {{"detail", "the kernel does not let workers have their own network and "
                              "mount namespaces (user namespaces disabled?); the system-call "
                              "filter alone keeps them off the network"}});
    fprintf(stderr, "mugai: warning: workers run without their own network and mount "
                    "namespaces\n");
  }
  const EngineInfo& info = p->scanner_->StartInfo();
  if (!p->Audit(AuditEvent::kConfigLoaded, "",
                {{"entry_point", options.entry_point},
                 {"signatures", info.signatures_path},
                 {"signature_count", info.signature_count},
                 {"database_version", info.database_version}})) {
    if (p->audit_->in_database()) {
      // The database went away during the engine load (or refuses the append): exit 3.
      return Status{StatusCode::kUnavailable,
                    "cannot write the audit chain in the quarantine database (see " +
                        config.state_dir + "/mugai.log; check it with 'mugai audit verify')"};
    }
    return Status{StatusCode::kConfig,
                  "cannot write the audit log in " + config.state_dir +
                      " (see mugai.log; check it with 'mugai audit verify --state " +
                      config.state_dir + "')"};
  }
  p->log_.Write("info", "engine_loaded",
                {{"engine", info.engine_version},
                 {"signatures", std::to_string(info.signature_count)},
                 {"database_version", std::to_string(info.database_version)},
                 {"path", info.signatures_path}});
  return p;
}

void Pipeline::PrestartOffice() {
  if (!office_->missing().empty()) {
    log_.Write("warning", "office_unavailable", {{"detail", office_->missing()}});
    return;
  }
  if (Status s = office_->Prestart(); !s.ok()) {
    log_.Write("error", "office_unavailable", {{"detail", s.message()}});
  }
}

// A job for the zygote, confined as `pool` confines its workers.
WorkerJob Pipeline::JobFor(const WorkerPool& pool, JobKind kind) const {
  WorkerJob job;
  job.kind = kind;
  job.scanning = scanning_enabled_;
  job.limits = pool.limits();
  // No scratch folder: a worker forked from the zygote writes nothing (its scans happen in
  // the scanner process, and no library it runs writes temporary files), so it gets no
  // writable path at all, and no folder is made and removed per worker.
  job.user_tasks = pool.user_tasks();
  job.namespaces = pool.namespaces();
  job.fault = static_cast<uint8_t>(WorkerFaultForTesting());
  return job;
}

std::string Pipeline::PasswordOf(const std::shared_ptr<ItemState>& item) const {
  return item->input.password.empty() ? options_.password : item->input.password;
}

std::vector<NodeReport> Pipeline::Sanitize(const std::vector<ItemInput>& items,
                                           const std::string& out_dir, const OutputSink* sink) {
  std::vector<NodeReport> reports(items.size());
  uint64_t max_result = config_.max_output_bytes + limits::kResultOverheadBytes;
  unsigned jobs = DefaultJobs(config_.jobs);
  WorkerPool pool(SandboxLimits{config_.worker_memory_bytes, config_.worker_cpu_seconds,
                                config_.worker_wall_seconds, config_.worker_open_files,
                                config_.worker_file_size_bytes, max_result},
                  jobs, scratch_root_);
  pool.SetScannerConnector([this] { return scanner_->Connect(); });
  pool.SetZygote(zygote_.get());
  pool.SetSlots(slots_.get());
  Batch batch{&items, &reports, &pool, out_dir, sink};
  batch.max_in_flight = 2 * static_cast<size_t>(jobs);
  batch.unlock_cap = std::max(1u, jobs);
  Fill(batch);
  pool.Run();
  return reports;
}

void Pipeline::Fill(Batch& batch) {
  if (batch.filling) return;  // Finish() during intake: the loop below picks up the slot
  batch.filling = true;
  while (batch.in_flight < batch.max_in_flight && batch.next < batch.items->size()) {
    auto item = std::make_shared<ItemState>();
    item->input = (*batch.items)[batch.next];
    item->batch = &batch;
    item->index = batch.next++;
    item->tree = std::make_shared<Tree>();
    item->tree->root_name = item->input.name;
    item->tree->start_ms = MonotonicMs();
    ++batch.in_flight;
    ++items_in_progress_;
    Intake(*batch.pool, item);
  }
  batch.filling = false;
}

void Pipeline::Intake(WorkerPool& pool, const std::shared_ptr<ItemState>& item) {
  NodeReport& r = item->report;
  r.name = item->input.name;
  r.source_path = item->input.path;
  r.claimed_type = ClaimedTypeFromName(r.name);
  Result<std::string> bytes =
      item->input.fd >= 0
          ? ReadFdLimited(item->input.fd, config_.max_input_bytes, item->input.name)
          : ReadFileLimited(item->input.path, config_.max_input_bytes);
  if (!bytes.ok()) {
    r.reason_detail = bytes.status().message();
    if (bytes.status().code() == StatusCode::kLimit) {
      r.reason = Reason::kInputTooLarge;  // the original stays where it is; nothing delivered
    } else {
      r.reason = Reason::kConversionFailed;
      r.internal_failure = true;
    }
    return Finish(item);
  }
  item->bytes = std::move(bytes.value());
  Start(pool, item);
}

// Hands one node (an item, or a member of an archive) to a worker.
void Pipeline::Start(WorkerPool& pool, const std::shared_ptr<ItemState>& item) {
  NodeReport& r = item->report;
  r.size = item->bytes.size();
  r.sha256 = Sha256Hex(item->bytes);
  if (item->parent) {
    Tree& tree = *item->tree;
    if (tree.failed == Reason::kNone &&
        MonotonicMs() - tree.start_ms > int64_t{config_.archive_max_seconds} * 1000) {
      tree.failed = Reason::kArchiveLimit;
      tree.failed_detail = "the archive took longer than archive.max_seconds (" +
                           std::to_string(config_.archive_max_seconds) + " s)";
    }
    if (tree.failed != Reason::kNone) {
      return Block(item, tree.failed, "not processed: " + tree.failed_detail);
    }
  }
  if (!item->member.processed.empty()) {
    // A plain-text part its message's worker processed: that answer is checked here exactly
    // as a worker's of its own would be, and only a part that worker was allowed to take is
    // accepted (declared text/plain, small, a few per message, nothing a reader would open
    // as HTML or PDF): anything else means that worker did not do what it should.
    EnterStage(item, Stage::kProcess);
    if (!item->parent || ++item->parent->inline_parts > limits::kInlineTextParts ||
        !MayProcessWithItsMessage(item->member.declared_type, item->input.name, item->bytes)) {
      return Block(item, Reason::kWorkerProtocol,
                   "a part its message's worker processed though it may not");
    }
    item->processed_in_parent = true;
    WorkerOutcome o;
    o.kind = WorkerOutcome::Kind::kCompleted;
    o.untrusted_result = std::move(item->member.processed);
    item->member.processed.clear();
    return OnProcessed(pool, item, std::move(o));
  }
  item->fd = SealedMemfd(item->bytes);
  if (item->fd < 0) {
    return Block(item, Reason::kWorkerCrashed,
                 std::string("cannot create the worker's input: ") + strerror(errno), true);
  }
  EnterStage(item, Stage::kProcess);
  bool as_mail = item->input.mail || item->member.declared_type == "message/rfc822";
  item->input.mail = as_mail;
  WorkerJob job = JobFor(pool, JobKind::kProcess);
  job.name = item->input.name;
  job.as_mail = as_mail;
  // An item's own password goes to its worker only.
  job.password = PasswordOf(item);
  // A message from the milter waits for its first worker at most its queue time; a member or
  // a later stage of an item already started never times out in the queue.
  const bool root = item->parent == nullptr;
  pool.SubmitJob(item->fd, EncodeWorkerJob(job),
                 [this, &pool, item](WorkerOutcome o) { OnProcessed(pool, item, std::move(o)); },
                 /*scanner=*/true, -1, root ? item->input.start_by_ms : 0,
                 "milter.queue_timeout_seconds = " +
                     std::to_string(config_.milter_queue_timeout_seconds));
}

const char* Pipeline::StageName(Stage stage) {
  switch (stage) {
    case Stage::kIntake: return "intake";
    case Stage::kProcess: return "process";
    case Stage::kConvert: return "convert";
    case Stage::kChildren: return "children";
    case Stage::kRebuild: return "rebuild";
    case Stage::kVerify: return "verify";
    case Stage::kDone: return "done";
  }
  return "unknown";
}

// The one place a node's verdict becomes blocked (ARCHITECTURE §9). The worker's own blocked
// answers, the supervisor's checks, limits and failures all come through here.
void Pipeline::MarkBlocked(NodeReport& r, Reason reason, std::string detail, bool internal) {
  r.verdict = Verdict::kBlocked;
  r.reason = reason == Reason::kNone ? Reason::kWorkerProtocol : reason;
  r.reason_detail = std::move(detail);
  if (internal) r.internal_failure = true;
}

void Pipeline::Block(const std::shared_ptr<ItemState>& item, Reason reason, std::string detail,
                     bool internal) {
  MarkBlocked(item->report, reason, std::move(detail), internal);
  Finish(item);
}

// A worker's answer belongs to the stage the node is in; anything else is our own bug, and
// blocks the node rather than letting it go on from the wrong place.
bool Pipeline::AtStage(const std::shared_ptr<ItemState>& item, Stage expected) {
  if (item->stage == expected) return true;
  Block(item, Reason::kWorkerProtocol,
        std::string("internal: an answer for stage ") + StageName(expected) + " came at stage " +
            StageName(item->stage),
        true);
  return false;
}

namespace {

// Each sha in `expected` matches one "mail_text" reading of the verifier (as a multiset).
bool TextPartsReadBack(const std::vector<std::string>& expected, const std::vector<Action>& read) {
  std::multiset<std::string> seen;
  for (const auto& a : read) {
    if (a.action == "mail_text") seen.insert(a.detail);
  }
  for (const auto& sha : expected) {
    auto it = seen.find(sha);
    if (it == seen.end()) return false;
    seen.erase(it);
  }
  return true;
}

}  // namespace

const char* OutcomeKindName(WorkerOutcome::Kind kind) {
  switch (kind) {
    case WorkerOutcome::Kind::kCompleted: return "completed";
    case WorkerOutcome::Kind::kOutOfMemory: return "out_of_memory";
    case WorkerOutcome::Kind::kTimedOut: return "timeout";
    case WorkerOutcome::Kind::kResultTooLarge: return "result_too_large";
    case WorkerOutcome::Kind::kCrashed: return "crashed";
    case WorkerOutcome::Kind::kStartFailed: return "start_failed";
    case WorkerOutcome::Kind::kQueueTimeout: return "queue_timeout";
  }
  return "unknown";
}

Reason ReasonForOutcome(const WorkerOutcome& o) {
  switch (o.kind) {
    case WorkerOutcome::Kind::kCompleted: return Reason::kNone;
    case WorkerOutcome::Kind::kOutOfMemory: return Reason::kWorkerMemory;
    case WorkerOutcome::Kind::kTimedOut: return Reason::kWorkerTimeout;
    case WorkerOutcome::Kind::kResultTooLarge: return Reason::kWorkerProtocol;
    case WorkerOutcome::Kind::kCrashed:
    case WorkerOutcome::Kind::kStartFailed: return Reason::kWorkerCrashed;
    case WorkerOutcome::Kind::kQueueTimeout: return Reason::kBusy;
  }
  return Reason::kWorkerCrashed;
}

std::optional<WorkerResult> Pipeline::DecodeOutcome(const std::shared_ptr<ItemState>& item,
                                                    const WorkerOutcome& o,
                                                    const std::string& what) {
  if (o.kind != WorkerOutcome::Kind::kCompleted) {
    metrics_.Add("mugai_worker_failures_total", {{"kind", OutcomeKindName(o.kind)}});
    // A start failure is our side's fault; anything else is the worker's.
    Block(item, ReasonForOutcome(o), what + o.detail,
          o.kind == WorkerOutcome::Kind::kStartFailed ||
              o.kind == WorkerOutcome::Kind::kQueueTimeout);
    return std::nullopt;
  }
  Result<WorkerResult> decoded = DecodeWorkerResult(o.untrusted_result, config_.max_output_bytes);
  if (!decoded.ok()) {
    Block(item, Reason::kWorkerProtocol, what + decoded.status().message());
    return std::nullopt;
  }
  return std::move(decoded.value());
}

void Pipeline::OnProcessed(WorkerPool& pool, const std::shared_ptr<ItemState>& item,
                           WorkerOutcome o) {
  NodeReport& r = item->report;
  if (!AtStage(item, Stage::kProcess)) return;
  std::optional<WorkerResult> decoded = DecodeOutcome(item, o, "");
  if (!decoded) return;
  WorkerResult& w = *decoded;
  r.detected_type = w.detected_type;
  r.charset = w.charset;
  r.subject = w.subject;
  r.actions = w.actions;
  r.threats = w.threats;
  if (w.verdict == Verdict::kBlocked) return Block(item, w.reason, w.reason_detail);
  if (item->parent && item->parent->result.family == TypeFamily::kOffice &&
      w.family != TypeFamily::kPdf) {
    // What LibreOffice made must be a PDF, to be rebuilt like one; nothing else goes on.
    return Block(item, Reason::kConversionFailed,
                 "LibreOffice's output identifies as " + w.detected_type + ", not a PDF");
  }
  if (std::string why = CheckWorkerAnswer(w, item->input.mail, output_policy_); !why.empty()) {
    return Block(item, Reason::kWorkerProtocol, why);
  }
  if (item->processed_in_parent &&
      (w.family != TypeFamily::kText || w.is_container || !item->parent ||
       item->parent->result.family != TypeFamily::kMail)) {
    return Block(item, Reason::kWorkerProtocol,
                 "a part processed by its message's worker is not plain text of a message");
  }
  r.verdict = w.verdict;
  item->result = std::move(w);
  if (FamilyRowFor(item->result.family).entry == WorkerEntry::kOfficeRelay) {
    return ConvertOffice(pool, item);
  }
  if (FamilyRowFor(item->result.family).entry == WorkerEntry::kUnlock) {
    return Unlock(pool, item);
  }
  if (item->result.is_container) {
    if (!TreeLimitsHold(item, item->result)) return Finish(item);
    return StartChildren(pool, item);
  }
  // Every output, converted or passed through, is identified and scanned again in a fresh
  // worker before delivery: the first worker's word is never enough. A text part processed
  // by its message's worker is, with the rebuilt message (see OnVerified).
  if (item->processed_in_parent) {
    if (item->result.verdict == Verdict::kSanitized) {
      item->output_name =
          OutputName(item->input.name, item->result.family, item->result.output_type);
      r.actions.push_back({"verified", "as a part of the rebuilt message, in another worker"});
    }
    return Finish(item);
  }
  if (item->result.verdict == Verdict::kSanitized) {
    item->output_name =
        OutputName(item->input.name, item->result.family, item->result.output_type);
    Verify(pool, item, item->result.output, item->result.output_type);
  } else {
    Verify(pool, item, item->bytes, "");
  }
}

void Pipeline::Verify(WorkerPool& pool, const std::shared_ptr<ItemState>& item,
                      const std::string& bytes, const std::string& output_type) {
  if (item->fd >= 0) {  // the original's memfd is no longer needed by any worker
    close(item->fd);
    item->fd = -1;
  }
  item->output_fd = SealedMemfd(bytes);
  if (item->output_fd < 0) {
    return Block(item, Reason::kVerifyFailed,
                 std::string("cannot hand the output to a verifier: ") + strerror(errno), true);
  }
  EnterStage(item, Stage::kVerify);
  TypeFamily promised =
      output_type.empty() ? item->result.family : FamilyOfOutput(output_type);
  WorkerJob job = JobFor(pool, JobKind::kVerify);
  job.name = item->output_name.empty() ? OutputName(item->input.name, TypeFamily::kText)
                                       : item->output_name;
  job.promised_family = static_cast<uint8_t>(promised);
  pool.SubmitJob(item->output_fd, EncodeWorkerJob(job),
                 [this, item](WorkerOutcome v) { OnVerified(item, std::move(v)); },
                 /*scanner=*/true);
}

void Pipeline::OnVerified(const std::shared_ptr<ItemState>& item, WorkerOutcome o) {
  NodeReport& r = item->report;
  if (!AtStage(item, Stage::kVerify)) return;
  std::string why;
  if (o.kind != WorkerOutcome::Kind::kCompleted) {
    metrics_.Add("mugai_worker_failures_total", {{"kind", OutcomeKindName(o.kind)}});
    why = o.detail;
  } else {
    Result<WorkerResult> v = DecodeWorkerResult(o.untrusted_result, 0);
    if (!v.ok()) {
      why = v.status().message();
    } else if (v->verdict != Verdict::kClean) {
      why = std::string(ReasonCode(v->reason)) + ": " + v->reason_detail;
      for (const auto& t : v->threats) r.threats.push_back(t);
    } else if (!item->text_parts_to_verify.empty() &&
               !TextPartsReadBack(item->text_parts_to_verify, v->actions)) {
      // Text parts no worker of their own verified: the message's verifier must have read
      // each (identified as text, checked for encoded files, scanned with the message).
      why = "a text part of the rebuilt message is not what was checked";
    } else if (!item->clean_mail_part.empty()) {
      // The verifier's own reading of the unchanged message must be the one part checked.
      std::vector<std::string> parts;
      for (const auto& a : v->actions) {
        if (a.action == "mail_part") parts.push_back(a.detail);
      }
      if (parts.size() != 1 || parts[0] != item->clean_mail_part + " text/plain body") {
        why = "the message reads differently to the verifier (" + std::to_string(parts.size()) +
              " part(s)): not delivered unchanged";
      }
    }
  }
  if (!why.empty()) return Block(item, Reason::kVerifyFailed, why);
  if (r.verdict == Verdict::kSanitized) {
    r.actions.push_back({"verified", "output identified and scanned again"});
  }
  Finish(item);
}

// --- legacy Office, RTF, ODF ---

// The warm LibreOffice pool converts the original to PDF; a relay worker carries the bytes
// both ways, so the supervisor never reads what LibreOffice says beyond the result frame.
void Pipeline::ConvertOffice(WorkerPool& pool, const std::shared_ptr<ItemState>& item) {
  auto block = [&](Reason reason, std::string detail, bool internal) {
    Block(item, reason, std::move(detail), internal);
  };
  if (!office_->missing().empty()) {
    return block(Reason::kConverterMissing, office_->missing(), false);
  }
  if (item->bytes.size() > config_.max_input_bytes) {
    return block(Reason::kConversionLimit, "larger than limits.max_input_bytes, the most the "
                                           "LibreOffice converter takes", false);
  }
  Result<OfficePool::Connection> conn = office_->Connect();
  if (!conn.ok()) return block(Reason::kConversionFailed, conn.status().message(), true);
  const int fd = conn->fd;
  const unsigned slot = conn->slot;
  WorkerJob job = JobFor(pool, JobKind::kOfficeRelay);
  job.extension = OfficeExtensionFor(item->result.detected_type);
  job.password = PasswordOf(item);
  job.max_bytes = config_.max_output_bytes;
  EnterStage(item, Stage::kConvert);
  // The relay worker reads the document from the original's memfd and talks to the
  // converter over `fd`.
  pool.SubmitJob(
      item->fd, EncodeWorkerJob(job),
      [this, &pool, item, fd, slot](WorkerOutcome o) {
        close(fd);
        // A converter that made its relay overrun, or answered nonsense, is replaced.
        if (o.kind == WorkerOutcome::Kind::kTimedOut ||
            (o.kind == WorkerOutcome::Kind::kCompleted &&
             o.untrusted_result.find(kConverterNotAResult) != std::string::npos)) {
          office_->Recycle(slot);
        }
        OnConverted(pool, item, std::move(o));
      },
      /*scanner=*/false, /*extra_fd=*/fd);
}

// `m` becomes the item's one child (RebuildKind::kOnlyChild): processed like any file and
// delivered in the item's place.
void Pipeline::StartOnlyChild(WorkerPool& pool, const std::shared_ptr<ItemState>& item, Member m) {
  item->result.is_container = true;
  item->result.single_file = true;
  item->result.members.clear();
  item->result.members.push_back(std::move(m));
  if (!TreeLimitsHold(item, item->result)) return Finish(item);
  StartChildren(pool, item);
}

// LibreOffice's PDF becomes the document's only child: processed, rebuilt and verified like
// any PDF, and delivered in the document's place.
void Pipeline::OnConverted(WorkerPool& pool, const std::shared_ptr<ItemState>& item,
                           WorkerOutcome o) {
  NodeReport& r = item->report;
  if (!AtStage(item, Stage::kConvert)) return;
  std::optional<WorkerResult> decoded = DecodeOutcome(item, o, "converting with LibreOffice: ");
  if (!decoded) return;
  WorkerResult& w = *decoded;
  if (w.verdict == Verdict::kBlocked) {
    return Block(item, w.reason == Reason::kNone ? Reason::kConversionFailed : w.reason,
                 w.reason_detail);
  }
  if (w.verdict != Verdict::kSanitized || !w.has_output || w.output_type != "application/pdf") {
    return Block(item, Reason::kWorkerProtocol, "the LibreOffice relay answered without a PDF");
  }
  r.verdict = Verdict::kSanitized;
  r.actions.push_back({"converted", "LibreOffice → PDF (" + std::to_string(w.output.size()) +
                                        " bytes), rebuilt below like any PDF"});
  Member m;
  m.path = OutputName(item->input.name, TypeFamily::kOffice, "application/pdf");
  m.bytes = std::move(w.output);
  m.role = MemberRole::kFile;
  m.declared_type = "application/pdf";
  StartOnlyChild(pool, item, std::move(m));
}

// --- password-protected documents and archives ---

// A fresh decryption helper per item decrypts it with the password; a relay worker carries
// the item there and the decrypted bytes back, so the supervisor reads nothing the helper
// says beyond the result frame.
void Pipeline::Unlock(WorkerPool& pool, const std::shared_ptr<ItemState>& item) {
  const std::string kind = UnlockKindFor(item->result.detected_type);
  const std::string password = PasswordOf(item);
  if (kind.empty() || password.empty()) {
    return Block(item, Reason::kWorkerProtocol, "a worker asked to decrypt a " +
                                                    item->result.detected_type +
                                                    (password.empty() ? " without a password" : ""));
  }
  if (item->bytes.size() > config_.max_input_bytes) {
    return Block(item, Reason::kConversionLimit, "larger than limits.max_input_bytes, the most "
                                                 "the decryption helper takes");
  }
  EnterStage(item, Stage::kConvert);
  // As many helpers at once as workers: an archive of many encrypted documents waits its
  // turn instead of starting a process (and a descriptor) for each. The batch's callbacks
  // all run on its pool's thread, so the count needs no lock.
  Batch& batch = *item->batch;
  if (batch.unlock_running >= batch.unlock_cap) {
    batch.unlock_waiting.push_back(item);
    return;
  }
  ++batch.unlock_running;
  StartUnlock(pool, item);
}

// One helper of `batch` ended (or could not start): its next waiting item gets its turn.
void Pipeline::UnlockFinished(Batch& batch) {
  if (batch.unlock_waiting.empty()) {
    --batch.unlock_running;
    return;
  }
  std::shared_ptr<ItemState> next = std::move(batch.unlock_waiting.front());
  batch.unlock_waiting.pop_front();
  StartUnlock(*batch.pool, next);
}

void Pipeline::StartUnlock(WorkerPool& pool, const std::shared_ptr<ItemState>& item) {
  Result<UnlockProcess> helper = StartUnlockHelper(unlock_);
  if (!helper.ok()) {
    Block(item, Reason::kConversionFailed, helper.status().message(), true);
    return UnlockFinished(*item->batch);
  }
  // Ends the helper (kill, reap, remove its folder) whatever happens to the job, even when
  // the pool drops the callback unrun.
  struct Guard {
    UnlockProcess process;
    ~Guard() { EndUnlockHelper(process); }
  };
  auto guard = std::make_shared<Guard>();
  guard->process = std::move(helper.value());
  WorkerJob job = JobFor(pool, JobKind::kUnlockRelay);
  job.extension = UnlockKindFor(item->result.detected_type);
  job.password = PasswordOf(item);
  job.max_bytes = config_.max_output_bytes;
  const int fd = guard->process.fd;
  pool.SubmitJob(
      item->fd, EncodeWorkerJob(job),
      [this, &pool, item, guard](WorkerOutcome o) {
        // What the helper wrote to its standard error says why it stopped, if it did.
        Result<std::string> log = ReadFileLimited(guard->process.work_dir + ".log", 4096);
        EndUnlockHelper(guard->process);
        UnlockFinished(*item->batch);
        OnUnlocked(pool, item, std::move(o), log.ok() ? *log : "");
      },
      /*scanner=*/false, /*extra_fd=*/fd);
}

// What the helper decrypted becomes the item's only child: identified, scanned, disarmed or
// converted (an archive: unpacked under every archive limit) and verified like any file, and
// delivered in the item's place.
void Pipeline::OnUnlocked(WorkerPool& pool, const std::shared_ptr<ItemState>& item,
                          WorkerOutcome o, const std::string& helper_log) {
  NodeReport& r = item->report;
  if (!AtStage(item, Stage::kConvert)) return;
  std::optional<WorkerResult> decoded = DecodeOutcome(item, o, "decrypting: ");
  if (!decoded) return;
  WorkerResult& w = *decoded;
  if (w.verdict == Verdict::kBlocked) {
    std::string detail = w.reason_detail;
    if (detail.find("stopped without an answer") != std::string::npos && !helper_log.empty()) {
      std::string last = helper_log;
      while (!last.empty() && (last.back() == '\n' || last.back() == '\r')) last.pop_back();
      size_t nl = last.rfind('\n');
      detail += ": " + VisibleName(nl == std::string::npos ? last : last.substr(nl + 1));
    }
    return Block(item, w.reason == Reason::kNone ? Reason::kConversionFailed : w.reason,
                 detail);
  }
  if (w.verdict != Verdict::kSanitized || !w.has_output || w.output.empty()) {
    return Block(item, Reason::kWorkerProtocol, "the decryption relay answered without bytes");
  }
  const std::string kind = UnlockKindFor(item->result.detected_type);
  const bool archive = kind == "7z" || kind == "rar";
  r.verdict = Verdict::kSanitized;
  const char* tool = !archive ? "msoffcrypto-tool decrypted it"
                     : kind == "rar" && !unlock_.unar.empty() && access(unlock_.unar.c_str(), X_OK) == 0
                         ? "The Unarchiver (unar) unpacked it"
                                                               : "7-Zip unpacked it";
  r.actions.push_back({"decrypted", std::string(tool) + " with the supplied password (" +
                                        std::to_string(w.output.size()) +
                                        " bytes); processed below like any file"});
  Member m;
  std::string base = BaseName(item->input.name);
  if (archive) {
    size_t dot = base.rfind('.');
    base = (dot == std::string::npos || dot == 0 ? base : base.substr(0, dot)) + ".tar";
  }
  m.path = base.empty() ? std::string(archive ? "decrypted.tar" : "decrypted") : base;
  m.bytes = std::move(w.output);
  m.role = MemberRole::kFile;
  m.declared_type = archive ? "application/x-tar" : "";
  StartOnlyChild(pool, item, std::move(m));
}

AuditEntry Pipeline::Entry(AuditEvent event, const std::string& item_id,
                           nlohmann::json details, const std::string& actor) const {
  AuditEntry e;
  e.event = event;
  e.actor = actor.empty() ? options_.actor : actor;
  e.item_id = item_id;
  e.details = std::move(details);
  return e;
}

bool Pipeline::Audit(AuditEvent event, const std::string& item_id, nlohmann::json details) {
  return Audit(std::vector<AuditEntry>{Entry(event, item_id, std::move(details))});
}

bool Pipeline::Audit(std::vector<AuditEntry> entries) {
  if (entries.empty()) return true;
  Result<uint64_t> seq = audit_->AppendAll(entries);
  if (!seq.ok()) {
    metrics_.Add("mugai_audit_write_failures_total", {});
    log_.Write("error", "audit_failed",
               {{"event", std::string(AuditEventName(entries.front().event))},
                {"detail", seq.status().message()}});
    return false;
  }
  return true;
}

bool Pipeline::Record(const std::shared_ptr<ItemState>& item, std::vector<AuditEntry> entries) {
  if (!item->pending_row) return Audit(std::move(entries));
  QuarantineRecord rec = std::move(*item->pending_row);
  item->pending_row.reset();
  Result<std::vector<std::string>> lines = [&] {
    std::lock_guard<std::mutex> lock(index_mutex_);
    return index_->InsertRecorded(rec, blobs_, item->bytes, entries);
  }();
  if (!lines.ok()) {
    metrics_.Add("mugai_audit_write_failures_total", {});
    log_.Write("error", "quarantine_failed",
               {{"name", rec.name}, {"detail", lines.status().message()}});
    item->report.quarantine_id.clear();  // nothing of it was written
    item->report.internal_failure = true;
    // Not kept again below: a second attempt (on a reconnected database) would leave a row
    // without the item's decision, and the item is tried again anyway (tempfail, watch).
    item->record_failed = true;
    if (item->report.verdict == Verdict::kSanitized) {
      MarkBlocked(item->report, Reason::kQuarantineFailed, "see mugai.log in the state folder",
                  true);
    }
    return false;
  }
  audit_->Forward(lines.value());
  return true;
}

// Keeps the original: blob first, then its index row, then the audit record. A crash between
// the blob and the row leaves only an unreferenced blob (reported by `mugai quarantine
// reconcile`), never a row without its original.
bool Pipeline::Quarantine(const std::shared_ptr<ItemState>& item) {
  NodeReport& r = item->report;
  // (PostgreSQL with its blobs table: the original goes in with the row, in Record.)
  Result<std::string> stored = index_->postgres() && blobs_.in_database()
                                   ? Result<std::string>(std::string("database"))
                                   : blobs_.Put(r.sha256, item->bytes);
  if (!stored.ok()) {
    log_.Write("error", "quarantine_failed", {{"name", r.name}, {"detail", stored.status().message()}});
    return false;
  }
#ifdef MUGAI_TEST_HOOKS  // fault injection exists in test builds only
  if (const char* at = getenv("MUGAI_CRASH_AT"); at && std::string(at) == "quarantine_after_blob") {
    _exit(70);  // tests: a kill between the blob write and the index write
  }
#endif
  const std::string& dest = item->input.destination.empty()
                                ? (item->input.out_dir.empty() ? item->batch->out_dir : item->input.out_dir)
                                : item->input.destination;
  QuarantineRecord rec;
  rec.entry_point =
      item->input.entry_point.empty() ? options_.entry_point : item->input.entry_point;
  rec.source = nlohmann::json{{"path", item->input.source.empty() ? item->input.path
                                                                   : item->input.source},
                              {"out_dir", dest}}
                   .dump();
  rec.name = r.name;
  rec.size = static_cast<int64_t>(r.size);
  rec.sha256 = r.sha256;
  rec.detected_type = r.detected_type;
  rec.verdict = r.verdict == Verdict::kBlocked ? "blocked" : "sanitized";
  rec.reasons = r.reason == Reason::kNone ? "" : std::string(ReasonCode(r.reason)) + ": " + r.reason_detail;
  for (const auto& t : r.threats) rec.threats += (rec.threats.empty() ? "" : ", ") + t.name;
  rec.signature_version = std::to_string(scanner_->CurrentInfo().database_version);
  rec.report_json = NodeToJson(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  AuditEntry quarantined = Entry(AuditEvent::kQuarantined, "",
                                 {{"name", r.name}, {"sha256", r.sha256},
                                  {"verdict", rec.verdict}, {"reason", ReasonCode(r.reason)},
                                  {"source", rec.source}},
                                 item->input.actor);
  if (index_->postgres()) {
    // The original, the row and the item's records go in together (Record): one commit.
    Result<std::string> id = QuarantineIndex::NewItemId();
    if (!id.ok()) {
      log_.Write("error", "quarantine_failed", {{"name", r.name}, {"detail", id.status().message()}});
      return false;
    }
    rec.id = id.value();
    r.quarantine_id = rec.id;
    quarantined.item_id = rec.id;
    item->pending_row = std::move(rec);
    item->pending_audit.push_back(std::move(quarantined));
    return true;
  }
  Result<std::string> id = [&] {
    std::lock_guard<std::mutex> lock(index_mutex_);  // one connection, many threads
    return index_->Insert(rec, blobs_);
  }();
  if (!id.ok()) {
    log_.Write("error", "quarantine_failed", {{"name", r.name}, {"detail", id.status().message()}});
    return false;
  }
  r.quarantine_id = id.value();
  quarantined.item_id = r.quarantine_id;
  item->pending_audit.push_back(std::move(quarantined));
  return true;
}

// An output was written but its delivery could not be recorded: take it back.
void Pipeline::UndoDelivery(const std::shared_ptr<ItemState>& item, const std::string& why) {
  NodeReport& r = item->report;
  for (const auto& o : r.outputs) {
    // A client's path is the client's word: never unlink it here (the client takes back its
    // own file when the report says blocked).
    if (!o.path.empty() && !o.by_client) unlink(o.path.c_str());
  }
  r.outputs.clear();
  MarkBlocked(r, Reason::kAuditFailed, why, true);
}

void Pipeline::Emit(const std::shared_ptr<ItemState>& item, const std::string& bytes,
                    const std::string& type) {
  NodeReport& r = item->report;
  const std::string& out_dir =
      item->input.out_dir.empty() ? item->batch->out_dir : item->input.out_dir;
  const OutputSink* sink = item->batch->sink;
  if (out_dir.empty() && !sink) return;
  std::string name = r.verdict == Verdict::kSanitized || item->result.family == TypeFamily::kMail
                         ? item->output_name
                         : OutputName(r.name, TypeFamily::kText);
  if (name != r.name && r.verdict == Verdict::kClean) {
    r.actions.push_back({"renamed", "delivered as " + name + " (content is plain text)"});
  }
  // Defence in depth: the supervisor checks the delivered name itself (pure string code).
  if (NameCheck check = CheckFileName(name); check.problem != NameProblem::kNone) {
    MarkBlocked(r, Reason::kNameDangerousExtension,
                "output name " + VisibleName(name) + ": " + check.detail, false);
    return;
  }
  if (sink) {
    // A service client writes it (into its --out, or its standard output) and says where.
    Result<std::string> put = (*sink)(item->index, name, bytes, type, r.verdict);
    if (!put.ok()) {
      MarkBlocked(r, Reason::kOutputFailed, put.status().message(), true);
      return;
    }
    r.outputs.push_back({BaseName(put.value()), Sha256Hex(bytes), type, put.value(), true});
    return;
  }
  Result<std::string> path = WriteNewFile(out_dir, name, bytes);
  if (!path.ok()) {
    MarkBlocked(r, Reason::kOutputFailed, path.status().message(), true);
    return;
  }
  r.outputs.push_back({BaseName(path.value()), Sha256Hex(bytes), type, path.value()});
}

void Pipeline::EnterStage(const std::shared_ptr<ItemState>& item, Stage stage) {
  int64_t now = MonotonicMs();
  if (item->stage == stage) return;
  metrics_.Observe("mugai_stage_duration_seconds", {{"stage", StageName(item->stage)}},
                   static_cast<double>(now - item->stage_started_ms) / 1000.0);
  item->stage = stage;
  item->stage_started_ms = now;
}

void Pipeline::CountItem(const std::shared_ptr<ItemState>& item) {
  const NodeReport& r = item->report;
  const std::string entry =
      item->input.entry_point.empty() ? options_.entry_point : item->input.entry_point;
  metrics_.Add("mugai_items_total", {{"entry_point", entry},
                                     {"verdict", VerdictName(r.verdict)},
                                     {"reason", ReasonCode(r.reason)}});
  metrics_.Observe("mugai_item_duration_seconds", {{"entry_point", entry}},
                   static_cast<double>(MonotonicMs() - item->tree->start_ms) / 1000.0);
  --items_in_progress_;
}

void Pipeline::Finish(const std::shared_ptr<ItemState>& item) {
  if (item->report.verdict == Verdict::kBlocked && item->report.reason == Reason::kNone) {
    // Defensive: never a blocked node without a reason.
    MarkBlocked(item->report, Reason::kWorkerProtocol, "blocked without a reason", false);
  }
  const char* stage = StageName(item->stage);
  EnterStage(item, Stage::kDone);
  if (item->parent) return FinishChild(item, stage);
  NodeReport& r = item->report;
  bool read = !r.sha256.empty();
  bool keep_original = r.verdict != Verdict::kClean && r.reason != Reason::kInputTooLarge && read;
  if (!item->input.kept_as.empty() && read) {
    // A re-run of a kept original, whatever it comes to: its records name that item, and
    // no second copy is kept (nor later, if its delivery fails: see below).
    r.quarantine_id = item->input.kept_as;
    keep_original = false;
  }
  if (keep_original && !Quarantine(item)) {
    // Nothing is delivered unless the original is safely kept.
    if (r.verdict == Verdict::kSanitized) {
      MarkBlocked(r, Reason::kQuarantineFailed, "see mugai.log in the state folder", true);
    }
    r.internal_failure = true;
  }
  if (r.verdict == Verdict::kClean && item->result.family == TypeFamily::kMail &&
      !item->result.has_output) {
    // A message is delivered as rebuilt or not at all (decided before it is recorded).
    MarkBlocked(r, Reason::kWorkerProtocol, "a message without its rebuilt form", true);
  }
  // The decision (and the quarantine) is on record before anything is delivered.
  item->pending_audit.push_back(
      Entry(AuditEvent::kItemProcessed, r.quarantine_id,
            {{"name", r.name},
             {"sha256", r.sha256},
             {"source", item->input.source.empty() ? item->input.path : item->input.source},
             {"entry_point", item->input.entry_point.empty() ? options_.entry_point
                                                              : item->input.entry_point},
             {"verdict", VerdictName(r.verdict)},
             {"reason", ReasonCode(r.reason)},
             {"threats", r.threats.empty() ? "" : r.threats.front().name}},
            item->input.actor));
  bool recorded = Record(item, std::move(item->pending_audit));
  item->pending_audit.clear();
  if (!recorded && r.verdict != Verdict::kBlocked) {
    UndoDelivery(item, "the audit log cannot be written (see mugai.log)");
  }
  if (r.verdict == Verdict::kClean && item->result.family == TypeFamily::kMail) {
    // A clean message too is delivered as rebuilt, never as the sender's bytes.
    Emit(item, item->result.output, "message/rfc822");  // rebuilt (checked above)
  } else if (r.verdict == Verdict::kClean) {
    Emit(item, item->bytes, r.detected_type);
  } else if (r.verdict == Verdict::kSanitized) {
    Emit(item, item->result.output, item->result.output_type);
  }
  std::vector<AuditEntry> deliveries;
  for (const auto& o : r.outputs) {
    const std::string& dest = item->input.destination;
    deliveries.push_back(Entry(AuditEvent::kDelivered, r.quarantine_id,
                               {{"name", o.name},
                                {"sha256", o.sha256},
                                {"type", o.type},
                                {"destination", dest.empty() ? o.path : dest + "/" + o.name}},
                               item->input.actor));
  }
  if (!Audit(std::move(deliveries))) {
    UndoDelivery(item, "the delivery could not be recorded in the audit log (see mugai.log)");
  }
  if (r.verdict == Verdict::kBlocked && r.quarantine_id.empty() && read &&
      r.reason != Reason::kInputTooLarge && item->input.kept_as.empty() && !item->record_failed) {
    // Delivery failed after all: keep the original now.
    if (!Quarantine(item) || !Record(item, std::move(item->pending_audit))) {
      r.internal_failure = true;
    }
  }
  std::string outputs;
  for (const auto& o : r.outputs) outputs += (outputs.empty() ? "" : ",") + o.path;
  log_.Write(r.verdict == Verdict::kBlocked ? "warning" : "info", "item_done",
             {{"name", r.name},
              {"subject", r.subject},
              {"source", r.source_path},
              {"sha256", r.sha256},
              {"type", r.detected_type},
              {"verdict", VerdictName(r.verdict)},
              {"reason", ReasonCode(r.reason)},
              {"detail", r.reason_detail},
              {"threat", r.threats.empty() ? "" : r.threats.front().name},
              {"quarantine_id", r.quarantine_id},
              {"stage", r.verdict == Verdict::kBlocked ? stage : "done"},
              {"outputs", outputs}});
  CountItem(item);
  Batch& batch = *item->batch;
  (*batch.reports)[item->index] = std::move(r);
  item->bytes.clear();
  item->bytes.shrink_to_fit();
  --batch.in_flight;
  Fill(batch);
}

// --- archives ---

bool Pipeline::TreeLimitsHold(const std::shared_ptr<ItemState>& item, const WorkerResult& w) {
  NodeReport& r = item->report;
  Tree& tree = *item->tree;
  for (const Member& m : w.members) {
    const std::string& untrusted_path = m.path;
    const std::string& bytes = m.bytes;
    if (!MemberPathIsSafe(untrusted_path)) {
      MarkBlocked(r, Reason::kWorkerProtocol,
                  "worker returned an unsafe member path " + VisibleName(untrusted_path), false);
      return false;
    }
    ++tree.members;
    tree.expanded_bytes += bytes.size();
  }
  if (tree.failed == Reason::kNone) {
    std::string why;
    if (item->depth + 1 > config_.archive_max_depth) {
      why = "archives nested deeper than archive.max_depth (" +
            std::to_string(config_.archive_max_depth) + ")";
    } else if (tree.members > config_.archive_max_members) {
      why = "more than archive.max_members (" + std::to_string(config_.archive_max_members) +
            ") files in the whole item";
    } else if (tree.expanded_bytes > config_.archive_max_total_bytes) {
      why = "members expand beyond archive.max_total_bytes (" +
            std::to_string(config_.archive_max_total_bytes) + " bytes) in the whole item";
    }
    if (!why.empty()) {
      tree.failed = Reason::kArchiveLimit;
      tree.failed_detail = why;
    }
  }
  if (tree.failed != Reason::kNone) {
    MarkBlocked(r, tree.failed, tree.failed_detail, false);
    return false;
  }
  return true;
}

void Pipeline::StartChildren(WorkerPool& pool, const std::shared_ptr<ItemState>& item) {
  auto& members = item->result.members;
  size_t n = members.size();
  if (item->fd >= 0) {  // the archive's own bytes are no longer needed by any worker
    close(item->fd);
    item->fd = -1;
  }
  EnterStage(item, Stage::kChildren);
  item->report.children.resize(n);
  item->children.resize(n);
  item->pending_children = n;
  for (size_t i = 0; i < n; ++i) {
    auto child = std::make_shared<ItemState>();
    child->parent = item;
    child->tree = item->tree;
    child->depth = item->depth + 1;
    child->batch = item->batch;
    child->index = i;
    child->input.name = BaseName(members[i].path);
    // The item's password opens its members too (a PPAP zip inside a message).
    child->input.password = item->input.password;
    child->input.actor = item->input.actor;
    child->report.name = members[i].path;
    child->report.claimed_type = ClaimedTypeFromName(child->input.name);
    child->bytes = std::move(members[i].bytes);
    child->member = std::move(members[i]);
    child->member.bytes.clear();
    item->children[i] = std::move(child);
  }
  members.clear();
  if (n == 0) return Assemble(pool, item);
  // Copy: a child that finishes at once may complete the parent during this loop.
  std::vector<std::shared_ptr<ItemState>> children = item->children;
  for (auto& child : children) Start(pool, child);
}

// A member is done: it tells its parent what it contributes, and the parent rebuilds itself
// once every member has reported.
void Pipeline::FinishChild(const std::shared_ptr<ItemState>& item, const char* stage) {
  NodeReport& r = item->report;
  std::string name;
  if (r.verdict == Verdict::kClean && item->result.family == TypeFamily::kMail) {
    name = item->output_name;  // a forwarded message that needed no change, rebuilt
    if (!item->result.has_output) {
      MarkBlocked(r, Reason::kWorkerProtocol, "a message without its rebuilt form", true);
      return FinishChild(item, stage);
    }
    item->deliver_bytes = &item->result.output;
    item->deliver_type = "message/rfc822";
  } else if (r.verdict == Verdict::kClean) {
    name = OutputName(item->input.name, TypeFamily::kText);
    if (name != item->input.name) {
      r.actions.push_back({"renamed", "delivered as " + name + " (content is plain text)"});
    }
    item->deliver_bytes = &item->bytes;
    item->deliver_type = "text/plain";  // the only family delivered unchanged (verified as text)
  } else if (r.verdict == Verdict::kSanitized) {
    name = item->output_name;
    item->deliver_bytes = &item->result.output;
    item->deliver_type = item->result.output_type;
  }
  if (!name.empty()) {
    item->deliverable = true;
    item->deliver_path = DirName(r.name) + name;
    r.outputs.push_back({item->deliver_path, Sha256Hex(*item->deliver_bytes), item->deliver_type, ""});
    if (item->processed_in_parent) {
      item->parent->text_parts_to_verify.push_back(TextPartDigest(*item->deliver_bytes));
    }
  } else {
    log_.Write("warning", "member_blocked",
               {{"item", item->tree->root_name},
                {"member", r.name},
                {"sha256", r.sha256},
                {"type", r.detected_type},
                {"reason", ReasonCode(r.reason)},
                {"detail", r.reason_detail},
                {"stage", stage},
                {"threat", r.threats.empty() ? "" : r.threats.front().name}});
  }
  std::shared_ptr<ItemState> parent = std::move(item->parent);
  parent->report.children[item->index] = r;
  if (--parent->pending_children == 0) Assemble(*item->batch->pool, parent);
}

// Every member of `item` has reported: rebuild the archive from their outputs.
void Pipeline::Assemble(WorkerPool& pool, const std::shared_ptr<ItemState>& item) {
  NodeReport& r = item->report;
  auto block = [&](Reason reason, std::string detail) {
    r.verdict = Verdict::kBlocked;
    r.reason = reason;
    r.reason_detail = std::move(detail);
    item->children.clear();
    Finish(item);
  };
  if (item->tree->failed != Reason::kNone) {
    return block(item->tree->failed, item->tree->failed_detail);
  }
  if (item->result.family == TypeFamily::kMail) return AssembleMail(pool, item);
  std::vector<const ItemState*> delivered;
  std::vector<const ItemState*> blocked;
  for (const auto& c : item->children) (c->deliverable ? delivered : blocked).push_back(c.get());
  if (FamilyRowFor(item->result.family).rebuild == RebuildKind::kOnlyChild && delivered.empty() &&
      !blocked.empty()) {
    const NodeReport& c = r.children[blocked.front()->index];
    for (const auto& t : c.threats) r.threats.push_back(t);
    return block(c.reason == Reason::kNone ? Reason::kConversionFailed : c.reason,
                 (item->result.family == TypeFamily::kOffice ? "the PDF LibreOffice made from it: "
                                                             : "what it decrypts to: ") +
                     c.reason_detail);
  }
  if (!blocked.empty() && config_.archive_block_if_member_blocked) {
    return block(Reason::kMemberBlocked,
                 std::to_string(blocked.size()) +
                     " member(s) blocked and archive.block_if_member_blocked is on");
  }
  if (delivered.empty() && !blocked.empty()) {
    return block(Reason::kMemberBlocked, "no member could be delivered (" +
                                             std::to_string(blocked.size()) + " blocked)");
  }
  for (size_t i = 0; i < blocked.size() && i < 100; ++i) {
    const NodeReport& c = r.children[blocked[i]->index];
    r.actions.push_back({"member_removed", c.name + ": " + ReasonCode(c.reason)});
  }
  WorkerResult& out = item->result;
  if (out.single_file) {
    const ItemState* only = delivered.front();
    out.output = *only->deliver_bytes;
    out.output_type = only->deliver_type;
    item->output_name = BaseName(only->deliver_path);
    r.actions.push_back({"unwrapped", item->result.family == TypeFamily::kOffice
                                          ? "delivered as the rebuilt PDF " + item->output_name
                                      : item->result.family == TypeFamily::kEncrypted
                                          ? "delivered as the decrypted, sanitised " +
                                                item->output_name
                                          : "delivered as its content " + item->output_name});
  } else {
    // The new zip is written by a worker from the members' verified outputs.
    RebuildRequest rebuild;
    rebuild.kind = RebuildKind::kZip;
    std::set<std::string> used;
    for (const ItemState* c : delivered) {
      std::string path = c->deliver_path;
      for (int n = 1; !used.insert(path).second; ++n) {
        path = DirName(c->deliver_path) + CollisionName(BaseName(c->deliver_path), n);
      }
      rebuild.parts.push_back({path, std::move(*c->deliver_bytes), "", "", false});
    }
    if (!blocked.empty()) {
      std::string notice = "無害化ゲートウェイ mugai が次のファイルを取り除きました。\n"
                           "mugai removed the following files from this archive.\n\n";
      for (const ItemState* c : blocked) {
        const NodeReport& cr = r.children[c->index];
        notice += cr.name + "\t" + ReasonCode(cr.reason) + "\t" + ReasonMessageJa(cr.reason) +
                  " / " + ReasonMessageEn(cr.reason) + "\n";
      }
      std::string notice_path = "MUGAI-NOTICE.txt";
      for (int n = 1; !used.insert(notice_path).second; ++n) {
        notice_path = CollisionName("MUGAI-NOTICE.txt", n);
      }
      rebuild.parts.push_back({notice_path, std::move(notice), "", "", false});
    }
    item->output_name = OutputName(item->input.name, TypeFamily::kArchive, "application/zip");
    r.actions.push_back({"rebuilt", "new zip with UTF-8 names: " + std::to_string(delivered.size()) +
                                        " member(s) delivered, " + std::to_string(blocked.size()) +
                                        " left out"});
    item->children.clear();
    return Rebuild(pool, item, std::move(rebuild));
  }
  out.has_output = true;
  item->children.clear();
  Verify(pool, item, item->result.output, item->result.output_type);
}

}  // namespace mugai

namespace mugai {

namespace {

// The MIME charset name for what the charset detector reported.
std::string MimeCharset(const std::string& declared, const std::string& detected) {
  if (!declared.empty()) return declared;
  if (detected == "CP932") return "Shift_JIS";
  if (detected == "EUC-JP-MS") return "EUC-JP";
  if (detected.empty() || detected == "ASCII") return "us-ascii";
  return detected;
}

std::string BaseType(const std::string& type) {
  size_t semi = type.find(';');
  return semi == std::string::npos ? type : type.substr(0, semi);
}

}  // namespace

// Every part of a message has reported: deliver it unchanged when nothing had to change,
// else write a new message from the parts' outputs, a notice in place of each blocked part,
// and a notice of what was done.
void Pipeline::AssembleMail(WorkerPool& pool, const std::shared_ptr<ItemState>& item) {
  NodeReport& r = item->report;
  WorkerResult& out = item->result;
  std::vector<const ItemState*> blocked;
  bool all_clean = true;
  for (const auto& c : item->children) {
    if (!c->deliverable) blocked.push_back(c.get());
    if (r.children[c->index].verdict != Verdict::kClean) all_clean = false;
  }
  bool dropped = false;
  bool ambiguous = false;
  std::string container_threat;
  for (const auto& a : r.actions) {
    dropped = dropped || a.action == "mime";
    ambiguous = ambiguous || a.action == "mime_ambiguous";
    if (a.action == "container_threat") container_threat = a.detail;
  }
  bool explained = false;
  for (const auto& c : r.children) explained = explained || !c.threats.empty();
  if (!container_threat.empty() && !explained) {
    // ClamAV found something in the message that no single part shows: block it whole.
    r.verdict = Verdict::kBlocked;
    r.reason = Reason::kMalware;
    r.reason_detail = container_threat + " (in the message as a whole)";
    r.threats.push_back({"clamav", container_threat});
    item->children.clear();
    return Finish(item);
  }
  std::string name = item->input.name.empty() ? "message.eml" : item->input.name;
  if (PlainExtension(name) != "eml") name += ".eml";
  item->output_name = name;
  if (!blocked.empty() && config_.mail_block_if_part_blocked) {
    r.verdict = Verdict::kBlocked;
    r.reason = Reason::kMemberBlocked;
    r.reason_detail = std::to_string(blocked.size()) +
                      " part(s) blocked and mail.block_if_part_blocked is on";
    item->children.clear();
    return Finish(item);
  }
  // Every message is written anew by a worker from the parts' verified outputs: never the
  // sender's MIME framing, which another parser may read differently from ours.
  RebuildRequest rebuild;
  rebuild.kind = RebuildKind::kMail;
  // Only the headers mugai keeps, whatever the worker returned (never Content-* or X-Mugai-*).
  for (const auto& [header, value] : out.headers) {
    const char* canonical = KeptMailHeader(header);
    if (!canonical) continue;
    if (strcmp(canonical, "Authentication-Results") == 0) {
      // The MTA's DKIM/SPF verdict on the original: a rebuilt message no longer carries a
      // valid DKIM signature, so the report keeps what was found before. Only the MTA's own
      // (its authserv-id, mail.authserv_id): a sender can write any such header.
      std::string id = value.substr(0, value.find(';'));
      while (!id.empty() && (id.back() == ' ' || id.back() == '\t')) id.pop_back();
      while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.erase(0, 1);
      if (config_.mail_authserv_id.empty() ||
          strcasecmp(id.c_str(), config_.mail_authserv_id.c_str()) != 0) {
        r.actions.push_back({"authentication_results_ignored",
                             "not from this gateway's MTA (mail.authserv_id = \"" +
                                 config_.mail_authserv_id + "\"): " + value.substr(0, 200)});
        continue;
      }
      r.actions.push_back({"authentication_results", value});
    }
    rebuild.headers.emplace_back(canonical, value);
  }
  // The plainest message, one clean text/plain body and nothing else, stays "clean": the
  // body keeps its bytes and charset, with a new canonical Content-Type and encoding. The
  // verifier's own reading of the result must find that body alone, byte for byte.
  bool single_text = item->children.size() == 1 &&
                     item->children[0]->member.role == MemberRole::kBody &&
                     item->children[0]->member.declared_type == "text/plain";
  if (all_clean && !dropped && !ambiguous && single_text) {
    const auto& c = item->children[0];
    const NodeReport& cr = r.children[c->index];
    r.verdict = Verdict::kClean;
    // Line ends are the transport's (GMime writes LF; SMTP carries CRLF): CRLF becomes LF
    // here so that the part checked is the part written.
    std::string body;
    body.reserve(c->deliver_bytes->size());
    const std::string& in = *c->deliver_bytes;
    for (size_t i = 0; i < in.size(); ++i) {
      if (!(in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n')) body += in[i];
    }
    item->clean_mail_part = Sha256Hex(body);
    rebuild.parts.push_back({"", std::move(body), "text/plain",
                             MimeCharset(c->member.charset, cr.charset), true});
    rebuild.added = {{"X-Mugai-Verdict", "clean"}, {"X-Mugai-Actions", "none"}};
    r.actions.push_back({"rebuilt", "new message: the text body as it came, new MIME framing"});
    item->children.clear();
    return Rebuild(pool, item, std::move(rebuild));
  }
  int converted = 0;
  for (const auto& c : item->children) {
    const NodeReport& cr = r.children[c->index];
    bool body = c->member.role == MemberRole::kBody;
    if (!c->deliverable) {
      rebuild.parts.push_back(
          {cr.name + ".removed.txt",
           "【mugai】添付ファイル「" + VisibleName(cr.name) + "」は配送されませんでした: " +
               ReasonMessageJa(cr.reason) + "\n[mugai] The attachment \"" + VisibleName(cr.name) +
               "\" was removed: " + ReasonMessageEn(cr.reason) + " (" + ReasonCode(cr.reason) +
               ")\n",
           "text/plain", "utf-8", body});
      continue;
    }
    if (cr.verdict == Verdict::kSanitized) ++converted;
    std::string type = BaseType(c->deliver_type);
    std::string charset;
    if (type == "text/plain" || type == "inode/x-empty" || type == "application/x-empty") {
      // Passed text, or the sender's text with something taken out ("text/plain" with no
      // charset), keeps its charset; a conversion's text is UTF-8.
      bool own = cr.verdict == Verdict::kClean || c->deliver_type == "text/plain";
      charset = own ? MimeCharset(c->member.charset, cr.charset) : "utf-8";
      type = "text/plain";
    }
    rebuild.parts.push_back({body ? "" : BaseName(c->deliver_path), std::move(*c->deliver_bytes),
                             type, charset, body});
  }
  std::string summary = "無害化ゲートウェイ mugai の処理結果 / What mugai did to this message\n\n";
  for (const auto& a : r.actions) {
    if (a.action == "mime") summary += "- " + a.detail + "\n";
    if (a.action == "mime_ambiguous") {
      summary += "- 構造を正規化 normalised: " + a.detail + "\n";
    }
  }
  for (const auto& c : item->children) {
    const NodeReport& cr = r.children[c->index];
    if (cr.verdict == Verdict::kBlocked) {
      summary += "- 除去 removed: " + VisibleName(cr.name) + " (" + ReasonCode(cr.reason) + ")\n";
    } else if (cr.verdict == Verdict::kSanitized) {
      summary += "- 無害化 sanitised: " + VisibleName(cr.name) + " → " +
                 VisibleName(BaseName(c->deliver_path)) + "\n";
    }
  }
  rebuild.parts.push_back({"mugai-notice.txt", std::move(summary), "text/plain", "utf-8", true});
  std::string actions = "sanitized=" + std::to_string(converted) +
                        "; removed=" + std::to_string(blocked.size()) +
                        "; dropped=" + std::string(dropped ? "yes" : "no") +
                        (ambiguous ? "; normalised=yes" : "");
  rebuild.added = {{"X-Mugai-Verdict", "sanitized"}, {"X-Mugai-Actions", actions}};
  r.actions.push_back({"rebuilt", "new message: " + std::to_string(rebuild.parts.size()) +
                                      " part(s), " + std::to_string(blocked.size()) + " removed"});
  item->children.clear();
  Rebuild(pool, item, std::move(rebuild));
}

// Hands a container's verified children to a rebuild worker (a zip or a message).
void Pipeline::Rebuild(WorkerPool& pool, const std::shared_ptr<ItemState>& item,
                       RebuildRequest request) {
  const RebuildKind kind = request.kind;
  std::string encoded = EncodeRebuildRequest(request);
  request = {};
  if (item->fd >= 0) close(item->fd);
  item->fd = SealedMemfd(encoded);
  if (item->fd < 0) {
    return Block(item, Reason::kOutputFailed,
                 std::string("cannot hand the parts to a rebuild worker: ") + strerror(errno), true);
  }
  EnterStage(item, Stage::kRebuild);
  const uint64_t max_request = encoded.size();
  encoded.clear();
  encoded.shrink_to_fit();
  WorkerJob job = JobFor(pool, JobKind::kRebuild);
  job.max_bytes = max_request;
  pool.SubmitJob(
      item->fd, EncodeWorkerJob(job),
      [this, &pool, item, kind](WorkerOutcome o) { OnRebuilt(pool, item, kind, std::move(o)); },
      /*scanner=*/false);
}

void Pipeline::OnRebuilt(WorkerPool& pool, const std::shared_ptr<ItemState>& item,
                         RebuildKind kind, WorkerOutcome o) {
  if (!AtStage(item, Stage::kRebuild)) return;
  std::optional<WorkerResult> decoded = DecodeOutcome(item, o, "rebuilding: ");
  if (!decoded) return;
  WorkerResult& w = *decoded;
  const bool zip = kind == RebuildKind::kZip;
  if (w.verdict == Verdict::kBlocked) {
    // A zip that cannot be written is our failure; a message whose kept headers cannot be
    // written as they came is the sender's.
    return Block(item, zip ? Reason::kOutputFailed : Reason::kWorkerProtocol, w.reason_detail, zip);
  }
  const char* want = zip ? "application/zip" : "message/rfc822";
  if (w.verdict != Verdict::kSanitized || !w.has_output || w.output_type != want) {
    return Block(item, Reason::kWorkerProtocol,
                 std::string("the rebuild worker answered without a ") + want);
  }
  WorkerResult& out = item->result;
  out.output = std::move(w.output);
  out.output_type = want;
  out.has_output = true;
  Verify(pool, item, out.output, out.output_type);
}

void Pipeline::DeclareMetrics() {
  using T = Metrics::Type;
  Metrics& m = metrics_;
  m.Declare("mugai_items_total", T::kCounter,
            "Items decided, by entry point, verdict and reason (none when delivered)");
  m.Declare("mugai_item_duration_seconds", T::kHistogram,
            "Time from taking an item to its decision, by entry point");
  m.Declare("mugai_stage_duration_seconds", T::kHistogram,
            "Time a node (an item or a member) spent in a pipeline stage");
  m.Declare("mugai_items_in_progress", T::kGauge, "Items taken and not yet decided (the queue)");
  m.Declare("mugai_workers_busy", T::kGauge, "Worker processes running now");
  m.Declare("mugai_workers_capacity", T::kGauge, "The host's cap on workers (worker.jobs)");
  m.Declare("mugai_worker_failures_total", T::kCounter,
            "Workers that did not complete, by kind (crashed, timeout, out_of_memory, ...)");
  m.Declare("mugai_scanner_restarts_total", T::kCounter,
            "Times the scanner process was started again after it died");
  m.Declare("mugai_signatures_loaded", T::kGauge,
            "1 while the scanner answers with an engine that has signatures");
  m.Declare("mugai_signature_count", T::kGauge, "Signatures in the engine in use");
  m.Declare("mugai_signature_version", T::kGauge,
            "Version of the signature database in use (daily.cvd; 0 for custom databases)");
  m.Declare("mugai_signature_timestamp_seconds", T::kGauge,
            "Unix time the newest signature database in use was built");
  m.Declare("mugai_signature_age_seconds", T::kGauge,
            "Seconds since the newest signature database in use was built");
  m.Declare("mugai_signatures_stale", T::kGauge,
            "1 while the signatures are older than scan.max_signature_age_hours");
  m.Declare("mugai_suspended", T::kGauge, "1 while taking is suspended (mugai suspend)");
  m.Declare("mugai_quarantine_items", T::kGauge,
            "Items in the quarantine by state, every node's when several share PostgreSQL");
  m.Declare("mugai_quarantine_database_up", T::kGauge,
            "1 while the quarantine index answers (SQLite file or PostgreSQL)");
  m.Declare("mugai_audit_write_failures_total", T::kCounter,
            "Audit writes that failed (their items were not delivered)");
  m.Declare("mugai_audit_syslog_failures_total", T::kCounter,
            "Audit records that could not be sent to syslog (audit.syslog_facility)");
  // Counters without labels start at 0 (a series that appears only when it moves hides the
  // first increase from rate()).
  m.Declare("mugai_console_logins_total", T::kCounter,
            "Console log-ins by result (ok, wrong_password, locked, throttled, malformed), as "
            "the console reports them");
  m.Declare("mugai_console_lockouts_total", T::kCounter, "Console accounts locked");
  m.Add("mugai_audit_write_failures_total", {}, 0);
  m.Add("mugai_scanner_restarts_total", {}, 0);
  m.Add("mugai_console_lockouts_total", {}, 0);
  for (const char* r : {"ok", "wrong_password", "locked", "throttled"}) {
    m.Add("mugai_console_logins_total", {{"result", r}}, 0);
  }
}

Pipeline::Freshness Pipeline::SignatureFreshness() {
  const int64_t now_ms = MonotonicMs();
  {
    std::lock_guard<std::mutex> lock(freshness_mutex_);
    if (freshness_checked_ms_ >= 0 && now_ms - freshness_checked_ms_ < 5000) return freshness_;
    freshness_checked_ms_ = now_ms;  // others use the cached answer meanwhile
  }
  // Asked outside the lock (at most 2 s when the scanner does not answer).
  Freshness f;
  if (scanning_enabled_) {
    EngineInfo info = scanner_->CurrentInfo();
    f.database_time = info.database_time;
    if (f.database_time > 0) {
      f.age_seconds = std::max<int64_t>(0, static_cast<int64_t>(std::time(nullptr)) - f.database_time);
      f.stale = f.age_seconds > int64_t{config_.scan_max_signature_age_hours} * 3600;
    } else {
      f.stale = true;  // signatures of unknown age are not known to be fresh
    }
  }
  std::lock_guard<std::mutex> lock(freshness_mutex_);
  // While stale: a warning at the first check and then at most once a minute.
  if (f.stale && (!freshness_.stale || now_ms - stale_logged_ms_ >= 60000)) {
    stale_logged_ms_ = now_ms;
    log_.Write("warning", "signatures_stale",
               {{"age_hours", std::to_string(f.age_seconds / 3600)},
                {"max_signature_age_hours", std::to_string(config_.scan_max_signature_age_hours)},
                {"action", config_.scan_stale_hold ? "hold" : "warn"},
                {"detail", "run freshclam (or check why it does not update " +
                               config_.signatures + ")"}});
  } else if (!f.stale && freshness_.stale) {
    log_.Write("info", "signatures_fresh", {{"age_hours", std::to_string(f.age_seconds / 3600)}});
  }
  freshness_ = f;
  return f;
}

Status Pipeline::Admit(std::string* smtp_text) {
  Suspension s = ReadSuspension(config_.state_dir);
  if (s.active) {
    // To an SMTP client (any sender on the Internet): a fixed text, never the admin's reason
    // or name (those are in the log and the audit record).
    if (smtp_text) *smtp_text = "not accepting messages now (suspended); try again later";
    return Status{StatusCode::kUnavailable,
                  "mugai is suspended (" + s.reason + (s.actor.empty() ? "" : ", by " + s.actor) +
                      "); nothing is taken until an admin runs 'mugai resume' / 受付停止中"};
  }
  // Checked (at most every 5 s) as items arrive whatever the action, so that a stale
  // database is logged with "warn" too, not only when someone looks at /healthz.
  Freshness f = SignatureFreshness();
  if (config_.scan_stale_hold && f.stale) {
    if (smtp_text) {
      *smtp_text = "not accepting messages now (malware signatures out of date); try again later";
    }
    return Status{StatusCode::kUnavailable,
                  (f.database_time <= 0 ? std::string("the age of the malware signatures is unknown")
                                        : "the malware signatures are " +
                                              std::to_string(f.age_seconds / 3600) + " hours old") +
                      " (scan.max_signature_age_hours = " +
                      std::to_string(config_.scan_max_signature_age_hours) +
                      ", scan.stale_action = \"hold\"); held until freshclam brings fresh ones "
                      "/ 定義ファイルが古いため保留中"};
  }
  return Status::Ok();
}

std::string Pipeline::RenderMetrics() {
  Freshness f = SignatureFreshness();
  EngineInfo info = scanner_->CurrentInfo();
  metrics_.Set("mugai_items_in_progress", {}, static_cast<double>(items_in_progress_.load()));
  metrics_.Set("mugai_workers_busy", {}, slots_ ? slots_->in_use() : 0);
  metrics_.Set("mugai_workers_capacity", {}, slots_ ? slots_->capacity() : 0);
  metrics_.Set("mugai_scanner_restarts_total", {}, static_cast<double>(scanner_->restarts()));
  metrics_.Set("mugai_signatures_loaded", {},
               scanning_enabled_ && info.signature_count > 0 ? 1 : 0);
  metrics_.Set("mugai_signature_count", {}, info.signature_count);
  metrics_.Set("mugai_signature_version", {}, info.database_version);
  metrics_.Set("mugai_signature_timestamp_seconds", {}, static_cast<double>(f.database_time));
  metrics_.Set("mugai_signature_age_seconds", {}, static_cast<double>(f.age_seconds));
  metrics_.Set("mugai_signatures_stale", {}, f.stale ? 1 : 0);
  metrics_.Set("mugai_suspended", {}, ReadSuspension(config_.state_dir).active ? 1 : 0);
  metrics_.Set("mugai_audit_syslog_failures_total", {},
               syslog_ ? static_cast<double>(syslog_->failures()) : 0);
  Result<std::map<std::string, int64_t>> counts = [&] {
    std::lock_guard<std::mutex> lock(index_mutex_);
    return index_->CountByState();
  }();
  metrics_.Set("mugai_quarantine_database_up", {}, counts.ok() ? 1 : 0);
  if (counts.ok()) {
    for (const char* state :
         {"quarantined", "release_requested", "approved", "rejected", "released", "purged"}) {
      auto it = counts->find(state);
      metrics_.Set("mugai_quarantine_items", {{"state", state}},
                   it == counts->end() ? 0 : static_cast<double>(it->second));
    }
  }
  return metrics_.Render();
}

std::vector<std::pair<std::string, std::string>> Pipeline::HealthChecks() {
  std::vector<std::pair<std::string, std::string>> checks;
  bool answered = false;
  EngineInfo info = scanner_->CurrentInfo(&answered);
  checks.emplace_back("engine", !answered ? "the scanner process does not answer"
                                : !scanning_enabled_ || info.signature_count == 0
                                    ? "no signatures loaded (--allow-no-signatures)"
                                    : "");
  Freshness f = SignatureFreshness();
  checks.emplace_back(
      "signatures",
      !f.stale ? ""
      : f.database_time <= 0
          ? "the age of the signatures is unknown (no CVD header, no file dates); run freshclam"
          : "signatures are " + std::to_string(f.age_seconds / 3600) +
                " hours old, over scan.max_signature_age_hours = " +
                std::to_string(config_.scan_max_signature_age_hours) + "; run freshclam");
  std::string probe = config_.state_dir + "/.healthz-XXXXXX";
  int fd = mkstemp(probe.data());
  std::string state_problem;
  if (fd < 0 || write(fd, "ok\n", 3) != 3) {
    state_problem = "cannot write in the state folder " + config_.state_dir + ": " + strerror(errno);
  }
  if (fd >= 0) {
    close(fd);
    unlink(probe.c_str());
  }
  checks.emplace_back("state_folder", state_problem);
  std::string db_problem;
  {
    std::lock_guard<std::mutex> lock(index_mutex_);
    Result<QuarantineRecord> none = index_->Get("healthz-probe");
    if (!none.ok() && none.status().code() != StatusCode::kNotFound) {
      db_problem = "the quarantine index does not answer: " + none.status().message();
    }
  }
  checks.emplace_back("database", db_problem);
  Suspension s = ReadSuspension(config_.state_dir);
  checks.emplace_back("suspended", s.active ? "suspended: " + s.reason +
                                                  (s.actor.empty() ? "" : " (by " + s.actor + ")")
                                            : "");
  return checks;
}

}  // namespace mugai
