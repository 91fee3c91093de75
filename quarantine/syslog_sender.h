// A copy of every audit record for a remote log host (issue 18: logs kept off the box,
// 000 Art.47(2)): RFC 5424 messages over a local datagram socket (/dev/log, where rsyslog or
// journald forward them) or UDP (RFC 5426). glibc's syslog(3) writes the older BSD format and
// cannot name a target, so the header is formatted here; the record itself is the audit
// log's own line, hash chain included, so the remote copy can be checked against the chain.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mugai {

// The facility number of RFC 5424 §6.2.1 for a name ("local0" → 16), or -1.
int SyslogFacilityCode(std::string_view name);

class SyslogSender {
 public:
  // `facility`: a name SyslogFacilityCode knows. `target`: "unix:/PATH" or "udp:HOST:PORT"
  // (a numeric port). kConfig only when either is malformed: a local socket that is not there
  // or a host that does not resolve yet is tried again with each message (and counted).
  static Result<std::shared_ptr<SyslogSender>> Open(const std::string& facility,
                                                    const std::string& target,
                                                    const std::string& app_name = "mugai");
  ~SyslogSender();

  // Sends one message without blocking. `severity` 0..7 (6 = informational); `msgid` a short
  // ASCII word (the audit event). False when it could not be sent now (counted).
  bool Send(int severity, std::string_view msgid, std::string_view message);

  // The message Send would send at Unix time `millis` (for tests and for Send itself).
  std::string Format(int severity, std::string_view msgid, std::string_view message,
                     int64_t millis) const;

  uint64_t failures() const { return failures_.load(); }
  const std::string& target() const { return target_; }

 private:
  SyslogSender() = default;
  bool ConnectLocked();

  int facility_ = 0;
  std::string target_;
  std::string app_name_;
  std::string hostname_;
  std::string unix_path_;  // unix: target
  bool udp_ = false;
  std::string udp_host_, udp_port_;  // resolved at each (re)connection
  int fd_ = -1;
  std::mutex mutex_;
  std::atomic<uint64_t> failures_{0};
};

}  // namespace mugai
