// Re-injects one message into SMTP (libcurl's SMTP client): how a released or resubmitted
// mail item reaches the next-hop mail server (config milter.next_hop).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace mugai {

// Sends `message` (RFC 5322 text) from `sender` to `recipients` through `url`
// ("smtp://host:port"). kIo with the server's answer when it refuses or cannot be reached.
Status ForwardMail(const std::string& url, const std::string& sender,
                   const std::vector<std::string>& recipients, const std::string& message);

}  // namespace mugai
