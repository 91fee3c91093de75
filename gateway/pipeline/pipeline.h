// The supervisor's pipeline (ARCHITECTURE §2): intake → worker (identify, scan, convert) →
// verify worker → quarantine → emit. One object serves every front end (CLI now; milter and
// watch later). The supervisor itself never parses hostile bytes: it hashes, stores, moves.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "gateway/service/config.h"
#include "gateway/service/event_log.h"
#include "gateway/service/metrics.h"
#include "gateway/sandbox/unlock_process.h"
#include "gateway/sandbox/worker_job.h"
#include "gateway/sandbox/zygote_client.h"
#include "gateway/sandbox/office_pool.h"
#include "gateway/pipeline/family_table.h"
#include "gateway/sandbox/rebuild_protocol.h"
#include "gateway/pipeline/report.h"
#include "gateway/sandbox/worker_pool.h"
#include "quarantine/audit_log.h"
#include "quarantine/blob_store.h"
#include "quarantine/quarantine_index.h"
#include "gateway/sandbox/scanner_process.h"

namespace mugai {

struct PipelineOptions {
  bool allow_no_signatures = false;  // demo/test only: run without a malware scan
  std::string password;              // for encrypted inputs (PDF, zip)
  std::string entry_point = "cli";   // recorded with each quarantined item: cli, watch, milter
  std::string actor = "mugai";       // who the audit records name (a user for resubmissions)
};

struct ItemInput {
  std::string path;     // where to read it
  std::string name;     // the claimed file name (basename) used for type and name checks
  std::string out_dir;  // where its outputs go; "" = the out_dir given to Sanitize()
  std::string source;       // where it came from, for the records ("" = path)
  std::string destination;  // the folder its outputs finally reach ("" = out_dir)
  bool mail = false;        // an RFC 5322 message (mugai mail, the milter), whatever its bytes
  int fd = -1;              // read from this descriptor instead of `path` (a service client's)
  std::string actor;        // who the audit records name for it ("" = PipelineOptions::actor)
  std::string password;     // for it ("" = PipelineOptions::password)
  std::string entry_point;  // recorded for it ("" = PipelineOptions::entry_point): "milter"
                            // for a message a milter hands to `mugai serve`
  // A re-run of a quarantined original (a download) keeps no second copy: the records name
  // this item instead ("" = keep the original as usual).
  std::string kept_as;
  int64_t start_by_ms = 0;  // CLOCK_MONOTONIC: its first worker must start by then, else it
                            // fails as `busy` (a milter's 451); 0 = it waits its turn
};

// Where a delivered output goes instead of a file in out_dir (a service client writes it):
// given the item's index, the name and bytes, returns where it was put, or why it was not
// (the item is then blocked: nothing half-delivered).
using OutputSink = std::function<Result<std::string>(size_t item, const std::string& name,
                                                     const std::string& bytes,
                                                     const std::string& type,
                                                     Verdict verdict)>;

class Pipeline {
 public:
  // Loads libmagic and the ClamAV engine (once), prepares the state folder. kConfig with a
  // message that says what to do when signatures or the state folder are unusable.
  static Result<std::unique_ptr<Pipeline>> Create(const Config& config,
                                                  const PipelineOptions& options);

  // Stops the zygote, the scanner and the converters (their threads log into log_).
  ~Pipeline();

  // Sanitises `items`, writing deliverable outputs into `out_dir` ("" = deliver nothing,
  // report only). Returns one report per item, in input order. Several threads may call it
  // at once (the milter does): each call runs its own worker pool.
  // With `sink`, outputs go to it instead of `out_dir`.
  std::vector<NodeReport> Sanitize(const std::vector<ItemInput>& items, const std::string& out_dir,
                                   const OutputSink* sink = nullptr);

  // Starts the warm LibreOffice converters now (watch, milter) instead of at the first
  // legacy Office document; logs why not when LibreOffice is missing.
  void PrestartOffice();

