// Talking to the service: connect or start one in-process, send descriptors, write outputs.
#include "gateway/service/service_client.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "common/fd_passing.h"
#include "common/threads.h"
#include "gateway/service/service.h"
#include "gateway/service/service_protocol.h"

namespace mugai {

namespace {

using json = nlohmann::json;

Status Unavailable(const std::string& why) { return {StatusCode::kUnavailable, why}; }

}  // namespace

ServiceConnection::~ServiceConnection() {
  if (fd_ >= 0) {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
  }
  if (serving_.joinable()) serving_.join();
}

Result<std::unique_ptr<ServiceConnection>> ServiceConnection::Open(const Config& config,
                                                                   const std::string& path,
                                                                   bool allow_no_signatures,
                                                                   const std::string& command) {
  std::unique_ptr<ServiceConnection> c(new ServiceConnection());
  const bool explicit_path = !path.empty();
  const std::string where = explicit_path ? path : config.service_socket;
  struct stat st;
  bool exists = lstat(where.c_str(), &st) == 0;
  if (exists || explicit_path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (where.size() >= sizeof addr.sun_path) return Unavailable("socket path too long: " + where);
    memcpy(addr.sun_path, where.c_str(), where.size() + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      c->fd_ = fd;
      return c;
    }
    int err = errno;
    if (fd >= 0) close(fd);
    if (err == EACCES || err == EPERM) {
      return Unavailable("permission denied on the mugai service socket " + where +
                         ": ask the administrator to add you to its group (service.socket_group)");
    }
    return Unavailable("no mugai service answers at " + where + " (" + strerror(err) +
                       "): start it (systemctl start mugai-serve, or mugai serve)" +
                       (explicit_path ? "" : ", or remove the stale socket"));
  }
  // No service on this host: run one in this process for this command only.
  ServiceOptions options;
  options.allow_no_signatures = allow_no_signatures;
  options.entry_point = "cli";  // as before there was a service: one-shot commands
  (void)command;
  Result<std::unique_ptr<Service>> service = Service::Create(config, options);
  if (!service.ok()) return service.status();
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return Status{StatusCode::kInternal, std::string("socketpair: ") + strerror(errno)};
  }
  c->service_ = std::move(service.value());
  c->fd_ = pair[0];
  Service* s = c->service_.get();
  const int theirs = pair[1];
  c->serving_ = SignalFreeThread([s, theirs] { s->ServeConnection(theirs); });
  return c;
}

Status ServiceConnection::NextMessage(json* msg) {
  std::string frame;
  std::vector<int> none;
  if (!RecvFrame(fd_, kMaxServiceJson, &frame, &none, 0)) {
    return Unavailable("the mugai service went away before it answered (see its log)");
  }
  *msg = json::parse(frame, nullptr, false);
  if (msg->is_discarded() || !msg->is_object() || !msg->contains("type")) {
    return Unavailable("the mugai service answered nonsense");
  }
  return Status::Ok();
}

Status ServiceConnection::TakeOutput(
    const json& head, const std::function<Result<std::string>(const std::string&)>& write,
    Result<std::string>* put) {
  std::string bytes;
  std::vector<int> none;
  uint64_t size = head.value("size", uint64_t{0});
  if (!RecvFrame(fd_, size, &bytes, &none, 0) || bytes.size() != size) {
    return Unavailable("the mugai service went away while handing over an output");
  }
  *put = write(bytes);
  json ack = put->ok() ? json{{"ok", true}, {"path", put->value()}}
                       : json{{"ok", false}, {"error", put->status().message()}};
  if (!SendFrame(fd_, ack.dump(-1, ' ', false, json::error_handler_t::replace))) {
    return Unavailable("the mugai service went away");
  }
  return Status::Ok();
}

Result<std::string> ServiceConnection::Held() {
  json req = {{"v", kServiceProtocolVersion}, {"op", "status"}};
  if (!SendFrame(fd_, req.dump())) return Unavailable("the mugai service went away (see its log)");
  json msg;
  if (Status s = NextMessage(&msg); !s.ok()) return s;
  if (msg["type"] != "done" || !msg.contains("admit") || !msg["admit"].is_boolean()) {
    // A service of an older version answers an error: it has no switch to ask about.
    return std::string();
  }
  if (msg["admit"].get<bool>()) return std::string();
  std::string why = msg.value("message", std::string());
  return why.empty() ? std::string("held") : why;
}

Status ServiceConnection::ReportLogin(const std::string& result, bool locked_now) {
  json req = {{"v", kServiceProtocolVersion}, {"op", "console_login"}, {"result", result},
              {"locked_now", locked_now}};
  if (!SendFrame(fd_, req.dump())) return Unavailable("the mugai service went away (see its log)");
  json msg;
  if (Status s = NextMessage(&msg); !s.ok()) return s;
  if (msg["type"] != "done") return {StatusCode::kInvalidArgument, msg.value("message", std::string("?"))};
  return Status::Ok();
}

