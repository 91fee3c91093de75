// GET /metrics (Prometheus text format) and GET /healthz of `mugai serve`, on
// service.metrics_listen (loopback by default), served by cpp-httplib in its own threads.
// Read-only: neither endpoint takes input beyond the path, and neither shows item data.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/status.h"

namespace httplib {
class Server;
}

namespace mugai {

class Pipeline;

class HealthServer {
 public:
  // Binds `listen` ("ADDR:PORT", "[::1]:PORT") and serves in a thread. kConfig when the
  // address is malformed, kIo when it cannot be bound (in use?).
  static Result<std::unique_ptr<HealthServer>> Start(const std::string& listen,
                                                     Pipeline* pipeline);
  ~HealthServer();  // stops serving
  int port() const { return port_; }

 private:
  HealthServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace mugai