  // Whether new items may be taken now (issue 18). Not while suspended (`mugai suspend`),
  // nor, with scan.stale_action = "hold", while the signatures are older than
  // scan.max_signature_age_hours: kUnavailable saying why and what to do (a milter answers
  // 451, watch leaves its files, a command exits 3). The message is the whole story, with a
  // Japanese gloss; `smtp_text` (optional) receives what an SMTP reply may say: a fixed ASCII
  // text without the reason or the admin's name.
  Status Admit(std::string* smtp_text = nullptr);

  // How old the signatures in use are. Asked of the scanner at most every few seconds; each
  // time it is asked and they are stale, a warning goes to the log.
  struct Freshness {
    int64_t database_time = 0;  // Unix time the newest database was built (0: unknown)
    int64_t age_seconds = 0;
    bool stale = false;
  };
  Freshness SignatureFreshness();

  // GET /healthz: every check by name, "" when it passes, else what is wrong.
  std::vector<std::pair<std::string, std::string>> HealthChecks();

  // The service's counters (items, stages, workers, audit, scanner), for GET /metrics.
  Metrics& metrics() { return metrics_; }
  // Sets the gauges that are read rather than counted (signatures, workers busy, suspended),
  // then renders every family.
  std::string RenderMetrics();

  // Has the scanner process load the signatures again now (beside the engine in use).
  void ReloadSignatures() { scanner_->Reload(); }
  OfficePool& office() { return *office_; }

  // The engine and signatures the scanner process uses now (it follows reloads).
  EngineInfo engine() { return scanner_->CurrentInfo(); }
  bool scanning_enabled() const { return scanning_enabled_; }
  EventLog& log() { return log_; }
  // The audit log's syslog copy (audit.syslog_facility), or null; operator commands run by
  // the service send through it too, so that its failures are counted in one place.
  std::shared_ptr<SyslogSender> audit_syslog() const { return syslog_; }
  QuarantineIndex& index() { return *index_; }
  AuditLog& audit() { return *audit_; }
  BlobStore& blobs() { return blobs_; }

 private:
  struct ItemState;
  struct Batch;
  struct Tree;
  // Where a node is (ARCHITECTURE §9: a stage per node, as data): every worker answer is
  // checked against it, and a block is logged with the stage it happened in.
  enum class Stage : uint8_t { kIntake, kProcess, kConvert, kChildren, kRebuild, kVerify, kDone };
  static const char* StageName(Stage stage);
  explicit Pipeline(const Config& config);

