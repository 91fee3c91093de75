// Rebuilds a PDF from its rendered pages with Poppler (poppler-glib) and cairo: a new
// document that holds only page content (text with its fonts, vector graphics, images) and
// no object of the original. On the default (printing) path cairo receives the sender's
// encoded JPEG bytes: the caller re-encodes them (ReencodePdfJpegs) or asks for
// decode_images. Also renders pixels-only PDFs and extracts text.
// Runs only inside a worker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mugai {

enum class PdfMode { kReconstruct, kRaster, kText };

struct PdfRenderOptions {
  PdfMode mode = PdfMode::kReconstruct;
  uint32_t raster_dpi = 150;
  uint64_t max_raster_pixels = 100'000'000;  // per page, raster mode
  uint64_t max_output_bytes = 200u << 20;
  int max_pages = 2000;
  // Draw every image as fresh pixels (Poppler decodes, cairo stores Flate). Otherwise cairo
  // receives the original JPEG bytes, which the caller must then re-encode (ReencodePdfJpegs).
  bool decode_images = false;
};

struct PdfRendered {
  std::string bytes;  // a PDF, or UTF-8 text in text mode
  int pages = 0;
};

// Renders `pdf` (opened with `password`, may be empty). kInvalidArgument when Poppler cannot
// open it or it has no pages; kLimit when a page or the output exceeds the options.
Result<PdfRendered> RenderPdf(std::string_view pdf, const std::string& password,
                              const PdfRenderOptions& options);

// Inline: the supervisor's settings name it without linking the renderer.
inline const char* PdfModeName(PdfMode mode) {
  switch (mode) {
    case PdfMode::kReconstruct: return "reconstruct";
    case PdfMode::kRaster: return "raster";
    case PdfMode::kText: return "text";
  }
  return "reconstruct";
}

}  // namespace mugai
