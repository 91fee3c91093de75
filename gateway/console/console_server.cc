#include "gateway/console/console_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <httplib.h>
#include <mstch/mstch.hpp>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "gateway/console/console_auth.h"
#include "gateway/console/console_pages.h"
#include "gateway/service/roles.h"
#include "gateway/service/service_client.h"
#include "gateway/service/suspension.h"
#include "quarantine/audit_log.h"
#include "quarantine/store.h"
#include "quarantine/syslog_sender.h"
#include "quarantine/release_rules.h"
#include "quarantine/utc_time.h"

namespace mugai {

namespace {

using json = nlohmann::json;

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) abort();  // never a weak token
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// Compares secrets in constant time.
bool SameSecret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    while (!part.empty() && part[0] == ' ') part.erase(0, 1);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

bool IsLoopback(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return host == "localhost" || host == "::1";
}

std::string StateLabel(const std::string& lang, const std::string& state) {
  return Word(lang, "state_" + state);
}

// "2026-12-14" (an <input type=date>) as the end of that day in UTC; a full UTC time as is.
std::string ExpiryFrom(const std::string& text) {
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') return text + "T23:59:59Z";
  return text;
}

// RFC 5987 filename* for a download.
std::string ContentDisposition(const std::string& name) {
  std::string ascii, encoded;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : name) {
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
    if (std::isalnum(c) || std::strchr("!#$&+-.^_`|~", c)) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

// Every response: no script or style from anywhere but here, no framing, no sniffing.
void SecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                 "frame-ancestors 'none'; base-uri 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "same-origin");  // (no-referrer would make a browser send "Origin: null")
  res.set_header("Cache-Control", "no-store");
}

struct Session {
  std::string user;
  std::string local_hash;  // a local user's password hash at log-in ("" for PAM)
  std::string csrf;
  int64_t created = 0;
  int64_t last = 0;
};

class Console {
 public:
  Console(const Config& config, const ConsoleOptions& options,
          std::shared_ptr<SyslogSender> syslog, std::unique_ptr<SqlConn> audit_db)
      : config_(config), options_(options), auth_(config), audit_(config.state_dir) {
    if (syslog) audit_.ForwardTo(std::move(syslog));  // log-ins reach the remote copy too
    // quarantine.backend = "postgresql": log-ins join every node's one chain.
    if (audit_db) audit_.UseDatabase(std::move(audit_db), NodeName(config.quarantine_node_name));
  }

  void Routes(httplib::Server& svr);
  void set_tls(bool tls) { tls_ = tls; }

 private:
  // The logged-in session of a request, or none (an expired one is ended and recorded).
  std::optional<std::pair<std::string, Session>> SessionOf(const httplib::Request& req,
                                                           bool* expired);
  std::string Lang(const httplib::Request& req) const {
    return CookieValue(req, "mugai_lang") == "en" ? "en" : "ja";
  }
  mstch::map Base(const httplib::Request& req, const Session* s, const std::string& title);
  void Render(httplib::Response& res, int status, const std::string& page, mstch::map ctx);
  void Message(const httplib::Request& req, httplib::Response& res, const Session* s, int status,
               const std::string& heading, const std::string& message,
               const std::string& detail, const std::string& back);
  bool Audit(AuditEvent event, const std::string& actor, json details);
  void ReportLogin(const std::string& result, bool locked_now);

  struct Reply {
    bool reached = false;  // the service answered
    int exit = 3;
    std::string out, err;
  };
  using Writer = std::function<Result<std::string>(const std::string&, const std::string&)>;
  Reply Call(const std::string& user, const std::vector<std::string>& argv,
             const Writer& writer = nullptr);

  // Page handlers.
  void LoginPage(const httplib::Request& req, httplib::Response& res, const std::string& error,
                 int status);
  void Login(const httplib::Request& req, httplib::Response& res);
  void Logout(const httplib::Request& req, httplib::Response& res);
  void Items(const httplib::Request& req, httplib::Response& res, const Session& s);
  void Item(const httplib::Request& req, httplib::Response& res, const Session& s,
            const std::string& id);
  void Action(const httplib::Request& req, httplib::Response& res, const Session& s,
              const std::string& id, const std::string& action);
  void Download(const httplib::Request& req, httplib::Response& res, const Session& s,
                const std::string& id);
  void Requests(const httplib::Request& req, httplib::Response& res, const Session& s);
  void AuditPage(const httplib::Request& req, httplib::Response& res, const Session& s,
                 const std::string& verify_result, bool verify_ok);
  void Dashboard(const httplib::Request& req, httplib::Response& res, const Session& s);

  // What `user` may be to an item the service showed: their roles, and whether they act on
  // it as its recipient (roles.h ActsAsRecipient). The page's controls and the checks of a
  // posted action both follow it.
  struct Standing {
    std::vector<Role> roles;
    bool own = false;
  };
  Standing StandingOf(const std::string& user, const json& item) const;

  // The item as the service shows it to `user`, or why not (a page already sent).
  std::optional<json> ShowItem(const httplib::Request& req, httplib::Response& res,
                               const Session& s, const std::string& id);
  // Writes a handed-back file into a watch outbox recorded for the item.
  Result<std::string> WriteIntoOutbox(const std::string& dir, const std::string& name,
                                      const std::string& bytes);
  std::string OutboxOf(const json& item);

