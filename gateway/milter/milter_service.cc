// libmilter glue. libmilter calls back from one thread per SMTP connection; each message's
// pipeline run happens in that thread (Pipeline::Sanitize is safe to call concurrently),
// bounded by milter.concurrency: one slow attachment occupies one slot, never the others.
#include "gateway/milter/milter_service.h"

#include <libmilter/mfapi.h>
#include <pwd.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <semaphore>

#include "common/clock.h"
#include "common/file_util.h"
#include "converters/mail/mail_text.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/milter/milter_session.h"
#include "gateway/pipeline/pipeline.h"
#include "gateway/service/privileges.h"
#include "gateway/pipeline/report.h"
#include "gateway/service/service_client.h"

namespace mugai {

namespace {

struct MilterState {
  Config config;
  std::unique_ptr<Pipeline> pipeline;  // none when messages go to `mugai serve`
  std::string service_path;            // that service's socket ("" = the pipeline above)
  EventLog own_log;                    // mugai.log when there is no pipeline
  std::unique_ptr<std::counting_semaphore<>> slots;
};
MilterState* g_service = nullptr;

MilterSession* SessionOf(SMFICTX* ctx) { return static_cast<MilterSession*>(smfi_getpriv(ctx)); }

sfsistat Reply(SMFICTX* ctx, const char* rcode, const char* xcode, const std::string& text,
               sfsistat status) {
  std::string clean;
  for (char c : text) clean += (c == '%' || c == '\r' || c == '\n') ? ' ' : c;
  smfi_setreply(ctx, const_cast<char*>(rcode), const_cast<char*>(xcode), clean.data());
  return status;
}

EventLog& Log() { return g_service->pipeline ? g_service->pipeline->log() : g_service->own_log; }

sfsistat TempFail(SMFICTX* ctx, const std::string& why) {
  Log().Write("warning", "milter_tempfail", {{"detail", why}});
  return Reply(ctx, "451", "4.3.0", "mugai: " + why + "; try again later", SMFIS_TEMPFAIL);
}

sfsistat OnConnect(SMFICTX* ctx, char*, _SOCK_ADDR*) {
  smfi_setpriv(ctx, new MilterSession());
  return SMFIS_CONTINUE;
}

sfsistat OnEnvFrom(SMFICTX* ctx, char** argv) {
  MilterSession* s = SessionOf(ctx);
  if (!s) return SMFIS_TEMPFAIL;
  s->Reset();
  s->sender = argv && argv[0] ? argv[0] : "";
  std::vector<std::string> args;
  for (int i = 1; argv && argv[i]; ++i) args.emplace_back(argv[i]);
  uint64_t declared = EsmtpSize(args);
  if (declared > g_service->config.milter_max_message_bytes) {
    return Reply(ctx, "552", "5.3.4",
                 "message size exceeds the gateway's limit (milter.max_message_bytes)",
                 SMFIS_REJECT);
  }
  const char* qid = smfi_getsymval(ctx, const_cast<char*>("i"));
  s->queue_id = qid ? qid : "";
  return SMFIS_CONTINUE;
}

sfsistat OnEnvRcpt(SMFICTX* ctx, char** argv) {
  MilterSession* s = SessionOf(ctx);
  if (!s) return SMFIS_TEMPFAIL;
  if (argv && argv[0]) s->recipients.emplace_back(argv[0]);
  return SMFIS_CONTINUE;
}

sfsistat OnHeader(SMFICTX* ctx, char* name, char* value) {
  MilterSession* s = SessionOf(ctx);
  if (!s) return SMFIS_TEMPFAIL;
  std::string n = name ? name : "", v = value ? value : "";
  if (s->Count(n.size() + v.size() + 4, g_service->config.milter_max_message_bytes)) {
    s->headers.emplace_back(std::move(n), std::move(v));
  }
  return SMFIS_CONTINUE;
}

sfsistat OnEoh(SMFICTX* ctx) { return SessionOf(ctx) ? SMFIS_CONTINUE : SMFIS_TEMPFAIL; }

sfsistat OnBody(SMFICTX* ctx, unsigned char* chunk, size_t len) {
  MilterSession* s = SessionOf(ctx);
  if (!s) return SMFIS_TEMPFAIL;
  if (s->Count(len, g_service->config.milter_max_message_bytes)) {
    s->body.append(reinterpret_cast<const char*>(chunk), len);
  }
  return SMFIS_CONTINUE;
}

// Rewrites the message in Postfix's queue: MIME headers replaced, body replaced.
bool Rewrite(SMFICTX* ctx, const MilterSession& s, const std::string& rebuilt) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
  SplitMessage(rebuilt, &fields, &body);
  std::map<std::string, int> seen;  // lower-case name → occurrences in the original
  for (const auto& [name, value] : s.headers) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (IsMimeHeader(name)) ++seen[lower];
  }
  for (const auto& [name, value] : s.headers) {
    if (!IsMimeHeader(name)) continue;
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (int i = seen[lower]; i >= 1; --i) {
      if (smfi_chgheader(ctx, const_cast<char*>(name.c_str()), i, nullptr) != MI_SUCCESS) return false;
    }
    seen[lower] = 0;
  }
  for (const auto& [name, value] : fields) {
    if (!IsMimeHeader(name) && name.rfind("X-Mugai-", 0) != 0) continue;  // kept as they are
    if (smfi_addheader(ctx, const_cast<char*>(name.c_str()), const_cast<char*>(value.c_str())) !=
        MI_SUCCESS) {
      return false;
    }
  }
  std::string crlf = WithCrlf(body);
  if (crlf == s.body) return true;  // same bytes: Postfix need not rewrite its queue file
  for (size_t at = 0; at < crlf.size(); at += 65536) {
    size_t n = std::min<size_t>(65536, crlf.size() - at);
    if (smfi_replacebody(ctx, reinterpret_cast<unsigned char*>(crlf.data() + at),
                         static_cast<int>(n)) != MI_SUCCESS) {
      return false;
    }
  }
  return true;
}

