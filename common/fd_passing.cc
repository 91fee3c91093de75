// Frames and descriptor passing over Unix stream sockets.
#include "common/fd_passing.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/wire_format.h"

namespace mugai {

namespace {

constexpr size_t kMaxFdsPerFrame = 250;  // the kernel's SCM_MAX_FD is 253

bool WriteAll(int sock, const char* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    // write, not send: the scanner process's filter denies sendto (which send is). A closed
    // peer raises SIGPIPE, which every mugai process that talks on sockets ignores.
    ssize_t w = write(sock, data + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int sock, char* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = read(sock, data + done, n - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
}

void CloseAll(std::vector<int>* fds) {
  for (int fd : *fds) close(fd);
  fds->clear();
}

}  // namespace

ssize_t SendWithFds(int sock, std::string_view bytes, const std::vector<int>& fds) {
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()), 0);
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t sent;
  do {
    sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent;
}

bool SendFrame(int sock, std::string_view bytes, const std::vector<int>& fds) {
  if (bytes.size() > UINT32_MAX || fds.size() > kMaxFdsPerFrame) return false;
  std::string header;
  wire::PutU32(&header, static_cast<uint32_t>(bytes.size()));
  if (fds.empty()) {
    // Plain writes: the scanner process's filter allows no sendmsg at all.
    return WriteAll(sock, header.data(), header.size()) &&
           WriteAll(sock, bytes.data(), bytes.size());
  }
  ssize_t sent = SendWithFds(sock, header, fds);
  if (sent < 0) return false;
  // The descriptors went with the first byte; the rest follows as plain bytes.
  size_t done = static_cast<size_t>(sent);
  return WriteAll(sock, header.data() + done, header.size() - done) &&
         WriteAll(sock, bytes.data(), bytes.size());
}

bool RecvFrame(int sock, uint64_t max_bytes, std::string* bytes, std::vector<int>* fds,
               size_t max_fds) {
  fds->clear();
  char header[4];
  iovec iov{header, sizeof header};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * (max_fds == 0 ? 1 : max_fds)), 0);
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
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
      fds->push_back(received);
    }
  }
  // More descriptors than the control buffer holds are cut off by the kernel (and closed):
  // the frame is refused rather than handled with some of its descriptors missing.
  if ((msg.msg_flags & MSG_CTRUNC) != 0 || fds->size() > max_fds) {
    CloseAll(fds);
    return false;
  }
  if (static_cast<size_t>(got) < sizeof header &&
      !ReadAll(sock, header + got, sizeof header - static_cast<size_t>(got))) {
    CloseAll(fds);
    return false;
  }
  uint32_t untrusted_len = 0;
  wire::Reader len(std::string_view(header, sizeof header));
  len.U32(&untrusted_len);
  if (untrusted_len > max_bytes) {
    CloseAll(fds);
    return false;
  }
  bytes->resize(untrusted_len);
  if (!ReadAll(sock, bytes->data(), untrusted_len)) {
    CloseAll(fds);
    return false;
  }
  return true;
}

bool GetPeerCredentials(int sock, PeerCredentials* out) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    return false;
  }
  out->uid = cred.uid;
  out->gid = cred.gid;
  out->pid = cred.pid;
  return true;
}

}  // namespace mugai
