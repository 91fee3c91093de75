// libcurl SMTP upload of one message.
#include "gateway/milter/smtp_forward.h"

#include <curl/curl.h>

#include <cstring>

#include "converters/mail/mail_text.h"

namespace mugai {

namespace {

struct Upload {
  const std::string* data;
  size_t at = 0;
};

size_t ReadChunk(char* buffer, size_t size, size_t count, void* user) {
  Upload* u = static_cast<Upload*>(user);
  size_t n = std::min(size * count, u->data->size() - u->at);
  std::memcpy(buffer, u->data->data() + u->at, n);
  u->at += n;
  return n;
}

}  // namespace

Status ForwardMail(const std::string& url, const std::string& sender,
                   const std::vector<std::string>& recipients, const std::string& message) {
  if (url.rfind("smtp://", 0) != 0) {
    return {StatusCode::kConfig, "milter.next_hop must be smtp://HOST:PORT (got '" + url + "')"};
  }
  if (recipients.empty()) return {StatusCode::kInvalidArgument, "no recipients recorded"};
  static const bool init = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)init;
  CURL* curl = curl_easy_init();
  if (!curl) return {StatusCode::kInternal, "libcurl: cannot start"};
  std::string crlf = WithCrlf(message);  // SMTP wants CRLF; rebuilt messages use LF
  Upload upload{&crlf};
  curl_slist* rcpts = nullptr;
  // As recorded from the envelope, with or without angle brackets (Postfix gives "<b@x>"):
  // never wrapped twice.
  for (const auto& r : recipients) {
    rcpts = curl_slist_append(rcpts, (r.empty() || r.front() == '<' ? r : "<" + r + ">").c_str());
  }
  std::string from = sender.empty() || sender.front() == '<' ? sender : "<" + sender + ">";
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.empty() ? "<>" : from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadChunk);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpts);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return {StatusCode::kIo, "SMTP to " + url + " failed: " +
                                 (error[0] ? std::string(error) : curl_easy_strerror(rc)) +
                                 (code ? " (reply " + std::to_string(code) + ")" : "")};
  }
  return Status::Ok();
}

}  // namespace mugai
