// `mugai db status|migrate|import-sqlite`: the quarantine database's schema and the move of a
// node's SQLite index, audit log and blobs into PostgreSQL (docs/SCALE-OUT.md).
#include "gateway/cli/db_command.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>

#include "common/file_util.h"
#include "gateway/cli/cli_args.h"
#include "gateway/cli/operator_context.h"
#include "gateway/cli/sanitize_command.h"
#include "quarantine/store.h"

namespace mugai {

namespace {

const char kDbHelp[] =
    R"(Usage: mugai db status [OPTIONS]
       mugai db migrate [OPTIONS]
       mugai db import-sqlite --from STATE_DIR [OPTIONS]

The quarantine index, the audit chain and the originals live in the state folder (SQLite and
files: quarantine.backend = "sqlite", the default) or in one PostgreSQL database that
several gateway nodes share (quarantine.backend = "postgresql", quarantine.dsn); see
docs/SCALE-OUT.md.

status         where the quarantine is, its schema version and what this mugai expects, and
               how many items, audit records and originals it holds.
migrate        brings the schema up to this mugai's version (and creates it in an empty
               PostgreSQL database). A service refuses to start on an older schema and names
               this command; it is safe to run twice, and on several nodes at once.
import-sqlite  moves a node's SQLite index, its audit log and its originals (the state
               folder STATE_DIR) into the configured PostgreSQL database, which must be empty
               (run migrate first). The audit chain is copied record for record, so audit
               verify passes before and after; the import itself is the next record. Rows
               and records go in one transaction (all or nothing); the originals are copied
               just before it (a failed import leaves only those, which a repeated import
               reuses). The source is read, never changed: suspend intake and stop the
               console while it runs, and keep the source until you have checked the result.

Options: --config FILE (the configuration the nodes run with), --state DIR,
--from STATE_DIR (import-sqlite), -h/--help.
Run it as the service's user (or root), with the configuration the nodes use.
Exit status: 0 done; 2 usage or configuration error, an unknown schema version, or an
import refused (the database is not empty, the source does not verify); 3 the database
cannot be reached or the import failed (its rows and records: nothing half-imported).
)";

std::string WhoRuns() {
  struct passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : "uid " + std::to_string(geteuid());
}

int Say(int code, const std::string& message) {
  std::fprintf(stderr, "mugai db: %s\n", message.c_str());
  return code;
}

int ExitFor(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kIo ? kExitInternal
                                                                            : kExitUsage;
}

int ShowStatus(const Config& config) {
  StoreOptions o = StoreOptionsFrom(config);
  Result<Stores> stores = OpenStores(o);
  std::printf("backend:        %s\n", config.quarantine_backend.c_str());
  if (!stores.ok()) {
    // An older schema is not an error here: say what migrate would do.
    return Say(ExitFor(stores.status()), stores.status().message());
  }
  SqlConn& db = stores->index->db();
  std::printf("where:          %s\n", db.Describe().c_str());
  std::printf("node:           %s\n", stores->node.c_str());
  std::printf("schema version: %d (this mugai: %d)\n", stores->index->schema_version_found(),
              kIndexSchemaVersion);
  Result<std::string> items = db.Scalar("SELECT count(*) FROM items");
  Result<std::vector<std::string>> blobs = stores->blobs->List();
  Result<std::vector<std::string>> audit = stores->audit->ReadAll();
  if (!items.ok()) return Say(ExitFor(items.status()), items.status().message());
  std::printf("items:          %s\n", items->c_str());
  std::printf("originals:      %zu (%s)\n", blobs.ok() ? blobs->size() : 0,
              stores->blobs->in_database() ? "in the database" : stores->blobs->root().c_str());
  std::printf("audit records:  %zu (%s)\n", audit.ok() ? audit->size() : 0,
              stores->audit->in_database() ? "in the database" : stores->audit->log_path().c_str());
  return kExitDelivered;
}

int Migrate(const Config& config) {
  // What is there before: opened without migrating, an older schema says its version.
  Result<Stores> before = OpenStores(StoreOptionsFrom(config, false));
  if (before.ok()) {
    std::printf("mugai db: the schema is at version %d already (%s); nothing to do\n",
                kIndexSchemaVersion, before->index->db().Describe().c_str());
    return kExitDelivered;
  }
  if (before.status().code() == StatusCode::kUnavailable) {
    return Say(kExitInternal, before.status().message());
  }
  Result<Stores> after = OpenStores(StoreOptionsFrom(config, true));
  if (!after.ok()) return Say(ExitFor(after.status()), after.status().message());
  std::printf("mugai db: migrated %s from schema version %d to %d\n",
              after->index->db().Describe().c_str(), after->index->schema_version_found(),
              kIndexSchemaVersion);
  return kExitDelivered;
}