  Config config_;
  ConsoleOptions options_;
  ConsoleAuth auth_;
  AuditLog audit_;
  bool tls_ = false;
  std::mutex mu_;
  std::map<std::string, Session> sessions_;
};

bool Console::Audit(AuditEvent event, const std::string& actor, json details) {
  AuditEntry e;
  e.event = event;
  e.actor = actor;
  e.details = std::move(details);
  Result<uint64_t> seq = audit_.Append(e);
  if (!seq.ok()) {
    std::fprintf(stderr, "mugai console: error: the audit log cannot be written: %s\n",
                 seq.status().message().c_str());
    return false;
  }
  return true;
}

Console::Reply Console::Call(const std::string& user, const std::vector<std::string>& argv,
                             const Writer& writer) {
  Reply r;
  Result<std::unique_ptr<ServiceConnection>> conn =
      ServiceConnection::Open(config_, options_.service_socket, false, "mugai console");
  if (!conn.ok()) {
    r.err = conn.status().message();
    return r;
  }
  Result<ServiceConnection::OperatorReply> reply = conn.value()->RunOperator(argv, writer, user);
  if (!reply.ok()) {
    r.err = reply.status().message();
    return r;
  }
  r.reached = true;
  r.exit = reply->exit;
  r.out = reply->out;
  r.err = reply->err;
  return r;
}

void Console::ReportLogin(const std::string& result, bool locked_now) {
  Result<std::unique_ptr<ServiceConnection>> conn =
      ServiceConnection::Open(config_, options_.service_socket, false, "mugai console");
  if (conn.ok()) conn.value()->ReportLogin(result, locked_now);  // metrics only: best effort
}

std::optional<std::pair<std::string, Session>> Console::SessionOf(const httplib::Request& req,
                                                                  bool* expired) {
  *expired = false;
  const std::string token = CookieValue(req, "mugai_session");
  if (token.size() != 64) return std::nullopt;
  Session s;
  std::string why;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(token);
    if (it == sessions_.end()) return std::nullopt;
    const int64_t now = Now();
    if (now - it->second.last > int64_t{config_.console_idle_minutes} * 60) {
      why = "idle";
    } else if (now - it->second.created > int64_t{config_.console_session_hours} * 3600) {
      why = "expired";
    } else {
      it->second.last = now;
    }
    s = it->second;
  }
  // Outside the lock (it reads the users file): disabled, removed, or a new password.
  if (why.empty() && !auth_.StillValid(s.user, s.local_hash)) why = "account_changed";
  if (why.empty()) return std::make_pair(token, s);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sessions_.erase(token) == 0) return std::nullopt;  // another request ended it
  }
  *expired = true;
  Audit(AuditEvent::kLogout, s.user, {{"why", why}, {"address", req.remote_addr}});
  return std::nullopt;
}

mstch::map Console::Base(const httplib::Request& req, const Session* s, const std::string& title) {
  const std::string lang = Lang(req);
  mstch::map ctx{{"lang", lang}, {"t", Words(lang)}, {"title", title}, {"logged_in", s != nullptr}};
  if (s) {
    std::vector<Role> roles = RolesOf(config_, s->user);
    auto has = [&](Role r) { return std::find(roles.begin(), roles.end(), r) != roles.end(); };
    ctx.emplace("user", s->user);
    ctx.emplace("csrf", s->csrf);
    ctx.emplace("is_approver", has(Role::kApprover));
    ctx.emplace("is_auditor", has(Role::kAuditor));
    ctx.emplace("is_admin", IsAdmin(config_, s->user));
    Suspension susp = ReadSuspension(config_.state_dir);
    if (susp.active) ctx.emplace("suspended", susp.reason);
  }
  return ctx;
}

void Console::Render(httplib::Response& res, int status, const std::string& page, mstch::map ctx) {
  std::string body = mstch::render(PageTemplate(page), ctx);
  ctx["body"] = body;
  res.status = status;
  res.set_content(mstch::render(LayoutTemplate(), ctx), "text/html; charset=utf-8");
}

void Console::Message(const httplib::Request& req, httplib::Response& res, const Session* s,
                      int status, const std::string& heading, const std::string& message,
                      const std::string& detail, const std::string& back) {
  mstch::map ctx = Base(req, s, heading);
  ctx.emplace("heading", heading);
  ctx.emplace("message", message);
  ctx.emplace("detail", detail);
  ctx.emplace("back", back);
  Render(res, status, "message", ctx);
}

void Console::LoginPage(const httplib::Request& req, httplib::Response& res,
                        const std::string& error, int status) {
  mstch::map ctx = Base(req, nullptr, Word(Lang(req), "login_title"));
  if (!error.empty()) ctx.emplace("error", error);
  Render(res, status, "login", ctx);
}

void Console::Login(const httplib::Request& req, httplib::Response& res) {
  const std::string lang = Lang(req);
  std::string user = req.get_param_value("username");
  const std::string password = req.get_param_value("password");
  const std::string address = req.remote_addr;
  // Never root, never a name that reads like root acting for someone.
  if (!ValidUserName(user) || user == "root" || password.empty() || password.size() > 4096) {
    bool throttled_now = false;
    const bool throttled = auth_.Malformed(address, &throttled_now);
    if (throttled_now) {
      Audit(AuditEvent::kLockout, "mugai", {{"address", address}, {"scope", "address"},
                                            {"minutes", config_.console_lockout_minutes}});
    } else if (!throttled) {
      Audit(AuditEvent::kLoginFailed, ValidUserName(user) ? user : "(invalid name)",
            {{"address", address}, {"why", "malformed"}});
    }
    ReportLogin(throttled && !throttled_now ? "throttled" : "malformed", false);
    return LoginPage(req, res, Word(lang, throttled ? "login_throttled" : "login_failed"),
                     throttled ? 429 : 401);
  }
  LoginOutcome o = auth_.Check(user, password, address);
  if (o.result != LoginResult::kOk) {
    const char* why = o.result == LoginResult::kLocked      ? "locked"
                      : o.result == LoginResult::kThrottled ? "throttled"
                                                            : "wrong_password";
    // A refusal while locked or throttled checks no password and writes no record each
    // time (nobody can fill the disk with them): the lockout was recorded when it began.
    if (o.result == LoginResult::kWrongPassword) {
      Audit(AuditEvent::kLoginFailed, user, {{"address", address}, {"why", why}});
    }
    if (o.locked_now) {
      Audit(AuditEvent::kLockout, user,
            {{"address", address}, {"scope", "account"},
             {"minutes", config_.console_lockout_minutes},
             {"failures", config_.console_lockout_failures}});
    }
    if (o.throttled_now) {
      Audit(AuditEvent::kLockout, "mugai", {{"address", address}, {"scope", "address"},
                                            {"minutes", config_.console_lockout_minutes}});
    }
    ReportLogin(why, o.locked_now);
    if (o.result == LoginResult::kWrongPassword && !o.locked_now && !o.throttled_now) {
      return LoginPage(req, res, Word(lang, "login_failed"), 401);
    }
    return LoginPage(req, res,
                     Word(lang, o.result == LoginResult::kThrottled || o.throttled_now
                                    ? "login_throttled" : "login_locked"),
                     429);
  }
  user = o.user;  // the canonical name: one person, one name in sessions and records
  // Recorded before it takes effect: no session without its record.
  if (!Audit(AuditEvent::kLogin, user, {{"address", address}})) {
    return Message(req, res, nullptr, 503, Word(lang, "login_title"), Word(lang, "unavailable"),
                   "", "/login");
  }
  ReportLogin("ok", false);
  Session s;
  s.user = user;
  s.local_hash = o.local_hash;
  s.csrf = RandomHex(32);
  s.created = s.last = Now();
  const std::string token = RandomHex(32);
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_[token] = s;
  }
  res.set_header("Set-Cookie", "mugai_session=" + token + "; Path=/; HttpOnly; SameSite=Strict" +
                                   (tls_ ? "; Secure" : ""));
  res.set_redirect("/items", 303);
}

