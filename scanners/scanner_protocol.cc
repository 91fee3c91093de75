// Scanner request/response encoding and descriptor passing.
#include "scanners/scanner_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fd_passing.h"
#include "common/wire_format.h"

namespace mugai {

namespace {

constexpr std::string_view kMagic = "MGS1";
constexpr size_t kMaxField = 4096;

Status Bad(const char* what) {
  return {StatusCode::kProtocol, std::string("malformed scanner message: ") + what};
}

}  // namespace

std::string EncodeScanRequest(const ScanRequest& r) {
  std::string out(kMagic);
  wire::PutU8(&out, static_cast<uint8_t>(r.op));
  wire::PutStr(&out, r.name, kMaxField);
  return out;
}

Result<ScanRequest> DecodeScanRequest(std::string_view untrusted) {
  wire::Reader in(untrusted);
  ScanRequest r;
  uint8_t op = 0;
  if (!in.Magic(kMagic) || !in.U8(&op)) return Bad("header");
  if (op < 1 || op > 3) return Bad("operation");
  r.op = static_cast<ScanOp>(op);
  if (!in.Str(&r.name, kMaxField) || !in.AtEnd()) return Bad("name");
  return r;
}

std::string EncodeScanReply(const ScanReply& r) {
  std::string out(kMagic);
  wire::PutU8(&out, static_cast<uint8_t>(r.result.outcome));
  wire::PutStr(&out, r.result.threat, kMaxField);
  wire::PutStr(&out, r.result.error, kMaxField);
  wire::PutStr(&out, r.engine.engine_version, kMaxField);
  wire::PutU32(&out, r.engine.signature_count);
  wire::PutU32(&out, r.engine.database_version);
  wire::PutU64(&out, static_cast<uint64_t>(r.engine.database_time));
  return out;
}

Result<ScanReply> DecodeScanReply(std::string_view untrusted) {
  wire::Reader in(untrusted);
  ScanReply r;
  uint8_t outcome = 0;
  if (!in.Magic(kMagic) || !in.U8(&outcome)) return Bad("header");
  if (outcome > static_cast<uint8_t>(ScanOutcome::kError)) return Bad("outcome");
  r.result.outcome = static_cast<ScanOutcome>(outcome);
  uint64_t database_time = 0;
  if (!in.Str(&r.result.threat, kMaxField) || !in.Str(&r.result.error, kMaxField) ||
      !in.Str(&r.engine.engine_version, kMaxField) || !in.U32(&r.engine.signature_count) ||
      !in.U32(&r.engine.database_version) || !in.U64(&database_time) || !in.AtEnd()) {
    return Bad("fields");
  }
  if (database_time > (uint64_t{1} << 40)) return Bad("database time");
  r.engine.database_time = static_cast<int64_t>(database_time);
  if (r.result.outcome == ScanOutcome::kInfected && r.result.threat.empty()) {
    return Bad("an infected verdict without a name");
  }
  return r;
}

bool SendScanMessage(int sock, const std::string& bytes, int fd) {
  if (bytes.size() > kMaxScanMessage) return false;
  return SendFrame(sock, bytes, fd >= 0 ? std::vector<int>{fd} : std::vector<int>{});
}

bool RecvScanMessage(int sock, std::string* bytes, int* fd) {
  *fd = -1;
  std::vector<int> fds;
  if (!RecvFrame(sock, kMaxScanMessage, bytes, &fds, 1)) return false;
  if (!fds.empty()) *fd = fds.front();
  return true;
}

}  // namespace mugai
