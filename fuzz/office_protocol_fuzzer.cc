// Fuzz target: both ends of the office converter protocol read each other's frames as
// untrusted bytes (ReadOfficeRequest in `mugai office-server`, ReadOfficeResponse in the
// relay worker). The bytes arrive through a pipe, as they would through the socket.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

#include "converters/office/office_protocol.h"

namespace {

template <typename Reader>
void Feed(const uint8_t* data, size_t size, Reader read) {
  int fds[2];
  if (pipe(fds) != 0) return;
  std::thread writer([&] {
    (void)mugai::WriteAllTo(fds[1], std::string(reinterpret_cast<const char*>(data), size));
    close(fds[1]);
  });
  read(fds[0]);
  close(fds[0]);  // the writer may still be blocked on a full pipe: closing ends it (EPIPE)
  writer.join();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Feed(data, size, [](int fd) {
    mugai::Result<mugai::OfficeRequest> r = mugai::ReadOfficeRequest(fd, 1 << 20);
    if (r.ok() && r->document.size() > (1 << 20)) __builtin_trap();
  });
  Feed(data, size, [](int fd) {
    mugai::Result<mugai::OfficeResponse> r = mugai::ReadOfficeResponse(fd, 1 << 20);
    if (r.ok()) {
      // A frame read whole encodes back to the bytes it was read from (their prefix).
      std::string again = mugai::EncodeOfficeResponse(r.value());
      if (again.size() > (1u << 21)) __builtin_trap();
    }
  });
  return 0;
}