  WorkerJob JobFor(const WorkerPool& pool, JobKind kind) const;
  std::string PasswordOf(const std::shared_ptr<ItemState>& item) const;
  void Fill(Batch& batch);
  void Intake(WorkerPool& pool, const std::shared_ptr<ItemState>& item);
  void Start(WorkerPool& pool, const std::shared_ptr<ItemState>& item);
  bool TreeLimitsHold(const std::shared_ptr<ItemState>& item, const WorkerResult& w);
  void StartChildren(WorkerPool& pool, const std::shared_ptr<ItemState>& item);
  void ChildDone(WorkerPool& pool, const std::shared_ptr<ItemState>& child);
  void Assemble(WorkerPool& pool, const std::shared_ptr<ItemState>& item);
  void AssembleMail(WorkerPool& pool, const std::shared_ptr<ItemState>& item);
  void Rebuild(WorkerPool& pool, const std::shared_ptr<ItemState>& item, RebuildRequest request);
  void OnRebuilt(WorkerPool& pool, const std::shared_ptr<ItemState>& item, RebuildKind kind,
                 WorkerOutcome o);
  // The one place a verdict turns to blocked; Block() also finishes the node.
  static void MarkBlocked(NodeReport& r, Reason reason, std::string detail, bool internal);
  void Block(const std::shared_ptr<ItemState>& item, Reason reason, std::string detail,
             bool internal = false);
  bool AtStage(const std::shared_ptr<ItemState>& item, Stage expected);
  void Verify(WorkerPool& pool, const std::shared_ptr<ItemState>& item, const std::string& bytes,
              const std::string& output_type);
  // A worker's outcome decoded; or, after blocking the item for it (crash, limit, timeout,
  // malformed result; `what` prefixes the detail), nullopt.
  std::optional<WorkerResult> DecodeOutcome(const std::shared_ptr<ItemState>& item,
                                            const WorkerOutcome& o, const std::string& what);
  void OnProcessed(WorkerPool& pool, const std::shared_ptr<ItemState>& item, WorkerOutcome o);
  void OnVerified(const std::shared_ptr<ItemState>& item, WorkerOutcome o);
  void ConvertOffice(WorkerPool& pool, const std::shared_ptr<ItemState>& item);
  void StartOnlyChild(WorkerPool& pool, const std::shared_ptr<ItemState>& item, Member m);
  void Unlock(WorkerPool& pool, const std::shared_ptr<ItemState>& item);
  void StartUnlock(WorkerPool& pool, const std::shared_ptr<ItemState>& item);
  void UnlockFinished(Batch& batch);
  void OnUnlocked(WorkerPool& pool, const std::shared_ptr<ItemState>& item, WorkerOutcome o,
                  const std::string& helper_log);
  void OnConverted(WorkerPool& pool, const std::shared_ptr<ItemState>& item, WorkerOutcome o);
  void Finish(const std::shared_ptr<ItemState>& item);
  // Moves a node to `stage`, observing how long it spent in the one it leaves.
  void EnterStage(const std::shared_ptr<ItemState>& item, Stage stage);
  void CountItem(const std::shared_ptr<ItemState>& item);
  void DeclareMetrics();
  void FinishChild(const std::shared_ptr<ItemState>& item, const char* stage);
  bool Quarantine(const std::shared_ptr<ItemState>& item);
  bool Audit(AuditEvent event, const std::string& item_id, nlohmann::json details);
  bool Audit(std::vector<AuditEntry> entries);  // one write and one fsync for all of them
  // Audit(entries), or on PostgreSQL with the item's pending quarantine row: the original,
  // the row and `entries` in one transaction (a failure keeps nothing and fails the item).
  bool Record(const std::shared_ptr<ItemState>& item, std::vector<AuditEntry> entries);
  AuditEntry Entry(AuditEvent event, const std::string& item_id, nlohmann::json details,
                   const std::string& actor = "") const;
  void UndoDelivery(const std::shared_ptr<ItemState>& item, const std::string& why);
  void Emit(const std::shared_ptr<ItemState>& item, const std::string& bytes,
            const std::string& type);

  Config config_;
  OutputPolicy output_policy_;
  std::unique_ptr<ScannerProcess> scanner_;  // the engine lives there, not here
  std::unique_ptr<ZygoteClient> zygote_;     // workers are forked there, not here
  bool scanning_enabled_ = true;
  BlobStore blobs_;
  std::unique_ptr<QuarantineIndex> index_;
  std::unique_ptr<AuditLog> audit_;
  PipelineOptions options_;
  EventLog log_;
  std::mutex index_mutex_;
  std::string scratch_root_;
  std::unique_ptr<WorkerSlots> slots_;  // the host's cap on workers (worker.jobs), every pool
  std::unique_ptr<OfficePool> office_;
  UnlockOptions unlock_;
  Metrics metrics_;
  std::shared_ptr<SyslogSender> syslog_;
  std::atomic<int64_t> items_in_progress_{0};
  std::mutex freshness_mutex_;
  Freshness freshness_;
  int64_t freshness_checked_ms_ = -1;  // CLOCK_MONOTONIC; -1: never
  int64_t stale_logged_ms_ = 0;
};

// Turns a non-completed worker outcome into the reason an item is blocked for.
Reason ReasonForOutcome(const WorkerOutcome& outcome);
// "crashed", "timeout", ... (the label of mugai_worker_failures_total).
const char* OutcomeKindName(WorkerOutcome::Kind kind);

}  // namespace mugai
