// Notification mail (Japanese and English) through milter.next_hop, sent by `mugai serve`:
// to a recipient whose mail was quarantined or lost a part, with a link to the item in the
// console (console.base_url); and to approvers, a digest of the requests waiting, every
// console.digest_minutes. Off unless both console.base_url and milter.next_hop are set (and
// console.notify is true), and only for mail handed over through `mugai serve`
// (milter.use_service = true). A mail that cannot be sent is logged (event=notify_failed) and
// dropped, as are notices still queued when the service stops: the item itself is already
// recorded and delivered or kept.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/pipeline/report.h"
#include "gateway/service/config.h"
#include "gateway/service/event_log.h"

namespace mugai {

class Notifier {
 public:
  Notifier(const Config& config, EventLog* log);
  ~Notifier();  // sends what is queued, then stops
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  bool enabled() const { return enabled_; }

  // A message the milter handed over: `envelope` is its {"sender", "recipients"} JSON.
  // Queues a notice to each recipient who is a console user when the message was kept
  // whole (blocked) or a part of it was removed.
  void MailProcessed(const std::string& envelope, const NodeReport& report);

  // The notice for one item (for tests): subject line and body.
  static std::string NoticeText(const Config& config, const std::string& user,
                                const std::string& item_id, const NodeReport& report,
                                const std::string& from, const std::string& to);

 private:
  struct Mail {
    std::vector<std::string> to;
    std::string text;
    std::string what;  // for the log
  };
  void Run();
  void Digest();
  std::string From() const;

  Config config_;
  EventLog* log_;
  bool enabled_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Mail> queue_;
  bool stopping_ = false;
  std::string last_digest_;  // requested_at of the newest request already announced
  std::thread thread_;
};

// The address a console user gets mail at: console.address_map (reversed), else
// user@<first of console.mail_domains>; "" when neither says.
std::string AddressOfUser(const Config& config, const std::string& user);

}  // namespace mugai