Result<ServiceConnection::OperatorReply> ServiceConnection::RunOperator(
    const std::vector<std::string>& argv,
    const std::function<Result<std::string>(const std::string&, const std::string&)>& writer,
    const std::string& acting_for) {
  json req = {{"v", kServiceProtocolVersion}, {"op", "operator"}, {"items", json::array()},
              {"password", ""}, {"deliver", false}, {"destination", ""}, {"argv", argv}};
  if (!acting_for.empty()) req["acting_for"] = acting_for;
  if (!SendFrame(fd_, req.dump(-1, ' ', false, json::error_handler_t::replace))) {
    return Unavailable("the mugai service went away (see its log)");
  }
  json msg;
  for (;;) {
    if (Status s = NextMessage(&msg); !s.ok()) return s;
    if (msg["type"] != "output") break;
    // A file for us to write (a release or resubmission to --out), then the next message.
    Result<std::string> put = std::string();
    Status s = TakeOutput(msg, [&](const std::string& bytes) -> Result<std::string> {
      if (!writer) return Status{StatusCode::kInvalidArgument, "no --out"};
      return writer(msg.value("name", std::string()), bytes);
    }, &put);
    if (!s.ok()) return s;
  }
  OperatorReply r;
  r.exit = msg.value("exit", 3);
  if (msg["type"] == "error") {
    r.err = msg.value("message", std::string("?")) + "\n";
    return r;
  }
  r.out = msg.value("stdout", std::string());
  r.err = msg.value("stderr", std::string());
  return r;
}

Result<ClientOutcome> ServiceConnection::Run(const std::string& op,
                                             const std::vector<ClientItem>& items,
                                             const std::string& password, bool deliver,
                                             const std::string& destination,
                                             const ClientWriter& writer) {
  ClientOutcome out;
  out.exit = 0;
  out.report = json::object();
  json merged_items = json::array();
  int delivered = 0, blocked = 0, failed = 0;
  std::map<size_t, std::vector<std::string>> written;  // item → files written for it
  for (size_t first = 0; first < items.size(); first += kMaxItemsPerRequest) {
    size_t last = std::min(items.size(), first + kMaxItemsPerRequest);
    json list = json::array();
    std::vector<int> fds;
    std::vector<int> opened;  // closed when this batch is done, whatever happens
    struct Closer {
      std::vector<int>* fds;
      ~Closer() {
        for (int fd : *fds) close(fd);
      }
    } closer{&opened};
    for (size_t i = first; i < last; ++i) {
      list.push_back({{"name", items[i].name}, {"source", items[i].source}});
      int fd = items[i].fd;
      if (fd < 0) {
        fd = open(items[i].path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) {
          return Status{StatusCode::kIo, "cannot open '" + items[i].path + "': " + strerror(errno)};
        }
        opened.push_back(fd);
      }
      fds.push_back(fd);
    }
    json req = {{"v", kServiceProtocolVersion}, {"op", op},         {"items", list},
                {"password", password},         {"deliver", deliver}, {"destination", destination}};
    if (!SendFrame(fd_, req.dump(-1, ' ', false, json::error_handler_t::replace), fds)) {
      return Unavailable("the mugai service went away (see its log)");
    }
    for (;;) {
      json msg;
      if (Status s = NextMessage(&msg); !s.ok()) return s;
      if (msg["type"] == "error") {
        std::string why = msg.value("message", std::string("?"));
        // Held (suspended, or signatures stale with stale_action = "hold"): kLimit, so that
        // a milter can say 451 4.3.2 (not accepting messages) rather than a failure.
        if (msg.contains("held") && msg["held"].is_boolean() && msg["held"].get<bool>()) {
          return Status{StatusCode::kLimit, why};
        }
        return Status{msg.value("exit", 3) == 2 ? StatusCode::kInvalidArgument
                                                : StatusCode::kInternal,
                      why};
      }
      if (msg["type"] == "output") {
        size_t item = first + msg.value("item", size_t{0});
        Result<std::string> put = std::string();
        Status s = TakeOutput(msg, [&](const std::string& bytes) -> Result<std::string> {
          if (item >= last) return Status{StatusCode::kProtocol, "no such item"};
          return writer(item, msg.value("name", std::string()), msg.value("verdict", std::string()),
                        bytes);
        }, &put);
        if (!s.ok()) return s;
        if (put.ok() && put.value() != "-") written[item].push_back(put.value());
        continue;
      }
      if (msg["type"] != "done" || !msg.contains("report") || !msg["report"].is_object()) {
        return Unavailable("the mugai service answered nonsense");
      }
      int rc = msg.value("exit", 3);
      if (rc == 3 || (rc == 1 && out.exit == 0)) out.exit = rc;
      out.notice += msg.value("notice", std::string());
      json& report = msg["report"];
      const size_t count = report.contains("items") && report["items"].is_array()
                               ? report["items"].size() : 0;
      for (size_t k = 0; k < count; ++k) {
        const json& n = msg.contains("notices") && msg["notices"].is_array() &&
                                msg["notices"].size() == count && msg["notices"][k].is_string()
                            ? msg["notices"][k] : json("");
        out.notices.push_back(n.get<std::string>());
        // An answer without the list is an older service: an item it reported blocked is
        // at least not delivered; nothing is taken as failed-and-retried.
        bool f = msg.contains("failed") && msg["failed"].is_array() &&
                 msg["failed"].size() == count && msg["failed"][k].is_boolean() &&
                 msg["failed"][k].get<bool>();
        out.failed.push_back(f);
      }
      // An output written here whose item ended blocked after all (its delivery could not be
      // recorded) is taken back: nothing is delivered that the audit log does not show.
      size_t index = first;
      for (auto& item : report["items"]) {
        // (A watcher stages its outputs and delivers only what was not blocked: the paths it
        // reports are where they will go, not files to take back.)
        if (item.value("verdict", std::string()) == "blocked" && op != "watch") {
          for (const std::string& path : written[index]) unlink(path.c_str());
        }
        merged_items.push_back(item);
        ++index;
      }
      delivered += report["summary"].value("delivered", 0);
      blocked += report["summary"].value("blocked", 0);
      failed += report["summary"].value("failed", 0);
      out.report = report;
      break;
    }
  }
  out.report["items"] = merged_items;
  out.report["summary"] = {{"delivered", delivered}, {"blocked", blocked}, {"failed", failed}};
  return out;
}

}  // namespace mugai
