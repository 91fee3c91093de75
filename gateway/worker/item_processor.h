// What a worker does with one node: identify → name check → scan → policy → convert, and,
// for outputs, verify (identify + scan again). Runs only inside a worker process.
#pragma once

#include <string>
#include <string_view>

#include "gateway/service/config.h"
#include "gateway/sandbox/worker_protocol.h"
#include "scanners/scanner.h"
#include "scanners/type_identifier.h"

namespace mugai {

// `r` as a blocked answer for `reason` (no output).
WorkerResult Block(WorkerResult r, Reason reason, std::string detail);

// Reads the whole input (a sealed memfd or regular file) of at most `max` bytes; false with
// `error` set when it is larger or cannot be read.
bool ReadInput(int fd, uint64_t max, std::string* out, std::string* error);

struct WorkerContext {
  const Config* config;
  const TypeIdentifier* identifier;
  const Scanner* scanner;  // the scanner process, through this worker's connection
  bool scanning_enabled;  // false only under --allow-no-signatures
  std::string password;   // --password, for encrypted inputs ("" when none)
};

// Processes the input readable from `fd` whose claimed basename is `name`.
// `scratch_dir` is the worker's private folder for libclamav's temporary files.
// `as_mail`: the input is a message whatever libmagic says (a milter's message, or a part
// declared message/rfc822), so it is unpacked as one or blocked.
WorkerResult ProcessNode(const WorkerContext& ctx, int fd, const std::string& name,
                         const std::string& scratch_dir, bool as_mail = false);

// A relay worker's job for legacy Office, RTF and ODF: sends `document` over `conn` (a
// connection to a warm LibreOffice converter, gateway/sandbox/office_pool.h) and returns its PDF as a
// kSanitized result with output application/pdf, or kBlocked (conversion_failed, encrypted,
// conversion_limit). The PDF is untrusted: the supervisor processes it as a new node.

// Relay worker for a password-protected item (JobKind::kUnlockRelay): sends it with its kind
// and password to the decryption helper on `conn` and returns what came back, as an
// application/octet-stream output (the supervisor makes it a child node), or blocked with
// why (encrypted: the password does not open it).
WorkerResult RelayUnlock(int conn, const std::string& item, const std::string& kind,
                         const std::string& password, uint64_t max_bytes);

WorkerResult RelayOfficeConversion(int conn, const std::string& document,
                                   const std::string& extension, const std::string& password,
                                   uint64_t max_pdf_bytes, const Config& config);

// Verifies an output readable from `fd`: it must identify as `promised_family` (or empty) and
// scan clean. Returns kClean, or kBlocked with reason kMalware/kScanError/kUnknownType.
WorkerResult VerifyNode(const WorkerContext& ctx, int fd, const std::string& name,
                        TypeFamily promised_family, const std::string& scratch_dir);

}  // namespace mugai
