// RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG".
#include "quarantine/syslog_sender.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mugai {

namespace {

constexpr const char* kFacilities[] = {"kern",   "user",   "mail",   "daemon", "auth",
                                       "syslog", "lpr",    "news",   "uucp",   "cron",
                                       "authpriv", "ftp"};

// PRINTUSASCII only, at most `max` characters; "-" when empty (RFC 5424 NILVALUE).
std::string HeaderField(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    if (c > 32 && c < 127) out += c;
  }
  return out.empty() ? "-" : out;
}

}  // namespace

int SyslogFacilityCode(std::string_view name) {
  for (size_t i = 0; i < std::size(kFacilities); ++i) {
    if (name == kFacilities[i]) return static_cast<int>(i);
  }
  if (name.size() == 6 && name.substr(0, 5) == "local" && name[5] >= '0' && name[5] <= '7') {
    return 16 + (name[5] - '0');
  }
  return -1;
}

Result<std::shared_ptr<SyslogSender>> SyslogSender::Open(const std::string& facility,
                                                         const std::string& target,
                                                         const std::string& app_name) {
  std::shared_ptr<SyslogSender> s(new SyslogSender());
  s->facility_ = SyslogFacilityCode(facility);
  if (s->facility_ < 0) {
    return Status{StatusCode::kConfig, "unknown syslog facility '" + facility + "'"};
  }
  s->target_ = target;
  s->app_name_ = app_name;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  s->hostname_ = HeaderField(host, 255);
  if (target.rfind("unix:/", 0) == 0) {
    s->unix_path_ = target.substr(5);
    if (s->unix_path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return Status{StatusCode::kConfig, "syslog socket path too long: " + s->unix_path_};
    }
  } else if (target.rfind("udp:", 0) == 0) {
    std::string rest = target.substr(4);
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
      return Status{StatusCode::kConfig, "expected udp:HOST:PORT, not '" + target + "'"};
    }
    s->udp_host_ = rest.substr(0, colon);
    s->udp_port_ = rest.substr(colon + 1);
    if (s->udp_host_.size() > 2 && s->udp_host_.front() == '[' && s->udp_host_.back() == ']') {
      s->udp_host_ = s->udp_host_.substr(1, s->udp_host_.size() - 2);
    }
    // Resolved when a message is sent, not here: a log host whose name does not resolve
    // (DNS down during an incident) must not stop mugai from starting or an admin from
    // suspending it. Its messages are counted as failures meanwhile.
    if (s->udp_port_.find_first_not_of("0123456789") != std::string::npos || s->udp_port_.size() > 5) {
      return Status{StatusCode::kConfig, "expected a port number in '" + target + "'"};
    }
    s->udp_ = true;
  } else {
    return Status{StatusCode::kConfig,
                  "expected unix:/PATH or udp:HOST:PORT as the syslog target, not '" + target + "'"};
  }
  return s;
}

SyslogSender::~SyslogSender() {
  if (fd_ >= 0) close(fd_);
}

bool SyslogSender::ConnectLocked() {
  if (fd_ >= 0) return true;
  if (udp_) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (getaddrinfo(udp_host_.c_str(), udp_port_.c_str(), &hints, &found) != 0 || !found) {
      return false;
    }
    fd_ = socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ >= 0 && connect(fd_, found->ai_addr, found->ai_addrlen) != 0) {
      close(fd_);
      fd_ = -1;
    }
    freeaddrinfo(found);
    return fd_ >= 0;
  }
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, unix_path_.c_str(), unix_path_.size() + 1);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
    return false;
  }
  return true;
}

std::string SyslogSender::Format(int severity, std::string_view msgid, std::string_view message,
                                 int64_t millis) const {
  time_t secs = static_cast<time_t>(millis / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(millis % 1000));
  std::string out = "<" + std::to_string(facility_ * 8 + (severity & 7)) + ">1 " + stamp + " " +
                    hostname_ + " " + HeaderField(app_name_, 48) + " " +
                    std::to_string(getpid()) + " " + HeaderField(msgid, 32) + " - ";
  // The audit line is UTF-8 (JSON): marked as such (RFC 5424 §6.4, BOM).
  out += "\xEF\xBB\xBF";
  out.append(message.data(), message.size());
  return out;
}

bool SyslogSender::Send(int severity, std::string_view msgid, std::string_view message) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t millis = int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1000000;
  std::string line = Format(severity, msgid, message, millis);
  std::lock_guard<std::mutex> lock(mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!ConnectLocked()) break;
    if (send(fd_, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL) ==
        static_cast<ssize_t>(line.size())) {
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // the daemon is behind: never wait
    close(fd_);  // the daemon restarted (a stale /dev/log), or the host is unreachable
    fd_ = -1;
  }
  ++failures_;
  return false;
}

}  // namespace mugai
