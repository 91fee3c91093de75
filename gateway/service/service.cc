// The host service: a thread per client connection, one pipeline for all of them.
#include "gateway/service/service.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <sys/time.h>
#include <time.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/fd_passing.h"
#include "common/file_util.h"
#include "gateway/cli/audit_command.h"
#include "gateway/cli/operator_context.h"
#include "gateway/cli/quarantine_command.h"
#include "gateway/cli/suspend_command.h"
#include "gateway/pipeline/report.h"
#include "gateway/service/health_server.h"
#include "gateway/service/service_protocol.h"
#include "quarantine/release_rules.h"

namespace mugai {

namespace {

using json = nlohmann::json;

bool SendJson(int conn, const json& j) {
  return SendFrame(conn, j.dump(-1, ' ', false, json::error_handler_t::replace));
}

// The exit status of a run (ARCHITECTURE §6) from its reports.
int ExitCodeFor(const std::vector<NodeReport>& reports) {
  int rc = 0;
  for (const auto& r : reports) {
    if (r.internal_failure) {
      rc = 3;
    } else if (r.verdict == Verdict::kBlocked && rc == 0) {
      rc = 1;
    }
  }
  return rc;
}

// How long a client may take to read an output and say it has written it, and how long a
// connection may otherwise stay silent.
constexpr long kOutputAckSeconds = 60;
constexpr long kConnectionTimeoutSeconds = 300;


bool IsString(const json& j, const char* key, size_t max) {
  return j.contains(key) && j[key].is_string() && j[key].get_ref<const std::string&>().size() <= max;
}

void SetTimeouts(int conn, long seconds) {
  timeval t{seconds, 0};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
  setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof t);
}

// Hands one output to the client (`head`, then its bytes) and returns where the client says
// it wrote it, or why not. The sanitize/mail/watch outputs and the files of an operator's
// release both come this way. It runs inside a request's worker pool, whose finished workers
// keep their share of the host's cap while it waits: a client gets kOutputAckSeconds, not
// the connection's kConnectionTimeoutSeconds.
Result<std::string> HandOver(int conn, const json& head, const std::string& bytes) {
  SetTimeouts(conn, kOutputAckSeconds);
  struct Restore {
    int conn;
    ~Restore() { SetTimeouts(conn, kConnectionTimeoutSeconds); }
  } restore{conn};
  const std::string waited = std::to_string(kOutputAckSeconds) + " s";
  if (!SendJson(conn, head) || !SendFrame(conn, bytes)) {
    return Status{StatusCode::kIo, "the client went away (or did not read for " + waited +
                                       ") before the output was handed over"};
  }
  std::string ack;
  std::vector<int> none;
  if (!RecvFrame(conn, 1 << 16, &ack, &none, 0)) {
    return Status{StatusCode::kIo, "the client went away (or did not answer for " + waited +
                                       ") before it wrote the output"};
  }
  json a = json::parse(ack, nullptr, false);
  if (a.is_discarded() || !a.is_object() || !a.contains("ok") || !a["ok"].is_boolean()) {
    return Status{StatusCode::kProtocol, "the client answered nonsense about the output"};
  }
  if (!a["ok"].get<bool>()) {
    return Status{StatusCode::kIo, "the client could not write the output: " +
                                       (IsString(a, "error", 4096) ? a["error"].get<std::string>()
                                                                   : std::string("?"))};
  }
  if (!IsString(a, "path", 8192)) return Status{StatusCode::kProtocol, "no path in the answer"};
  return a["path"].get<std::string>();
}

}  // namespace

std::string UserNameOf(uint32_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_name) {
    return found->pw_name;
  }
  return "uid " + std::to_string(uid);
}

std::string LoginNameOf(int32_t pid) {
  if (pid <= 0) return "";
  Result<std::string> text = ReadFileLimited("/proc/" + std::to_string(pid) + "/loginuid", 64);
  if (!text.ok()) return "";
  char* end = nullptr;
  unsigned long uid = std::strtoul(text.value().c_str(), &end, 10);
  if (end == text.value().c_str() || uid == 0 || uid >= 4294967295UL) return "";
  std::string name = UserNameOf(static_cast<uint32_t>(uid));
  return ValidUserName(name) ? name : "uid-" + std::to_string(uid);
}

