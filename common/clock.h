// Milliseconds on CLOCK_MONOTONIC: deadlines, queue waits and elapsed times, immune to
// changes of the wall clock.
#pragma once

#include <time.h>

#include <cstdint>

namespace mugai {

inline int64_t MonotonicMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace mugai
