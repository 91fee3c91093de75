// Worker job encoding (supervisor) and decoding (zygote).
#include "gateway/sandbox/worker_job.h"

#include "common/wire_format.h"

namespace mugai {

namespace {

constexpr std::string_view kMagic = "MGJ1";
constexpr size_t kMaxField = 4096;

void PutU64(std::string* out, uint64_t v) {
  wire::PutU32(out, static_cast<uint32_t>(v & 0xffffffffu));
  wire::PutU32(out, static_cast<uint32_t>(v >> 32));
}

bool GetU64(wire::Reader& in, uint64_t* v) {
  uint32_t lo = 0, hi = 0;
  if (!in.U32(&lo) || !in.U32(&hi)) return false;
  *v = (static_cast<uint64_t>(hi) << 32) | lo;
  return true;
}

}  // namespace

std::string EncodeWorkerJob(const WorkerJob& j) {
  std::string out(kMagic);
  wire::PutU8(&out, static_cast<uint8_t>(j.kind));
  wire::PutStr(&out, j.name, kMaxField);
  wire::PutU8(&out, j.as_mail ? 1 : 0);
  wire::PutU8(&out, j.scanning ? 1 : 0);
  wire::PutStr(&out, j.password, kMaxField);
  wire::PutU8(&out, j.promised_family);
  PutU64(&out, j.max_bytes);
  wire::PutStr(&out, j.extension, 16);
  PutU64(&out, j.limits.memory_bytes);
  wire::PutU32(&out, j.limits.cpu_seconds);
  wire::PutU32(&out, j.limits.wall_seconds);
  wire::PutU32(&out, j.limits.open_files);
  PutU64(&out, j.limits.file_size_bytes);
  PutU64(&out, j.limits.max_result_bytes);
  wire::PutStr(&out, j.scratch_root, kMaxField);
  PutU64(&out, j.user_tasks);
  wire::PutU8(&out, j.namespaces ? 1 : 0);
  wire::PutU8(&out, j.fault);
  return out;
}

Result<WorkerJob> DecodeWorkerJob(std::string_view untrusted) {
  wire::Reader in(untrusted);
  WorkerJob j;
  uint8_t kind = 0, as_mail = 0, scanning = 0, namespaces = 0;
  bool ok = in.Magic(kMagic) && in.U8(&kind) && in.Str(&j.name, kMaxField) && in.U8(&as_mail) &&
            in.U8(&scanning) &&
            in.Str(&j.password, kMaxField) && in.U8(&j.promised_family) &&
            GetU64(in, &j.max_bytes) && in.Str(&j.extension, 16) &&
            GetU64(in, &j.limits.memory_bytes) && in.U32(&j.limits.cpu_seconds) &&
            in.U32(&j.limits.wall_seconds) && in.U32(&j.limits.open_files) &&
            GetU64(in, &j.limits.file_size_bytes) && GetU64(in, &j.limits.max_result_bytes) &&
            in.Str(&j.scratch_root, kMaxField) && GetU64(in, &j.user_tasks) &&
            in.U8(&namespaces) && in.U8(&j.fault) && in.AtEnd();
  if (!ok || kind < 1 || kind > static_cast<uint8_t>(JobKind::kLast) || as_mail > 1 ||
      scanning > 1 || namespaces > 1) {
    return Status{StatusCode::kProtocol, "malformed worker job"};
  }
  j.kind = static_cast<JobKind>(kind);
  j.as_mail = as_mail == 1;
  j.scanning = scanning == 1;
  j.namespaces = namespaces == 1;
  return j;
}

}  // namespace mugai
