// Container rebuilds in a worker: libarchive's and GMime's writers never run in the supervisor.
#include "gateway/worker/rebuild_worker.h"

#include "converters/archive/zip_builder.h"
#include "converters/mail/mail_builder.h"
#include "gateway/worker/item_processor.h"
#include "gateway/sandbox/rebuild_protocol.h"

namespace mugai {


WorkerResult RebuildContainer(int fd, uint64_t max_request_bytes) {
  WorkerResult r;
  std::string bytes, error;
  if (!ReadInput(fd, max_request_bytes, &bytes, &error)) {
    return Block(std::move(r), Reason::kConversionFailed, error);
  }
  Result<RebuildRequest> request = DecodeRebuildRequest(bytes, max_request_bytes);
  bytes.clear();
  bytes.shrink_to_fit();
  if (!request.ok()) {
    return Block(std::move(r), Reason::kConversionFailed, request.status().message());
  }
  Result<std::string> built = Status{StatusCode::kInternal, "nothing built"};
  if (request->kind == RebuildKind::kZip) {
    r.family = TypeFamily::kArchive;
    r.output_type = "application/zip";
    std::vector<ZipEntry> entries;
    entries.reserve(request->parts.size());
    for (const RebuildPart& p : request->parts) entries.push_back({p.path, &p.bytes});
    built = BuildZip(entries);
  } else {
    r.family = TypeFamily::kMail;
    r.output_type = "message/rfc822";
    std::vector<BuiltPart> parts;
    parts.reserve(request->parts.size());
    for (const RebuildPart& p : request->parts) {
      parts.push_back({p.path, &p.bytes, p.content_type, p.charset, p.inline_part});
    }
    built = BuildMail(request->headers, request->added, parts);
  }
  if (!built.ok()) return Block(std::move(r), Reason::kConversionFailed, built.status().message());
  r.verdict = Verdict::kSanitized;
  r.detected_type = r.output_type;
  r.has_output = true;
  r.output = std::move(built.value());
  return r;
}

}  // namespace mugai
