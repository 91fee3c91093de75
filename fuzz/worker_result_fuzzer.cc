// Fuzz target: the supervisor's decoder of untrusted worker results.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/sandbox/worker_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  mugai::Result<mugai::WorkerResult> r = mugai::DecodeWorkerResult(bytes, 1 << 20);
  if (r.ok()) {
    // A decoded result re-encodes to the same bytes: the format has one spelling.
    std::string again = mugai::EncodeWorkerResult(r.value());
    if (again != bytes) __builtin_trap();
  }
  return 0;
}