uid_t Service::ConsoleUid() const {
  if (config_.console_unix_user.empty()) return geteuid();
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(config_.console_unix_user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 ||
      !found) {
    return static_cast<uid_t>(-1);  // no such user: nobody may act for anyone
  }
  return found->pw_uid;
}

Result<std::unique_ptr<Service>> Service::Create(const Config& config,
                                                 const ServiceOptions& options) {
  std::unique_ptr<Service> s(new Service(config));
  s->options_ = options;
  PipelineOptions po;
  po.allow_no_signatures = options.allow_no_signatures;
  po.entry_point = options.entry_point;
  Result<std::unique_ptr<Pipeline>> p = Pipeline::Create(config, po);
  if (!p.ok()) return p.status();
  s->pipeline_ = std::move(p.value());
  s->notifier_ = std::make_unique<Notifier>(config, &s->pipeline_->log());
  return s;
}

void Service::ServeConnection(int conn) {
  PeerCredentials peer;
  if (!GetPeerCredentials(conn, &peer)) {
    close(conn);
    return;
  }
  // The actor is who the kernel says is at the other end, never a name the client gives.
  const std::string actor = UserNameOf(peer.uid);
  // A client that stops reading or answering does not hold this thread (and its workers'
  // deadlines) for ever.
  SetTimeouts(conn, kConnectionTimeoutSeconds);
  for (;;) {
    std::string request;
    std::vector<int> fds;
    if (!RecvFrame(conn, kMaxServiceJson, &request, &fds, kMaxItemsPerRequest)) break;
    Handle(conn, peer.uid, peer.pid, actor, request, fds);
    for (int fd : fds) close(fd);
  }
  close(conn);
}

