// Per-node reports (ARCHITECTURE §5): the JSON form with stable field names, and the short
// bilingual (Japanese / English) notice a member of staff reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/sandbox/worker_protocol.h"
#include "scanners/malware_scanner.h"

namespace mugai {

struct OutputRecord {
  std::string name;    // file name as delivered
  std::string sha256;
  std::string type;    // MIME type of the output
  std::string path;    // where it was written (not in the JSON: it is local to this host)
  bool by_client = false;  // written by a service client: only the client can take it back
};

struct NodeReport {
  std::string name;
  std::string source_path;  // the input's path (CLI) — not in the JSON
  std::string sha256;
  uint64_t size = 0;
  std::string detected_type;
  std::string claimed_type;
  std::string charset;
  std::string subject;  // a message's Subject, decoded (UTF-8)
  Verdict verdict = Verdict::kBlocked;
  Reason reason = Reason::kNone;
  std::string reason_detail;
  std::vector<Action> actions;
  std::vector<Threat> threats;
  std::vector<OutputRecord> outputs;
  std::vector<NodeReport> children;
  std::string quarantine_id;  // "" when the original was not quarantined
  bool internal_failure = false;  // exit 3: something on our side failed (never delivered)
};

// The English and Japanese sentence for a reason code.
const char* ReasonMessageEn(Reason reason);
const char* ReasonMessageJa(Reason reason);

nlohmann::json NodeToJson(const NodeReport& node);

// The whole report for one run: version, scanner, items, summary.
nlohmann::json RunReport(const EngineInfo& engine, bool scanning_enabled,
                         const std::vector<NodeReport>& items);

// The human notice: one block per item, Japanese then English.
std::string HumanNotice(const std::vector<NodeReport>& items);

}  // namespace mugai