void Console::Logout(const httplib::Request& req, httplib::Response& res) {
  bool expired = false;
  auto s = SessionOf(req, &expired);
  if (!s) return res.set_redirect("/login", 303);
  if (!SameSecret(req.get_param_value("csrf"), s->second.csrf)) {
    return Message(req, res, &s->second, 403, Word(Lang(req), "forbidden"),
                   Word(Lang(req), "bad_csrf"), "", "/items");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(s->first);
  }
  Audit(AuditEvent::kLogout, s->second.user, {{"why", "log-out"}, {"address", req.remote_addr}});
  res.set_header("Set-Cookie", std::string("mugai_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0") +
                                   (tls_ ? "; Secure" : ""));
  res.set_redirect("/login", 303);
}

// A row of a list: what staff recognise (the subject of a mail, else the file name).
mstch::map Row(const json& it, const std::string& lang) {
  auto str = [&](const char* k) { return it.contains(k) && it[k].is_string() ? it[k].get<std::string>() : std::string(); };
  std::string sender;
  if (it.contains("source") && it["source"].is_object() && it["source"].contains("path") &&
      it["source"]["path"].is_string()) {
    json env = json::parse(it["source"]["path"].get<std::string>(), nullptr, false);
    if (env.is_object() && env.contains("sender") && env["sender"].is_string()) sender = env["sender"];
  }
  std::string subject = str("subject");
  const std::string verdict = str("verdict");
  return mstch::map{
      {"id", str("id")},
      {"received", str("received_at")},
      {"sender", sender},
      {"subject", subject},
      {"name", str("name")},
      {"title", subject.empty() ? str("name") : subject + " — " + str("name")},
      {"verdict", Word(lang, verdict)},
      {"verdict_class", verdict},
      {"reason", str("reasons")},
      {"threats", str("threats")},
      {"state", StateLabel(lang, str("state"))},
      {"state_code", str("state")},
      {"requested_by", str("requested_by")},
      {"request_reason", str("request_reason")},
      {"approved_by", str("approved_by")},
      {"rejected_by", str("rejected_by")},
      {"released_at", str("released_at")},
      {"exception", it.value("exception", false)},
      {"exception_expires_at", str("exception_expires_at")},
      {"entry", str("entry_point")},
  };
}

void Console::Items(const httplib::Request& req, httplib::Response& res, const Session& s) {
  const std::string lang = Lang(req);
  std::vector<std::string> argv = {"quarantine", "list", "--json", "--newest", "--limit", "500"};
  const std::string status = req.get_param_value("status");
  if (!status.empty() && ParseState(status)) {
    argv.push_back("--status");
    argv.push_back(status);
  }
  Reply r = Call(s.user, argv);
  if (!r.reached || r.exit != 0) {
    return Message(req, res, &s, r.reached ? 403 : 503, Word(lang, "nav_items"),
                   Word(lang, r.reached ? "forbidden" : "unavailable"), r.err, "/items");
  }
  json list = json::parse(r.out, nullptr, false);
  mstch::array items;
  if (list.is_array()) {
    for (const auto& it : list) items.push_back(Row(it, lang));  // newest first
  }
  mstch::array states;
  for (QuarantineState st : kAllQuarantineStates) {
    const std::string name(StateName(st));
    states.push_back(mstch::map{{"value", name}, {"label", StateLabel(lang, name)},
                                {"selected", name == status}});
  }
  mstch::map ctx = Base(req, &s, Word(lang, "nav_items"));
  ctx.emplace("items", items);
  ctx.emplace("has_items", !items.empty());
  ctx.emplace("states", states);
  ctx.emplace("staff", RolesOf(config_, s.user).empty() && !IsAdmin(config_, s.user));
  if (req.has_param("done")) {
    const std::string done = req.get_param_value("done");
    ctx.emplace("flash", Word(lang, "done_" + done));
  }
  Render(res, 200, "items", ctx);
}

std::optional<json> Console::ShowItem(const httplib::Request& req, httplib::Response& res,
                                      const Session& s, const std::string& id) {
  const std::string lang = Lang(req);
  Reply r = Call(s.user, {"quarantine", "show", id});
  if (!r.reached) {
    Message(req, res, &s, 503, Word(lang, "item"), Word(lang, "unavailable"), r.err, "/items");
    return std::nullopt;
  }
  if (r.exit != 0) {
    const bool missing = r.err.find("no quarantined item") != std::string::npos;
    Message(req, res, &s, missing ? 404 : 403, Word(lang, "item"),
            Word(lang, missing ? "not_found" : "forbidden"), r.err, "/items");
    return std::nullopt;
  }
  json item = json::parse(r.out, nullptr, false);
  if (!item.is_object()) {
    Message(req, res, &s, 503, Word(lang, "item"), Word(lang, "unavailable"), "", "/items");
    return std::nullopt;
  }
  return item;
}

