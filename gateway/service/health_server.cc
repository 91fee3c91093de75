#include "gateway/service/health_server.h"

#include <httplib.h>
#include <unistd.h>

#include "gateway/pipeline/pipeline.h"

namespace mugai {

Result<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& listen,
                                                          Pipeline* pipeline) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Status{StatusCode::kConfig,
                  "service.metrics_listen: expected ADDR:PORT (e.g. 127.0.0.1:9470), not '" +
                      listen + "'"};
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) {
    return Status{StatusCode::kConfig, "service.metrics_listen: bad port in '" + listen + "'"};
  }
  std::unique_ptr<HealthServer> h(new HealthServer());
  h->server_ = std::make_unique<httplib::Server>();
  httplib::Server& svr = *h->server_;
  svr.new_task_queue = [] { return new httplib::ThreadPool(2); };
  svr.set_read_timeout(5, 0);
  svr.set_write_timeout(5, 0);
  svr.set_payload_max_length(4096);
  svr.Get("/metrics", [pipeline](const httplib::Request&, httplib::Response& res) {
    res.set_content(pipeline->RenderMetrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.Get("/healthz", [pipeline](const httplib::Request&, httplib::Response& res) {
    std::string body, failed;
    for (const auto& [name, problem] : pipeline->HealthChecks()) {
      body += name + ": " + (problem.empty() ? "ok" : "FAIL " + problem) + "\n";
      if (!problem.empty()) failed += (failed.empty() ? "" : ", ") + name;
    }
    res.status = failed.empty() ? 200 : 503;
    res.set_content((failed.empty() ? "ok\n" : "unhealthy: " + failed + "\n") + body,
                    "text/plain; charset=utf-8");
  });
  int bound = port == 0 ? svr.bind_to_any_port(host) : (svr.bind_to_port(host, static_cast<int>(port)) ? static_cast<int>(port) : -1);
  if (bound <= 0) {
    return Status{StatusCode::kIo, "cannot listen on " + listen +
                                       " (service.metrics_listen): in use, or not an address of "
                                       "this host"};
  }
  h->port_ = bound;
  h->thread_ = std::thread([&svr] { svr.listen_after_bind(); });
  // stop() is a no-op until the loop runs: wait for it, so a stop right after Start is not lost.
  for (int i = 0; i < 5000 && !svr.is_running(); ++i) usleep(1000);
  return h;
}

HealthServer::~HealthServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mugai
