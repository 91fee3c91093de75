// Poppler → cairo. reconstruct: each page is drawn with poppler_page_render_for_printing onto
// a cairo PDF surface (form-field appearances are printed, so filled values stay visible;
// no annotation, action, attachment or metadata object is carried over). raster: each page
// is drawn into a pixel buffer first and only the pixels are placed on the new page.
#include "converters/pdf/pdf_renderer.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib.h>
#include <poppler.h>

#include <cmath>
#include <memory>

namespace mugai {

namespace {

struct Sink {
  std::string* out;
  uint64_t cap;
  bool over = false;
};

cairo_status_t WriteToString(void* closure, const unsigned char* data, unsigned int length) {
  auto* sink = static_cast<Sink*>(closure);
  if (sink->out->size() + length > sink->cap) {
    sink->over = true;
    return CAIRO_STATUS_WRITE_ERROR;
  }
  sink->out->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Poppler reports syntax problems of damaged files through GLib; they are expected here.
void QuietLog(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}

template <typename T>
using GPtr = std::unique_ptr<T, void (*)(gpointer)>;

Status DrawRaster(PopplerPage* page, cairo_t* cr, double w, double h,
                  const PdfRenderOptions& o) {
  double scale = o.raster_dpi / 72.0;
  double px_w = std::ceil(w * scale), px_h = std::ceil(h * scale);
  if (px_w < 1 || px_h < 1 || px_w * px_h > static_cast<double>(o.max_raster_pixels)) {
    return {StatusCode::kLimit, "page too large to rasterise at " +
                                    std::to_string(o.raster_dpi) + " dpi"};
  }
  cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(px_w),
                                                    static_cast<int>(px_h));
  if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(img);
    return {StatusCode::kLimit, "cannot allocate the page's pixels"};
  }
  cairo_t* icr = cairo_create(img);
  cairo_set_source_rgb(icr, 1, 1, 1);
  cairo_paint(icr);
  cairo_scale(icr, scale, scale);
  poppler_page_render_for_printing(page, icr);
  cairo_destroy(icr);
  cairo_save(cr);
  cairo_scale(cr, 1 / scale, 1 / scale);
  cairo_set_source_surface(cr, img, 0, 0);
  cairo_paint(cr);
  cairo_restore(cr);
  cairo_surface_destroy(img);
  return Status::Ok();
}

}  // namespace

Result<PdfRendered> RenderPdf(std::string_view pdf, const std::string& password,
                              const PdfRenderOptions& o) {
  g_log_set_handler("Poppler", static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK), QuietLog, nullptr);
  GBytes* data = g_bytes_new(pdf.data(), pdf.size());
  GError* error = nullptr;
  PopplerDocument* doc =
      poppler_document_new_from_bytes(data, password.empty() ? nullptr : password.c_str(), &error);
  g_bytes_unref(data);
  if (!doc) {
    std::string why = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    return Status{StatusCode::kInvalidArgument, "Poppler cannot open the PDF: " + why};
  }
  GPtr<PopplerDocument> doc_guard(doc, g_object_unref);
  int n = poppler_document_get_n_pages(doc);
  if (n <= 0) return Status{StatusCode::kInvalidArgument, "the PDF has no pages"};
  if (n > o.max_pages) {
    return Status{StatusCode::kLimit, "the PDF has " + std::to_string(n) + " pages, over the limit"};
  }

  PdfRendered result;
  result.pages = n;
  if (o.mode == PdfMode::kText) {
    for (int i = 0; i < n; ++i) {
      GPtr<PopplerPage> page(poppler_document_get_page(doc, i), g_object_unref);
      if (!page) return Status{StatusCode::kInvalidArgument, "cannot read page " + std::to_string(i + 1)};
      char* text = poppler_page_get_text(page.get());
      if (text) {
        result.bytes += text;
        g_free(text);
      }
      result.bytes += i + 1 < n ? "\n\f" : "\n";
      if (result.bytes.size() > o.max_output_bytes) {
        return Status{StatusCode::kLimit, "text output larger than the limit"};
      }
    }
    return result;
  }

  Sink sink{&result.bytes, o.max_output_bytes};
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(WriteToString, &sink, 595, 842);
  std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> surface_guard(
      surface, cairo_surface_destroy);
  cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_5);
  for (int i = 0; i < n; ++i) {
    GPtr<PopplerPage> page(poppler_document_get_page(doc, i), g_object_unref);
    if (!page) return Status{StatusCode::kInvalidArgument, "cannot read page " + std::to_string(i + 1)};
    double w = 0, h = 0;
    poppler_page_get_size(page.get(), &w, &h);
    if (!(w >= 1 && h >= 1 && w <= 14400 && h <= 14400)) {  // PDF's own limit is 200 inches
      return Status{StatusCode::kLimit, "page " + std::to_string(i + 1) + " has an invalid size"};
    }
    cairo_pdf_surface_set_size(surface, w, h);
    cairo_t* cr = cairo_create(surface);
    Status drawn = Status::Ok();
    if (o.mode == PdfMode::kRaster) {
      drawn = DrawRaster(page.get(), cr, w, h, o);
    } else {
      // The printing path hands cairo each image's original encoded bytes (JPEG, JBIG2,
      // CCITT, JPEG 2000), which cairo copies into the output verbatim: fast and small, but
      // the caller must re-encode them. The display path decodes every image to pixels.
      if (o.decode_images) {
        poppler_page_render(page.get(), cr);
      } else {
        poppler_page_render_for_printing(page.get(), cr);
      }
    }
    cairo_show_page(cr);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (!drawn.ok()) return drawn;
    if (sink.over) return Status{StatusCode::kLimit, "PDF output larger than the limit"};
    if (st != CAIRO_STATUS_SUCCESS) {
      return Status{StatusCode::kInvalidArgument,
                    std::string("cairo could not draw page ") + std::to_string(i + 1) + ": " +
                        cairo_status_to_string(st)};
    }
  }
  cairo_surface_finish(surface);
  if (sink.over) return Status{StatusCode::kLimit, "PDF output larger than the limit"};
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    return Status{StatusCode::kInvalidArgument,
                  std::string("cairo could not write the PDF: ") +
                      cairo_status_to_string(cairo_surface_status(surface))};
  }
  return result;
}

}  // namespace mugai