// Every part and member the report names, with what was done to it (up to 200).
void Parts(const json& node, const std::string& lang, int depth, mstch::array* out) {
  if (!node.is_object() || !node.contains("children") || !node["children"].is_array()) return;
  for (const auto& c : node["children"]) {
    if (out->size() >= 200 || !c.is_object()) return;
    std::string what = Word(lang, c.value("verdict", ""));
    if (c.contains("reason") && c["reason"].is_object()) {
      what += " — " + c["reason"].value(lang == "en" ? "message" : "message_ja",
                                         c["reason"].value("code", ""));
    }
    out->push_back(mstch::map{{"part", c.value("name", "?")}, {"what", what},
                              {"indent", std::string(static_cast<size_t>(depth) * 2, ' ')}});
    Parts(c, lang, depth + 1, out);
  }
}

// What the report says was removed (parts and members that were blocked, with why), and
// whether a password would help (a member or part blocked as `encrypted`).
void Removed(const json& node, const std::string& lang, std::vector<std::string>* out,
             bool* encrypted) {
  if (!node.is_object()) return;
  if (node.contains("reason") && node["reason"].is_object()) {
    const json& r = node["reason"];
    const std::string code = r.value("code", "");
    if (code == "encrypted") *encrypted = true;
    const std::string message = r.value(lang == "en" ? "message" : "message_ja", r.value("message", code));
    out->push_back(node.value("name", "?") + ": " + message);
  }
  if (node.contains("children") && node["children"].is_array()) {
    for (const auto& c : node["children"]) Removed(c, lang, out, encrypted);
  }
}

Console::Standing Console::StandingOf(const std::string& user, const json& item) const {
  QuarantineRecord rec;  // the fields AddressedTo reads
  rec.entry_point = item.value("entry_point", "");
  rec.source = item.contains("source") ? item["source"].dump() : "";
  return Standing{RolesOf(config_, user), ActsAsRecipient(config_, rec, user)};
}

void Console::Item(const httplib::Request& req, httplib::Response& res, const Session& s,
                   const std::string& id) {
  const std::string lang = Lang(req);
  std::optional<json> item = ShowItem(req, res, s, id);
  if (!item) return;
  mstch::map ctx = Base(req, &s, Word(lang, "item") + " " + id);
  mstch::map row = Row(*item, lang);
  for (auto& [k, v] : row) ctx[k] = v;
  std::string recipients;
  if (item->contains("recipients") && (*item)["recipients"].is_array()) {
    for (const auto& r : (*item)["recipients"]) {
      if (r.is_string()) recipients += (recipients.empty() ? "" : ", ") + r.get<std::string>();
    }
  }
  ctx["recipients"] = recipients;
  ctx["size"] = std::to_string(item->value("size", int64_t{0}));
  const std::string state = item->value("state", "");
  const Standing st = StandingOf(s.user, *item);
  auto has = [&](Role r) { return std::find(st.roles.begin(), st.roles.end(), r) != st.roles.end(); };
  const bool own = st.own;
  const bool operator_or_own = has(Role::kOperator) || own;
  std::vector<std::string> removed;
  bool encrypted = false;
  if (item->contains("report")) Removed((*item)["report"], lang, &removed, &encrypted);
  std::string removed_text;
  for (const auto& r : removed) removed_text += (removed_text.empty() ? "" : " / ") + r;
  if (!removed_text.empty()) ctx["reason"] = removed_text;
  ctx["encrypted"] = encrypted;
  mstch::array parts;
  if (item->contains("report")) Parts((*item)["report"], lang, 0, &parts);
  ctx["has_parts"] = !parts.empty();
  ctx["parts"] = parts;
  ctx["can_download"] = operator_or_own && state != "purged";
  ctx["can_resubmit"] = has(Role::kOperator) ? state != "purged" : own && state == "quarantined";
  ctx["can_request"] = operator_or_own && state == "quarantined";
  const bool mine = SamePerson(item->value("requested_by", ""), s.user);
  ctx["can_decide"] = has(Role::kApprover) && state == "release_requested" && !mine;
  ctx["own_request"] = has(Role::kApprover) && state == "release_requested" && mine;
  if (req.has_param("done")) ctx["flash"] = Word(lang, "done_" + req.get_param_value("done"));
  Render(res, 200, "item", ctx);
}

std::string Console::OutboxOf(const json& item) {
  if (!item.contains("source") || !item["source"].is_object()) return "";
  const json& src = item["source"];
  if (!src.contains("out_dir") || !src["out_dir"].is_string()) return "";
  std::error_code ec;
  std::string dir = std::filesystem::canonical(src["out_dir"].get<std::string>(), ec).string();
  if (ec) return "";
  // Only into a configured watch outbox (or a folder below one): never a path a client named.
  for (const auto& m : config_.watch_mappings) {
    // A per-user mapping's outboxes are below the part of `out` before {user}.
    const size_t at = m.out.find("{user}");
    std::string root = at == std::string::npos ? m.out : m.out.substr(0, at);
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    std::string out = std::filesystem::canonical(root, ec).string();
    if (!ec && (dir == out || dir.rfind(out + "/", 0) == 0) && (at == std::string::npos || dir != out)) {
      return dir;
    }
  }
  return "";
}

Result<std::string> Console::WriteIntoOutbox(const std::string& dir, const std::string& name,
                                             const std::string& bytes) {
  std::string base = BaseName(name);
  if (base.empty() || base == "." || base == "..") base = "released";
  std::string target = dir + "/" + base;
  for (int n = 1; n < 1000; ++n) {
    Status s = WriteFileAtomically(target, bytes, 0644, /*replace=*/false);
    if (s.ok()) return target;
    if (access(target.c_str(), F_OK) != 0) return s;
    size_t dot = base.rfind('.');
    target = dir + "/" + (dot == std::string::npos || dot == 0
                              ? base + " (" + std::to_string(n) + ")"
                              : base.substr(0, dot) + " (" + std::to_string(n) + ")" + base.substr(dot));
  }
  return Status{StatusCode::kIo, "too many files named " + base + " in " + dir};
}

