// Audit log export for auditors: a JSON array or CSV, optionally with personal data masked.
#include <cctype>
#include <set>

#include "quarantine/audit_chain.h"
#include "quarantine/audit_log.h"

namespace mugai {

namespace {

bool IsLocalPartChar(unsigned char c) {
  return std::isalnum(c) || std::string_view(".!#$%&'*+/=?^_`{|}~-").find(static_cast<char>(c)) !=
                                std::string_view::npos;
}

bool IsDomainChar(unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; }

// "taro.yamada@example.jp" → "***@example.jp", wherever it appears in `s`.
std::string MaskEmails(const std::string& s) {
  std::string out;
  size_t copied = 0;
  for (size_t at = s.find('@'); at != std::string::npos; at = s.find('@', at + 1)) {
    size_t start = at;
    while (start > copied && IsLocalPartChar(static_cast<unsigned char>(s[start - 1]))) --start;
    bool has_domain = at + 1 < s.size() && IsDomainChar(static_cast<unsigned char>(s[at + 1]));
    if (start == at || !has_domain) continue;
    out.append(s, copied, start - copied);
    out += "***";
    copied = at;
  }
  out.append(s, copied, std::string::npos);
  return out;
}

// "議事録/請求書.pdf" → "***.pdf"; no (short, alphanumeric) extension → "***".
std::string MaskFileName(const std::string& s) {
  size_t slash = s.find_last_of("/\\");
  std::string base = slash == std::string::npos ? s : s.substr(slash + 1);
  size_t dot = base.rfind('.');
  if (dot == std::string::npos || dot == 0 || base.size() - dot > 11) return "***";
  for (size_t i = dot + 1; i < base.size(); ++i) {
    if (!std::isalnum(static_cast<unsigned char>(base[i]))) return "***";
  }
  return "***" + base.substr(dot);
}

enum class Mask { kEmails, kFileName, kAll };

Mask MaskFor(const std::string& key, Mask inherited) {
  static const std::set<std::string> kNameKeys = {
      "name", "names",       "file",       "files",       "filename", "file_name", "original_name",
      "path", "source_path", "attachment", "attachments", "entry",    "entry_name"};
  std::string k;
  for (char c : key) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (k == "subject" || k == "subjects") return Mask::kAll;
  if (kNameKeys.count(k) != 0) return Mask::kFileName;
  return inherited;
}

nlohmann::json Redact(const nlohmann::json& value, Mask mask) {
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      out[it.key()] = Redact(it.value(), MaskFor(it.key(), mask));
    }
    return out;
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const nlohmann::json& v : value) out.push_back(Redact(v, mask));
    return out;
  }
  if (mask == Mask::kAll) return "***";
  if (!value.is_string()) return value;
  const std::string& s = value.get_ref<const std::string&>();
  return mask == Mask::kFileName ? MaskFileName(s) : MaskEmails(s);
}

// One CSV cell (RFC 4180 quoting). A cell a spreadsheet would run as a formula gets a
// leading apostrophe: the values come from mail senders and file names.
std::string CsvCell(const std::string& s) {
  std::string cell = s;
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell[0]) != std::string_view::npos) {
    cell.insert(0, "'");
  }
  std::string out = "\"";
  for (char c : cell) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// The record as exported, fields in log order.
nlohmann::ordered_json ExportRecord(const nlohmann::json& j, bool redact) {
  nlohmann::ordered_json out;
  for (const char* key : {"seq", "time", "event", "actor", "item_id", "details", "prev"}) {
    out[key] = nlohmann::ordered_json(j.value(key, nlohmann::json()));
    if (std::string_view(key) == "item_id" && j.contains("node")) out["node"] = j["node"];
  }
  if (redact) {
    out["details"] = nlohmann::ordered_json(RedactAuditDetails(j["details"]));
    if (out["actor"].is_string()) out["actor"] = MaskEmails(out["actor"].get<std::string>());
  }
  return out;
}

std::string CsvRow(const nlohmann::ordered_json& r) {
  std::string row = std::to_string(r["seq"].get<uint64_t>());
  for (const char* key : {"time", "event", "actor", "item_id"}) {
    row += "," + CsvCell(r[key].get<std::string>());
  }
  return row + "," + CsvCell(Dump(r["details"])) + "," + CsvCell(r["prev"].get<std::string>());
}

}  // namespace

nlohmann::json RedactAuditDetails(const nlohmann::json& details) {
  return Redact(details, Mask::kEmails);
}

Result<std::string> AuditLog::Export(AuditExportFormat format, bool redact) const {
  Result<std::vector<std::string>> lines = ReadAll();
  if (!lines.ok()) return lines.status();
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  std::string csv = "seq,time,event,actor,item_id,details,prev\r\n";
  uint64_t line_no = 0;
  const std::string where = db_ ? "the audit table, record" : log_path() + " line";
  for (const std::string& line : lines.value()) {
    ++line_no;
    std::string why;
    if (!audit_internal::ParseRecord(line, &why)) {
      return Status{StatusCode::kInvalidArgument, where + " " + std::to_string(line_no) +
                                                      ": " + why + "; run audit verify"};
    }
    nlohmann::ordered_json record =
        ExportRecord(nlohmann::json::parse(line, nullptr, false), redact);
    if (format == AuditExportFormat::kCsv) {
      csv += CsvRow(record) + "\r\n";
    } else {
      array.push_back(std::move(record));
    }
  }
  return format == AuditExportFormat::kCsv ? csv : Dump(array) + "\n";
}

}  // namespace mugai
