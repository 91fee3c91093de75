// Grep-able operational log: one logfmt line per event in <state>/mugai.log, e.g.
//   2026-11-22T03:10:00Z level=info event=item_done name="a.txt" verdict=clean
// (The tamper-evident audit log is separate: quarantine/, issue 7.)
#pragma once

#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace mugai {

class EventLog {
 public:
  EventLog() = default;
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Opens `path` for appending (mode 0600). Returns kIo with the reason on failure.
  Status Open(const std::string& path);

  // Writes to standard error instead (a front end that is a client of `mugai serve` and owns
  // no state folder: systemd's journal keeps its lines).
  void UseStderr();

  // Writes one line. Values are quoted and escaped so a hostile file name cannot forge a line.
  void Write(std::string_view level, std::string_view event,
             std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

 private:
  FILE* file_ = nullptr;
  bool owned_ = true;
};

// Escapes a value for a logfmt line: quotes, backslashes and control characters.
std::string LogQuote(std::string_view value);

}  // namespace mugai
