// The scanner process's protocol (ARCHITECTURE §3): a worker sends a sealed memfd and a small
// request over its own connection; the scanner answers with a fixed-format verdict that names
// the engine and signatures it used. Both ends decode as untrusted: the worker is untrusted
// to the scanner, and the scanner parses hostile bytes through libclamav.
// Request:  "MGS1", u8 op, str name, with exactly one descriptor (SCM_RIGHTS) for kScan and
//           kMacros, none for kInfo.
// Response: "MGS1", u8 outcome, str threat, str error, str engine_version,
//           u32 signature_count, u32 database_version, u64 database_time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "scanners/scanner.h"

namespace mugai {

enum class ScanOp : uint8_t { kScan = 1, kMacros = 2, kInfo = 3 };

struct ScanRequest {
  ScanOp op = ScanOp::kScan;
  std::string name;
};

struct ScanReply {
  ScanResult result;
  EngineInfo engine;  // version, signature count, database version and time only
};

inline constexpr size_t kMaxScanMessage = 16384;

std::string EncodeScanRequest(const ScanRequest& request);
Result<ScanRequest> DecodeScanRequest(std::string_view untrusted);
std::string EncodeScanReply(const ScanReply& reply);
Result<ScanReply> DecodeScanReply(std::string_view untrusted);

// One message (at most kMaxScanMessage bytes, u32 length first) with an optional descriptor
// (`fd` < 0: none). Blocking; false on any error.
bool SendScanMessage(int sock, const std::string& bytes, int fd);
// Receives one message; `*fd` gets the descriptor that came with it (-1 when none; any
// further descriptors are closed). Returns false on EOF, error or an oversized message.
bool RecvScanMessage(int sock, std::string* bytes, int* fd);

}  // namespace mugai