void Service::Handle(int conn, uint32_t uid, int32_t pid, const std::string& actor,
                     const std::string& request_json, std::vector<int>& fds) {
  auto refuse = [&](int code, const std::string& why) {
    SendJson(conn, {{"type", "error"}, {"exit", code}, {"message", why}});
  };
  json req = json::parse(request_json, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded() || !req.is_object() || !req.contains("v") || req["v"] != kServiceProtocolVersion) {
    return refuse(2, "not a mugai service request of version " +
                         std::to_string(kServiceProtocolVersion) + " (a client of another version?)");
  }
  if (IsString(req, "op", 16) && req["op"] == "status") {
    // Whether items are taken now (watch asks before it claims files): suspended, or held
    // for stale signatures, says why.
    Status admit = pipeline_->Admit();
    SendJson(conn, {{"type", "done"}, {"exit", 0}, {"admit", admit.ok()},
                    {"message", admit.ok() ? "" : admit.message()}});
    return;
  }
  if (IsString(req, "op", 16) && req["op"] == "console_login") {
    // The console's log-in results, for the metrics (its audit records it writes itself).
    if (uid != ConsoleUid()) return refuse(2, "only the console's user may report log-ins");
    const std::string result = IsString(req, "result", 32) ? req["result"].get<std::string>() : "";
    if (result != "ok" && result != "wrong_password" && result != "locked" &&
        result != "throttled" && result != "malformed") {
      return refuse(2, "unknown log-in result");
    }
    pipeline_->metrics().Add("mugai_console_logins_total", {{"result", result}});
    if (req.contains("locked_now") && req["locked_now"] == true) {
      pipeline_->metrics().Add("mugai_console_lockouts_total", {});
    }
    SendJson(conn, {{"type", "done"}, {"exit", 0}});
    return;
  }
  if (!IsString(req, "op", 16) || !req.contains("items") || !req["items"].is_array() ||
      !IsString(req, "destination", 4096) ||
      !IsString(req, "password", 4096) || !req.contains("deliver") || !req["deliver"].is_boolean()) {
    return refuse(2, "malformed request");
  }
  const std::string op = req["op"];
  if (op == "operator") return HandleOperator(conn, uid, pid, actor, req);
  if (op != "sanitize" && op != "mail" && op != "milter" && op != "watch") {
    return refuse(2, "unknown operation '" + op + "'");
  }
  // A milter's message is recorded with the envelope it names, and a release sends it back
  // into SMTP to those recipients: only the service's own user (or root) may speak as one.
  if (op == "milter" && uid != 0 && uid != geteuid()) {
    return refuse(2, "only the mugai user may hand over messages as the milter");
  }
  // Suspended, or held for stale signatures: nothing is taken (a milter answers 451 and the
  // MTA keeps the mail; watch leaves its claims; a command exits 3 saying why).
  std::string smtp_text;
  if (Status admit = pipeline_->Admit(&smtp_text); !admit.ok()) {
    pipeline_->log().Write("warning", "held", {{"op", op}, {"actor", actor}, {"detail", admit.message()}});
    SendJson(conn, {{"type", "error"}, {"exit", 3}, {"held", true},
                    {"message", op == "milter" ? smtp_text : admit.message()}});
    return;
  }
  const bool message = op == "mail" || op == "milter";  // one RFC 5322 message
  const json& list = req["items"];
  if (list.size() != fds.size() || list.empty() || (message && list.size() != 1)) {
    return refuse(2, "each item needs exactly one descriptor (and a message is one item)");
  }
  // Where the client writes its outputs is recorded with a kept original (a release goes
  // there later), so only a folder the client owns is believed; otherwise nothing is
  // recorded and a release needs --out.
  std::string destination = req["destination"].get<std::string>();
  if (op == "mail") {
    destination = "stdout";
  } else if (op == "milter") {
    destination = "smtp";  // the MTA's queue; a release goes to milter.next_hop
  } else if (!destination.empty()) {
    struct stat st;
    if (destination[0] != '/' || stat(destination.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        (uid != 0 && st.st_uid != uid)) {
      destination.clear();
    }
  }
  for (int fd : fds) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      return refuse(2, "inputs must be regular files (or sealed in-memory files)");
    }
  }
  std::vector<ItemInput> items;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& it = list[i];
    // A milter's source is its envelope (every recipient): up to 1 MiB.
    if (!it.is_object() || !IsString(it, "name", 4096) ||
        !IsString(it, "source", op == "milter" ? (1u << 20) : 4096)) {
      return refuse(2, "malformed item " + std::to_string(i));
    }
    ItemInput in;
    in.name = BaseName(it["name"].get<std::string>());
    if (in.name.empty()) in.name = message ? "message.eml" : "unnamed";
    in.source = it["source"].get<std::string>();
    if (in.source.empty()) in.source = "client of " + actor;
    in.path = in.source;  // for the records only: the service never opens it
    in.fd = fds[i];
    in.actor = actor;
    in.password = req["password"].get<std::string>();
    in.mail = message;
    if (op == "milter") {
      in.entry_point = "milter";  // released later back into SMTP
      // The MTA waits at the end of DATA: rather a 451 (it retries) than a hung session.
      in.start_by_ms = MonotonicMs() + int64_t{config_.milter_queue_timeout_seconds} * 1000;
    }
    if (op == "watch") in.entry_point = "watch";    // released later into its outbox
    in.destination = destination;
    items.push_back(std::move(in));
  }
  // The client writes each output and says where; until it has, nothing is recorded as
  // delivered (and a client that cannot write it gets the item blocked, original kept).
  OutputSink sink = [&](size_t item, const std::string& name, const std::string& bytes,
                        const std::string& type, Verdict verdict) -> Result<std::string> {
    return HandOver(conn,
                    {{"type", "output"}, {"item", item},   {"name", name},
                     {"mime", type},     {"verdict", VerdictName(verdict)}, {"size", bytes.size()}},
                    bytes);
  };
  bool deliver = req["deliver"].get<bool>();
  std::vector<NodeReport> reports = pipeline_->Sanitize(items, "", deliver ? &sink : nullptr);
  if (op == "milter") {
    // Recipients who are console users hear of a kept or cut message, with a link.
    for (size_t i = 0; i < reports.size() && i < items.size(); ++i) {
      notifier_->MailProcessed(items[i].source, reports[i]);
    }
  }
  int rc = ExitCodeFor(reports);
  if (message && rc == 0 && deliver && (reports.empty() || reports[0].outputs.empty())) {
    rc = 3;  // deliverable yet nothing written: never exit 0 with nothing on standard output
  }
  json report = RunReport(pipeline_->engine(), pipeline_->scanning_enabled(), reports);
  // Per item too: a watcher writes each file's own note, and leaves an item that failed
  // inside mugai (not blocked: it could not be decided) claimed, to be tried again.
  json notices = json::array(), failed = json::array();
  for (const NodeReport& r : reports) {
    notices.push_back(HumanNotice({r}));
    failed.push_back(r.internal_failure);
  }
  SendJson(conn, {{"type", "done"}, {"exit", rc}, {"report", report},
                  {"notice", HumanNotice(reports)}, {"notices", notices}, {"failed", failed}});
}