void Console::Action(const httplib::Request& req, httplib::Response& res, const Session& s,
                     const std::string& id, const std::string& action) {
  const std::string lang = Lang(req);
  const std::string back = "/items/" + id;
  auto refuse = [&](int status, const std::string& key, const std::string& detail) {
    Message(req, res, &s, status, Word(lang, status == 409 ? "conflict" : "forbidden"),
            Word(lang, key), detail, back);
  };
  std::optional<json> item = ShowItem(req, res, s, id);
  if (!item) return;
  const std::string state = item->value("state", "");
  const Standing st = StandingOf(s.user, *item);
  auto has = [&](Role r) { return std::find(st.roles.begin(), st.roles.end(), r) != st.roles.end(); };
  const bool own = st.own;
  const bool mail = item->value("entry_point", "") == "milter";
  std::vector<std::string> argv = {"quarantine", action, id};
  // The page's controls follow these rules; a forged request meets them here, and the
  // service checks them again.
  if (action == "request-release") {
    if (!has(Role::kOperator) && !own) return refuse(403, "forbidden", "");
    if (state != "quarantined") return refuse(409, "conflict", "");
    const std::string reason = req.get_param_value("reason");
    argv.insert(argv.end(), {"--reason", reason.empty() ? "-" : reason});
    if (reason.empty()) return refuse(409, "conflict", Word(lang, "request_reason"));
    if (req.get_param_value("original") == "1") {
      std::string expires = ExpiryFrom(req.get_param_value("expires"));
      if (expires.empty()) expires = FormatUtc(Now() + 7 * 86400);
      argv.insert(argv.end(), {"--original", "--expires", expires});
    }
  } else if (action == "approve" || action == "reject") {
    if (!has(Role::kApprover)) return refuse(403, "forbidden", "");
    if (SamePerson(item->value("requested_by", ""), s.user)) {
      return refuse(403, "self_approval", "");
    }
    if (state != "release_requested") return refuse(409, "conflict", "");
    const std::string reason = req.get_param_value("reason");
    if (action == "reject" && reason.empty()) return refuse(409, "conflict", Word(lang, "reason"));
    if (!reason.empty()) argv.insert(argv.end(), {"--reason", reason});  // approve: optional
  } else if (action == "resubmit") {
    if (!has(Role::kOperator) && !own) return refuse(403, "forbidden", "");
    if (state == "purged" || (!has(Role::kOperator) && state != "quarantined")) {
      return refuse(409, "conflict", "");
    }
    const std::string password = req.get_param_value("password");
    if (!password.empty()) argv.insert(argv.end(), {"--password", password});
  } else {
    return Message(req, res, &s, 404, Word(lang, "not_found"), Word(lang, "not_found"), "", "/items");
  }
  // Mail goes back into SMTP to its recipients (milter.next_hop); a watch item to its outbox.
  std::string outbox;
  if ((action == "approve" || action == "resubmit") && !mail) {
    outbox = OutboxOf(*item);
    if (outbox.empty()) {
      return refuse(409, "conflict",
                    "no watch outbox is recorded for this item: release it on the command line "
                    "with --out DIR (mugai quarantine --help)");
    }
    argv.insert(argv.end(), {"--out", outbox});
  }
  Writer writer;
  if (!outbox.empty()) {
    writer = [this, outbox](const std::string& name, const std::string& bytes) {
      return WriteIntoOutbox(outbox, name, bytes);
    };
  }
  Reply r = Call(s.user, argv, writer);
  if (!r.reached) {
    return Message(req, res, &s, 503, Word(lang, "unavailable"), Word(lang, "unavailable"), r.err, back);
  }
  if (r.exit == 0) return res.set_redirect(back + "?done=" + action, 303);
  const bool denied = r.err.find("may not") != std::string::npos ||
                      r.err.find("has no role") != std::string::npos ||
                      r.err.find("same person") != std::string::npos;
  const int status = r.exit == 3 ? 503 : r.exit == 2 ? 400 : denied ? 403 : 409;
  Message(req, res, &s, status, Word(lang, denied ? "forbidden" : "conflict"),
          Word(lang, denied ? "forbidden" : status == 503 ? "unavailable" : "conflict"),
          r.err + r.out, back);
}

void Console::Download(const httplib::Request& req, httplib::Response& res, const Session& s,
                       const std::string& id) {
  const std::string lang = Lang(req);
  std::vector<std::pair<std::string, std::string>> files;
  Reply r = Call(s.user, {"quarantine", "download", id, "--out", "console"},
                 [&files](const std::string& name, const std::string& bytes) -> Result<std::string> {
                   files.emplace_back(name, bytes);
                   return "console:" + name;
                 });
  if (!r.reached) {
    return Message(req, res, &s, 503, Word(lang, "download"), Word(lang, "unavailable"), r.err,
                   "/items/" + id);
  }
  if (r.exit != 0 || files.empty()) {
    const bool denied = r.err.find("has no role") != std::string::npos ||
                        r.err.find("may not") != std::string::npos;
    const int status = r.exit == 3 ? 503 : denied ? 403 : 409;
    return Message(req, res, &s, status, Word(lang, "download"),
                   Word(lang, status == 503 ? "unavailable" : denied ? "forbidden" : "conflict"),
                   r.err, "/items/" + id);
  }
  // The sanitised file itself (the first one; a note about what was removed comes after it).
  res.set_header("Content-Disposition", ContentDisposition(files.front().first));
  res.set_content(files.front().second, "application/octet-stream");
}

void Console::Requests(const httplib::Request& req, httplib::Response& res, const Session& s) {
  const std::string lang = Lang(req);
  std::vector<Role> roles = RolesOf(config_, s.user);
  if (std::find(roles.begin(), roles.end(), Role::kApprover) == roles.end()) {
    return Message(req, res, &s, 403, Word(lang, "forbidden"), Word(lang, "forbidden"), "", "/items");
  }
  Reply r = Call(s.user, {"quarantine", "list", "--json", "--status", "release_requested",
                          "--limit", "1000"});
  if (!r.reached || r.exit != 0) {
    return Message(req, res, &s, r.reached ? 403 : 503, Word(lang, "nav_requests"),
                   Word(lang, r.reached ? "forbidden" : "unavailable"), r.err, "/items");
  }
  json list = json::parse(r.out, nullptr, false);
  mstch::array items;
  if (list.is_array()) {
    for (const auto& it : list) items.push_back(Row(it, lang));
  }
  mstch::map ctx = Base(req, &s, Word(lang, "requests_title"));
  ctx.emplace("items", items);
  ctx.emplace("has_items", !items.empty());
  Render(res, 200, "requests", ctx);
}

