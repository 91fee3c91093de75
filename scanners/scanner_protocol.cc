// Scanner request/response encoding and descriptor passing.
#include "scanners/scanner_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/wire_format.h"

namespace mugai {

namespace {

constexpr std::string_view kMagic = "MGS1";
constexpr size_t kMaxField = 4096;

Status Bad(const char* what) {
  return {StatusCode::kProtocol, std::string("malformed scanner message: ") + what};
}

bool ReadFull(int sock, char* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = read(sock, data + done, n - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
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
  return out;
}

Result<ScanReply> DecodeScanReply(std::string_view untrusted) {
  wire::Reader in(untrusted);
  ScanReply r;
  uint8_t outcome = 0;
  if (!in.Magic(kMagic) || !in.U8(&outcome)) return Bad("header");
  if (outcome > static_cast<uint8_t>(ScanOutcome::kError)) return Bad("outcome");
  r.result.outcome = static_cast<ScanOutcome>(outcome);
  if (!in.Str(&r.result.threat, kMaxField) || !in.Str(&r.result.error, kMaxField) ||
      !in.Str(&r.engine.engine_version, kMaxField) || !in.U32(&r.engine.signature_count) ||
      !in.U32(&r.engine.database_version) || !in.AtEnd()) {
    return Bad("fields");
  }
  if (r.result.outcome == ScanOutcome::kInfected && r.result.threat.empty()) {
    return Bad("an infected verdict without a name");
  }
  return r;
}

bool SendScanMessage(int sock, const std::string& bytes, int fd) {
  if (bytes.size() > kMaxScanMessage) return false;
  std::string frame;
  wire::PutU32(&frame, static_cast<uint32_t>(bytes.size()));
  frame += bytes;
  if (fd < 0) {
    // Plain writes: the scanner process's filter allows no addressed sends at all.
    size_t done = 0;
    while (done < frame.size()) {
      ssize_t n = write(sock, frame.data() + done, frame.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  iovec iov{frame.data(), frame.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t sent;
  do {
    sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return false;
  // The descriptor went with the first byte; the rest (rare: a full socket buffer) follows.
  size_t done = static_cast<size_t>(sent);
  while (done < frame.size()) {
    ssize_t n = write(sock, frame.data() + done, frame.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool RecvScanMessage(int sock, std::string* bytes, int* fd) {
  *fd = -1;
  char header[4];
  iovec iov{header, sizeof header};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do {
    got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; ++i) {
      int received;
      memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (*fd < 0) {
        *fd = received;
      } else {
        close(received);  // one descriptor per message, never more
      }
    }
  }
  auto fail = [fd] {
    if (*fd >= 0) close(*fd);
    *fd = -1;
    return false;
  };
  if ((msg.msg_flags & MSG_CTRUNC) != 0) return fail();
  if (static_cast<size_t>(got) < sizeof header &&
      !ReadFull(sock, header + got, sizeof header - static_cast<size_t>(got))) {
    return fail();
  }
  uint32_t untrusted_len = 0;
  wire::Reader len(std::string_view(header, sizeof header));
  len.U32(&untrusted_len);
  if (untrusted_len > kMaxScanMessage) return fail();
  bytes->resize(untrusted_len);
  if (!ReadFull(sock, bytes->data(), untrusted_len)) return fail();
  return true;
}

}  // namespace mugai
