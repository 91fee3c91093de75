// Scans through the scanner process.
#include "scanners/scanner_client.h"

#include <unistd.h>

namespace mugai {

namespace {
int g_connection = -1;
}  // namespace

void ScannerClient::SetConnectionInThisProcess(int fd) { g_connection = fd; }
int ScannerClient::ConnectionInThisProcess() { return g_connection; }

ScanReply ScannerClient::Ask(int sock, ScanOp op, const std::string& name, int fd) {
  ScanReply reply;
  reply.result.outcome = ScanOutcome::kError;
  if (sock < 0) {
    reply.result.error = "no connection to the scanner process";
    return reply;
  }
  std::string bytes;
  int ignored = -1;
  if (!SendScanMessage(sock, EncodeScanRequest({op, name}), fd)) {
    reply.result.error = "cannot reach the scanner process";
    return reply;
  }
  if (!RecvScanMessage(sock, &bytes, &ignored)) {
    reply.result.error = "the scanner process did not answer (it may have crashed)";
    return reply;
  }
  if (ignored >= 0) {
    // A reply carries no descriptor; one that does is malformed.
    close(ignored);
    ScanReply bad;
    bad.result.error = "the scanner process answered with a descriptor";
    return bad;
  }
  Result<ScanReply> decoded = DecodeScanReply(bytes);
  if (!decoded.ok()) {
    reply.result.error = decoded.status().message();
    return reply;
  }
  return std::move(decoded.value());
}

ScanResult ScannerClient::Scan(int fd, const std::string& name) const {
  return Ask(g_connection, ScanOp::kScan, name, fd).result;
}

std::string ScannerClient::MacroHeuristic(int fd, const std::string& name) const {
  ScanReply r = Ask(g_connection, ScanOp::kMacros, name, fd);
  return r.result.outcome == ScanOutcome::kInfected ? r.result.threat : "";
}

}  // namespace mugai
