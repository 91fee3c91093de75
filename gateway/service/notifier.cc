#include "gateway/service/notifier.h"

#include <grp.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <set>

#include <nlohmann/json.hpp>

#include "common/threads.h"
#include "gateway/milter/smtp_forward.h"
#include "gateway/service/roles.h"
#include "quarantine/quarantine_index.h"
#include "quarantine/utc_time.h"

namespace mugai {

namespace {

std::string Base64(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// An RFC 2047 encoded word (UTF-8, base64) for a header.
std::string EncodedWord(const std::string& s) { return "=?UTF-8?B?" + Base64(s) + "?="; }

// A whole message: UTF-8 text, base64 so that no line is too long.
std::string Message(const std::string& from, const std::vector<std::string>& to,
                    const std::string& subject, const std::string& body) {
  std::string rcpts;
  for (const auto& t : to) rcpts += (rcpts.empty() ? "" : ", ") + t;
  // RFC 5322's date from FormatUtc's arithmetic (no gmtime_r/strftime: the time-zone lock
  // of glibc is not taken in the service, utc_time.cc).
  const int64_t now = static_cast<int64_t>(time(nullptr));
  const std::string utc = FormatUtc(now);  // YYYY-MM-DDTHH:MM:SSZ
  static const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // 1970-01-01: Thu
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t day = now >= 0 ? now / 86400 : (now - 86399) / 86400;
  const int month = std::atoi(utc.substr(5, 2).c_str());
  const std::string date = std::string(kDays[((day % 7) + 7) % 7]) + ", " + utc.substr(8, 2) + " " +
                           kMonths[(month >= 1 && month <= 12) ? month - 1 : 0] + " " +
                           utc.substr(0, 4) + " " + utc.substr(11, 8) + " +0000";
  std::string b64 = Base64(body), wrapped;
  for (size_t i = 0; i < b64.size(); i += 76) wrapped += b64.substr(i, 76) + "\r\n";
  return "From: " + from + "\r\nTo: " + rcpts + "\r\nSubject: " + EncodedWord(subject) +
         "\r\nDate: " + date + "\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
         "Auto-Submitted: auto-generated\r\nX-Mugai-Notice: yes\r\n\r\n" + wrapped;
}

// Whether a part or member of the message was blocked (removed from what was delivered).
bool PartRemoved(const NodeReport& r) {
  for (const auto& c : r.children) {
    if (c.verdict == Verdict::kBlocked || PartRemoved(c)) return true;
  }
  return false;
}

void RemovedParts(const NodeReport& r, std::string* ja, std::string* en) {
  for (const auto& c : r.children) {
    if (c.verdict == Verdict::kBlocked) {
      *ja += "  - " + c.name + ": " + ReasonMessageJa(c.reason) + "\n";
      *en += "  - " + c.name + ": " + ReasonMessageEn(c.reason) + "\n";
    }
    RemovedParts(c, ja, en);
  }
}

std::string Strip(std::string a) {
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  return a;
}

}  // namespace

std::string AddressOfUser(const Config& config, const std::string& user) {
  for (const auto& [address, u] : config.console_address_map) {
    if (u == user) return address;
  }
  if (config.console_mail_domains.empty()) return "";
  return user + "@" + config.console_mail_domains.front();
}

Notifier::Notifier(const Config& config, EventLog* log) : config_(config), log_(log) {
  enabled_ = config.console_notify && !config.console_base_url.empty() &&
             !config.milter_next_hop.empty();
  if (!enabled_) return;
  last_digest_ = FormatUtc(time(nullptr));  // requests from now on
  // Never the thread a SIGHUP or SIGTERM for `mugai serve` lands on (it would end it).
  thread_ = SignalFreeThread([this] { Run(); });
}

Notifier::~Notifier() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::string Notifier::From() const {
  if (!config_.console_notify_from.empty()) return config_.console_notify_from;
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  return std::string("mugai@") + host;
}

std::string Notifier::NoticeText(const Config& config, const std::string& user,
                                 const std::string& item_id, const NodeReport& report,
                                 const std::string& from, const std::string& to) {
  std::string base = config.console_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string link = base + "/items/" + item_id;
  const bool whole = report.verdict == Verdict::kBlocked;
  std::string ja, en;
  RemovedParts(report, &ja, &en);
  const std::string subject = report.subject.empty() ? "(no subject)" : report.subject;
  std::string body =
      user + " 様\n\n" +
      (whole ? "あなた宛てのメールは無害化ゲートウェイで隔離され、配送されていません。\n"
             : "あなた宛てのメールから、安全のため一部の添付ファイルを取り除いて配送しました。\n") +
      "件名: " + subject + "\n" + (ja.empty() ? "" : "取り除いたもの:\n" + ja) +
      "\nパスワード付きファイル（PPAP）はコンソールでパスワードを入力すると受け取れます。"
      "原本が必要な場合もコンソールから申請してください（承認者の承認が必要です）。\n" + link +
      "\n\n----\n\n" +
      (whole ? "A mail addressed to you was quarantined by the sanitisation gateway and not "
               "delivered.\n"
             : "Parts of a mail addressed to you were removed for safety; the rest was "
               "delivered.\n") +
      "Subject: " + subject + "\n" + (en.empty() ? "" : "Removed:\n" + en) +
      "\nFor a password-protected file (PPAP), enter its password in the console to receive "
      "it. To ask for the original, request it there (an approver must approve).\n" + link +
      "\n";
  return Message(from, {to},
                 std::string(whole ? "【隔離】" : "【一部削除】") + subject + " / mugai", body);
}

void Notifier::MailProcessed(const std::string& envelope, const NodeReport& report) {
  if (!enabled_ || report.quarantine_id.empty() || report.internal_failure) return;
  if (report.verdict != Verdict::kBlocked && !PartRemoved(report)) return;
  nlohmann::json env = nlohmann::json::parse(envelope, nullptr, false);
  if (!env.is_object() || !env.contains("recipients") || !env["recipients"].is_array()) return;
  std::set<std::string> done;
  const std::string from = From();
  for (const auto& r : env["recipients"]) {
    if (!r.is_string()) continue;
    const std::string address = Strip(r.get<std::string>());
    const std::string user = UserForAddress(config_, address);
    if (user.empty() || !done.insert(address).second) continue;
    Mail m{{address}, NoticeText(config_, user, report.quarantine_id, report, from, address),
           "recipient " + report.quarantine_id};
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() < 10000) queue_.push_back(std::move(m));
  }
  cv_.notify_all();
}

void Notifier::Digest() {
  if (config_.console_digest_minutes == 0 || config_.role_approvers.empty()) return;
  Result<Stores> stores = OpenStores(StoreOptionsFrom(config_));
  if (!stores.ok()) return;
  QuarantineIndex* index = stores->index.get();
  QuarantineListFilter f;
  f.state = QuarantineState::kReleaseRequested;
  f.limit = kIndexListMax;
  Result<std::vector<QuarantineRecord>> rows = index->List(f);
  if (!rows.ok()) return;
  std::string newest = last_digest_;
  int fresh = 0;
  std::string lines;
  for (const auto& r : rows.value()) {
    lines += "  - " + r.id + "  " + r.name + "  (" + r.requested_by + ": " + r.request_reason + ")\n";
    if (r.requested_at > last_digest_) {
      ++fresh;
      newest = std::max(newest, r.requested_at);
    }
  }
  if (fresh == 0) return;  // nothing new since the last digest
  last_digest_ = newest;
  // Approvers by name, and the members of "@group" entries.
  std::set<std::string> names;
  for (const auto& a : config_.role_approvers) {
    if (a.size() > 1 && a[0] == '@') {
      std::vector<char> buf(65536);
      struct group gr{};
      struct group* g = nullptr;
      if (getgrnam_r(a.c_str() + 1, &gr, buf.data(), buf.size(), &g) == 0 && g) {
        for (char** m = g->gr_mem; m && *m; ++m) names.insert(*m);
      }
    } else {
      names.insert(a);
    }
  }
  std::vector<std::string> to;
  for (const auto& n : names) {
    std::string address = AddressOfUser(config_, n);
    if (!address.empty()) to.push_back(address);
  }
  if (to.empty()) return;
  std::string base = config_.console_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string body =
      "承認待ちの申請が " + std::to_string(rows->size()) + " 件あります（新規 " +
      std::to_string(fresh) + " 件）。\n" + lines + "\n" + base + "/requests\n\n----\n\n" +
      std::to_string(rows->size()) + " release request(s) are waiting (" + std::to_string(fresh) +
      " new).\n" + lines + "\n" + base + "/requests\n";
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(Mail{to, Message(From(), to, "【承認待ち】" + std::to_string(rows->size()) +
                                                    " 件 / release requests waiting", body),
                        "digest"});
}

void Notifier::Run() {
  using clock = std::chrono::steady_clock;
  // Digests every console.digest_minutes; 0 turns them off.
  const auto period = config_.console_digest_minutes == 0
                          ? std::chrono::minutes(60 * 24 * 365)
                          : std::chrono::minutes(config_.console_digest_minutes);
  auto next_digest = clock::now() + period;
  for (;;) {
    Mail m;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next_digest, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_ && !queue_.empty()) {
        // A stopping service does not wait on a mail server for each queued notice.
        if (log_) {
          log_->Write("warning", "notify_dropped", {{"count", std::to_string(queue_.size())}});
        }
        queue_.clear();
        return;
      }
      if (queue_.empty()) {
        if (stopping_) return;
        if (clock::now() >= next_digest) {
          lock.unlock();
          Digest();
          next_digest = clock::now() + period;
        }
        continue;
      }
      m = std::move(queue_.front());
      queue_.pop_front();
    }
    Status s = ForwardMail(config_.milter_next_hop, From(), m.to, m.text);
    if (log_) {
      if (s.ok()) {
        log_->Write("info", "notified", {{"what", m.what}, {"to", std::to_string(m.to.size())}});
      } else {
        log_->Write("warning", "notify_failed", {{"what", m.what}, {"detail", s.message()}});
      }
    }
  }
}

}  // namespace mugai