void Service::HandleOperator(int conn, uint32_t uid, int32_t pid, const std::string& actor,
                             const json& req) {
  if (!req.contains("argv") || !req["argv"].is_array() || req["argv"].empty() ||
      req["argv"].size() > 64) {
    SendJson(conn, {{"type", "error"}, {"exit", 2}, {"message", "malformed operator request"}});
    return;
  }
  std::vector<std::string> argv;
  for (const auto& a : req["argv"]) {
    if (!a.is_string() || a.get_ref<const std::string&>().size() > 8192) {
      SendJson(conn, {{"type", "error"}, {"exit", 2}, {"message", "malformed operator request"}});
      return;
    }
    argv.push_back(a.get<std::string>());
  }
  const std::string which = argv.front();
  argv.erase(argv.begin());
  if (which != "quarantine" && which != "audit" && which != "suspend" && which != "resume") {
    SendJson(conn, {{"type", "error"}, {"exit", 2}, {"message", "unknown command '" + which + "'"}});
    return;
  }
  ServiceCaller caller;
  caller.config = config_;
  caller.user = actor;
  caller.uid = uid;
  if (req.contains("acting_for")) {
    // Only the console (console.unix_user, by default the service's own user) says for whom
    // it acts: the user who logged in to it. Anyone else naming a user is refused.
    const uid_t console_uid = ConsoleUid();
    const std::string who = IsString(req, "acting_for", 64) ? req["acting_for"].get<std::string>() : "";
    if (uid != console_uid) {
      pipeline_->log().Write("warning", "acting_for_refused", {{"actor", actor}, {"for", who}});
      SendJson(conn, {{"type", "error"}, {"exit", 2},
                      {"message", "only the console's user (console.unix_user) may act for a "
                                  "logged-in user"}});
      return;
    }
    if (!ValidUserName(who) || who == "root" || ClaimedName(who) != who || RealIdentity(who) != who) {
      SendJson(conn, {{"type", "error"}, {"exit", 2}, {"message", "not a user name: '" + who + "'"}});
      return;
    }
    caller.user = who;
    caller.console = true;
  } else if (uid == 0) {
    caller.login = LoginNameOf(pid);  // sudo: the person behind root
  }
  caller.pipeline = pipeline_.get();
  caller.hand_back = [conn](const std::string& name, const std::string& bytes) {
    return HandOver(conn, {{"type", "output"}, {"name", name}, {"size", bytes.size()}}, bytes);
  };
  int rc = 3;
  std::string out, err;
  {
    CapturedOutput captured;  // this thread's OpOut()/OpErr() go back to the client
    try {
      rc = which == "quarantine" ? RunQuarantineCommand(argv, &caller)
           : which == "audit"    ? RunAuditCommand(argv, &caller)
                                 : RunSuspendCommand(which, argv, &caller);
    } catch (const std::exception& e) {
      std::fprintf(OpErr(), "mugai %s: internal failure: %s\n", which.c_str(), e.what());
      rc = 3;
    }
    out = captured.out();
    err = captured.err();
  }
  pipeline_->log().Write("info", "operator_command",
                         {{"actor", caller.console ? caller.user + " (console)" : actor}, {"command", which + " " + (argv.empty() ? "" : argv[0])},
                          {"exit", std::to_string(rc)}});
  SendJson(conn, {{"type", "done"}, {"exit", rc}, {"stdout", out}, {"stderr", err}});
}

