// UTC timestamp formatting and strict parsing (no locale, no time zone database).
#include "quarantine/utc_time.h"

#include <cstdio>

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

// Pure arithmetic (the proleptic Gregorian calendar from a day count), not gmtime_r: glibc's
// gmtime_r takes its time-zone lock, and a worker forked while another supervisor thread
// (the milter's, the LibreOffice pool's manager) held that lock would hang at its first
// date conversion.
std::string FormatUtc(int64_t unix_seconds) {
  int64_t days = unix_seconds / 86400;
  int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  // Days since 1970-01-01 → year, month, day (era-based: 400-year cycles of 146097 days).
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t year = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) ++year;
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                   static_cast<long long>(year), static_cast<long long>(month),
                   static_cast<long long>(day), static_cast<long long>(secs / 3600),
                   static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
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
