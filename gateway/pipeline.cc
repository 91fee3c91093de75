// Supervisor-side orchestration of one batch of items through worker processes.
#include "gateway/pipeline.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.h"
#include "converters/image/image_sanitizer.h"
#include "gateway/limits.h"
#include "gateway/policy.h"
#include "gateway/worker_seccomp.h"
#include "scanners/name_check.h"

namespace mugai {

namespace {

unsigned DefaultJobs(uint32_t configured) {
  if (configured > 0) return configured;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

// "name.txt" → "name (1).txt"; names without an extension get the suffix at the end.
std::string CollisionName(const std::string& name, int n) {
  size_t dot = name.rfind('.');
  std::string suffix = " (" + std::to_string(n) + ")";
  if (dot == std::string::npos || dot == 0) return name + suffix;
  return name.substr(0, dot) + suffix + name.substr(dot);
}

}  // namespace

// The items of one Sanitize() call. At most `max_in_flight` are read into memory at once, so
// a batch of thousands of files neither runs out of descriptors nor holds them all.
struct Pipeline::Batch {
  const std::vector<ItemInput>* items;
  std::vector<NodeReport>* reports;
  WorkerPool* pool;
  size_t next = 0;
  size_t in_flight = 0;
  size_t max_in_flight = 4;
  bool filling = false;
};

struct Pipeline::ItemState {
  ItemInput input;
  NodeReport report;
  std::string bytes;
  int fd = -1;         // sealed memfd of the original
  int output_fd = -1;  // sealed memfd of the output, during verify
  WorkerResult result;
  Batch* batch = nullptr;
  size_t index = 0;
  ~ItemState() {
    if (fd >= 0) close(fd);
    if (output_fd >= 0) close(output_fd);
  }
};

Pipeline::Pipeline(const Config& config)
    : config_(config), blobs_(config.state_dir + "/quarantine/blobs") {}

Result<std::unique_ptr<Pipeline>> Pipeline::Create(const Config& config,
                                                   const PipelineOptions& options) {
  std::unique_ptr<Pipeline> p(new Pipeline(config));
  if (Status s = MakeDirs(config.state_dir, 0700); !s.ok()) {
    return Status{StatusCode::kConfig, "state folder: " + s.message() +
                                           " (set --state DIR or paths.state to a writable folder)"};
  }
  chmod(config.state_dir.c_str(), 0700);
  p->scratch_root_ = config.scratch_dir.empty() ? config.state_dir + "/tmp" : config.scratch_dir;
  if (Status s = MakeDirs(p->scratch_root_, 0700); !s.ok()) {
    return Status{StatusCode::kConfig, "worker scratch folder: " + s.message() +
                                           " (set paths.scratch to a writable folder)"};
  }
  if (Status s = p->log_.Open(config.state_dir + "/mugai.log"); !s.ok()) {
    return Status{StatusCode::kConfig, s.message()};
  }
  if (Status s = p->identifier_.Load(); !s.ok()) return s;
  if (Status s = InitImageLibrary(); !s.ok()) return s;
  ScanLimits scan_limits{config.scan_max_file_size, config.scan_max_scan_size,
                         config.scan_max_recursion, config.scan_max_files,
                         config.scan_max_time_ms, config.scan_image_fuzzy_hash};
  Status loaded = p->scanner_.Load(config.signatures, scan_limits);
  if (!loaded.ok()) {
    if (!options.allow_no_signatures) return loaded;
    // Explicitly asked for: run without signatures, loudly.
    if (Status s = p->scanner_.LoadEmpty(scan_limits); !s.ok()) return s;
    p->scanning_enabled_ = false;
    p->log_.Write("warning", "no_signatures", {{"detail", loaded.message()}});
    fprintf(stderr,
            "mugai: WARNING: running WITHOUT malware signatures (--allow-no-signatures): %s\n"
            "mugai: 警告: マルウェア定義なしで動作しています。本番では使用しないでください。\n",
            loaded.message().c_str());
  }
  p->context_ = WorkerContext{&p->config_, &p->identifier_, &p->scanner_, p->scanning_enabled_,
                              options.password};
  p->WarmUp();
  if (WorkerLandlockAbi() == 0) {
    p->log_.Write("warning", "landlock_unavailable",
                  {{"detail", "this kernel has no Landlock: workers can write wherever the "
                              "mugai user can; run mugai as a dedicated user"}});
    fprintf(stderr, "mugai: warning: no Landlock in this kernel; worker writes are not confined\n");
  }
  const EngineInfo& info = p->scanner_.info();
  p->log_.Write("info", "engine_loaded",
                {{"engine", info.engine_version},
                 {"signatures", std::to_string(info.signature_count)},
                 {"database_version", std::to_string(info.database_version)},
                 {"path", info.signatures_path}});
  return p;
}

// Runs the worker code once, in the supervisor, on built-in constant samples (never on
// received bytes). libmagic, libclamav, iconv, uchardet and libxml2 initialise lazily on
// first use; doing it here means every forked worker inherits them ready, which cut the
// cost of a worker from ~3.8 ms to ~1.2 ms in bench/ (docs/PERFORMANCE.md).
void Pipeline::WarmUp() {
  static const char* const kSamples[] = {
      "plain ASCII text\n",
      "\xE4\xBA\x88\xE7\xAE\x97\xE8\xA6\x81\xE6\xB1\x82\n",  // UTF-8 Japanese
      "\x97\x5C\x8E\x5A\x97\x76\x8B\x81\x82\xC9\x82\xC2\x82\xA2\x82\xC4\n",  // Shift_JIS
      "\xCD\xBD\xBB\xBB\xCD\xD7\xB5\xE1\n",                   // EUC-JP
      "\x1B$B M;;;MWLa\x1B(B\n",                                  // ISO-2022-JP
      "<html><head><title>t</title></head><body><p>x <a href=\"http://a.example/\">a</a>"
      "</p></body></html>\n",
  };
  for (const char* sample : kSamples) {
    int fd = SealedMemfd(sample);
    if (fd < 0) return;
    (void)ProcessNode(context_, fd, "warmup.txt", "");
    close(fd);
  }
}

std::vector<NodeReport> Pipeline::Sanitize(const std::vector<ItemInput>& items,
                                           const std::string& out_dir) {
  out_dir_ = out_dir;
  std::vector<NodeReport> reports(items.size());
  uint64_t max_result = config_.max_output_bytes + limits::kResultOverheadBytes;
  unsigned jobs = DefaultJobs(config_.jobs);
  WorkerPool pool(SandboxLimits{config_.worker_memory_bytes, config_.worker_cpu_seconds,
                                config_.worker_wall_seconds, config_.worker_open_files,
                                config_.worker_file_size_bytes, max_result},
                  jobs, scratch_root_);
  Batch batch{&items, &reports, &pool};
  batch.max_in_flight = 2 * static_cast<size_t>(jobs);
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
    ++batch.in_flight;
    Intake(*batch.pool, item);
  }
  batch.filling = false;
}

void Pipeline::Intake(WorkerPool& pool, const std::shared_ptr<ItemState>& item) {
  NodeReport& r = item->report;
  r.name = item->input.name;
  r.source_path = item->input.path;
  r.claimed_type = ClaimedTypeFromName(r.name);
  Result<std::string> bytes = ReadFileLimited(item->input.path, config_.max_input_bytes);
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
  r.size = item->bytes.size();
  r.sha256 = Sha256Hex(item->bytes);
  item->fd = SealedMemfd(item->bytes);
  if (item->fd < 0) {
    r.reason = Reason::kWorkerCrashed;
    r.reason_detail = std::string("cannot create the worker's input: ") + strerror(errno);
    r.internal_failure = true;
    return Finish(item);
  }
  const WorkerContext* ctx = &context_;
  std::string name = r.name;
  pool.Submit(
      item->fd,
      [ctx, name](int fd, const std::string& scratch) {
        return EncodeWorkerResult(ProcessNode(*ctx, fd, name, scratch));
      },
      [this, &pool, item](WorkerOutcome o) { OnProcessed(pool, item, std::move(o)); });
}

Reason ReasonForOutcome(const WorkerOutcome& o) {
  switch (o.kind) {
    case WorkerOutcome::Kind::kCompleted: return Reason::kNone;
    case WorkerOutcome::Kind::kOutOfMemory: return Reason::kWorkerMemory;
    case WorkerOutcome::Kind::kTimedOut: return Reason::kWorkerTimeout;
    case WorkerOutcome::Kind::kResultTooLarge: return Reason::kWorkerProtocol;
    case WorkerOutcome::Kind::kCrashed:
    case WorkerOutcome::Kind::kStartFailed: return Reason::kWorkerCrashed;
  }
  return Reason::kWorkerCrashed;
}

void Pipeline::OnProcessed(WorkerPool& pool, const std::shared_ptr<ItemState>& item,
                           WorkerOutcome o) {
  NodeReport& r = item->report;
  r.verdict = Verdict::kBlocked;
  if (o.kind != WorkerOutcome::Kind::kCompleted) {
    r.reason = ReasonForOutcome(o);
    r.reason_detail = o.detail;
    r.internal_failure = o.kind == WorkerOutcome::Kind::kStartFailed;  // our side failed
    return Finish(item);
  }
  Result<WorkerResult> decoded = DecodeWorkerResult(o.untrusted_result, config_.max_output_bytes);
  if (!decoded.ok()) {
    r.reason = Reason::kWorkerProtocol;
    r.reason_detail = decoded.status().message();
    return Finish(item);
  }
  WorkerResult& w = decoded.value();
  r.detected_type = w.detected_type;
  r.charset = w.charset;
  r.actions = w.actions;
  r.threats = w.threats;
  r.verdict = w.verdict;
  r.reason = w.reason;
  r.reason_detail = w.reason_detail;
  if (w.verdict == Verdict::kBlocked) return Finish(item);
  std::string why;
  if (!CheckWorkerResult(w, &why)) {
    r.verdict = Verdict::kBlocked;
    r.reason = Reason::kWorkerProtocol;
    r.reason_detail = why;
    return Finish(item);
  }
  // Every output, converted or passed through, is identified and scanned again in a fresh
  // worker before delivery: the first worker's word is never enough.
  item->result = std::move(w);
  if (item->result.verdict == Verdict::kSanitized) {
    Verify(pool, item, item->result.output, item->result.output_type);
  } else {
    Verify(pool, item, item->bytes, "");
  }
}

// The supervisor's own checks of a worker's "deliver" answer, from what it knows itself:
// the policy action of the family, the output type that action produces, the file name.
bool Pipeline::CheckWorkerResult(const WorkerResult& w, std::string* why) const {
  PolicyAction action = ActionFor(w.family);
  if (w.verdict == Verdict::kClean && action != PolicyAction::kPass) {
    *why = std::string("worker passed a ") + FamilyName(w.family) + " unchanged";
    return false;
  }
  std::string expected = ExpectedOutputType(w.family, w.detected_type);
  bool type_ok = w.output_type == expected ||
                 (expected == "image/gif|image/png" &&
                  (w.output_type == "image/gif" || w.output_type == "image/png"));
  if (w.verdict == Verdict::kSanitized &&
      (action == PolicyAction::kPass || action == PolicyAction::kBlock || !type_ok)) {
    *why = std::string("worker converted a ") + FamilyName(w.family) + " into " + w.output_type;
    return false;
  }
  return true;
}

std::string Pipeline::ExpectedOutputType(TypeFamily family, const std::string& detected) const {
  if (family == TypeFamily::kImage) {
    if (detected == "image/jpeg") return "image/jpeg";
    // An animated GIF stays a GIF when all frames are kept (one frame is still a PNG).
    if (detected == "image/gif" && config_.image_gif_all_frames) return "image/gif|image/png";
    return "image/png";
  }
  if (family == TypeFamily::kHtml) return "text/plain; charset=utf-8";
  if (family == TypeFamily::kPdf) {
    return config_.pdf_mode == PdfMode::kText ? "text/plain; charset=utf-8" : "application/pdf";
  }
  return "";
}

void Pipeline::Verify(WorkerPool& pool, const std::shared_ptr<ItemState>& item,
                      const std::string& bytes, const std::string& output_type) {
  NodeReport& r = item->report;
  if (item->fd >= 0) {  // the original's memfd is no longer needed by any worker
    close(item->fd);
    item->fd = -1;
  }
  item->output_fd = SealedMemfd(bytes);
  if (item->output_fd < 0) {
    r.verdict = Verdict::kBlocked;
    r.reason = Reason::kVerifyFailed;
    r.reason_detail = std::string("cannot hand the output to a verifier: ") + strerror(errno);
    r.internal_failure = true;
    return Finish(item);
  }
  const WorkerContext* ctx = &context_;
  TypeFamily promised =
      output_type.empty() ? item->result.family : FamilyOfOutput(output_type);
  std::string out_name = OutputName(r.name, item->result.family, output_type);
  pool.Submit(
      item->output_fd,
      [ctx, out_name, promised](int fd, const std::string& scratch) {
        return EncodeWorkerResult(VerifyNode(*ctx, fd, out_name, promised, scratch));
      },
      [this, item](WorkerOutcome v) { OnVerified(item, std::move(v)); });
}

void Pipeline::OnVerified(const std::shared_ptr<ItemState>& item, WorkerOutcome o) {
  NodeReport& r = item->report;
  std::string why;
  if (o.kind != WorkerOutcome::Kind::kCompleted) {
    why = o.detail;
  } else {
    Result<WorkerResult> v = DecodeWorkerResult(o.untrusted_result, 0);
    if (!v.ok()) {
      why = v.status().message();
    } else if (v->verdict != Verdict::kClean) {
      why = std::string(ReasonCode(v->reason)) + ": " + v->reason_detail;
      for (const auto& t : v->threats) r.threats.push_back(t);
    }
  }
  if (!why.empty()) {
    r.verdict = Verdict::kBlocked;
    r.reason = Reason::kVerifyFailed;
    r.reason_detail = why;
  } else if (r.verdict == Verdict::kSanitized) {
    r.actions.push_back({"verified", "output identified and scanned again"});
  }
  Finish(item);
}

bool Pipeline::Quarantine(const std::shared_ptr<ItemState>& item) {
  NodeReport& r = item->report;
  Result<std::string> stored = blobs_.Put(r.sha256, item->bytes);
  if (!stored.ok()) {
    log_.Write("error", "quarantine_failed", {{"name", r.name}, {"detail", stored.status().message()}});
    return false;
  }
  r.quarantine_id = r.sha256;
  return true;
}

void Pipeline::Emit(const std::shared_ptr<ItemState>& item, const std::string& bytes,
                    const std::string& type) {
  NodeReport& r = item->report;
  const std::string& out_dir = item->input.out_dir.empty() ? out_dir_ : item->input.out_dir;
  if (out_dir.empty()) return;
  std::string name = r.verdict == Verdict::kSanitized
                         ? OutputName(r.name, item->result.family, item->result.output_type)
                         : OutputName(r.name, TypeFamily::kText);
  if (name != r.name && r.verdict == Verdict::kClean) {
    r.actions.push_back({"renamed", "delivered as " + name + " (content is plain text)"});
  }
  // Defence in depth: the supervisor checks the delivered name itself (pure string code).
  if (NameCheck check = CheckFileName(name); check.problem != NameProblem::kNone) {
    r.verdict = Verdict::kBlocked;
    r.reason = Reason::kNameDangerousExtension;
    r.reason_detail = "output name " + VisibleName(name) + ": " + check.detail;
    return;
  }
  Status last;
  for (int n = 0; n < 1000; ++n) {
    std::string candidate = n == 0 ? name : CollisionName(name, n);
    std::string path = out_dir + "/" + candidate;
    struct stat st;
    if (lstat(path.c_str(), &st) == 0) continue;
    last = WriteFileAtomically(path, bytes, 0644, /*replace=*/false);
    if (last.ok()) {
      r.outputs.push_back({candidate, Sha256Hex(bytes), type, path});
      return;
    }
    if (lstat(path.c_str(), &st) != 0) break;  // failed for another reason than a race
  }
  r.verdict = Verdict::kBlocked;
  r.reason = Reason::kOutputFailed;
  r.reason_detail = last.ok() ? "no free output name" : last.message();
  r.internal_failure = true;
}

void Pipeline::Finish(const std::shared_ptr<ItemState>& item) {
  NodeReport& r = item->report;
  bool read = !r.sha256.empty();
  bool keep_original = r.verdict != Verdict::kClean && r.reason != Reason::kInputTooLarge && read;
  if (keep_original && !Quarantine(item)) {
    // Nothing is delivered unless the original is safely kept.
    if (r.verdict == Verdict::kSanitized) {
      r.verdict = Verdict::kBlocked;
      r.reason = Reason::kQuarantineFailed;
      r.reason_detail = "see mugai.log in the state folder";
    }
    r.internal_failure = true;
  }
  if (r.verdict == Verdict::kClean) {
    Emit(item, item->bytes, r.detected_type);
  } else if (r.verdict == Verdict::kSanitized) {
    Emit(item, item->result.output, item->result.output_type);
  }
  if (r.verdict == Verdict::kBlocked && r.quarantine_id.empty() && read &&
      r.reason != Reason::kInputTooLarge && !Quarantine(item)) {
    r.internal_failure = true;  // delivery failed after all and the original is not kept
  }
  if (r.verdict == Verdict::kBlocked && !r.internal_failure && r.reason == Reason::kNone) {
    r.reason = Reason::kWorkerProtocol;  // defensive: never a blocked item without a reason
  }
  std::string outputs;
  for (const auto& o : r.outputs) outputs += (outputs.empty() ? "" : ",") + o.path;
  log_.Write(r.verdict == Verdict::kBlocked ? "warning" : "info", "item_done",
             {{"name", r.name},
              {"source", r.source_path},
              {"sha256", r.sha256},
              {"type", r.detected_type},
              {"verdict", VerdictName(r.verdict)},
              {"reason", ReasonCode(r.reason)},
              {"detail", r.reason_detail},
              {"threat", r.threats.empty() ? "" : r.threats.front().name},
              {"quarantine_id", r.quarantine_id},
              {"outputs", outputs}});
  Batch& batch = *item->batch;
  (*batch.reports)[item->index] = std::move(r);
  item->bytes.clear();
  item->bytes.shrink_to_fit();
  --batch.in_flight;
  Fill(batch);
}

}  // namespace mugai
