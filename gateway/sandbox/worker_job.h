// What a worker is asked to do, as data (ARCHITECTURE §3): the supervisor sends this to the
// zygote, which forks the worker and runs the job in it. Nothing of the supervisor's memory
// reaches a worker but this description and the descriptors that go with it: the input (a
// sealed memfd of one item's bytes), the result pipe, and where needed a connection to the
// scanner process or a LibreOffice converter. A password travels only in the job that needs it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "gateway/sandbox/worker_pool.h"

namespace mugai {

enum class JobKind : uint8_t {
  kProcess = 1,      // identify, scan, convert or unpack one node (gateway/worker/item_processor.h)
  kVerify = 2,       // identify and scan an output again
  kRebuild = 3,      // write a zip or a message from verified parts (gateway/worker/)
  kOfficeRelay = 4,  // carry a document to a warm LibreOffice converter and its PDF back
  kMemoryProbe = 5,  // test builds: report whether a marker is anywhere in the worker's memory
  kUnlockRelay = 6,  // carry a password-protected item to its decryption helper and back
  kLast = kUnlockRelay,
};

struct WorkerJob {
  JobKind kind = JobKind::kProcess;
  std::string name;             // the node's claimed name (or the output's name to verify)
  bool as_mail = false;         // kProcess: a message whatever libmagic says
  bool scanning = true;         // false only under --allow-no-signatures (reported as such)
  std::string password;         // kProcess, kOfficeRelay, kUnlockRelay: for encrypted inputs
  uint8_t promised_family = 0;  // kVerify: the TypeFamily the output must identify as
  uint64_t max_bytes = 0;       // kRebuild: the request's size; kOfficeRelay: the largest PDF;
                                // kUnlockRelay: the largest decrypted answer
  std::string extension;        // kOfficeRelay: "doc", "xls", "rtf"...; kUnlockRelay: the kind
  // How the zygote confines it: the pool's settings.
  SandboxLimits limits{};
  std::string scratch_root;
  uint64_t user_tasks = 0;
  bool namespaces = false;
  uint8_t fault = 0;            // WorkerFault to inject (test builds only; 0 otherwise)
};

std::string EncodeWorkerJob(const WorkerJob& job);
// Range-checked: kProtocol on anything malformed.
Result<WorkerJob> DecodeWorkerJob(std::string_view untrusted);

}  // namespace mugai