void Console::AuditPage(const httplib::Request& req, httplib::Response& res, const Session& s,
                        const std::string& verify_result, bool verify_ok) {
  const std::string lang = Lang(req);
  Reply r = Call(s.user, {"audit", "export", "--format", "json"});
  if (!r.reached || r.exit != 0) {
    return Message(req, res, &s, r.reached ? 403 : 503, Word(lang, "audit_title"),
                   Word(lang, r.reached ? "forbidden" : "unavailable"), r.err, "/items");
  }
  const std::string from = req.get_param_value("from"), to = req.get_param_value("to"),
                    actor = req.get_param_value("actor"), event = req.get_param_value("event"),
                    item = req.get_param_value("item");
  json all = json::parse(r.out, nullptr, false);
  mstch::array records;
  size_t shown = 0;
  if (all.is_array()) {
    for (auto it = all.rbegin(); it != all.rend() && shown < 500; ++it) {
      const json& e = *it;
      if (!e.is_object()) continue;
      const std::string time = e.value("time", ""), ev = e.value("event", ""),
                        who = e.value("actor", ""), id = e.value("item_id", "");
      if (!from.empty() && time < from) continue;
      if (!to.empty() && time.substr(0, 10) > to) continue;
      if (!actor.empty() && who.find(actor) == std::string::npos) continue;
      if (!event.empty() && ev != event) continue;
      if (!item.empty() && id != item) continue;
      ++shown;
      records.push_back(mstch::map{
          {"seq", std::to_string(e.value("seq", uint64_t{0}))},
          {"time", time},
          {"event", ev},
          {"actor", who},
          {"item_id", id},
          {"details", e.contains("details") ? e["details"].dump(-1, ' ', false, json::error_handler_t::replace) : ""}});
    }
  }
  mstch::map ctx = Base(req, &s, Word(lang, "audit_title"));
  ctx.emplace("records", records);
  ctx.emplace("shown", std::to_string(shown));
  ctx.emplace("from", from);
  ctx.emplace("to", to);
  ctx.emplace("actor", actor);
  ctx.emplace("event", event);
  ctx.emplace("item", item);
  ctx.emplace("verify_result", verify_result);
  ctx.emplace("verify_class", std::string(verify_ok ? "good" : "bad"));
  Render(res, 200, "audit", ctx);
}

// "mugai_x{a=\"b\"} 12" lines of the service's /metrics: the sum over labels of `name`.
std::optional<double> MetricSum(const std::string& text, const std::string& name) {
  std::optional<double> sum;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind(name, 0) != 0) continue;
    char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    size_t space = line.rfind(' ');
    sum = sum.value_or(0) + std::strtod(line.c_str() + space + 1, nullptr);
  }
  return sum;
}

