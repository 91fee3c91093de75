// UTC timestamp formatting and strict parsing (no locale, no time zone database).
#include "quarantine/utc_time.h"

#include <time.h>

namespace mugai {

namespace {
// Reads `width` decimal digits at `pos`; -1 when any is not a digit.
int Digits(std::string_view s, size_t pos, size_t width) {
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}
}  // namespace

int64_t SystemClock() { return static_cast<int64_t>(time(nullptr)); }

std::string FormatUtc(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::optional<int64_t> ParseUtc(std::string_view s) {
  // 0123456789012345678901
  // YYYY-MM-DDTHH:MM:SSZ
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != 'Z') {
    return std::nullopt;
  }
  struct tm tm {};
  tm.tm_year = Digits(s, 0, 4) - 1900;
  tm.tm_mon = Digits(s, 5, 2) - 1;
  tm.tm_mday = Digits(s, 8, 2);
  tm.tm_hour = Digits(s, 11, 2);
  tm.tm_min = Digits(s, 14, 2);
  tm.tm_sec = Digits(s, 17, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour < 0 ||
      tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 59) {
    return std::nullopt;
  }
  int64_t t = static_cast<int64_t>(timegm(&tm));
  // timegm normalises 2026-02-31 into March; such a date is not valid input.
  if (FormatUtc(t).substr(0, 10) != s.substr(0, 10)) return std::nullopt;
  return t;
}

}  // namespace mugai