// 550 for a message mugai blocked, with its reason and where the original is kept.
sfsistat RejectBlocked(SMFICTX* ctx, const std::string& message, const std::string& code,
                       const std::string& quarantine_id) {
  return Reply(ctx, "550", "5.7.1",
               "mugai: message blocked: " + message + " (" + code + ")" +
                   (quarantine_id.empty() ? "" : ", quarantine id " + quarantine_id),
               SMFIS_REJECT);
}

// The message goes to `mugai serve` as a sealed in-memory file, with its envelope as its
// source (recorded with a kept original, for release back into SMTP); the rebuilt message
// comes back as bytes. The service's verdict decides as the in-process pipeline's would.
sfsistat HandleEomThroughService(SMFICTX* ctx, const MilterSession& s) {
  MilterState& svc = *g_service;
  int fd = SealedMemfd(s.Message());
  if (fd < 0) return TempFail(ctx, "cannot hold the message in memory");
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  Result<std::unique_ptr<ServiceConnection>> conn =
      ServiceConnection::Open(svc.config, svc.service_path, false, "milter");
  if (!conn.ok()) return TempFail(ctx, "the mugai service does not answer (" + conn.status().message() + ")");
  std::string rebuilt;
  ClientWriter writer = [&rebuilt](size_t, const std::string&, const std::string&,
                                   const std::string& bytes) -> Result<std::string> {
    rebuilt = bytes;
    return std::string("smtp");
  };
  Result<ClientOutcome> outcome = conn.value()->Run(
      "milter", {ClientItem{"message.eml", s.SourceJson(), fd, ""}}, "", true, "smtp", writer);
  if (!outcome.ok() && outcome.status().code() == StatusCode::kLimit) {
    // Suspended, or held for stale signatures: not accepting messages now.
    Log().Write("warning", "milter_held", {{"detail", outcome.status().message()}});
    return Reply(ctx, "451", "4.3.2", "mugai: " + outcome.status().message(), SMFIS_TEMPFAIL);
  }
  if (!outcome.ok()) return TempFail(ctx, "the mugai service failed: " + outcome.status().message());
  const nlohmann::json& report = outcome->report;
  if (!report.contains("items") || !report["items"].is_array() || report["items"].empty()) {
    return TempFail(ctx, "the mugai service answered without a verdict");
  }
  const nlohmann::json& item = report["items"][0];
  std::string verdict = item.value("verdict", "");
  std::string code = item.contains("reason") && item["reason"].is_object()
                         ? item["reason"].value("code", "")
                         : "";
  if (outcome->exit == 3) return TempFail(ctx, "internal failure (" + code + ")");
  if (verdict == "blocked") {
    std::string message = item.contains("reason") && item["reason"].is_object()
                              ? item["reason"].value("message", "")
                              : "";
    std::string qid = item.contains("quarantine_id") && item["quarantine_id"].is_string()
                          ? item["quarantine_id"].get<std::string>()
                          : "";
    return RejectBlocked(ctx, message, code, qid);
  }
  if (rebuilt.empty() || (verdict != "clean" && verdict != "sanitized")) {
    return TempFail(ctx, "no sanitised output");
  }
  if (!Rewrite(ctx, s, rebuilt)) return TempFail(ctx, "cannot rewrite the message");
  return SMFIS_CONTINUE;
}