void Console::Dashboard(const httplib::Request& req, httplib::Response& res, const Session& s) {
  const std::string lang = Lang(req);
  if (!IsAdmin(config_, s.user)) {
    return Message(req, res, &s, 403, Word(lang, "forbidden"), Word(lang, "forbidden"), "", "/items");
  }
  const int64_t now = Now();
  const std::string since = FormatUtc(now - 13 * 86400).substr(0, 10) + "T00:00:00Z";
  Reply r = Call(s.user, {"quarantine", "list", "--json", "--since", since, "--limit", "10000"});
  Reply p = Call(s.user, {"quarantine", "list", "--json", "--status", "release_requested",
                          "--limit", "10000"});
  if (!r.reached || r.exit != 0 || !p.reached || p.exit != 0) {
    return Message(req, res, &s, r.reached ? 403 : 503, Word(lang, "dashboard_title"),
                   Word(lang, r.reached ? "forbidden" : "unavailable"), r.err + p.err, "/items");
  }
  std::map<std::string, std::pair<int, int>> days;  // day -> sanitized, blocked
  for (int d = 13; d >= 0; --d) days[FormatUtc(now - d * 86400).substr(0, 10)] = {0, 0};
  std::map<std::string, int> reasons;
  json list = json::parse(r.out, nullptr, false);
  if (list.is_array()) {
    for (const auto& it : list) {
      const std::string day = it.value("received_at", "").substr(0, 10);
      auto d = days.find(day);
      if (d == days.end()) continue;
      (it.value("verdict", "") == "blocked" ? d->second.second : d->second.first)++;
      std::string rs = it.value("reasons", "");
      size_t start = 0;
      while (start <= rs.size()) {
        size_t comma = rs.find(',', start);
        std::string one = rs.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!one.empty() && one.front() == ' ') one.erase(0, 1);
        if (!one.empty()) reasons[one]++;
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  int most = 1;
  for (const auto& [day, c] : days) most = std::max(most, c.first + c.second);
  mstch::array bars;
  int x = 10;
  for (const auto& [day, c] : days) {
    const int hb = c.second * 180 / most, hs = c.first * 180 / most;
    bars.push_back(mstch::map{{"day", day}, {"label", day.substr(5)},
                              {"x", std::to_string(x)}, {"label_x", std::to_string(x + 12)},
                              {"sanitized", std::to_string(c.first)}, {"blocked", std::to_string(c.second)},
                              {"h_blocked", std::to_string(hb)}, {"y_blocked", std::to_string(200 - hb)},
                              {"h_sanitized", std::to_string(hs)}, {"y_sanitized", std::to_string(200 - hb - hs)}});
    x += 34;
  }
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [reason, n] : reasons) sorted.emplace_back(-n, reason);
  std::sort(sorted.begin(), sorted.end());
  mstch::array reason_rows;
  for (size_t i = 0; i < sorted.size() && i < 12; ++i) {
    reason_rows.push_back(mstch::map{{"reason", sorted[i].second}, {"count", std::to_string(-sorted[i].first)}});
  }
  json pending = json::parse(p.out, nullptr, false);
  mstch::map ctx = Base(req, &s, Word(lang, "dashboard_title"));
  ctx.emplace("bars", bars);
  ctx.emplace("chart_width", std::to_string(x + 10));
  ctx.emplace("reasons", reason_rows);
  ctx.emplace("pending", std::to_string(pending.is_array() ? pending.size() : 0));
  // The service's own figures, from its /metrics (service.metrics_listen).
  const std::string& at = config_.service_metrics_listen;
  size_t colon = at.rfind(':');
  if (!at.empty() && colon != std::string::npos && at.substr(colon + 1) != "0") {
    httplib::Client client(at.substr(0, colon), std::atoi(at.c_str() + colon + 1));
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(3, 0);
    if (auto m = client.Get("/metrics"); m && m->status == 200) {
      const std::string version = std::to_string(
          static_cast<long long>(MetricSum(m->body, "mugai_signature_version").value_or(0)));
      std::optional<double> age = MetricSum(m->body, "mugai_signature_age_seconds");
      char age_text[32];
      std::snprintf(age_text, sizeof age_text, "%.1f", age.value_or(-3600) / 3600.0);
      ctx.emplace("metrics", true);
      ctx.emplace("signature_version", version);
      ctx.emplace("signature_age", std::string(age ? age_text : "?"));
      ctx.emplace("queue", std::to_string(static_cast<long>(MetricSum(m->body, "mugai_items_in_progress").value_or(0))));
      ctx.emplace("workers_busy", std::to_string(static_cast<long>(MetricSum(m->body, "mugai_workers_busy").value_or(0))));
      ctx.emplace("worker_failures", std::to_string(static_cast<long>(MetricSum(m->body, "mugai_worker_failures_total").value_or(0))));
    }
  }
  Render(res, 200, "dashboard", ctx);
}

void Console::Routes(httplib::Server& svr) {
  // Every response: no script or style from anywhere but here, no framing, no sniffing.
  svr.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    SecurityHeaders(res);
  });
  svr.set_payload_max_length(1 << 20);
  // A POST from a page of another site is refused before anything else (log-in included):
  // the browser names the page's origin, which must be this console.
  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "POST" || !req.has_header("Origin")) return httplib::Server::HandlerResponse::Unhandled;
    const std::string expected = std::string(tls_ ? "https://" : "http://") + req.get_header_value("Host");
    if (req.get_header_value("Origin") == expected) return httplib::Server::HandlerResponse::Unhandled;
    Message(req, res, nullptr, 403, Word(Lang(req), "forbidden"), Word(Lang(req), "bad_csrf"), "", "/login");
    SecurityHeaders(res);
    return httplib::Server::HandlerResponse::Handled;
  });

  // A page that needs a session: without one, to the log-in page (or 403 for a POST).
  auto with_session = [this](auto handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      bool expired = false;
      auto s = SessionOf(req, &expired);
      if (!s) {
        if (req.method == "POST") {
          return Message(req, res, nullptr, 403, Word(Lang(req), "forbidden"),
                         Word(Lang(req), expired ? "session_expired" : "bad_csrf"), "", "/login");
        }
        if (expired) return LoginPage(req, res, Word(Lang(req), "session_expired"), 401);
        return res.set_redirect("/login", 303);
      }
      if (req.method == "POST" && !SameSecret(req.get_param_value("csrf"), s->second.csrf)) {
        return Message(req, res, &s->second, 403, Word(Lang(req), "forbidden"),
                       Word(Lang(req), "bad_csrf"), "", "/items");
      }
      handler(req, res, s->second);
    };
  };

  svr.Get("/static/console.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(ConsoleCss(), "text/css; charset=utf-8");
  });
  svr.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/items", 303); });
  svr.Get("/login", [this](const httplib::Request& req, httplib::Response& res) {
    bool expired = false;
    if (SessionOf(req, &expired)) return res.set_redirect("/items", 303);
    LoginPage(req, res, "", 200);
  });
  svr.Post("/login", [this](const httplib::Request& req, httplib::Response& res) { Login(req, res); });
  svr.Post("/logout", [this](const httplib::Request& req, httplib::Response& res) { Logout(req, res); });
  svr.Get("/lang", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string lang = req.get_param_value("set") == "en" ? "en" : "ja";
    res.set_header("Set-Cookie", "mugai_lang=" + lang + "; Path=/; SameSite=Strict; Max-Age=31536000" +
                                     std::string(tls_ ? "; Secure" : ""));
    res.set_redirect("/items", 303);
  });
  svr.Get("/items", with_session([this](const httplib::Request& req, httplib::Response& res,
                                        const Session& s) { Items(req, res, s); }));
  svr.Get(R"(/items/(q-[0-9a-f]{1,64}))",
          with_session([this](const httplib::Request& req, httplib::Response& res,
                              const Session& s) { Item(req, res, s, req.matches[1]); }));
  svr.Get(R"(/items/(q-[0-9a-f]{1,64})/download)",
          with_session([this](const httplib::Request& req, httplib::Response& res,
                              const Session& s) { Download(req, res, s, req.matches[1]); }));
  svr.Post(R"(/items/(q-[0-9a-f]{1,64})/([a-z-]{1,32}))",
           with_session([this](const httplib::Request& req, httplib::Response& res,
                               const Session& s) { Action(req, res, s, req.matches[1], req.matches[2]); }));
  svr.Get("/requests", with_session([this](const httplib::Request& req, httplib::Response& res,
                                           const Session& s) { Requests(req, res, s); }));
  svr.Get("/audit", with_session([this](const httplib::Request& req, httplib::Response& res,
                                        const Session& s) { AuditPage(req, res, s, "", true); }));
  svr.Post("/audit/verify", with_session([this](const httplib::Request& req, httplib::Response& res,
                                                const Session& s) {
    Reply r = Call(s.user, {"audit", "verify"});
    if (!r.reached) {
      return Message(req, res, &s, 503, Word(Lang(req), "audit_title"), Word(Lang(req), "unavailable"), r.err, "/audit");
    }
    if (r.exit == 2 || (r.exit == 1 && r.err.find("may not") != std::string::npos) ||
        r.err.find("has no role") != std::string::npos) {
      return Message(req, res, &s, 403, Word(Lang(req), "forbidden"), Word(Lang(req), "forbidden"), r.err, "/items");
    }
    AuditPage(req, res, s, r.out + r.err, r.exit == 0);
  }));
  svr.Get("/audit/export.csv", with_session([this](const httplib::Request& req, httplib::Response& res,
                                                   const Session& s) {
    Reply r = Call(s.user, {"audit", "export", "--format", "csv", "--redact"});
    if (!r.reached || r.exit != 0) {
      return Message(req, res, &s, r.reached ? 403 : 503, Word(Lang(req), "audit_title"),
                     Word(Lang(req), r.reached ? "forbidden" : "unavailable"), r.err, "/items");
    }
    res.set_header("Content-Disposition", ContentDisposition("mugai-audit-redacted.csv"));
    res.set_content(r.out, "text/csv; charset=utf-8");
  }));
  svr.Get("/dashboard", with_session([this](const httplib::Request& req, httplib::Response& res,
                                            const Session& s) { Dashboard(req, res, s); }));
  svr.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      Message(req, res, nullptr, 404, Word(Lang(req), "not_found"), Word(Lang(req), "not_found"), "", "/items");
    }
  });
}

}  // namespace

