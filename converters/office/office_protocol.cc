// Office converter frames: "MGO1" request and "MGR1" response, lengths little-endian.
#include "converters/office/office_protocol.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>

namespace mugai {

namespace {

constexpr char kRequestMagic[4] = {'M', 'G', 'O', '1'};
constexpr char kResponseMagic[4] = {'M', 'G', 'R', '1'};
constexpr uint32_t kMaxShortField = 4096;  // extension, password
constexpr const char* kClosedBeforeFrame = "the connection closed before a frame";

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// Reads exactly `n` bytes; false on EOF or error (with `why` set).
bool ReadExactly(int fd, char* buf, size_t n, std::string* why) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      *why = std::string("read failed: ") + strerror(errno);
      return false;
    }
    if (r == 0) {
      *why = got == 0 && n > 0 ? kClosedBeforeFrame : "the frame was cut short";
      return false;
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

bool ReadU32(int fd, uint32_t* v, std::string* why) {
  unsigned char b[4];
  if (!ReadExactly(fd, reinterpret_cast<char*>(b), 4, why)) return false;
  *v = 0;
  for (int i = 3; i >= 0; --i) *v = (*v << 8) | b[i];
  return true;
}
bool ReadU64(int fd, uint64_t* v, std::string* why) {
  unsigned char b[8];
  if (!ReadExactly(fd, reinterpret_cast<char*>(b), 8, why)) return false;
  *v = 0;
  for (int i = 7; i >= 0; --i) *v = (*v << 8) | b[i];
  return true;
}

bool ReadShort(int fd, std::string* out, std::string* why) {
  uint32_t untrusted_len = 0;
  if (!ReadU32(fd, &untrusted_len, why)) return false;
  if (untrusted_len > kMaxShortField) {
    *why = "a field is longer than " + std::to_string(kMaxShortField) + " bytes";
    return false;
  }
  out->resize(untrusted_len);
  return ReadExactly(fd, out->data(), untrusted_len, why);
}

// Reads a u64 length and that many bytes, at most `max_bytes`.
Status ReadLong(int fd, uint64_t max_bytes, std::string* out) {
  std::string why;
  uint64_t untrusted_len = 0;
  if (!ReadU64(fd, &untrusted_len, &why)) return Status(StatusCode::kProtocol, why);
  if (untrusted_len > max_bytes) {
    return Status(StatusCode::kLimit, "the document or PDF is larger than " +
                                          std::to_string(max_bytes) + " bytes");
  }
  out->resize(untrusted_len);
  if (!ReadExactly(fd, out->data(), untrusted_len, &why)) return Status(StatusCode::kProtocol, why);
  return Status::Ok();
}

// The frame's magic. kNotFound when the connection closed before its first byte (no frame
// at all: a peer that gave up), kProtocol for anything else that is not `magic`.
Status ReadMagic(int fd, const char (&magic)[4]) {
  char got[4];
  std::string why;
  if (!ReadExactly(fd, got, 4, &why)) {
    return Status(why == kClosedBeforeFrame ? StatusCode::kNotFound : StatusCode::kProtocol, why);
  }
  if (std::memcmp(got, magic, 4) != 0) {
    return Status(StatusCode::kProtocol, "not a mugai office frame");
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeOfficeRequest(const OfficeRequest& request) {
  std::string out(kRequestMagic, 4);
  PutU32(out, static_cast<uint32_t>(request.extension.size()));
  out += request.extension;
  PutU32(out, static_cast<uint32_t>(request.password.size()));
  out += request.password;
  PutU64(out, request.document.size());
  out += request.document;
  return out;
}

std::string EncodeOfficeResponse(const OfficeResponse& response) {
  std::string out(kResponseMagic, 4);
  out.push_back(static_cast<char>(response.status));
  PutU64(out, response.body.size());
  out += response.body;
  return out;
}

Status WriteAllTo(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Status(StatusCode::kIo, std::string("write failed: ") + strerror(errno));
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

Result<OfficeRequest> ReadOfficeRequest(int fd, uint64_t max_bytes) {
  OfficeRequest req;
  std::string why;
  if (Status s = ReadMagic(fd, kRequestMagic); !s.ok()) return s;
  if (!ReadShort(fd, &req.extension, &why) || !ReadShort(fd, &req.password, &why)) {
    return Status(StatusCode::kProtocol, why);
  }
  if (Status s = ReadLong(fd, max_bytes, &req.document); !s.ok()) return s;
  return req;
}

Result<OfficeResponse> ReadOfficeResponse(int fd, uint64_t max_bytes) {
  OfficeResponse resp;
  std::string why;
  if (Status s = ReadMagic(fd, kResponseMagic); !s.ok()) return s;
  char untrusted_status = 0;
  if (!ReadExactly(fd, &untrusted_status, 1, &why)) return Status(StatusCode::kProtocol, why);
  if (static_cast<uint8_t>(untrusted_status) > static_cast<uint8_t>(OfficeStatus::kLast)) {
    return Status(StatusCode::kProtocol, "unknown status in an office response");
  }
  resp.status = static_cast<OfficeStatus>(untrusted_status);
  if (Status s = ReadLong(fd, max_bytes, &resp.body); !s.ok()) return s;
  return resp;
}

}  // namespace mugai
