// Benchmark (issue 7): how many items per second the quarantine can record, exactly as the
// pipeline does for each blocked item — blob written and fsync'd, SQLite row committed
// (WAL, synchronous=FULL), two audit records appended together with one fsync — from one process and
// from several at once. Usage: quarantine_record STATE_DIR ITEMS [PROCESSES]
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/file_util.h"
#include "quarantine/audit_log.h"
#include "quarantine/blob_store.h"
#include "quarantine/quarantine_index.h"

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int Record(const std::string& state, int items, int worker) {
  using namespace mugai;
  Result<QuarantineIndex> index = QuarantineIndex::Open(QuarantineIndex::PathIn(state));
  if (!index.ok()) {
    std::fprintf(stderr, "%s\n", index.status().message().c_str());
    return 1;
  }
  BlobStore blobs(state + "/quarantine/blobs");
  AuditLog audit(state);
  for (int i = 0; i < items; ++i) {
    std::string bytes = "item " + std::to_string(worker) + "/" + std::to_string(i) +
                        std::string(2000, 'x');  // a small document
    std::string sha = Sha256Hex(bytes);
    if (!blobs.Put(sha, bytes).ok()) return 1;
    QuarantineRecord rec;
    rec.entry_point = "cli";
    rec.source = "{\"path\":\"/in/x.txt\"}";
    rec.name = "x" + std::to_string(i) + ".pdf";
    rec.size = static_cast<int64_t>(bytes.size());
    rec.sha256 = sha;
    rec.detected_type = "application/pdf";
    rec.verdict = "blocked";
    rec.reasons = "malware: Test";
    Result<std::string> id = index->Insert(rec, blobs);
    if (!id.ok()) return 1;
    std::vector<AuditEntry> entries;
    for (AuditEvent e : {AuditEvent::kQuarantined, AuditEvent::kItemProcessed}) {
      AuditEntry entry;
      entry.event = e;
      entry.actor = "mugai";
      entry.item_id = id.value();
      entry.details = {{"name", rec.name}, {"sha256", sha}, {"verdict", "blocked"}};
      entries.push_back(entry);
    }
    // As the pipeline does: an item's quarantine and decision in one append.
    if (!audit.AppendAll(entries).ok()) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s STATE_DIR ITEMS [PROCESSES]\n", argv[0]);
    return 2;
  }
  std::string state = argv[1];
  int items = std::atoi(argv[2]);
  int procs = argc > 3 ? std::atoi(argv[3]) : 1;
  if (!mugai::MakeDirs(state, 0700).ok()) return 1;
  double start = Now();
  for (int p = 0; p < procs; ++p) {
    if (fork() == 0) _exit(Record(state, items, p));
  }
  int failed = 0;
  for (int p = 0; p < procs; ++p) {
    int status = 0;
    wait(&status);
    failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  double secs = Now() - start;
  std::printf("%d process(es) x %d items: %.2f s, %.0f items/s%s\n", procs, items, secs,
              procs * items / secs, failed ? " (FAILED)" : "");
  return failed ? 1 : 0;
}