sfsistat HandleEom(SMFICTX* ctx) {
  MilterSession* s = SessionOf(ctx);
  if (!s) return SMFIS_TEMPFAIL;
  if (s->too_large) {
    return Reply(ctx, "552", "5.3.4",
                 "message size exceeds the gateway's limit (milter.max_message_bytes)",
                 SMFIS_REJECT);
  }
  MilterState& svc = *g_service;
  auto wait = std::chrono::seconds(svc.config.milter_timeout_seconds);
  if (!svc.slots->try_acquire_for(wait)) return TempFail(ctx, "gateway busy");
  struct Release {
    std::counting_semaphore<>* slots;
    ~Release() { slots->release(); }
  } release{svc.slots.get()};
  if (!svc.service_path.empty()) return HandleEomThroughService(ctx, *s);
  // The message and its rebuilt form stay in memory: a sealed memfd in, an output sink out.
  int fd = SealedMemfd(s->Message());
  if (fd < 0) return TempFail(ctx, "cannot hold the message in memory");
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  std::string rebuilt;
  OutputSink sink = [&rebuilt](size_t, const std::string&, const std::string& bytes,
                               const std::string&, Verdict) -> Result<std::string> {
    rebuilt = bytes;
    return std::string("smtp");
  };
  // Suspended, or held for stale signatures: 451 4.3.2 (not accepting messages), and the
  // sending MTA keeps the mail queued.
  std::string smtp_text;
  if (Status admit = svc.pipeline->Admit(&smtp_text); !admit.ok()) {
    Log().Write("warning", "milter_held", {{"detail", admit.message()}});
    return Reply(ctx, "451", "4.3.2", "mugai: " + smtp_text, SMFIS_TEMPFAIL);
  }
  ItemInput item;
  item.name = "message.eml";
  item.source = s->SourceJson();
  item.destination = "smtp";
  item.mail = true;
  item.fd = fd;
  item.start_by_ms = MonotonicMs() + int64_t{svc.config.milter_queue_timeout_seconds} * 1000;
  std::vector<NodeReport> reports = svc.pipeline->Sanitize({item}, "", &sink);
  const NodeReport& r = reports.at(0);
  if (r.internal_failure) return TempFail(ctx, std::string("internal failure (") + ReasonCode(r.reason) + ")");
  if (r.verdict == Verdict::kBlocked) {
    return RejectBlocked(ctx, ReasonMessageEn(r.reason), ReasonCode(r.reason), r.quarantine_id);
  }
  // Clean or sanitised, the message in the queue becomes the rebuilt one: its MIME headers
  // and (when the framing changed) its body are mugai's, never the sender's.
  if (r.outputs.empty() || rebuilt.empty()) return TempFail(ctx, "no sanitised output");
  if (!Rewrite(ctx, *s, rebuilt)) return TempFail(ctx, "cannot rewrite the message");
  return SMFIS_CONTINUE;
}

// libmilter calls back on its own threads: an exception escaping one would end the daemon
// (every connection, not just this message). Any such failure is a tempfail instead.
sfsistat OnEom(SMFICTX* ctx) {
  try {
    return HandleEom(ctx);
  } catch (const std::exception& e) {
    return TempFail(ctx, std::string("internal failure (") + e.what() + ")");
  } catch (...) {
    return TempFail(ctx, "internal failure");
  }
}

sfsistat OnAbort(SMFICTX* ctx) {
  if (MilterSession* s = SessionOf(ctx)) s->Reset();
  return SMFIS_CONTINUE;
}

sfsistat OnClose(SMFICTX* ctx) {
  delete SessionOf(ctx);
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

}  // namespace

