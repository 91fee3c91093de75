// FormatUtc is pure arithmetic (no gmtime_r and its lock): checked against known dates and
// against ParseUtc and gmtime_r over a range.
#include "quarantine/utc_time.h"

#include <gtest/gtest.h>
#include <time.h>

namespace mugai {
namespace {

TEST(UtcTime, KnownDates) {
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatUtc(1795335647), "2026-11-22T08:20:47Z");
  EXPECT_EQ(FormatUtc(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatUtc(4102444800), "2100-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(253402300799), "9999-12-31T23:59:59Z");
}

TEST(UtcTime, AgreesWithGmtimeAndParseOverFourCenturies) {
  for (int64_t t = -2208988800; t < 10413792000; t += 86400 * 7 + 3601) {
    time_t tt = static_cast<time_t>(t);
    tm utc{};
    gmtime_r(&tt, &utc);
    char want[32];
    strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &utc);
    ASSERT_EQ(FormatUtc(t), want) << t;
    if (t >= 0) {
      std::optional<int64_t> back = ParseUtc(FormatUtc(t));
      ASSERT_TRUE(back.has_value()) << t;
      EXPECT_EQ(*back, t);
    }
  }
}

}  // namespace
}  // namespace mugai
