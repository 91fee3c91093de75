// Worker-side processing of one node. Every early return is a block: nothing is delivered
// unless the policy says so and the conversion succeeded.
#include "gateway/item_processor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "converters/html/html_to_text.h"
#include "converters/text/charset_detector.h"
#include "gateway/policy.h"
#include "scanners/name_check.h"

namespace mugai {

namespace {

WorkerResult Block(WorkerResult r, Reason reason, std::string detail) {
  r.verdict = Verdict::kBlocked;
  r.reason = reason;
  r.reason_detail = std::move(detail);
  r.has_output = false;
  r.output.clear();
  return r;
}

// Reads the whole input (a sealed memfd or regular file) of at most `max` bytes.
bool ReadInput(int fd, uint64_t max, std::string* out, std::string* error) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *error = std::string("cannot stat input: ") + strerror(errno);
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > max) {
    *error = "input larger than the limit";
    return false;
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = pread(fd, out->data() + done, out->size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("cannot read input: ") + (n < 0 ? strerror(errno) : "short read");
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

Reason NameReason(NameProblem p) {
  switch (p) {
    case NameProblem::kNone: return Reason::kNone;
    case NameProblem::kInvalidUtf8: return Reason::kNameInvalidUtf8;
    case NameProblem::kControlCharacter: return Reason::kNameControlCharacter;
    case NameProblem::kBidiControl: return Reason::kNameBidiControl;
    case NameProblem::kFullwidthDot: return Reason::kNameFullwidthDot;
    case NameProblem::kDoubleExtension: return Reason::kNameDoubleExtension;
    case NameProblem::kDangerousExtension: return Reason::kNameDangerousExtension;
  }
  return Reason::kNameDangerousExtension;
}

// Scans `fd`; on a hit or an error returns the blocking reason, else kNone.
Reason Scan(const WorkerContext& ctx, int fd, const std::string& name, WorkerResult* r) {
  if (!ctx.scanning_enabled) {
    r->actions.push_back({"scan_skipped", "no signatures loaded (--allow-no-signatures)"});
    return Reason::kNone;
  }
  ScanResult scan = ctx.scanner->Scan(fd, name);
  if (scan.outcome == ScanOutcome::kClean) return Reason::kNone;
  if (scan.outcome == ScanOutcome::kInfected) {
    r->threats.push_back({"clamav", scan.threat});
    bool limit = scan.threat.rfind("Heuristics.Limits.Exceeded", 0) == 0;
    r->reason_detail = scan.threat;
    return limit ? Reason::kScanLimit : Reason::kMalware;
  }
  r->reason_detail = "libclamav: " + scan.error;
  return Reason::kScanError;
}

// libmagic's only test for a DOS .COM program is its first bytes, and Shift_JIS prose
// (e.g. "件名" = 8C 8F 96 BC) matches it. When libmagic has nothing better than that
// headerless guess and the whole content is readable text in a known charset, it is text.
// (A .COM named as such is still blocked by its name; 64-bit Windows cannot run one.)
DetectedType IdentifyWithTextCheck(const WorkerContext& ctx, const std::string& bytes,
                                   WorkerResult* r) {
  DetectedType type = ctx.identifier->Identify(bytes);
  if (type.mime != "application/x-dosexec" && type.mime != "application/octet-stream") {
    return type;
  }
  DetectedType described = ctx.identifier->Identify(bytes, /*describe=*/true);
  bool weak_guess = type.mime == "application/octet-stream" ||
                    described.description.rfind("DOS executable (COM", 0) == 0;
  CharsetGuess guess;
  if (weak_guess && IsReadableText(bytes, &guess)) {
    r->actions.push_back({"reidentified", "libmagic guessed '" + described.description +
                                              "'; content is " + guess.charset + " text"});
    return {"text/plain", "text"};
  }
  return described;
}

WorkerResult ConvertHtml(const WorkerContext& ctx, const std::string& bytes, WorkerResult r) {
  CharsetGuess guess = DetectCharset(bytes);
  // Only a confirmed non-ASCII guess overrides the document's own declaration.
  std::string hint = guess.confirmed && guess.charset != "US-ASCII" ? guess.charset : "";
  HtmlToTextOptions options;
  options.links = ctx.config->html_links;
  options.max_depth = ctx.config->html_max_depth;
  options.max_output_bytes = ctx.config->max_output_bytes;
  Result<HtmlText> text = HtmlToText(bytes, hint, options);
  if (!text.ok()) {
    return Block(std::move(r),
                 text.status().code() == StatusCode::kLimit ? Reason::kConversionLimit
                                                            : Reason::kConversionFailed,
                 text.status().message());
  }
  r.charset = text->source_charset;
  r.actions.push_back({"converted", "HTML to UTF-8 plain text"});
  for (const auto& removed : text->removed) {
    r.actions.push_back({"removed", removed.what + ": " + std::to_string(removed.count)});
  }
  if (text->links > 0) {
    const char* how = ctx.config->html_links == LinkStyle::kDefang ? "defanged"
                      : ctx.config->html_links == LinkStyle::kDrop ? "dropped"
                                                                   : "shown";
    r.actions.push_back(
        {"links_as_text", std::to_string(text->links) + " link(s) written as text, " + how});
  }
  r.verdict = Verdict::kSanitized;
  r.has_output = true;
  r.output_type = "text/plain; charset=utf-8";
  r.output = std::move(text->text);
  return r;
}

}  // namespace

WorkerResult ProcessNode(const WorkerContext& ctx, int fd, const std::string& name,
                         const std::string& scratch_dir) {
  WorkerResult r;
  if (!scratch_dir.empty()) ctx.scanner->UseTempDirInThisProcess(scratch_dir);
  std::string bytes, error;
  if (!ReadInput(fd, ctx.config->max_input_bytes, &bytes, &error)) {
    return Block(std::move(r), Reason::kConversionFailed, error);
  }

  // identify
  DetectedType type = IdentifyWithTextCheck(ctx, bytes, &r);
  r.detected_type = type.mime;
  r.family = ClassifyMime(type.mime);

  // scan (always, so that threats are reported even for items blocked by name or type)
  Reason scan_reason = Scan(ctx, fd, name, &r);
  if (scan_reason != Reason::kNone) {
    std::string detail = r.reason_detail;
    return Block(std::move(r), scan_reason, std::move(detail));
  }

  // type and name policy
  if (r.family == TypeFamily::kExecutable || r.family == TypeFamily::kScript ||
      r.family == TypeFamily::kUnknown || r.family == TypeFamily::kNotAllowed) {
    r.description = ctx.identifier->Identify(bytes, /*describe=*/true).description;
  }
  if (r.family == TypeFamily::kExecutable) {
    std::string claimed = PlainExtension(name);
    return Block(std::move(r), Reason::kExecutable,
                 "executable content (" + r.description + ")" +
                     (claimed.empty() ? "" : " named ." + claimed));
  }
  if (r.family == TypeFamily::kScript) {
    return Block(std::move(r), Reason::kScript, "script content (" + r.description + ")");
  }
  NameCheck name_check = CheckFileName(name);
  if (name_check.problem != NameProblem::kNone) {
    return Block(std::move(r), NameReason(name_check.problem), name_check.detail);
  }
  if (r.family == TypeFamily::kUnknown) {
    return Block(std::move(r), Reason::kUnknownType, "unknown type (" + r.description + ")");
  }
  if (r.family == TypeFamily::kNotAllowed) {
    return Block(std::move(r), Reason::kTypeNotAllowed,
                 r.detected_type + " (" + r.description + ") is not handled by this build");
  }

  // disarm/convert
  switch (ActionFor(r.family)) {
    case PolicyAction::kPass: {
      if (r.family == TypeFamily::kText) {
        CharsetGuess guess = DetectCharset(bytes);
        r.charset = guess.charset;
      }
      r.verdict = Verdict::kClean;
      return r;
    }
    case PolicyAction::kConvertToText:
      return ConvertHtml(ctx, bytes, std::move(r));
    case PolicyAction::kBlock:
      break;
  }
  return Block(std::move(r), Reason::kTypeNotAllowed, "blocked by policy");
}

WorkerResult VerifyNode(const WorkerContext& ctx, int fd, const std::string& name,
                        TypeFamily promised_family, const std::string& scratch_dir) {
  WorkerResult r;
  if (!scratch_dir.empty()) ctx.scanner->UseTempDirInThisProcess(scratch_dir);
  std::string bytes, error;
  if (!ReadInput(fd, ctx.config->max_output_bytes, &bytes, &error)) {
    return Block(std::move(r), Reason::kConversionFailed, error);
  }
  DetectedType type = ctx.identifier->Identify(bytes);
  r.detected_type = type.mime;
  r.family = ClassifyMime(type.mime);
  Reason scan_reason = Scan(ctx, fd, name, &r);
  if (scan_reason != Reason::kNone) {
    std::string detail = r.reason_detail;
    return Block(std::move(r), scan_reason, std::move(detail));
  }
  if (r.family != promised_family && r.family != TypeFamily::kEmpty) {
    return Block(std::move(r), Reason::kUnknownType,
                 std::string("output identifies as ") + type.mime + ", not " +
                     FamilyName(promised_family));
  }
  r.verdict = Verdict::kClean;
  return r;
}

}  // namespace mugai