int ImportSqlite(const Config& config, const std::string& from) {
  if (config.quarantine_backend != "postgresql") {
    return Say(kExitUsage,
               "import-sqlite moves a state folder into PostgreSQL: set quarantine.backend = "
               "\"postgresql\" and quarantine.dsn in the configuration first");
  }
  if (access((from + "/quarantine/index.sqlite").c_str(), R_OK) != 0) {
    return Say(kExitUsage, "--from " + from +
                               ": no quarantine/index.sqlite there (give the old state folder)");
  }
  // The source: its chain must verify before anything moves.
  StoreOptions src_options;
  src_options.state_dir = from;
  Result<Stores> src = OpenStores(src_options);  // read only: an older index is not changed
  if (!src.ok()) {
    return Say(ExitFor(src.status()),
               "the source: " + src.status().message() +
                   (src.status().message().find("older") != std::string::npos
                        ? " (run `mugai db migrate --state " + from + "` on it first)"
                        : ""));
  }
  Result<AuditVerifyResult> verified = src->audit->Verify();
  if (!verified.ok()) return Say(kExitInternal, verified.status().message());
  if (!verified->ok()) {
    return Say(kExitUsage, "the source's audit log does not verify (" +
                               verified->problem->file + " line " +
                               std::to_string(verified->problem->line) + ": " +
                               verified->problem->what + "); nothing imported");
  }
  Result<std::vector<std::string>> lines = src->audit->ReadAll();
  Result<std::vector<QuarantineRecord>> rows = src->index->All();
  if (!lines.ok() || !rows.ok()) {
    return Say(kExitInternal, "cannot read the source: " +
                                  (lines.ok() ? rows.status() : lines.status()).message());
  }
  Result<Stores> dst = OpenStores(StoreOptionsFrom(config));
  if (!dst.ok()) return Say(ExitFor(dst.status()), dst.status().message());
  SqlConn& db = dst->index->db();
  Result<std::string> existing = db.Scalar("SELECT count(*) FROM items");
  if (!existing.ok()) return Say(kExitInternal, existing.status().message());
  if (existing.value() != "0") {
    return Say(kExitUsage, "the database already holds " + existing.value() +
                               " items: import into an empty database (after `mugai db migrate`)");
  }
  // The originals first (each committed on its own, idempotent): a failure after this leaves
  // only blobs that reconcile reports and a repeated import reuses.
  Result<std::vector<std::string>> blobs = src->blobs->List();
  if (!blobs.ok()) return Say(kExitInternal, blobs.status().message());
  size_t copied = 0;
  for (const std::string& sha : blobs.value()) {
    std::string path = src->blobs->PathOf(sha);
    Result<std::string> bytes = ReadFileLimited(path, UINT64_MAX);
    if (!bytes.ok()) return Say(kExitInternal, "original " + sha + ": " + bytes.status().message());
    if (Sha256Hex(bytes.value()) != sha) {
      return Say(kExitInternal, "original " + sha + " in the source does not match its name "
                                "(damaged); nothing imported into the index");
    }
    Result<std::string> put = dst->blobs->Put(sha, bytes.value());
    if (!put.ok()) return Say(kExitInternal, "original " + sha + ": " + put.status().message());
    ++copied;
  }
  // Rows, the chain and the import's own record: one transaction, all or nothing.
  SqlTransaction tx(db);
  if (Status s = tx.Begin(); !s.ok()) return Say(kExitInternal, s.message());
  for (QuarantineRecord r : rows.value()) {
    if (r.node.empty()) r.node = dst->node;
    if (Status s = dst->index->InsertVerbatim(r); !s.ok()) return Say(kExitInternal, s.message());
  }
  if (Status s = ImportAuditLines(db, lines.value()); !s.ok()) return Say(ExitFor(s), s.message());
  AuditEntry imported{AuditEvent::kImported, WhoRuns(), "",
                      {{"from", from},
                       {"items", rows->size()},
                       {"records", lines->size()},
                       {"originals", copied},
                       {"source_last_seq", verified->last_seq},
                       {"source_last_hash", verified->last_hash}}};
  Result<std::vector<std::string>> written =
      AppendAuditRecords(db, {imported}, dst->node, SystemClock());
  if (!written.ok()) return Say(kExitInternal, written.status().message());
  if (Status s = tx.Commit(); !s.ok()) return Say(kExitInternal, s.message());
  Result<AuditVerifyResult> after = dst->audit->Verify();
  if (!after.ok() || !after->ok()) {
    return Say(kExitInternal, "imported, but the database's chain does not verify: run "
                              "`mugai audit verify` and keep the source");
  }
  std::printf("mugai db: imported %zu items, %zu audit records and %zu originals from %s into "
              "%s; audit verify passes (%llu records, last seq %llu)\n",
              rows->size(), lines->size(), copied, from.c_str(), db.Describe().c_str(),
              static_cast<unsigned long long>(after->records),
              static_cast<unsigned long long>(after->last_seq));
  return kExitDelivered;
}

}  // namespace

int RunDbCommand(const std::vector<std::string>& args) {
  CliArgs a = ParseCliArgs(args, {"--state", "--config", "--from"}, {"--help"});
  if (a.Has("--help") || (a.words.empty() && a.error.empty())) {
    std::fputs(kDbHelp, a.Has("--help") ? stdout : stderr);
    return a.Has("--help") ? kExitDelivered : kExitUsage;
  }
  if (!a.error.empty()) return Say(kExitUsage, a.error + "\nTry 'mugai db --help'.");
  const std::string& what = a.words[0];
  if (a.words.size() > 1) return Say(kExitUsage, "unexpected argument '" + a.words[1] + "'");
  Result<Config> config = CommandConfig(a);
  if (!config.ok()) return Say(kExitUsage, "config error: " + config.status().message());
  if (what == "status") return ShowStatus(config.value());
  if (what == "migrate") return Migrate(config.value());
  if (what == "import-sqlite") {
    if (a.Get("--from").empty()) return Say(kExitUsage, "import-sqlite needs --from STATE_DIR");
    return ImportSqlite(config.value(), a.Get("--from"));
  }
  return Say(kExitUsage, "unknown db command '" + what + "' (status, migrate, import-sqlite)");
}

}  // namespace mugai
