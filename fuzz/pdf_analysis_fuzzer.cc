// Fuzz target: PDF analysis (qpdf's parser and mugai's object-model walk).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "converters/pdf/pdf_analyzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view pdf(reinterpret_cast<const char*>(data), size);
  mugai::PdfLimits limits;
  limits.max_embedded_bytes = 1 << 20;
  limits.max_pages = 100;
  (void)mugai::AnalyzePdf(pdf, "", limits);
  return 0;
}
