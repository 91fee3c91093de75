// UTC timestamps for the quarantine index and the audit log: "2026-05-01T09:30:00Z" text,
// which sorts in time order, and an injectable clock so tests can move time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mugai {

// Seconds since the Unix epoch. Tests pass their own; production uses SystemClock().
using Clock = std::function<int64_t()>;

// The wall clock (time(nullptr)).
int64_t SystemClock();

// "YYYY-MM-DDTHH:MM:SSZ" for `unix_seconds`.
std::string FormatUtc(int64_t unix_seconds);

// Parses exactly the FormatUtc form; nullopt for anything else (other offsets, fractions,
// out-of-range fields).
std::optional<int64_t> ParseUtc(std::string_view text);

}  // namespace mugai
