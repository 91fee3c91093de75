// Image re-encoding with libvips. Every loader is called by name for the type libmagic
// found (never "guess from the bytes"); dimensions and frame counts are checked from the
// header before any pixel is decoded.
#include "converters/image/image_sanitizer.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <vips/vips.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

namespace mugai {

namespace {

std::string VipsError() {
  std::string e = vips_error_buffer();
  vips_error_clear();
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  return e.empty() ? "libvips error" : e;
}

struct ImageDeleter {
  void operator()(VipsImage* i) const {
    if (i) g_object_unref(i);
  }
};
using ImagePtr = std::unique_ptr<VipsImage, ImageDeleter>;

uint32_t Be32(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(b[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3]));
}
uint32_t Le32(std::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(b[at])) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24);
}
unsigned char At(std::string_view b, size_t i) { return static_cast<unsigned char>(b[i]); }

// Where the image data ends, by walking the container's own framing (PNG chunks, JPEG
// markers, GIF blocks, the RIFF or BMP size field). Only to report trailing bytes; the
// output is re-encoded either way. Returns npos when the structure could not be followed.
size_t ContainerEnd(std::string_view b, const std::string& format) {
  constexpr size_t npos = std::string_view::npos;
  if (format == "png") {
    size_t at = 8;
    while (at + 12 <= b.size()) {
      uint32_t len = Be32(b, at);
      if (len > b.size()) return npos;
      bool iend = b.substr(at + 4, 4) == "IEND";
      at += 12 + len;
      if (iend) return at <= b.size() ? at : npos;
    }
    return npos;
  }
  if (format == "jpeg") {
    size_t at = 2;
    while (at + 1 < b.size()) {
      if (At(b, at) != 0xff) return npos;
      unsigned char m = At(b, at + 1);
      if (m == 0xd9) return at + 2;                      // EOI
      if (m == 0xff) { ++at; continue; }                 // fill byte
      if ((m >= 0xd0 && m <= 0xd7) || m == 0x01) { at += 2; continue; }
      if (at + 4 > b.size()) return npos;
      size_t len = (static_cast<size_t>(At(b, at + 2)) << 8) | At(b, at + 3);
      at += 2 + len;
      if (m == 0xda) {  // start of scan: entropy-coded data runs to the next real marker
        while (at + 1 < b.size() &&
               !(At(b, at) == 0xff && At(b, at + 1) != 0 &&
                 !(At(b, at + 1) >= 0xd0 && At(b, at + 1) <= 0xd7))) {
          ++at;
        }
      }
    }
    return npos;
  }
  if (format == "gif") {
    if (b.size() < 13) return npos;
    size_t at = 13;
    if (At(b, 10) & 0x80) at += 3u * (1u << ((At(b, 10) & 7) + 1));
    auto skip_sub_blocks = [&](size_t p) -> size_t {
      while (p < b.size() && At(b, p) != 0) p += 1 + At(b, p);
      return p < b.size() ? p + 1 : npos;
    };
    while (at < b.size()) {
      unsigned char c = At(b, at);
      if (c == 0x3b) return at + 1;
      if (c == 0x21) {
        at = skip_sub_blocks(at + 2);
      } else if (c == 0x2c) {
        if (at + 10 > b.size()) return npos;
        unsigned char flags = At(b, at + 9);
        at += 10;
        if (flags & 0x80) at += 3u * (1u << ((flags & 7) + 1));
        at = skip_sub_blocks(at + 1);  // after the LZW minimum code size
      } else {
        return npos;
      }
      if (at == npos) return npos;
    }
    return npos;
  }
  if (format == "webp" && b.size() >= 12) {
    uint64_t end = 8ull + Le32(b, 4);
    return end + (end & 1);
  }
  if (format == "bmp" && b.size() >= 6) {
    uint32_t declared = Le32(b, 2);  // 0 or beyond the file: no usable size field
    return declared == 0 || declared > b.size() ? npos : declared;
  }
  return npos;
}