int RunConsole(const Config& config, const ConsoleOptions& given) {
  ConsoleOptions options = given;
  if (options.listen.empty()) options.listen = config.console_listen;
  if (options.service_socket.empty()) options.service_socket = config.service_socket;
  const std::string& listen = options.listen;
  size_t colon = listen.rfind(':');
  char* end = nullptr;
  long port = colon == std::string::npos ? -1 : std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535 || !end || *end) {
    std::fprintf(stderr, "mugai console: console.listen: expected ADDR:PORT (e.g. 0.0.0.0:8443), not '%s'\n",
                 listen.c_str());
    return 2;
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const bool tls = !config.console_tls_cert.empty() || !config.console_tls_key.empty();
  if (!tls && !IsLoopback(host)) {
    std::fprintf(stderr,
                 "mugai console: plain HTTP is allowed only on a loopback address: set "
                 "console.tls_cert and console.tls_key (PEM files) to listen on %s "
                 "(docs/CONSOLE.md)\n"
                 "mugai console: ループバック以外で待ち受けるには TLS 証明書と鍵 (console.tls_cert, "
                 "console.tls_key) を設定してください。\n",
                 listen.c_str());
    return 2;
  }
  if (tls && (config.console_tls_cert.empty() || config.console_tls_key.empty())) {
    std::fprintf(stderr, "mugai console: give both console.tls_cert and console.tls_key\n");
    return 2;
  }
  if (config.console_auth != "pam") {
    Result<std::vector<ConsoleUser>> users = UsersFile(ConsoleUsersPath(config)).Load();
    if (!users.ok()) {
      std::fprintf(stderr, "mugai console: %s\n", users.status().message().c_str());
      return 2;
    }
    if (users->empty()) {
      std::fprintf(stderr,
                   "mugai console: warning: no local users in %s yet: add one with "
                   "'mugai user add NAME'%s\n",
                   ConsoleUsersPath(config).c_str(),
                   config.console_auth == "both" ? " (PAM log-ins work meanwhile)" : "");
    }
  }
  std::unique_ptr<httplib::Server> svr;
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(config.console_tls_cert.c_str(),
                                                    config.console_tls_key.c_str());
    if (!ssl->is_valid()) {
      std::fprintf(stderr,
                   "mugai console: cannot use the certificate '%s' and key '%s' (console.tls_cert, "
                   "console.tls_key): are both PEM files this user can read, and do they match?\n",
                   config.console_tls_cert.c_str(), config.console_tls_key.c_str());
      return 2;
    }
    svr = std::move(ssl);
  } else {
    svr = std::make_unique<httplib::Server>();
  }
  std::shared_ptr<SyslogSender> syslog;
  if (!config.audit_syslog_facility.empty()) {
    Result<std::shared_ptr<SyslogSender>> opened =
        SyslogSender::Open(config.audit_syslog_facility, config.audit_syslog_target);
    if (!opened.ok()) {
      std::fprintf(stderr, "mugai console: audit.syslog_target: %s\n", opened.status().message().c_str());
      return 2;
    }
    syslog = opened.value();
  }
  std::unique_ptr<SqlConn> audit_db;
  if (config.quarantine_backend == "postgresql") {
    Result<std::unique_ptr<SqlConn>> db = OpenPostgres(config.quarantine_dsn);
    if (!db.ok()) {
      std::fprintf(stderr, "mugai console: %s\n", db.status().message().c_str());
      return 3;
    }
    audit_db = std::move(db.value());
  }
  Console console(config, options, syslog, std::move(audit_db));
  console.set_tls(tls);
  console.Routes(*svr);
  int bound = port == 0 ? svr->bind_to_any_port(host) : (svr->bind_to_port(host, static_cast<int>(port)) ? static_cast<int>(port) : -1);
  if (bound < 0) {
    std::fprintf(stderr, "mugai console: cannot listen on %s (in use, or not this host's address?)\n",
                 listen.c_str());
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::atomic<bool> stopping{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    stopping = true;
    svr->stop();
  });
  const std::string url = std::string(tls ? "https://" : "http://") +
                          (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                          std::to_string(bound) + "/";
  std::fprintf(stderr, "mugai console: listening on %s (service %s, log-in: %s)\n", url.c_str(),
               options.service_socket.c_str(), config.console_auth.c_str());
  svr->listen_after_bind();
  if (!stopping) kill(getpid(), SIGTERM);  // let the signal thread end
  signals.join();
  std::fprintf(stderr, "mugai console: stopped\n");
  return 0;
}

}  // namespace mugai
