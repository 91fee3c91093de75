// Opens the three stores of the quarantine (index, audit chain, blobs) on the backend the
// configuration names: SQLite and files in the state folder (one node), or one PostgreSQL
// database shared by several nodes (docs/SCALE-OUT.md).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "quarantine/audit_log.h"
#include "quarantine/blob_store.h"
#include "quarantine/quarantine_index.h"
#include "quarantine/utc_time.h"

namespace mugai {

struct StoreOptions {
  std::string state_dir;
  std::string backend = "sqlite";  // quarantine.backend: "sqlite" | "postgresql"
  std::string dsn;                 // quarantine.dsn (libpq connection string)
  std::string node;                // quarantine.node_name ("" = the host name)
  std::string blob_store;          // "database" | "directory" ("" = the backend's default)
  std::string blob_dir;            // quarantine.blob_dir ("" = <state>/quarantine/blobs)
  std::string default_classification = "unclassified";
  bool migrate = false;  // `mugai db migrate`: bring an older schema up to date
};

struct Stores {
  std::unique_ptr<QuarantineIndex> index;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<BlobStore> blobs;
  std::string node;
};

// The node's name for the records: `node`, else the host name.
std::string NodeName(const std::string& configured);

// kConfig for a bad combination or schema; kUnavailable when PostgreSQL cannot be reached.
Result<Stores> OpenStores(const StoreOptions& options, Clock clock = SystemClock);

}  // namespace mugai