// Reads the SVG with libxml2 (no network, no DTD loading, no entity substitution) to refuse
// entity tricks and to report what librsvg will not run or fetch.
Status InspectSvg(std::string_view svg, std::vector<std::string>* removed) {
  const int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlDocPtr doc = xmlReadMemory(svg.data(), static_cast<int>(svg.size()), nullptr, nullptr, flags);
  if (!doc) return {StatusCode::kInvalidArgument, "the SVG is not well-formed XML"};
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> guard(doc, xmlFreeDoc);
  if (doc->intSubset || doc->extSubset) {
    return {StatusCode::kInvalidArgument, "the SVG has a DOCTYPE (entities are refused)"};
  }
  std::map<std::string, int> counts;
  std::vector<std::pair<xmlNode*, int>> stack = {{xmlDocGetRootElement(doc), 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    for (xmlNode* n = node; n; n = n->next) {
      if (n->type != XML_ELEMENT_NODE) continue;
      std::string name = reinterpret_cast<const char*>(n->name);
      if (name == "script") ++counts["script"];
      if (name == "foreignObject") ++counts["foreign_object"];
      for (xmlAttr* a = n->properties; a; a = a->next) {
        std::string attr = reinterpret_cast<const char*>(a->name);
        if (attr.rfind("on", 0) == 0) ++counts["event_handler"];
        if (attr == "href") {
          xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNode*>(a));
          std::string href = v ? reinterpret_cast<const char*>(v) : "";
          xmlFree(v);
          if (href.rfind("data:", 0) == 0) {
            // librsvg hands data: images to gdk-pixbuf, whose loaders include weak parsers
            // (WMF, ANI, ICNS...): only PNG and JPEG are allowed in.
            if (href.rfind("data:image/png", 0) != 0 && href.rfind("data:image/jpeg", 0) != 0) {
              return {StatusCode::kInvalidArgument,
                      "the SVG embeds data of a type other than PNG or JPEG"};
            }
          } else if (!href.empty() && href[0] != '#') {
            ++counts["external_ref"];
          }
        }
      }
      if (depth > 256) return {StatusCode::kLimit, "SVG nesting too deep"};
      if (n->children) stack.push_back({n->children, depth + 1});
    }
  }
  for (auto& [what, n] : counts) removed->push_back(what + ": " + std::to_string(n));
  return Status::Ok();
}

const char* FormatOf(const std::string& mime) {
  static const std::map<std::string, const char*> kFormats = {
      {"image/jpeg", "jpeg"}, {"image/png", "png"},   {"image/gif", "gif"},
      {"image/tiff", "tiff"}, {"image/webp", "webp"}, {"image/bmp", "bmp"},
      {"image/x-ms-bmp", "bmp"}, {"image/svg+xml", "svg"}};
  auto it = kFormats.find(mime);
  return it == kFormats.end() ? nullptr : it->second;
}

// Loads with the one loader for `format`; n = pages/frames to load (-1 all).
int Load(const std::string& format, std::string_view b, int n, VipsImage** out) {
  const void* d = b.data();
  size_t len = b.size();
  if (format == "jpeg") return vips_jpegload_buffer(const_cast<void*>(d), len, out, "fail_on", VIPS_FAIL_ON_TRUNCATED, nullptr);
  if (format == "png") return vips_pngload_buffer(const_cast<void*>(d), len, out, "fail_on", VIPS_FAIL_ON_TRUNCATED, nullptr);
  if (format == "gif") return vips_gifload_buffer(const_cast<void*>(d), len, out, "n", n, "fail_on", VIPS_FAIL_ON_TRUNCATED, nullptr);
  if (format == "tiff") return vips_tiffload_buffer(const_cast<void*>(d), len, out, "n", n, "fail_on", VIPS_FAIL_ON_TRUNCATED, nullptr);
  if (format == "webp") return vips_webpload_buffer(const_cast<void*>(d), len, out, "n", 1, "fail_on", VIPS_FAIL_ON_TRUNCATED, nullptr);
  if (format == "bmp") return vips_magickload_buffer(const_cast<void*>(d), len, out, "n", 1, nullptr);
  if (format == "svg") return vips_svgload_buffer(const_cast<void*>(d), len, out, "unlimited", FALSE, nullptr);
  return -1;
}

