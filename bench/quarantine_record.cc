// Benchmark (issues 7 and 17): how many items per second the quarantine can record, exactly
// as the pipeline does for each blocked item; from one process and from several at once
// (several nodes). SQLite: the blob file written and fsync'd, the row committed, then the
// item's two audit records in one append. PostgreSQL: the original (database blobs; a
// directory's file is written first), the row and both records in one transaction.
// Usage: quarantine_record STATE_DIR ITEMS [PROCESSES] [DSN [directory]]
//   no DSN: SQLite + audit.log in STATE_DIR (one node)
//   DSN: PostgreSQL (quarantine.dsn), blobs in the database, or with "directory" in
//        STATE_DIR/shared-blobs (quarantine.blob_store = "directory"); each process is a node
//        with its own state folder.
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/file_util.h"
#include "quarantine/store.h"

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int Record(const mugai::StoreOptions& options, int items, int worker) {
  using namespace mugai;
  Result<Stores> stores = OpenStores(options);
  if (!stores.ok()) {
    std::fprintf(stderr, "%s\n", stores.status().message().c_str());
    return 1;
  }
  for (int i = 0; i < items; ++i) {
    std::string bytes = "item " + std::to_string(worker) + "/" + std::to_string(i) + " " +
                        std::to_string(getpid()) + std::string(2000, 'x');  // a small document
    std::string sha = Sha256Hex(bytes);
    // PostgreSQL with database blobs: the original goes in with the row (as the pipeline does).
    bool with_row = stores->index->postgres() && stores->blobs->in_database();
    if (!with_row && !stores->blobs->Put(sha, bytes).ok()) return 1;
    QuarantineRecord rec;
    rec.entry_point = "cli";
    rec.source = "{\"path\":\"/in/x.txt\"}";
    rec.name = "x" + std::to_string(i) + ".pdf";
    rec.size = static_cast<int64_t>(bytes.size());
    rec.sha256 = sha;
    rec.detected_type = "application/pdf";
    rec.verdict = "blocked";
    rec.reasons = "malware: Test";
    nlohmann::json details = {{"name", rec.name}, {"sha256", sha}, {"verdict", "blocked"}};
    AuditEntry quarantined{AuditEvent::kQuarantined, "mugai", "", details};
    if (stores->index->postgres()) {
      // One transaction: original (database blobs), row, both records.
      rec.id = QuarantineIndex::NewItemId().value();
      Result<std::vector<std::string>> lines = stores->index->InsertRecorded(
          rec, *stores->blobs, bytes,
          {quarantined, {AuditEvent::kItemProcessed, "mugai", "", details}});
      if (!lines.ok()) {
        std::fprintf(stderr, "%s\n", lines.status().message().c_str());
        return 1;
      }
      continue;
    }
    Result<std::string> id = stores->index->Insert(rec, *stores->blobs);
    if (!id.ok()) {
      std::fprintf(stderr, "%s\n", id.status().message().c_str());
      return 1;
    }
    // As the pipeline does on SQLite: the item's quarantine and decision in one append.
    quarantined.item_id = id.value();
    if (!stores->audit
             ->AppendAll({quarantined, {AuditEvent::kItemProcessed, "mugai", id.value(), details}})
             .ok()) {
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s STATE_DIR ITEMS [PROCESSES] [DSN [directory]]\n", argv[0]);
    return 2;
  }
  std::string state = argv[1];
  int items = std::atoi(argv[2]);
  int procs = argc > 3 ? std::atoi(argv[3]) : 1;
  std::string dsn = argc > 4 ? argv[4] : "";
  bool directory = argc > 5 && std::string(argv[5]) == "directory";
  if (!mugai::MakeDirs(state, 0700).ok()) return 1;
  auto options = [&](int p) {
    mugai::StoreOptions o;
    o.state_dir = state;
    if (!dsn.empty()) {
      o.state_dir = state + "/node-" + std::to_string(p);
      o.backend = "postgresql";
      o.dsn = dsn;
      o.node = "node-" + std::to_string(p);
      if (directory) {
        o.blob_store = "directory";
        o.blob_dir = state + "/shared-blobs";
      }
    }
    return o;
  };
  // The schema first (as `mugai db migrate`), outside the timing.
  {
    mugai::StoreOptions o = options(0);
    o.migrate = true;
    if (!mugai::OpenStores(o).ok()) return 1;
  }
  double start = Now();
  for (int p = 0; p < procs; ++p) {
    if (fork() == 0) _exit(Record(options(p), items, p));
  }
  int failed = 0;
  for (int p = 0; p < procs; ++p) {
    int status = 0;
    wait(&status);
    failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  double secs = Now() - start;
  std::printf("%-34s %d process(es) x %d items: %.2f s, %.0f items/s%s\n",
              dsn.empty() ? "SQLite + audit.log:"
                          : directory ? "PostgreSQL, blobs in a directory:"
                                      : "PostgreSQL, blobs in the database:",
              procs, items, secs, procs * items / secs, failed ? " (FAILED)" : "");
  return failed ? 1 : 0;
}
