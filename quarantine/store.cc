// Store selection (see store.h).
#include "quarantine/store.h"

#include <unistd.h>

#include <climits>

namespace mugai {

std::string NodeName(const std::string& configured) {
  if (!configured.empty()) return configured;
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

Result<Stores> OpenStores(const StoreOptions& o, Clock clock) {
  Stores stores;
  stores.node = NodeName(o.node);
  QuarantineIndex::Options index_options;
  index_options.default_classification = o.default_classification;
  index_options.clock = clock;
  index_options.node = stores.node;
  index_options.migrate = o.migrate;
  std::string blob_dir = o.blob_dir.empty() ? o.state_dir + "/quarantine/blobs" : o.blob_dir;
  if (o.backend == "sqlite" || o.backend.empty()) {
    if (o.blob_store == "database") {
      return Status{StatusCode::kConfig,
                    "quarantine.blob_store = \"database\" needs quarantine.backend = "
                    "\"postgresql\"; with SQLite the originals are kept in a directory"};
    }
    Result<QuarantineIndex> index =
        QuarantineIndex::Open(QuarantineIndex::PathIn(o.state_dir), index_options);
    if (!index.ok()) return index.status();
    stores.index = std::make_unique<QuarantineIndex>(std::move(index.value()));
    stores.audit = std::make_unique<AuditLog>(o.state_dir, clock);
    stores.blobs = std::make_unique<BlobStore>(blob_dir);
    return stores;
  }
  if (o.backend != "postgresql") {
    return Status{StatusCode::kConfig, "quarantine.backend must be \"sqlite\" or \"postgresql\", not \"" +
                                           o.backend + "\""};
  }
  if (o.blob_store != "" && o.blob_store != "database" && o.blob_store != "directory") {
    return Status{StatusCode::kConfig, "quarantine.blob_store must be \"database\" or "
                                       "\"directory\", not \"" + o.blob_store + "\""};
  }
  // Three connections: the index, the audit chain and the blobs each serialise their own.
  Result<std::unique_ptr<SqlConn>> index_db = OpenPostgres(o.dsn);
  if (!index_db.ok()) return index_db.status();
  Result<QuarantineIndex> index = QuarantineIndex::Open(std::move(index_db.value()), index_options);
  if (!index.ok()) return index.status();
  stores.index = std::make_unique<QuarantineIndex>(std::move(index.value()));
  Result<std::unique_ptr<SqlConn>> audit_db = OpenPostgres(o.dsn);
  if (!audit_db.ok()) return audit_db.status();
  stores.audit = std::make_unique<AuditLog>(o.state_dir, clock);
  stores.audit->UseDatabase(std::move(audit_db.value()), stores.node);
  if (o.blob_store == "directory") {
    if (o.blob_dir.empty()) {
      return Status{StatusCode::kConfig,
                    "quarantine.blob_store = \"directory\" with PostgreSQL needs "
                    "quarantine.blob_dir: a folder every node mounts (shared storage)"};
    }
    stores.blobs = std::make_unique<BlobStore>(blob_dir);
  } else {
    Result<std::unique_ptr<SqlConn>> blob_db = OpenPostgres(o.dsn);
    if (!blob_db.ok()) return blob_db.status();
    stores.blobs = std::make_unique<BlobStore>(std::shared_ptr<SqlConn>(std::move(blob_db.value())),
                                               o.state_dir + "/quarantine/blob-copies");
    stores.blobs->SweepCopies();  // a copy a crash left behind
  }
  return stores;
}

}  // namespace mugai
