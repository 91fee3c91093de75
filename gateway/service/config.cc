// TOML configuration with toml++. Every table and key is known; anything else is an error
// naming the file and line, so a typo never silently falls back to a default.
#include "gateway/service/config.h"

#include "quarantine/sql_conn.h"

#include <cctype>
#include <cstring>

#include <toml++/toml.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "gateway/service/limits.h"
#include "quarantine/syslog_sender.h"

namespace mugai {

Config::Config()
    : max_input_bytes(limits::kMaxInputBytes),
      max_output_bytes(limits::kMaxOutputBytes),
      jobs(limits::kWorkerJobs),
      worker_memory_bytes(limits::kWorkerMemoryBytes),
      worker_cpu_seconds(limits::kWorkerCpuSeconds),
      worker_wall_seconds(limits::kWorkerWallSeconds),
      worker_open_files(limits::kWorkerOpenFiles),
      worker_file_size_bytes(limits::kWorkerFileSizeBytes),
      scan_max_file_size(limits::kScanMaxFileSize),
      scan_max_scan_size(limits::kScanMaxScanSize),
      scan_max_recursion(limits::kScanMaxRecursion),
      scan_max_files(limits::kScanMaxFiles),
      scan_max_time_ms(limits::kScanMaxTimeMs),
      pdf_raster_dpi(limits::kPdfRasterDpi),
      pdf_max_pages(limits::kPdfMaxPages),
      pdf_max_raster_pixels(limits::kPdfMaxRasterPixels),
      pdf_max_embedded_bytes(limits::kPdfMaxEmbeddedBytes),
      image_jpeg_quality(limits::kImageJpegQuality),
      image_max_pixels(limits::kImageMaxPixels),
      image_max_frames(limits::kImageMaxFrames),
      watch_stable_ms(limits::kWatchStableMs),
      watch_rescan_seconds(limits::kWatchRescanSeconds),
      watch_batch(limits::kWatchBatch),
      archive_max_depth(limits::kArchiveMaxDepth),
      archive_max_members(limits::kArchiveMaxMembers),
      archive_max_member_bytes(limits::kArchiveMaxMemberBytes),
      archive_max_total_bytes(limits::kArchiveMaxTotalBytes),
      archive_max_ratio(limits::kArchiveMaxRatio),
      archive_max_seconds(limits::kArchiveMaxSeconds),
      office_max_part_bytes(limits::kOfficeMaxPartBytes),
      office_max_parts(limits::kOfficeMaxParts),
      office_pool_size(limits::kOfficePoolSize),
      office_max_documents(limits::kOfficeMaxDocuments),
      office_timeout_seconds(limits::kOfficeTimeoutSeconds),
      office_memory_bytes(limits::kOfficeMemoryBytes),
      mail_max_parts(limits::kMailMaxParts),
      mail_max_depth(limits::kMailMaxDepth),
      mail_max_header_bytes(limits::kMailMaxHeaderBytes),
      milter_max_message_bytes(limits::kMilterMaxMessageBytes),
      milter_concurrency(limits::kMilterConcurrency),
      milter_timeout_seconds(limits::kMilterTimeoutSeconds),
      milter_queue_timeout_seconds(limits::kMilterQueueTimeoutSeconds),
      audit_retention_days(limits::kAuditRetentionDays),
      html_max_depth(limits::kHtmlMaxDepth) {}

namespace {

std::string Where(const std::string& origin, const toml::node& node) {
  const auto& src = node.source();
  return origin + ":" + std::to_string(src.begin.line);
}

// A key's setter: checks the node's type and range, writes the field, or returns an error.
using Setter = std::function<Status(const toml::node&, const std::string& where)>;

// A string that may be empty ("" = off).
Setter OptionalString(std::string* field) {
  return [field](const toml::node& n, const std::string& where) -> Status {
    auto v = n.value<std::string>();
    if (!v) return {StatusCode::kConfig, where + ": expected a string (\"\" = off)"};
    *field = *v;
    return Status::Ok();
  };
}

// audit.syslog_facility: a facility name of RFC 5424 §6.2.1, or "" (off).
Setter Facility(std::string* field) {
  return [field](const toml::node& n, const std::string& where) -> Status {
    auto v = n.value<std::string>();
    if (!v || (!v->empty() && SyslogFacilityCode(*v) < 0)) {
      return {StatusCode::kConfig,
              where + ": expected \"\" (off) or a syslog facility: kern, user, mail, daemon, "
                      "auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 … local7"};
    }
    *field = *v;
    return Status::Ok();
  };
}

// audit.syslog_target: "unix:/PATH" (a datagram socket such as /dev/log) or "udp:HOST:PORT".
Setter SyslogTarget(std::string* field) {
  return [field](const toml::node& n, const std::string& where) -> Status {
    auto v = n.value<std::string>();
    bool ok = v && ((v->rfind("unix:/", 0) == 0 && v->size() > 6) ||
                    (v->rfind("udp:", 0) == 0 && v->find(':', 4) != std::string::npos));
    if (!ok) {
      return {StatusCode::kConfig,
              where + ": expected \"unix:/PATH\" (e.g. \"unix:/dev/log\") or \"udp:HOST:PORT\""};
    }
    *field = *v;
    return Status::Ok();
  };
}

Setter String(std::string* field) {
  return [field](const toml::node& n, const std::string& where) -> Status {
    auto v = n.value<std::string>();
    if (!v || v->empty()) return {StatusCode::kConfig, where + ": expected a non-empty string"};
    *field = *v;
    return Status::Ok();
  };
}

// An array of user names: non-empty strings of letters, digits and "._-@".
Setter Users(std::vector<std::string>* field) {
  return [field](const toml::node& n, const std::string& where) -> Status {
    const toml::array* list = n.as_array();
    if (!list) return {StatusCode::kConfig, where + ": expected an array of user names"};
    field->clear();
    for (const toml::node& item : *list) {
      auto v = item.value<std::string>();
      bool ok = v && !v->empty() && v->size() <= 64;
      for (char c : v.value_or("")) {
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._-@", c));
      }
      if (!ok) {
        return {StatusCode::kConfig,
                where + ": user names are 1-64 letters, digits, '.', '_', '-' or '@'"};
      }
      field->push_back(*v);
    }
    return Status::Ok();
  };
}

template <typename T>
Setter Integer(T* field, int64_t min, int64_t max) {
  return [field, min, max](const toml::node& n, const std::string& where) -> Status {
    // Type first: toml++'s value<int64_t>() converts a float node, and an out-of-range
    // float is undefined behaviour (found by fuzz/config_fuzzer.cc).
    if (!n.is_integer()) return {StatusCode::kConfig, where + ": expected an integer"};
    auto v = n.value<int64_t>();
    if (!v) return {StatusCode::kConfig, where + ": expected an integer"};
    if (*v < min || *v > max) {
      return {StatusCode::kConfig, where + ": " + std::to_string(*v) + " is out of range [" +
                                       std::to_string(min) + ", " + std::to_string(max) + "]"};
    }
    *field = static_cast<T>(*v);
    return Status::Ok();
  };
}

Setter Bool(bool* field) {
  return [field](const toml::node& n, const std::string& where) -> Status {
    if (!n.is_boolean()) return {StatusCode::kConfig, where + ": expected true or false"};
    *field = *n.value<bool>();
    return Status::Ok();
  };
}

// A key whose value is one of a few words, each meaning one value of `T`.
template <typename T>
Setter Choice(T* field, std::vector<std::pair<std::string, T>> words) {
  return [field, words](const toml::node& n, const std::string& where) -> Status {
    auto v = n.value<std::string>();
    std::string expected;
    for (const auto& [word, value] : words) {
      if (v == word) {
        *field = value;
        return Status::Ok();
      }
      expected += (expected.empty() ? "" : ", ") + ("\"" + word + "\"");
    }
    return {StatusCode::kConfig, where + ": expected one of " + expected};
  };
}

// [[watch.mapping]]: an array of tables, each with exactly the keys `in` and `out`.
Setter Mappings(std::vector<WatchMapping>* field) {
  return [field](const toml::node& n, const std::string& where) -> Status {
    const toml::array* list = n.as_array();
    if (!list) return {StatusCode::kConfig, where + ": expected [[watch.mapping]] tables"};
    field->clear();
    for (const toml::node& item : *list) {
      const toml::table* t = item.as_table();
      if (!t) return {StatusCode::kConfig, where + ": each mapping must be a table"};
      WatchMapping m;
      for (const auto& [key, value] : *t) {
        std::string k(key.str());
        auto v = value.value<std::string>();
        std::string at = where + " (line " + std::to_string(value.source().begin.line) + ")";
        if ((k != "in" && k != "out")) return {StatusCode::kConfig, at + ": unknown key '" + k + "'"};
        if (!v || v->empty() || (*v)[0] != '/') {
          return {StatusCode::kConfig, at + ": '" + k + "' must be an absolute folder path"};
        }
        (k == "in" ? m.in : m.out) = *v;
      }
      if (m.in.empty() || m.out.empty()) {
        return {StatusCode::kConfig, where + ": a mapping needs both 'in' and 'out'"};
      }
      field->push_back(m);
    }
    return Status::Ok();
  };
}

// console.address_map: a table of "address" = "user".
Setter AddressMap(std::map<std::string, std::string>* field) {
  return [field](const toml::node& n, const std::string& where) -> Status {
    const toml::table* t = n.as_table();
    if (!t) return {StatusCode::kConfig, where + ": expected a table of \"address\" = \"user\""};
    field->clear();
    for (const auto& [key, value] : *t) {
      std::string address(key.str());
      auto user = value.value<std::string>();
      if (address.find('@') == std::string::npos || !user || user->empty() || user->size() > 64) {
        return {StatusCode::kConfig,
                where + ": '" + address + "': expected \"address@domain\" = \"user name\""};
      }
      std::string lower;
      for (char ch : address) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      (*field)[lower] = *user;
    }
    return Status::Ok();
  };
}

// A list of plain strings (console.mail_domains).
Setter Strings(std::vector<std::string>* field) {
  return [field](const toml::node& n, const std::string& where) -> Status {
    const toml::array* list = n.as_array();
    if (!list) return {StatusCode::kConfig, where + ": expected an array of strings"};
    field->clear();
    for (const toml::node& item : *list) {
      auto v = item.value<std::string>();
      if (!v || v->empty()) return {StatusCode::kConfig, where + ": expected non-empty strings"};
      field->push_back(*v);
    }
    return Status::Ok();
  };
}

constexpr int64_t kGiB = 1024LL * 1024 * 1024;

std::map<std::string, std::map<std::string, Setter>> Schema(Config* c) {
  return {
      {"paths",
       {{"signatures", String(&c->signatures)},
        {"state", String(&c->state_dir)},
        {"scratch", String(&c->scratch_dir)}}},
      {"limits",
       {{"max_input_bytes", Integer(&c->max_input_bytes, 1, 64 * kGiB)},
        // The worker protocol carries an output in one 32-bit length.
        {"max_output_bytes", Integer(&c->max_output_bytes, 1, 3 * kGiB)}}},
      {"worker",
       {{"jobs", Integer(&c->jobs, 0, 1024)},
        {"memory_bytes", Integer(&c->worker_memory_bytes, 16 << 20, 256 * kGiB)},
        {"cpu_seconds", Integer(&c->worker_cpu_seconds, 1, 86400)},
        {"cpu_base_ms", Integer(&c->worker_cpu_base_ms, 100, 86400000)},
        {"cpu_ms_per_megabyte", Integer(&c->worker_cpu_ms_per_megabyte, 0, 86400000)},
        {"cpu_ms_per_pdf_page", Integer(&c->worker_cpu_ms_per_pdf_page, 0, 86400000)},
        {"cpu_ms_per_megapixel", Integer(&c->worker_cpu_ms_per_megapixel, 0, 86400000)},
        {"cpu_ms_per_package_part", Integer(&c->worker_cpu_ms_per_package_part, 0, 86400000)},
        {"wall_seconds", Integer(&c->worker_wall_seconds, 1, 86400)},
        {"open_files", Integer(&c->worker_open_files, 8, 65536)},
        {"file_size_bytes", Integer(&c->worker_file_size_bytes, 1 << 20, 256 * kGiB)}}},
      {"scan",
       {{"max_file_size_bytes", Integer(&c->scan_max_file_size, 1, 4 * kGiB - 1)},
        {"max_scan_size_bytes", Integer(&c->scan_max_scan_size, 1, 4 * kGiB - 1)},
        {"max_recursion", Integer(&c->scan_max_recursion, 1, 64)},
        {"max_files", Integer(&c->scan_max_files, 1, 1000000)},
        {"max_scan_time_ms", Integer(&c->scan_max_time_ms, 1, 3600000)},
        {"image_fuzzy_hash", Bool(&c->scan_image_fuzzy_hash)},
        {"reload_check_seconds", Integer(&c->scan_reload_check_seconds, 0, 86400)},
        {"max_signature_age_hours", Integer(&c->scan_max_signature_age_hours, 1, 87600)},
        {"stale_action", Choice(&c->scan_stale_hold, {{"warn", false}, {"hold", true}})}}},
      {"pdf",
       {{"mode", Choice(&c->pdf_mode, {{"reconstruct", PdfMode::kReconstruct},
                                         {"raster", PdfMode::kRaster},
                                         {"text", PdfMode::kText}})},
        {"raster_dpi", Integer(&c->pdf_raster_dpi, 36, 600)},
        {"max_pages", Integer(&c->pdf_max_pages, 1, 100000)},
        {"max_raster_pixels", Integer(&c->pdf_max_raster_pixels, 1 << 20, 4 * kGiB)},
        {"max_embedded_bytes", Integer(&c->pdf_max_embedded_bytes, 1024, 4 * kGiB)}}},
      {"image",
       {{"jpeg_quality", Integer(&c->image_jpeg_quality, 30, 100)},
        {"gif_frames", Choice(&c->image_gif_all_frames, {{"first", false}, {"all", true}})},
        {"max_pixels", Integer(&c->image_max_pixels, 1 << 16, 4 * kGiB)},
        {"max_frames", Integer(&c->image_max_frames, 1, 10000)}}},
      {"watch",
       {{"mapping", Mappings(&c->watch_mappings)},
        {"stable_ms", Integer(&c->watch_stable_ms, 0, 3600000)},
        {"rescan_seconds", Integer(&c->watch_rescan_seconds, 1, 86400)},
        {"batch", Integer(&c->watch_batch, 1, 1024)},
        {"notes", Bool(&c->watch_notes)}}},
      {"archive",
       {{"max_depth", Integer(&c->archive_max_depth, 1, 64)},
        {"max_members", Integer(&c->archive_max_members, 1, limits::kMaxMembers)},
        {"max_member_bytes", Integer(&c->archive_max_member_bytes, 1, 3 * kGiB)},
        {"max_total_bytes", Integer(&c->archive_max_total_bytes, 1, 3 * kGiB)},
        {"max_ratio", Integer(&c->archive_max_ratio, 2, 100000)},
        {"max_seconds", Integer(&c->archive_max_seconds, 1, 86400)},
        {"block_if_member_blocked", Bool(&c->archive_block_if_member_blocked)}}},
      {"office",
       {{"ooxml_mode", Choice(&c->office_ooxml_text, {{"disarm", false}, {"text", true}})},
        {"max_part_bytes", Integer(&c->office_max_part_bytes, 1024, 1 * kGiB)},
        {"max_parts", Integer(&c->office_max_parts, 1, 100000)},
        {"libreoffice_dir", String(&c->office_libreoffice_dir)},
        {"pool_size", Integer(&c->office_pool_size, 1, 64)},
        {"max_documents", Integer(&c->office_max_documents, 1, 100000)},
        {"timeout_seconds", Integer(&c->office_timeout_seconds, 1, 3600)},
        {"memory_bytes", Integer(&c->office_memory_bytes, 512u << 20, 256 * kGiB)}}},
      {"unlock",
       {{"timeout_seconds", Integer(&c->unlock_timeout_seconds, 1, 3600)},
        {"memory_bytes", Integer(&c->unlock_memory_bytes, 256u << 20, 256 * kGiB)},
        {"python", String(&c->unlock_python)},
        {"seven_zip", String(&c->unlock_seven_zip)},
        {"unar", OptionalString(&c->unlock_unar)}}},
      {"mail",
       {{"max_parts", Integer(&c->mail_max_parts, 1, 100000)},
        {"max_depth", Integer(&c->mail_max_depth, 1, 100)},
        {"max_header_bytes", Integer(&c->mail_max_header_bytes, 998, 1 << 20)},
        {"block_if_part_blocked", Bool(&c->mail_block_if_part_blocked)},
        {"authserv_id", String(&c->mail_authserv_id)}}},
      {"milter",
       {{"socket", String(&c->milter_socket)},
        {"max_message_bytes", Integer(&c->milter_max_message_bytes, 1024, 2047u << 20)},
        {"concurrency", Integer(&c->milter_concurrency, 1, 256)},
        {"timeout_seconds", Integer(&c->milter_timeout_seconds, 1, 3600)},
        {"queue_timeout_seconds", Integer(&c->milter_queue_timeout_seconds, 1, 3600)},
        {"next_hop", String(&c->milter_next_hop)},
        {"use_service", Bool(&c->milter_use_service)}}},
      {"process", {{"user", String(&c->process_user)}}},
      {"service",
       {{"socket", String(&c->service_socket)},
        {"socket_group", String(&c->service_socket_group)},
        {"max_connections", Integer(&c->service_max_connections, 1, 4096)},
        {"metrics_listen", OptionalString(&c->service_metrics_listen)},
        // The host's cap on workers is worker.jobs; `service.workers` is the same setting.
        {"workers", Integer(&c->jobs, 0, 1024)}}},
      {"quarantine",
       {{"classification", String(&c->quarantine_classification)},
        {"backend", Choice(&c->quarantine_backend, {{"sqlite", std::string("sqlite")},
                                                    {"postgresql", std::string("postgresql")}})},
        {"dsn", OptionalString(&c->quarantine_dsn)},
        {"node_name", OptionalString(&c->quarantine_node_name)},
        {"blob_store", Choice(&c->quarantine_blob_store, {{"database", std::string("database")},
                                                          {"directory", std::string("directory")}})},
        {"blob_dir", OptionalString(&c->quarantine_blob_dir)}}},
      {"audit",
       {{"retention_days", Integer(&c->audit_retention_days, 1, 36500)},
        {"syslog_facility", Facility(&c->audit_syslog_facility)},
        {"syslog_target", SyslogTarget(&c->audit_syslog_target)}}},
      {"roles",
       {{"operators", Users(&c->role_operators)},
        {"approvers", Users(&c->role_approvers)},
        {"auditors", Users(&c->role_auditors)},
        {"admins", Users(&c->role_admins)}}},
      {"console",
       {{"listen", String(&c->console_listen)},
        {"tls_cert", OptionalString(&c->console_tls_cert)},
        {"tls_key", OptionalString(&c->console_tls_key)},
        {"base_url", OptionalString(&c->console_base_url)},
        {"users_file", OptionalString(&c->console_users_file)},
        {"auth", Choice(&c->console_auth, {{"local", std::string("local")},
                                             {"pam", std::string("pam")},
                                             {"both", std::string("both")}})},
        {"unix_user", OptionalString(&c->console_unix_user)},
        {"lockout_failures", Integer(&c->console_lockout_failures, 1, 1000)},
        {"lockout_minutes", Integer(&c->console_lockout_minutes, 1, 10080)},
        {"idle_minutes", Integer(&c->console_idle_minutes, 1, 1440)},
        {"session_hours", Integer(&c->console_session_hours, 1, 168)},
        {"address_map", AddressMap(&c->console_address_map)},
        {"mail_domains", Strings(&c->console_mail_domains)},
        {"notify", Bool(&c->console_notify)},
        {"notify_from", OptionalString(&c->console_notify_from)},
        {"digest_minutes", Integer(&c->console_digest_minutes, 0, 10080)}}},
      {"text",
       {{"csv_formulas", Choice(&c->text_csv_formulas, {{"neutralise", CsvFormulas::kNeutralise},
                                                          {"keep", CsvFormulas::kKeep},
                                                          {"block", CsvFormulas::kBlock}})}}},
      {"html",
       {{"links", Choice(&c->html_links, {{"show", LinkStyle::kShow},
                                            {"defang", LinkStyle::kDefang},
                                            {"drop", LinkStyle::kDrop}})}, {"max_depth", Integer(&c->html_max_depth, 8, 10000)}}},
  };
}

Status Apply(const toml::table& root, const std::string& origin, Config* config) {
  auto schema = Schema(config);
  for (const auto& [table_key, table_node] : root) {
    std::string table_name(table_key.str());
    auto it = schema.find(table_name);
    if (it == schema.end()) {
      return {StatusCode::kConfig, Where(origin, table_node) + ": unknown table or key '" +
                                       table_name + "'"};
    }
    const toml::table* table = table_node.as_table();
    if (!table) {
      return {StatusCode::kConfig, Where(origin, table_node) + ": '" + table_name +
                                       "' must be a table ([" + table_name + "])"};
    }
    for (const auto& [key, node] : *table) {
      std::string key_name(key.str());
      auto setter = it->second.find(key_name);
      if (setter == it->second.end()) {
        return {StatusCode::kConfig, Where(origin, node) + ": unknown key '" + table_name + "." +
                                         key_name + "'"};
      }
      if (Status s = setter->second(node, Where(origin, node) + ": " + table_name + "." + key_name);
          !s.ok()) {
        return s;
      }
    }
  }
  return Status::Ok();
}

const char* LinkName(LinkStyle s) {
  switch (s) {
    case LinkStyle::kShow: return "show";
    case LinkStyle::kDefang: return "defang";
    case LinkStyle::kDrop: return "drop";
  }
  return "defang";
}

}  // namespace

Result<Config> ParseConfig(const std::string& toml_text, const std::string& origin) {
  Config config;
  // toml++ is built with exceptions here; they stop at this module's boundary.
  toml::table parsed;
  try {
    parsed = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& err) {
    return Status{StatusCode::kConfig, origin + ":" + std::to_string(err.source().begin.line) +
                                           ": " + std::string(err.description())};
  }
  if (Status s = Apply(parsed, origin, &config); !s.ok()) return s;
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status{StatusCode::kConfig, "cannot read config file '" + path +
                                           "': check the path and its permissions"};
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return ParseConfig(buf.str(), path);
}

std::string ConfigToToml(const Config& c) {
  auto i = [](auto v) { return static_cast<int64_t>(v); };
  toml::table root{
      {"paths", toml::table{{"signatures", c.signatures},
                            {"state", c.state_dir},
                            {"scratch", c.scratch_dir.empty() ? c.state_dir + "/tmp"
                                                              : c.scratch_dir}}},
      {"limits", toml::table{{"max_input_bytes", i(c.max_input_bytes)},
                             {"max_output_bytes", i(c.max_output_bytes)}}},
      {"worker", toml::table{{"jobs", i(c.jobs)},
                             {"memory_bytes", i(c.worker_memory_bytes)},
                             {"cpu_seconds", i(c.worker_cpu_seconds)},
                             {"cpu_base_ms", i(c.worker_cpu_base_ms)},
                             {"cpu_ms_per_megabyte", i(c.worker_cpu_ms_per_megabyte)},
                             {"cpu_ms_per_pdf_page", i(c.worker_cpu_ms_per_pdf_page)},
                             {"cpu_ms_per_megapixel", i(c.worker_cpu_ms_per_megapixel)},
                             {"cpu_ms_per_package_part", i(c.worker_cpu_ms_per_package_part)},
                             {"wall_seconds", i(c.worker_wall_seconds)},
                             {"open_files", i(c.worker_open_files)},
                             {"file_size_bytes", i(c.worker_file_size_bytes)}}},
      {"scan", toml::table{{"max_file_size_bytes", i(c.scan_max_file_size)},
                           {"max_scan_size_bytes", i(c.scan_max_scan_size)},
                           {"max_recursion", i(c.scan_max_recursion)},
                           {"max_files", i(c.scan_max_files)},
                           {"max_scan_time_ms", i(c.scan_max_time_ms)},
                           {"image_fuzzy_hash", c.scan_image_fuzzy_hash},
                           {"reload_check_seconds", i(c.scan_reload_check_seconds)},
                           {"max_signature_age_hours", i(c.scan_max_signature_age_hours)},
                           {"stale_action", c.scan_stale_hold ? "hold" : "warn"}}},
      {"pdf", toml::table{{"mode", PdfModeName(c.pdf_mode)},
                          {"raster_dpi", i(c.pdf_raster_dpi)},
                          {"max_pages", i(c.pdf_max_pages)},
                          {"max_raster_pixels", i(c.pdf_max_raster_pixels)},
                          {"max_embedded_bytes", i(c.pdf_max_embedded_bytes)}}},
      {"image", toml::table{{"jpeg_quality", i(c.image_jpeg_quality)},
                            {"gif_frames", c.image_gif_all_frames ? "all" : "first"},
                            {"max_pixels", i(c.image_max_pixels)},
                            {"max_frames", i(c.image_max_frames)}}},
      {"watch", [&c, &i] {
         toml::array maps;
         for (const auto& m : c.watch_mappings) maps.push_back(toml::table{{"in", m.in}, {"out", m.out}});
         return toml::table{{"mapping", maps},
                            {"stable_ms", i(c.watch_stable_ms)},
                            {"rescan_seconds", i(c.watch_rescan_seconds)},
                            {"batch", i(c.watch_batch)},
                            {"notes", c.watch_notes}};
       }()},
      {"archive", toml::table{{"max_depth", i(c.archive_max_depth)},
                              {"max_members", i(c.archive_max_members)},
                              {"max_member_bytes", i(c.archive_max_member_bytes)},
                              {"max_total_bytes", i(c.archive_max_total_bytes)},
                              {"max_ratio", i(c.archive_max_ratio)},
                              {"max_seconds", i(c.archive_max_seconds)},
                              {"block_if_member_blocked", c.archive_block_if_member_blocked}}},
      {"office", toml::table{{"ooxml_mode", c.office_ooxml_text ? "text" : "disarm"},
                             {"max_part_bytes", i(c.office_max_part_bytes)},
                             {"max_parts", i(c.office_max_parts)},
                             {"libreoffice_dir", c.office_libreoffice_dir},
                             {"pool_size", i(c.office_pool_size)},
                             {"max_documents", i(c.office_max_documents)},
                             {"timeout_seconds", i(c.office_timeout_seconds)},
                             {"memory_bytes", i(c.office_memory_bytes)}}},
      {"unlock", toml::table{{"timeout_seconds", i(c.unlock_timeout_seconds)},
                             {"memory_bytes", i(c.unlock_memory_bytes)},
                             {"python", c.unlock_python},
                             {"seven_zip", c.unlock_seven_zip},
                             {"unar", c.unlock_unar}}},
      {"mail", [&c, &i] {
         toml::table t{{"max_parts", i(c.mail_max_parts)},
                       {"max_depth", i(c.mail_max_depth)},
                       {"max_header_bytes", i(c.mail_max_header_bytes)},
                       {"block_if_part_blocked", c.mail_block_if_part_blocked}};
         if (!c.mail_authserv_id.empty()) t.insert("authserv_id", c.mail_authserv_id);  // "" = none
         return t;
       }()},
      {"milter", [&c, &i] {
         toml::table t{{"socket", c.milter_socket},
                       {"max_message_bytes", i(c.milter_max_message_bytes)},
                       {"concurrency", i(c.milter_concurrency)},
                       {"timeout_seconds", i(c.milter_timeout_seconds)},
                       {"queue_timeout_seconds", i(c.milter_queue_timeout_seconds)},
                       {"use_service", c.milter_use_service}};
         if (!c.milter_next_hop.empty()) t.insert("next_hop", c.milter_next_hop);  // "" = none
         return t;
       }()},
      {"process", [&c] {
         toml::table t;
         if (!c.process_user.empty()) t.insert("user", c.process_user);
         return t;
       }()},
      {"service", [&c, &i] {
         toml::table t;
         t.insert("socket", c.service_socket);
         t.insert("max_connections", i(c.service_max_connections));
         t.insert("metrics_listen", c.service_metrics_listen);
         if (!c.service_socket_group.empty()) t.insert("socket_group", c.service_socket_group);
         return t;
       }()},
      {"quarantine", [&c] {
         toml::table t{{"classification", c.quarantine_classification},
                       {"backend", c.quarantine_backend},
                       {"node_name", c.quarantine_node_name}};
         // The connection string may carry a password: shown with it masked.
         if (!c.quarantine_dsn.empty()) t.insert("dsn", RedactDsn(c.quarantine_dsn));
         if (!c.quarantine_blob_store.empty()) t.insert("blob_store", c.quarantine_blob_store);
         if (!c.quarantine_blob_dir.empty()) t.insert("blob_dir", c.quarantine_blob_dir);
         return t;
       }()},
      {"audit", toml::table{{"retention_days", i(c.audit_retention_days)},
                            {"syslog_facility", c.audit_syslog_facility},
                            {"syslog_target", c.audit_syslog_target}}},
      {"roles", [&c] {
         auto list = [](const std::vector<std::string>& v) {
           toml::array a;
           for (const auto& u : v) a.push_back(u);
           return a;
         };
         return toml::table{{"operators", list(c.role_operators)},
                            {"approvers", list(c.role_approvers)},
                            {"auditors", list(c.role_auditors)},
                            {"admins", list(c.role_admins)}};
       }()},
      {"console", [&c, &i] {
         toml::table t{{"listen", c.console_listen},
                       {"tls_cert", c.console_tls_cert},
                       {"tls_key", c.console_tls_key},
                       {"base_url", c.console_base_url},
                       {"users_file", c.console_users_file},
                       {"auth", c.console_auth},
                       {"unix_user", c.console_unix_user},
                       {"lockout_failures", i(c.console_lockout_failures)},
                       {"lockout_minutes", i(c.console_lockout_minutes)},
                       {"idle_minutes", i(c.console_idle_minutes)},
                       {"session_hours", i(c.console_session_hours)},
                       {"notify", c.console_notify},
                       {"notify_from", c.console_notify_from},
                       {"digest_minutes", i(c.console_digest_minutes)}};
         toml::table map;
         for (const auto& [address, user] : c.console_address_map) map.insert(address, user);
         t.insert("address_map", map);
         toml::array domains;
         for (const auto& d : c.console_mail_domains) domains.push_back(d);
         t.insert("mail_domains", domains);
         return t;
       }()},
      {"text", toml::table{{"csv_formulas", c.text_csv_formulas == CsvFormulas::kKeep    ? "keep"
                                            : c.text_csv_formulas == CsvFormulas::kBlock ? "block"
                                                                                          : "neutralise"}}},
      {"html", toml::table{{"links", LinkName(c.html_links)}, {"max_depth", i(c.html_max_depth)}}},
  };
  std::ostringstream o;
  o << root << "\n";
  return o.str();
}

StoreOptions StoreOptionsFrom(const Config& c, bool migrate) {
  StoreOptions o;
  o.state_dir = c.state_dir;
  o.backend = c.quarantine_backend;
  o.dsn = c.quarantine_dsn;
  o.node = c.quarantine_node_name;
  o.blob_store = c.quarantine_blob_store;
  o.blob_dir = c.quarantine_blob_dir;
  o.default_classification = c.quarantine_classification;
  o.migrate = migrate;
  return o;
}

}  // namespace mugai