int RunMilter(const MilterOptions& o) {
  static MilterState svc;
  if (!o.config_file.empty()) {
    Result<Config> loaded = LoadConfigFile(o.config_file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "mugai milter: config error: %s\n", loaded.status().message().c_str());
      return kExitUsage;
    }
    svc.config = loaded.value();
  }
  if (!o.signatures.empty()) svc.config.signatures = o.signatures;
  if (!o.state.empty()) svc.config.state_dir = o.state;
  if (!o.socket.empty()) svc.config.milter_socket = o.socket;
  const std::string& sock = svc.config.milter_socket;
  if (sock.rfind("unix:", 0) == 0 || sock.rfind("local:", 0) == 0) {
    std::string path = sock.substr(sock.find(':') + 1);
    unlink(path.c_str());  // a stale socket from an earlier run
    MakeDirs(std::filesystem::path(path).parent_path().string(), 0755);
  }
  static smfiDesc desc{};
  desc.xxfi_name = const_cast<char*>("mugai");
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
  desc.xxfi_connect = OnConnect;
  desc.xxfi_envfrom = OnEnvFrom;
  desc.xxfi_envrcpt = OnEnvRcpt;
  desc.xxfi_header = OnHeader;
  desc.xxfi_eoh = OnEoh;
  desc.xxfi_body = OnBody;
  desc.xxfi_eom = OnEom;
  desc.xxfi_abort = OnAbort;
  desc.xxfi_close = OnClose;
  if (smfi_setconn(const_cast<char*>(sock.c_str())) != MI_SUCCESS ||
      smfi_register(desc) != MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS) {
    std::fprintf(stderr,
                 "mugai milter: cannot listen on '%s' (use unix:/path or inet:PORT@HOST; is "
                 "another process using it?)\n",
                 sock.c_str());
    return kExitUsage;
  }
  // The socket is bound (a low port or /run may need root): now become the mugai user, before
  // the state folder, the engine or any message is touched.
  if (!svc.config.process_user.empty() && geteuid() == 0 &&
      (sock.rfind("unix:", 0) == 0 || sock.rfind("local:", 0) == 0)) {
    if (passwd* pw = getpwnam(svc.config.process_user.c_str())) {
      std::string path = sock.substr(sock.find(':') + 1);
      if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        std::fprintf(stderr, "mugai milter: cannot hand %s to %s\n", path.c_str(),
                     svc.config.process_user.c_str());
      }
    }
  }
  if (Status s = DropPrivileges(svc.config.process_user); !s.ok()) {
    std::fprintf(stderr, "mugai milter: %s\n", s.message().c_str());
    return s.code() == StatusCode::kConfig ? kExitUsage : kExitInternal;
  }
  svc.service_path = !o.service.empty()              ? o.service
                     : svc.config.milter_use_service ? svc.config.service_socket
                                                     : "";
  if (svc.service_path.empty()) {
    PipelineOptions po;
    po.allow_no_signatures = o.allow_no_signatures;
    po.entry_point = "milter";
    Result<std::unique_ptr<Pipeline>> p = Pipeline::Create(svc.config, po);
    if (!p.ok()) {
      std::fprintf(stderr, "mugai milter: %s\n", p.status().message().c_str());
      return p.status().code() == StatusCode::kConfig ? kExitUsage : kExitInternal;
    }
    svc.pipeline = std::move(p.value());
    svc.pipeline->PrestartOffice();
  } else {
    // No engine, no workers here: `mugai serve` has them. It must answer now (exit 3 with
    // what to do, as every client naming a service); later, without it, mail is tempfailed.
    Result<std::unique_ptr<ServiceConnection>> probe =
        ServiceConnection::Open(svc.config, svc.service_path, false, "milter");
    if (!probe.ok()) {
      std::fprintf(stderr, "mugai milter: %s\n", probe.status().message().c_str());
      return kExitInternal;
    }
    probe.value().reset();
    // Its log is this log too.
    if (Status s = MakeDirs(svc.config.state_dir, 0700); !s.ok() ||
        !svc.own_log.Open(svc.config.state_dir + "/mugai.log").ok()) {
      std::fprintf(stderr, "mugai milter: cannot open %s/mugai.log; logging to standard error only\n",
                   svc.config.state_dir.c_str());
    }
  }
  svc.slots = std::make_unique<std::counting_semaphore<>>(svc.config.milter_concurrency);
  g_service = &svc;
  // libmilter's own I/O deadline: longer than a message's processing may take.
  smfi_settimeout(static_cast<int>(svc.config.milter_timeout_seconds) + 60);
  Log().Write("info", "milter_listening",
              {{"socket", sock}, {"service", svc.service_path.empty() ? "in-process" : svc.service_path}});
  std::fprintf(stderr, "mugai milter: listening on %s%s\n", sock.c_str(),
               svc.service_path.empty() ? "" : (", messages to " + svc.service_path).c_str());
  if (svc.service_path.empty() && svc.config.console_notify && !svc.config.console_base_url.empty()) {
    // Recipients' notices are sent by `mugai serve` for the messages it is handed.
    Log().Write("warning", "notices_off", {{"detail", "milter.use_service is false"}});
    std::fprintf(stderr,
                 "mugai milter: warning: console notices (console.base_url) go out only with "
                 "milter.use_service = true: this milter's messages send none\n");
  }
  int rc = smfi_main();
  Log().Write("info", "milter_stopped", {});
  return rc == MI_SUCCESS ? 0 : kExitInternal;
}

}  // namespace mugai
