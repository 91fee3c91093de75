// The small fixed format a worker returns to the supervisor, and its range-checked decoder.
// Layout (all integers little-endian): "MGW1", u8 verdict, u8 family, u8 reason,
// str detected_type, str description, str charset, str reason_detail,
// u32 n_actions × (str action, str detail), u32 n_threats × (str engine, str name),
// u8 has_output, [str output_type, blob output],
// u8 is_container, [u8 single_file, u32 n_members × (str path, blob bytes, u8 role,
// str declared_type, str charset, blob processed), u32 n_headers × (str name, str value),
// str subject]. str/blob = u32 length + bytes.
// The decoder treats every byte as hostile: a short, over-long, out-of-range or trailing
// message is a protocol error (and the item is blocked).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "gateway/pipeline/policy.h"

namespace mugai {

enum class Verdict : uint8_t { kClean = 1, kSanitized = 2, kBlocked = 3 };

// Why a node was blocked. Stable: the numeric values cross the worker boundary and the
// names appear in reports. Supervisor-only reasons are never accepted from a worker.
enum class Reason : uint8_t {
  kNone = 0,
  kMalware,
  kScanLimit,
  kScanError,
  kExecutable,
  kScript,
  kNameInvalidUtf8,
  kNameControlCharacter,
  kNameBidiControl,
  kNameFullwidthDot,
  kNameDoubleExtension,
  kNameDangerousExtension,
  kUnknownType,
  kTypeNotAllowed,
  kConversionFailed,
  kConversionLimit,
  kEncrypted,
  kArchiveLimit,   // depth, member count, expanded size, ratio or time of an archive
  kArchiveName,    // an archive whose names cannot be trusted (zip local/central mismatch)
  kArchiveBroken,  // truncated or corrupt archive
  kMailLimit,      // MIME parts, nesting or header size of a message
  kMailBroken,     // not a message that can be read
  kLastWorkerReason = kMailBroken,
  // Supervisor-only from here on.
  kInputTooLarge,
  kWorkerCrashed,
  kWorkerMemory,
  kWorkerTimeout,
  kWorkerProtocol,
  kVerifyFailed,
  kQuarantineFailed,
  kOutputFailed,
  kMemberBlocked,  // policy archive.block_if_member_blocked, or nothing left to deliver
  kAuditFailed,    // the audit record could not be written: nothing is delivered
  kConverterMissing,  // LibreOffice is not installed: legacy Office/RTF/ODF cannot be converted
  kBusy,              // no worker of the host was free within milter.queue_timeout_seconds
  kLast = kBusy,
};

struct Action {
  std::string action;
  std::string detail;
};

struct Threat {
  std::string engine;
  std::string name;
};

// A container's member: an archive's file or a mail part.
enum class MemberRole : uint8_t {
  kFile = 0,        // a file in an archive
  kBody = 1,        // a message's text body (text/plain or text/html)
  kAttachment = 2,  // a message's attachment or inline part with a name
  kLast = kAttachment,
};

struct Member {
  std::string path;   // archive path, or the part's decoded file name
  std::string bytes;  // decoded content
  MemberRole role = MemberRole::kFile;
  std::string declared_type;  // mail: the Content-Type the sender declared (lower case)
  std::string charset;        // mail: its charset parameter
  // A small text/plain part of a message, already processed by the worker that unpacked the
  // message (an encoded WorkerResult; "" = not processed, the supervisor starts a worker).
  std::string processed;
};

struct WorkerResult {
  Verdict verdict = Verdict::kBlocked;
  TypeFamily family = TypeFamily::kUnknown;
  Reason reason = Reason::kNone;
  std::string detected_type;
  std::string description;
  std::string charset;
  std::string reason_detail;
  std::vector<Action> actions;
  std::vector<Threat> threats;
  bool has_output = false;
  std::string output_type;
  std::string output;
  // An unpacked container (archive or message): its members, each to go through the pipeline as a
  // child node. Paths are untrusted until the supervisor has checked them.
  bool is_container = false;
  bool single_file = false;  // a bare compressed stream: deliver its one member as itself
  std::vector<Member> members;
  // A message's headers kept for the rebuilt message (name, value as received).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string subject;  // mail: the Subject decoded to UTF-8, for the report and the log
};

// Serialises `result` (worker side). Oversized fields are truncated to their caps so that a
// correct worker never produces a message the supervisor rejects.
std::string EncodeWorkerResult(const WorkerResult& result);

// What a message's verifier reports of a plain-text part (a "mail_text" action) and what the
// supervisor compares it with: the sha256 of its bytes without CRs (a rebuilt message's
// line ends may differ from the part's).
std::string TextPartDigest(std::string_view bytes);

// Parses and range-checks an untrusted message (supervisor side). `max_output_bytes` bounds
// the output blob. Returns kProtocol on anything malformed.
Result<WorkerResult> DecodeWorkerResult(std::string_view untrusted_bytes,
                                        uint64_t max_output_bytes);

// How a relay's result begins when the converter answered with something that is not a
// result frame (the supervisor then replaces that converter).
inline constexpr std::string_view kConverterNotAResult =
    "the LibreOffice converter answered with something that is not a result";

const char* ReasonCode(Reason reason);  // "malware", "worker_timeout", ...
const char* VerdictName(Verdict verdict);

}  // namespace mugai
