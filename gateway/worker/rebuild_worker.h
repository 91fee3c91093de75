// What a rebuild worker does (ARCHITECTURE §3): turns the verified outputs of a container's
// children into a new zip or a new message. Runs only inside a worker process; its output is
// verified by another worker before delivery, like any output.
#pragma once

#include <cstdint>

#include "gateway/sandbox/worker_protocol.h"

namespace mugai {

// Reads a rebuild request (gateway/sandbox/rebuild_protocol.h) of at most `max_request_bytes` from
// `fd` and writes the container. Returns kSanitized with the output (application/zip or
// message/rfc822, family kArchive or kMail), or kBlocked kConversionFailed saying why.
WorkerResult RebuildContainer(int fd, uint64_t max_request_bytes);

}  // namespace mugai
