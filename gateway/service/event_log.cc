// logfmt event log.
#include "gateway/service/event_log.h"

#include "quarantine/utc_time.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "scanners/name_check.h"

namespace mugai {

EventLog::~EventLog() {
  if (file_ && owned_) fclose(file_);
}

void EventLog::UseStderr() {
  if (file_ && owned_) fclose(file_);
  file_ = stderr;
  owned_ = false;
}

Status EventLog::Open(const std::string& path) {
  if (file_ && owned_) fclose(file_);
  file_ = nullptr;
  owned_ = true;
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return {StatusCode::kIo, "cannot open log '" + path + "': " + strerror(errno)};
  file_ = fdopen(fd, "a");
  if (!file_) {
    close(fd);
    return {StatusCode::kIo, "cannot open log '" + path + "'"};
  }
  return Status::Ok();
}

std::string LogQuote(std::string_view value) {
  std::string out = "\"";
  for (char c : VisibleName(value)) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void EventLog::Write(std::string_view level, std::string_view event,
                     std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  if (!file_) return;
  // No gmtime_r (it locks glibc's time-zone state; see FormatUtc).
  std::string line = FormatUtc(static_cast<int64_t>(time(nullptr))) + " pid=" + std::to_string(getpid()) +
                     " level=" + std::string(level) + " event=" + std::string(event);
  for (const auto& [key, value] : fields) {
    line += " " + std::string(key) + "=" + LogQuote(value);
  }
  line += "\n";
  fwrite(line.data(), 1, line.size(), file_);
  fflush(file_);
}

}  // namespace mugai
