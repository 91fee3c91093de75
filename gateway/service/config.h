// Gateway configuration: built-in defaults (gateway/service/limits.h), optionally overridden by a
// TOML file, then by command-line flags. Unknown keys and out-of-range values are errors.
#pragma once

#include "quarantine/store.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "gateway/service/limits.h"
#include "converters/html/html_to_text.h"
#include "converters/pdf/pdf_renderer.h"

namespace mugai {

// One inbox → outbox mapping of `mugai watch`. `out` may contain "{user}": the first folder
// under `in` is then the user's, and their files go to `out` with {user} replaced.
struct WatchMapping {
  std::string in;
  std::string out;
};

// text.csv_formulas: what happens to cells of a .csv/.tsv that Excel would run as formulas.
enum class CsvFormulas { kNeutralise, kKeep, kBlock };

struct Config {
  // [process]
  std::string process_user;  // process.user: the user a root-started mugai becomes ("" = none)
  std::string service_socket = "/run/mugai/mugai.sock";  // service.socket
  std::string service_socket_group;  // service.socket_group ("" = the service user's group)
  uint32_t service_max_connections = 64;  // clients served at once; more are told "busy"
  // service.metrics_listen: ADDR:PORT of GET /metrics and GET /healthz ("" = off)
  std::string service_metrics_listen = "127.0.0.1:9470";
  // [paths]
  std::string signatures = "/var/lib/clamav";  // paths.signatures
  std::string state_dir = "mugai-state";        // paths.state (relative: under the cwd)
  std::string scratch_dir;                      // paths.scratch ("" = <state>/tmp)
  // [limits]
  uint64_t max_input_bytes;
  uint64_t max_output_bytes;
  // [worker]
  uint32_t jobs;
  uint64_t worker_memory_bytes;
  uint32_t worker_cpu_seconds;  // worker.cpu_seconds: the cap on any one item's CPU budget
  // A worker's CPU budget grows with its item's work (see docs/CONFIG.md, "CPU budgets"):
  // base + per megabyte of input + per PDF page / image megapixel / package part.
  uint32_t worker_cpu_base_ms = 2000;              // worker.cpu_base_ms
  uint32_t worker_cpu_ms_per_megabyte = 1000;      // worker.cpu_ms_per_megabyte
  uint32_t worker_cpu_ms_per_pdf_page = 100;       // worker.cpu_ms_per_pdf_page
  uint32_t worker_cpu_ms_per_megapixel = 50;       // worker.cpu_ms_per_megapixel
  uint32_t worker_cpu_ms_per_package_part = 100;   // worker.cpu_ms_per_package_part
  uint32_t worker_wall_seconds;
  uint32_t worker_open_files;
  uint64_t worker_file_size_bytes;
  // [scan]
  uint64_t scan_max_file_size;
  uint64_t scan_max_scan_size;
  uint32_t scan_max_recursion;
  uint32_t scan_max_files;
  uint32_t scan_max_time_ms;
  bool scan_image_fuzzy_hash = true;
  uint32_t scan_reload_check_seconds = limits::kScanReloadCheckSeconds;
  // scan.max_signature_age_hours: older signatures are stale (a warning, a metric, /healthz)
  uint32_t scan_max_signature_age_hours = 48;
  bool scan_stale_hold = false;  // scan.stale_action: "warn" (default) or "hold" (451, wait)
  // [pdf]
  PdfMode pdf_mode = PdfMode::kReconstruct;
  uint32_t pdf_raster_dpi;
  uint32_t pdf_max_pages;
  uint64_t pdf_max_raster_pixels;
  uint64_t pdf_max_embedded_bytes;
  // [image]
  uint32_t image_jpeg_quality;
  bool image_gif_all_frames = false;
  uint64_t image_max_pixels;
  uint32_t image_max_frames;
  // [watch]
  std::vector<WatchMapping> watch_mappings;  // [[watch.mapping]] in = "...", out = "..."
  uint32_t watch_stable_ms;                  // watch.stable_ms
  uint32_t watch_rescan_seconds;             // watch.rescan_seconds
  uint32_t watch_batch;                      // watch.batch: files claimed and processed at once
  bool watch_notes = true;                   // watch.notes: write <name>.mugai.txt
  // [archive]
  uint32_t archive_max_depth;
  uint32_t archive_max_members;
  uint64_t archive_max_member_bytes;
  uint64_t archive_max_total_bytes;
  uint32_t archive_max_ratio;
  uint32_t archive_max_seconds;
  bool archive_block_if_member_blocked = false;
  // [office]
  bool office_ooxml_text = false;  // office.ooxml_mode: "disarm" (default) or "text"
  uint64_t office_max_part_bytes;
  uint32_t office_max_parts;
  std::string office_libreoffice_dir = "/usr/lib/libreoffice/program";  // office.libreoffice_dir
  uint32_t office_pool_size;         // office.pool_size: warm converter processes
  uint32_t office_max_documents;     // office.max_documents: before a process is replaced
  uint32_t office_timeout_seconds;   // office.timeout_seconds: per document
  uint64_t office_memory_bytes;      // office.memory_bytes: address space of one process
  // The decryption helper (password-protected Office documents, 7z, rar)
  uint32_t unlock_timeout_seconds = 120;             // unlock.timeout_seconds: one item
  uint64_t unlock_memory_bytes = 4ULL << 30;         // unlock.memory_bytes: address space
  std::string unlock_python = "/usr/bin/python3";    // unlock.python: with msoffcrypto-tool
  std::string unlock_seven_zip = "/usr/bin/7z";      // unlock.seven_zip: 7-Zip
  std::string unlock_unar = "/usr/bin/unar";         // unlock.unar: rar (empty: 7-Zip)
  // [mail]
  uint32_t mail_max_parts;
  uint32_t mail_max_depth;
  uint32_t mail_max_header_bytes;
  bool mail_block_if_part_blocked = false;
  // mail.authserv_id: the MTA's authserv-id (RFC 8601), e.g. its host name. Only
  // Authentication-Results headers naming it are kept and reported; "" keeps none (a sender
  // can write any such header).
  std::string mail_authserv_id;
  // [milter]
  std::string milter_socket = "unix:/run/mugai/milter.sock";
  uint32_t milter_max_message_bytes;
  uint32_t milter_concurrency;
  uint32_t milter_timeout_seconds;
  uint32_t milter_queue_timeout_seconds;  // a message's first worker must start by then (451)
  bool milter_use_service = false;  // milter.use_service: messages go to `mugai serve`
  std::string milter_next_hop;  // milter.next_hop: smtp://HOST:PORT for released mail ("" = none)
  // [quarantine], [audit], [roles]
  std::string quarantine_classification = "unclassified";  // quarantine.classification
  // Scale-out (docs/SCALE-OUT.md): quarantine.backend "sqlite" (the state folder, one node)
  // or "postgresql" (quarantine.dsn, a libpq connection string, shared by several nodes);
  // quarantine.node_name names this node in rows and audit records ("" = the host name);
  // quarantine.blob_store "database" (PostgreSQL's default) or "directory" (blob_dir).
  std::string quarantine_backend = "sqlite";
  std::string quarantine_dsn;
  std::string quarantine_node_name;
  std::string quarantine_blob_store;
  std::string quarantine_blob_dir;
  uint32_t audit_retention_days;                            // audit.retention_days
  // audit.syslog_facility: every audit record is also sent to syslog (RFC 5424) with this
  // facility ("" = off); audit.syslog_target: "unix:/dev/log" or "udp:HOST:PORT"
  std::string audit_syslog_facility;
  std::string audit_syslog_target = "unix:/dev/log";
  std::vector<std::string> role_operators;                  // roles.operators
  std::vector<std::string> role_approvers;                  // roles.approvers
  std::vector<std::string> role_auditors;                   // roles.auditors
  std::vector<std::string> role_admins;                     // roles.admins (suspend, resume)
  // [console] (`mugai console`, docs/CONSOLE.md)
  std::string console_listen = "127.0.0.1:8443";  // console.listen: ADDR:PORT
  std::string console_tls_cert, console_tls_key;  // console.tls_cert, tls_key (PEM files)
  std::string console_base_url;                   // console.base_url: links in notices
  std::string console_users_file;  // console.users_file ("" = <state>/console-users)
  std::string console_auth = "local";  // console.auth: "local", "pam" or "both"
  std::string console_unix_user;  // console.unix_user: who runs it ("" = the service's user)
  uint32_t console_lockout_failures = 5;   // console.lockout_failures
  uint32_t console_lockout_minutes = 15;   // console.lockout_minutes
  uint32_t console_idle_minutes = 30;      // console.idle_minutes
  uint32_t console_session_hours = 10;     // console.session_hours (absolute)
  // console.address_map: envelope address -> user; console.mail_domains: "{user}@domain"
  // for these domains (empty: any domain)
  std::map<std::string, std::string> console_address_map;
  std::vector<std::string> console_mail_domains;
  // Notification mail through milter.next_hop (needs console.base_url): to recipients whose
  // mail was quarantined or lost a part, and a digest of waiting requests to approvers.
  bool console_notify = true;           // console.notify
  std::string console_notify_from;      // console.notify_from ("" = mugai@<host name>)
  uint32_t console_digest_minutes = 60;  // console.digest_minutes (0 = no digest)
  // [text]
  CsvFormulas text_csv_formulas = CsvFormulas::kNeutralise;  // text.csv_formulas
  // [html]
  LinkStyle html_links = LinkStyle::kDefang;
  uint32_t html_max_depth;

  Config();  // every field at its built-in default
};

// Reads `path` over the defaults. kConfig with "file:line: what is wrong" on any problem.
Result<Config> LoadConfigFile(const std::string& path);

// Parses TOML text (for tests and the fuzzer); `origin` names it in messages.
Result<Config> ParseConfig(const std::string& toml_text, const std::string& origin);

// The effective configuration as TOML (logged at start-up, printed by --print-config).
std::string ConfigToToml(const Config& config);

// The quarantine stores' options (quarantine/store.h) from the configuration; `migrate` for
// `mugai db migrate`.
StoreOptions StoreOptionsFrom(const Config& config, bool migrate = false);

}  // namespace mugai
