// Benchmark helper (issue 4): legacy Office → PDF through the warm LibreOffice pool.
//   office_convert DOC ROUNDS STATE_DIR SIGNATURES
// prints: the pool's cold start + first document; ROUNDS warm conversions straight through
// a converter (the pool alone); ROUNDS documents through the whole pipeline with the pool
// warm (identify, scan, convert, rebuild the PDF, verify, quarantine).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "converters/office/office_protocol.h"
#include "gateway/service/config.h"
#include "gateway/sandbox/office_pool.h"
#include "gateway/pipeline/pipeline.h"

namespace {

double Ms(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

bool ConvertOnce(mugai::OfficePool& pool, const std::string& doc, size_t* pdf_size) {
  mugai::Result<mugai::OfficePool::Connection> c = pool.Connect();
  if (!c.ok()) {
    std::fprintf(stderr, "connect: %s\n", c.status().message().c_str());
    return false;
  }
  const int* fd = &c->fd;
  mugai::OfficeRequest req{"doc", "", doc};
  bool ok = mugai::WriteAllTo(*fd, mugai::EncodeOfficeRequest(req)).ok();
  mugai::Result<mugai::OfficeResponse> resp = mugai::ReadOfficeResponse(*fd, 1ULL << 30);
  close(*fd);
  ok = ok && resp.ok() && resp->status == mugai::OfficeStatus::kPdf;
  if (ok) *pdf_size = resp->body.size();
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: office_convert DOC ROUNDS STATE_DIR SIGNATURES\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const int rounds = std::max(1, std::atoi(argv[2]));
  const std::string state = argv[3];

  mugai::EventLog log;
  mugai::OfficePoolOptions o;
  o.program_dir = "/usr/lib/libreoffice/program";
  o.root = state + "/office-bench";
  o.size = 1;
  o.max_documents = 100000;
  o.timeout_seconds = 60;
  o.memory_bytes = 4ULL << 30;
  o.max_document_bytes = 1ULL << 30;
  o.max_pdf_bytes = 1ULL << 30;
  o.executable = getenv("MUGAI_ZYGOTE") ? getenv("MUGAI_ZYGOTE") : "build/gateway/mugai-zygote";
  {
    mugai::OfficePool pool(o, &log);
    if (!pool.missing().empty()) {
      std::fprintf(stderr, "%s\n", pool.missing().c_str());
      return 2;
    }
    size_t pdf = 0;
    auto t0 = std::chrono::steady_clock::now();
    if (!ConvertOnce(pool, doc, &pdf)) return 1;
    auto t1 = std::chrono::steady_clock::now();
    std::printf("pool cold start + first document: %.0f ms (PDF %zu bytes)\n", Ms(t0, t1), pdf);
    std::vector<double> warm;
    for (int i = 0; i < rounds; ++i) {
      auto a = std::chrono::steady_clock::now();
      if (!ConvertOnce(pool, doc, &pdf)) return 1;
      warm.push_back(Ms(a, std::chrono::steady_clock::now()));
    }
    std::printf("warm converter (LibreOfficeKit loaded): median %.1f ms, min %.1f ms, max %.1f ms over %d documents\n",
                Median(warm), *std::min_element(warm.begin(), warm.end()),
                *std::max_element(warm.begin(), warm.end()), rounds);
  }

  mugai::Config config;
  config.state_dir = state + "/pipeline";
  config.signatures = argv[4];
  mugai::PipelineOptions options;
  mugai::Result<std::unique_ptr<mugai::Pipeline>> p = mugai::Pipeline::Create(config, options);
  if (!p.ok()) {
    std::fprintf(stderr, "%s\n", p.status().message().c_str());
    return 1;
  }
  (*p)->PrestartOffice();
  const std::string path = state + "/bench.doc";
  std::ofstream(path, std::ios::binary) << doc;
  std::vector<double> whole;
  for (int i = 0; i <= rounds; ++i) {
    auto a = std::chrono::steady_clock::now();
    mugai::ItemInput item;
    item.path = path;
    item.name = "bench.doc";
    std::vector<mugai::NodeReport> r = (*p)->Sanitize({item}, "");
    double ms = Ms(a, std::chrono::steady_clock::now());
    if (r.empty() || r[0].verdict != mugai::Verdict::kSanitized) {
      std::fprintf(stderr, "pipeline did not sanitise the document\n");
      return 1;
    }
    if (i > 0) whole.push_back(ms);  // the first one waits for the converter to start
  }
  std::printf("whole pipeline, pool warm: median %.1f ms per document over %d documents\n",
              Median(whole), rounds);
  return 0;
}
