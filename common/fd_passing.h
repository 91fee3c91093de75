// Length-prefixed frames over a Unix stream socket, with descriptors (SCM_RIGHTS) riding on
// the first byte of a frame: how workers reach the scanner process and front ends reach
// `mugai serve`. Frames from the other side are untrusted: a length over the caller's cap,
// a truncated control message or more descriptors than allowed fail the receive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mugai {

// One sendmsg of `bytes` with `fds` riding on it (SCM_RIGHTS); returns what sendmsg returned
// (bytes sent, or -1 with errno), EINTR retried. A SOCK_SEQPACKET message goes whole or not.
ssize_t SendWithFds(int sock, std::string_view bytes, const std::vector<int>& fds);

// Sends one frame (u32 little-endian length, then `bytes`) with `fds` (at most 250; none:
// plain writes, which need no sendmsg). Blocking; false on any error (EPIPE included).
bool SendFrame(int sock, std::string_view bytes, const std::vector<int>& fds = {});

// Receives one frame of at most `max_bytes`, and the descriptors that came with it (at most
// `max_fds`; a frame with more is refused and every descriptor closed). Blocking; false on
// EOF, error or a refused frame.
bool RecvFrame(int sock, uint64_t max_bytes, std::string* bytes, std::vector<int>* fds,
               size_t max_fds);

// The uid, gid and pid of the process at the other end of a Unix socket (SO_PEERCRED).
struct PeerCredentials {
  uint32_t uid = 0;
  uint32_t gid = 0;
  int32_t pid = 0;
};
bool GetPeerCredentials(int sock, PeerCredentials* out);

}  // namespace mugai
