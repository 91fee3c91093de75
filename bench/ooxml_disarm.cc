// Benchmark (issue 4): milliseconds per DisarmOoxml call on one package, in-process (no
// worker, no scan): the cost of the disarm itself. Usage: ooxml_disarm FILE [ROUNDS]
#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "common/file_util.h"
#include "converters/ooxml/ooxml_disarm.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [ROUNDS]\n", argv[0]);
    return 2;
  }
  int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
  mugai::Result<std::string> bytes = mugai::ReadFileLimited(argv[1], 1ull << 30);
  if (!bytes.ok()) return 1;
  mugai::OoxmlLimits limits;
  limits.package = mugai::ArchiveLimits{5000, 100u << 20, 200u << 20, 200, 1u << 20};
  limits.max_part_bytes = 64u << 20;
  limits.max_parts = 5000;
  timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  size_t removed = 0;
  for (int i = 0; i < rounds; ++i) {
    auto d = mugai::DisarmOoxml(bytes.value(), limits);
    if (!d.ok()) {
      std::fprintf(stderr, "%s\n", d.status().message().c_str());
      return 1;
    }
    removed = d->findings.removed.size();
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ms = ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / rounds;
  std::printf("%.1f ms per file (%zu bytes, %zu findings, %d rounds)\n", ms, bytes->size(),
              removed, rounds);
  return 0;
}