int Service::Listen(const std::string& path, const std::string& group) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    if (Status s = MakeDirs(path.substr(0, slash), 0755); !s.ok()) {
      fprintf(stderr, "mugai serve: %s\n", s.message().c_str());
      return 2;
    }
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    fprintf(stderr, "mugai serve: socket path too long: %s\n", path.c_str());
    return 2;
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    close(probe);
    fprintf(stderr, "mugai serve: a mugai service already answers at %s (stop it first)\n",
            path.c_str());
    return 2;
  }
  close(probe);
  unlink(path.c_str());  // a stale socket of a service that ended
  int listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  mode_t old = umask(0117);
  int bound = bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (bound != 0 || listen(listen_fd, 128) != 0) {
    fprintf(stderr, "mugai serve: cannot listen on %s: %s\n", path.c_str(), strerror(errno));
    return 2;
  }
  chmod(path.c_str(), 0660);
  if (!group.empty()) {
    struct group* g = getgrnam(group.c_str());
    if (!g || chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      fprintf(stderr, "mugai serve: cannot give %s to group '%s' (service.socket_group)\n",
              path.c_str(), group.c_str());
      return 2;
    }
  }
  // Signals are taken by one thread: SIGHUP reloads, SIGTERM/SIGINT stop accepting.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::atomic<bool> stopping{false};
  std::thread signals([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        pipeline_->log().Write("info", "reload_requested", {{"detail", "SIGHUP"}});
        pipeline_->ReloadSignatures();
        continue;
      }
      stopping = true;
      sd_notify(0, "STOPPING=1");
      shutdown(listen_fd, SHUT_RDWR);
      return;
    }
  });
  // The effective configuration, every default included (as `mugai check-config` prints it).
  pipeline_->log().Write("info", "effective_config", {{"config", ConfigToToml(config_)}});
  std::unique_ptr<HealthServer> health;
  if (!config_.service_metrics_listen.empty()) {
    Result<std::unique_ptr<HealthServer>> started =
        HealthServer::Start(config_.service_metrics_listen, pipeline_.get());
    if (started.ok()) {
      health = std::move(started.value());
      const std::string& at = config_.service_metrics_listen;
      const std::string where = at.substr(0, at.rfind(':') + 1) + std::to_string(health->port());
      pipeline_->log().Write("info", "metrics_listening", {{"address", where}});
      fprintf(stderr, "mugai serve: /metrics and /healthz on http://%s\n", where.c_str());
    } else {
      // Monitoring then sees no /healthz and alerts; the gateway itself goes on.
      pipeline_->log().Write("error", "metrics_unavailable", {{"detail", started.status().message()}});
      fprintf(stderr, "mugai serve: warning: no /metrics or /healthz: %s\n",
              started.status().message().c_str());
    }
  }
  pipeline_->log().Write("info", "service_listening", {{"socket", path}});
  fprintf(stderr, "mugai serve: listening on %s\n", path.c_str());
  // Under systemd (Type=notify): ready now, so units ordered after mugai-serve start now.
  sd_notifyf(0, "READY=1\nSTATUS=listening on %s", path.c_str());
  std::mutex m;
  std::condition_variable cv;
  int active = 0;
  while (!stopping) {
    int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping) break;
      if (errno == EMFILE || errno == ENFILE) {
        usleep(10000);
        continue;
      }
      fprintf(stderr, "mugai serve: accept: %s\n", strerror(errno));
      break;
    }
    {
      std::lock_guard<std::mutex> lock(m);
      if (active >= static_cast<int>(config_.service_max_connections)) {
        // A bounded queue: beyond service.max_connections a client is told so at once (a
        // milter answers 451, a command exits 3) instead of piling up threads and items.
        SendJson(conn, {{"type", "error"},
                        {"exit", 3},
                        {"message", "the mugai service is busy (" +
                                        std::to_string(config_.service_max_connections) +
                                        " clients, service.max_connections); try again"}});
        close(conn);
        pipeline_->log().Write("warning", "service_busy",
                               {{"max_connections",
                                 std::to_string(config_.service_max_connections)}});
        continue;
      }
      ++active;
    }
    std::thread([this, conn, &m, &cv, &active] {
      ServeConnection(conn);
      std::lock_guard<std::mutex> lock(m);
      --active;
      cv.notify_all();
    }).detach();
  }
  // Requests in progress finish (their items are recorded and delivered or blocked).
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return active == 0; });
  }
  if (!stopping) {
    kill(getpid(), SIGTERM);  // let the signal thread end
  }
  signals.join();
  health.reset();
  close(listen_fd);
  unlink(path.c_str());
  pipeline_->log().Write("info", "service_stopped", {{"socket", path}});
  fprintf(stderr, "mugai serve: stopped\n");
  return 0;
}

}  // namespace mugai