void CollectMetadata(VipsImage* img, ImageResult* r) {
  gchar** fields = vips_image_get_fields(img);
  for (gchar** f = fields; f && *f; ++f) {
    std::string name = *f;
    bool interesting = name.rfind("exif-ifd", 0) == 0 || name == "xmp-data" ||
                       name == "iptc-data" || name == VIPS_META_ICC_NAME ||
                       name.find("comment") != std::string::npos ||
                       name.rfind("png-comment", 0) == 0;
    if (interesting) r->metadata.push_back(name);
    if (name.rfind("exif-ifd3-", 0) == 0) r->gps = true;  // IFD3 is the GPS directory
  }
  g_strfreev(fields);
}

}  // namespace

bool IsSupportedImage(std::string_view mime) { return FormatOf(std::string(mime)) != nullptr; }

Status InitImageLibrary() {
  static bool done = false;
  if (done) return Status::Ok();
  if (VIPS_INIT("mugai") != 0) return {StatusCode::kInternal, "libvips: " + VipsError()};
  vips_concurrency_set(1);   // one item per worker; no thread pool fan-out inside it
  // Decoders' warnings about damaged files are expected here; errors are returned instead.
  g_log_set_handler("VIPS", static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE),
                    [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
  vips_cache_set_max(0);     // nothing kept between operations
  vips_block_untrusted_set(TRUE);
  vips_operation_block_set("VipsForeignLoadSvgBuffer", FALSE);     // librsvg, called by name
  vips_operation_block_set("VipsForeignLoadMagickBuffer", FALSE);  // BMP only, called by name
  done = true;
  return Status::Ok();
}

Result<ImageResult> SanitizeImage(std::string_view bytes, const std::string& mime,
                                  const ImageOptions& o) {
  const char* fmt = FormatOf(mime);
  if (!fmt) return Status{StatusCode::kInvalidArgument, "not a supported image type: " + mime};
  ImageResult r;
  r.format = fmt;
  if (r.format == "svg") {
    if (Status s = InspectSvg(bytes, &r.svg_removed); !s.ok()) return s;
  }
  // Header first: dimensions and frame count, before any pixel is decoded.
  VipsImage* raw = nullptr;
  if (Load(r.format, bytes, 1, &raw) != 0) {
    return Status{StatusCode::kInvalidArgument, "cannot decode the " + r.format + ": " + VipsError()};
  }
  ImagePtr header(raw);
  int pages = vips_image_get_n_pages(header.get());
  r.frames = pages;
  r.original_width = vips_image_get_width(header.get());
  r.original_height = vips_image_get_page_height(header.get());
  bool all_pages = r.format == "tiff" || (r.format == "gif" && o.gif_all_frames);
  uint64_t frames_loaded = all_pages ? static_cast<uint64_t>(pages) : 1;
  if (all_pages && static_cast<uint32_t>(pages) > o.max_frames) {
    return Status{StatusCode::kLimit, std::to_string(pages) + " frames/pages, over the limit of " +
                                          std::to_string(o.max_frames)};
  }
  uint64_t pixels = static_cast<uint64_t>(r.original_width) *
                    static_cast<uint64_t>(r.original_height) * frames_loaded;
  if (r.original_width <= 0 || r.original_height <= 0 || pixels > o.max_pixels) {
    return Status{StatusCode::kLimit,
                  std::to_string(r.original_width) + " x " + std::to_string(r.original_height) +
                      (frames_loaded > 1 ? " x " + std::to_string(frames_loaded) : "") +
                      " pixels, over the limit of " + std::to_string(o.max_pixels)};
  }
  if (o.on_header) o.on_header(pixels);
  if (r.format == "svg" && (r.original_width > static_cast<int>(o.svg_max_pixels_side) ||
                            r.original_height > static_cast<int>(o.svg_max_pixels_side))) {
    return Status{StatusCode::kLimit, "SVG drawing size over the limit"};
  }
  ImagePtr img;
  if (all_pages && r.format == "tiff" && pages > 1) {
    // TIFF pages may differ in size and colour: decode each, make it sRGB, stack them.
    std::vector<ImagePtr> held;
    std::vector<VipsImage*> parts;
    uint64_t pixels_so_far = 0;
    for (int p = 0; p < pages; ++p) {
      VipsImage* page = nullptr;
      VipsImage* srgb = nullptr;
      if (vips_tiffload_buffer(const_cast<char*>(bytes.data()), bytes.size(), &page, "page", p,
                               "fail_on", VIPS_FAIL_ON_TRUNCATED, nullptr) != 0) {
        return Status{StatusCode::kInvalidArgument, "cannot decode TIFF page " +
                                                        std::to_string(p + 1) + ": " + VipsError()};
      }
      held.emplace_back(page);
      uint64_t page_pixels = static_cast<uint64_t>(vips_image_get_width(page)) *
                             static_cast<uint64_t>(vips_image_get_height(page));
      pixels_so_far += page_pixels;
      if (pixels_so_far > o.max_pixels) {
        return Status{StatusCode::kLimit, "TIFF pages add up to more than " +
                                              std::to_string(o.max_pixels) + " pixels"};
      }
      if (vips_colourspace(page, &srgb, VIPS_INTERPRETATION_sRGB, nullptr) != 0) {
        return Status{StatusCode::kInvalidArgument, VipsError()};
      }
      held.emplace_back(srgb);
      parts.push_back(srgb);
    }
    VipsImage* joined = nullptr;
    if (vips_arrayjoin(parts.data(), &joined, static_cast<int>(parts.size()), "across", 1,
                       nullptr) != 0) {
      return Status{StatusCode::kInvalidArgument, "cannot stack the TIFF pages: " + VipsError()};
    }
    img.reset(joined);
    CollectMetadata(held.front().get(), &r);
  } else if (all_pages) {
    VipsImage* full = nullptr;
    if (Load(r.format, bytes, -1, &full) != 0) {
      return Status{StatusCode::kInvalidArgument, "cannot decode the " + r.format + ": " + VipsError()};
    }
    img.reset(full);
  } else {
    img = std::move(header);
  }
  CollectMetadata(img.get(), &r);
  r.orientation = vips_image_get_orientation(img.get());

  // Orientation into the pixels, then colour into sRGB (CMYK, embedded profiles).
  VipsImage* step = nullptr;
  if (vips_autorot(img.get(), &step, nullptr) != 0) {
    return Status{StatusCode::kInvalidArgument, "cannot apply the orientation: " + VipsError()};
  }
  img.reset(step);
  VipsInterpretation interp = vips_image_get_interpretation(img.get());
  if (vips_image_get_typeof(img.get(), VIPS_META_ICC_NAME) || interp == VIPS_INTERPRETATION_CMYK) {
    if (vips_icc_transform(img.get(), &step, "srgb", "embedded", TRUE, "input_profile",
                           interp == VIPS_INTERPRETATION_CMYK ? "cmyk" : "srgb", nullptr) != 0) {
      return Status{StatusCode::kInvalidArgument, "cannot convert colours to sRGB: " + VipsError()};
    }
    img.reset(step);
  }
  bool jpeg_out = r.format == "jpeg";
  bool gif_out = r.format == "gif" && o.gif_all_frames && pages > 1;
  if (jpeg_out && vips_image_get_format(img.get()) != VIPS_FORMAT_UCHAR) {
    if (vips_cast_uchar(img.get(), &step, nullptr) != 0) {
      return Status{StatusCode::kInvalidArgument, VipsError()};
    }
    img.reset(step);
  }
  void* buf = nullptr;
  size_t len = 0;
  int rc = jpeg_out ? vips_jpegsave_buffer(img.get(), &buf, &len, "Q", static_cast<int>(o.jpeg_quality),
                                           "strip", TRUE, "optimize_coding", TRUE, nullptr)
           : gif_out ? vips_gifsave_buffer(img.get(), &buf, &len, "strip", TRUE, nullptr)
                     : vips_pngsave_buffer(img.get(), &buf, &len, "strip", TRUE, "compression", 6,
                                           nullptr);
  if (rc != 0) return Status{StatusCode::kInvalidArgument, "cannot encode the image: " + VipsError()};
  r.bytes.assign(static_cast<const char*>(buf), len);
  g_free(buf);
  r.output_mime = jpeg_out ? "image/jpeg" : gif_out ? "image/gif" : "image/png";
  r.width = vips_image_get_width(img.get());
  r.height = vips_image_get_height(img.get());
  size_t end = ContainerEnd(bytes, r.format);
  r.trailing = end == std::string_view::npos ? "not checked"
               : end < bytes.size()          ? std::to_string(bytes.size() - end) + " bytes"
                                             : "none";
  return r;
}

}  // namespace mugai
