// The frames a supervisor-side relay and a LibreOffice converter process (`mugai
// office-server`) exchange over one Unix stream connection per document. Both ends treat the
// other's frame as untrusted: every length is checked against a limit before it is used.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace mugai {

struct OfficeRequest {
  std::string extension;  // what the document is ("doc", "xls", "rtf", "odt"...): a hint
  std::string password;   // for an encrypted document ("" = none)
  std::string document;
};

enum class OfficeStatus : uint8_t {
  kPdf = 0,       // body: the PDF
  kFailed = 1,    // body: what went wrong, UTF-8
  kPassword = 2,  // the document is encrypted and no (or the wrong) password was given
  kLimit = 3,     // the PDF would be larger than the limit the request allowed
  kLast = kLimit,
};

struct OfficeResponse {
  OfficeStatus status = OfficeStatus::kFailed;
  std::string body;
};

std::string EncodeOfficeRequest(const OfficeRequest& request);
std::string EncodeOfficeResponse(const OfficeResponse& response);

// Writes every byte (retrying short writes and EINTR).
Status WriteAllTo(int fd, const std::string& bytes);

// Read one frame from `fd`. A document or body longer than `max_bytes`, a bad magic, an
// unknown status or a connection closed part-way are errors (kLimit for the size; kNotFound
// when the connection closed before the first byte: no frame at all, the peer gave up or
// died).
Result<OfficeRequest> ReadOfficeRequest(int fd, uint64_t max_bytes);
Result<OfficeResponse> ReadOfficeResponse(int fd, uint64_t max_bytes);

}  // namespace mugai
