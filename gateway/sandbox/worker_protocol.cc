// Worker result encoding and the supervisor's defensive decoder.
#include "gateway/sandbox/worker_protocol.h"

#include <cstring>

#include "common/file_util.h"
#include "gateway/service/limits.h"
#include "common/wire_format.h"

namespace mugai {

using wire::PutStr;
using wire::PutU32;
using wire::PutU8;
using wire::Reader;

namespace {

constexpr std::string_view kMagic = "MGW1";

Status Bad(const std::string& what) {
  return {StatusCode::kProtocol, "malformed worker result: " + what};
}

}  // namespace

std::string TextPartDigest(std::string_view bytes) {
  std::string lf;
  lf.reserve(bytes.size());
  for (char c : bytes) {
    if (c != '\r') lf += c;
  }
  return Sha256Hex(lf);
}

std::string EncodeWorkerResult(const WorkerResult& r) {
  using namespace limits;
  std::string out(kMagic);
  PutU8(&out, static_cast<uint8_t>(r.verdict));
  PutU8(&out, static_cast<uint8_t>(r.family));
  PutU8(&out, static_cast<uint8_t>(r.reason));
  PutStr(&out, r.detected_type, kMaxShortField);
  PutStr(&out, r.description, kMaxLongField);
  PutStr(&out, r.charset, kMaxShortField);
  PutStr(&out, r.reason_detail, kMaxLongField);
  size_t n_actions = std::min<size_t>(r.actions.size(), kMaxActions);
  PutU32(&out, static_cast<uint32_t>(n_actions));
  for (size_t i = 0; i < n_actions; ++i) {
    PutStr(&out, r.actions[i].action, kMaxShortField);
    PutStr(&out, r.actions[i].detail, kMaxLongField);
  }
  size_t n_threats = std::min<size_t>(r.threats.size(), kMaxThreats);
  PutU32(&out, static_cast<uint32_t>(n_threats));
  for (size_t i = 0; i < n_threats; ++i) {
    PutStr(&out, r.threats[i].engine, kMaxShortField);
    PutStr(&out, r.threats[i].name, kMaxShortField);
  }
  PutU8(&out, r.has_output ? 1 : 0);
  if (r.has_output) {
    PutStr(&out, r.output_type, kMaxShortField);
    PutStr(&out, r.output, UINT32_MAX);
  }
  PutU8(&out, r.is_container ? 1 : 0);
  if (r.is_container) {
    PutU8(&out, r.single_file ? 1 : 0);
    size_t n = std::min<size_t>(r.members.size(), kMaxMembers);
    PutU32(&out, static_cast<uint32_t>(n));
    for (size_t i = 0; i < n; ++i) {
      const Member& m = r.members[i];
      PutStr(&out, m.path, kMaxPathField);
      PutStr(&out, m.bytes, UINT32_MAX);
      PutU8(&out, static_cast<uint8_t>(m.role));
      PutStr(&out, m.declared_type, kMaxShortField);
      PutStr(&out, m.charset, kMaxShortField);
      PutStr(&out, m.processed, UINT32_MAX);
    }
    size_t h = std::min<size_t>(r.headers.size(), kMaxHeaders);
    PutU32(&out, static_cast<uint32_t>(h));
    for (size_t i = 0; i < h; ++i) {
      PutStr(&out, r.headers[i].first, kMaxShortField);
      PutStr(&out, r.headers[i].second, kMaxHeaderValue);
    }
    PutStr(&out, r.subject, kMaxHeaderValue);
  }
  return out;
}

Result<WorkerResult> DecodeWorkerResult(std::string_view untrusted_bytes,
                                        uint64_t max_output_bytes) {
  using namespace limits;
  Reader in(untrusted_bytes);
  WorkerResult r;
  if (!in.Magic(kMagic)) return Bad("bad magic or version");
  uint8_t untrusted_verdict = 0, untrusted_family = 0, untrusted_reason = 0;
  if (!in.U8(&untrusted_verdict) || !in.U8(&untrusted_family) || !in.U8(&untrusted_reason)) {
    return Bad("truncated header");
  }
  if (untrusted_verdict < static_cast<uint8_t>(Verdict::kClean) ||
      untrusted_verdict > static_cast<uint8_t>(Verdict::kBlocked)) {
    return Bad("verdict out of range");
  }
  if (untrusted_family > static_cast<uint8_t>(TypeFamily::kLast)) return Bad("family out of range");
  if (untrusted_reason > static_cast<uint8_t>(Reason::kLastWorkerReason)) {
    return Bad("reason out of range");
  }
  r.verdict = static_cast<Verdict>(untrusted_verdict);
  r.family = static_cast<TypeFamily>(untrusted_family);
  r.reason = static_cast<Reason>(untrusted_reason);
  // A blocked verdict must say why; a delivered one must not carry a reason.
  if ((r.verdict == Verdict::kBlocked) != (r.reason != Reason::kNone)) {
    return Bad("verdict and reason disagree");
  }
  if (!in.Str(&r.detected_type, kMaxShortField) || !in.Str(&r.description, kMaxLongField) ||
      !in.Str(&r.charset, kMaxShortField) || !in.Str(&r.reason_detail, kMaxLongField)) {
    return Bad("bad string field");
  }
  uint32_t untrusted_count = 0;
  if (!in.U32(&untrusted_count) || untrusted_count > kMaxActions) return Bad("action count");
  r.actions.resize(untrusted_count);
  for (auto& a : r.actions) {
    if (!in.Str(&a.action, kMaxShortField) || !in.Str(&a.detail, kMaxLongField)) {
      return Bad("bad action");
    }
  }
  if (!in.U32(&untrusted_count) || untrusted_count > kMaxThreats) return Bad("threat count");
  r.threats.resize(untrusted_count);
  for (auto& t : r.threats) {
    if (!in.Str(&t.engine, kMaxShortField) || !in.Str(&t.name, kMaxShortField)) {
      return Bad("bad threat");
    }
  }
  // Infected means blocked, whatever else the worker says.
  if (!r.threats.empty() && r.verdict != Verdict::kBlocked) return Bad("threat but not blocked");
  uint8_t untrusted_has_output = 0;
  if (!in.U8(&untrusted_has_output) || untrusted_has_output > 1) return Bad("output flag");
  r.has_output = untrusted_has_output == 1;
  if (r.has_output) {
    if (r.verdict != Verdict::kSanitized) return Bad("output on a verdict that has none");
    if (!in.Str(&r.output_type, kMaxShortField) || !in.Str(&r.output, max_output_bytes)) {
      return Bad("bad output");
    }
  }
  uint8_t untrusted_is_container = 0;
  if (!in.U8(&untrusted_is_container) || untrusted_is_container > 1) return Bad("container flag");
  r.is_container = untrusted_is_container == 1;
  if (r.is_container) {
    if (r.verdict != Verdict::kSanitized ||
        (r.family != TypeFamily::kArchive && r.family != TypeFamily::kMail) || r.has_output) {
      return Bad("members on a node that is not an unpacked container");
    }
    uint8_t untrusted_single = 0;
    if (!in.U8(&untrusted_single) || untrusted_single > 1) return Bad("single-file flag");
    r.single_file = untrusted_single == 1;
    if (!in.U32(&untrusted_count) || untrusted_count > kMaxMembers) return Bad("member count");
    if (r.single_file && untrusted_count != 1) return Bad("single file with several members");
    uint64_t budget = max_output_bytes;
    r.members.resize(untrusted_count);
    for (Member& m : r.members) {
      uint8_t untrusted_role = 0;
      if (!in.Str(&m.path, kMaxPathField) || !in.Str(&m.bytes, budget) ||
          !in.U8(&untrusted_role) || untrusted_role > static_cast<uint8_t>(MemberRole::kLast) ||
          !in.Str(&m.declared_type, kMaxShortField) || !in.Str(&m.charset, kMaxShortField)) {
        return Bad("bad member");
      }
      budget -= m.bytes.size();
      if (!in.Str(&m.processed, budget)) return Bad("bad member");
      if (!m.processed.empty() && r.family != TypeFamily::kMail) {
        return Bad("a processed member outside a message");
      }
      m.role = static_cast<MemberRole>(untrusted_role);
      budget -= m.processed.size();
    }
    if (!in.U32(&untrusted_count) || untrusted_count > kMaxHeaders) return Bad("header count");
    r.headers.resize(untrusted_count);
    for (auto& [name, value] : r.headers) {
      if (!in.Str(&name, kMaxShortField) || !in.Str(&value, kMaxHeaderValue)) {
        return Bad("bad header");
      }
    }
    if (!in.Str(&r.subject, kMaxHeaderValue)) return Bad("bad subject");
    if (!r.subject.empty() && r.family != TypeFamily::kMail) return Bad("a subject outside a message");
  }
  // A legacy Office document is the one node answered "to convert" without an output: the
  // supervisor's LibreOffice pool converts it.
  if (r.verdict == Verdict::kSanitized && !r.has_output && !r.is_container &&
      r.family != TypeFamily::kOffice && r.family != TypeFamily::kEncrypted) {
    return Bad("sanitized verdict without output");
  }
  if (!in.AtEnd()) return Bad("trailing bytes");
  return r;
}

const char* ReasonCode(Reason reason) {
  switch (reason) {
    case Reason::kNone: return "";
    case Reason::kMalware: return "malware";
    case Reason::kScanLimit: return "scan_limit";
    case Reason::kScanError: return "scan_error";
    case Reason::kExecutable: return "executable";
    case Reason::kScript: return "script";
    case Reason::kNameInvalidUtf8: return "name_invalid_utf8";
    case Reason::kNameControlCharacter: return "name_control_character";
    case Reason::kNameBidiControl: return "name_bidi_control";
    case Reason::kNameFullwidthDot: return "name_fullwidth_dot";
    case Reason::kNameDoubleExtension: return "name_double_extension";
    case Reason::kNameDangerousExtension: return "name_dangerous_extension";
    case Reason::kUnknownType: return "unknown_type";
    case Reason::kTypeNotAllowed: return "type_not_allowed";
    case Reason::kConversionFailed: return "conversion_failed";
    case Reason::kConversionLimit: return "conversion_limit";
    case Reason::kEncrypted: return "encrypted";
    case Reason::kArchiveLimit: return "archive_limit";
    case Reason::kArchiveName: return "archive_name";
    case Reason::kArchiveBroken: return "archive_broken";
    case Reason::kMailLimit: return "mail_limit";
    case Reason::kMailBroken: return "mail_broken";
    case Reason::kMemberBlocked: return "member_blocked";
    case Reason::kAuditFailed: return "audit_failed";
    case Reason::kConverterMissing: return "converter_missing";
    case Reason::kBusy: return "busy";
    case Reason::kInputTooLarge: return "input_too_large";
    case Reason::kWorkerCrashed: return "worker_crashed";
    case Reason::kWorkerMemory: return "worker_memory_limit";
    case Reason::kWorkerTimeout: return "worker_timeout";
    case Reason::kWorkerProtocol: return "worker_protocol_error";
    case Reason::kVerifyFailed: return "verify_failed";
    case Reason::kQuarantineFailed: return "quarantine_failed";
    case Reason::kOutputFailed: return "output_failed";
  }
  return "unknown";
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kClean: return "clean";
    case Verdict::kSanitized: return "sanitized";
    case Verdict::kBlocked: return "blocked";
  }
  return "blocked";
}

}  // namespace mugai
