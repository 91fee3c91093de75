// Decodes an image with its well-kept library (through libvips: libjpeg-turbo, libpng,
// libnsgif, libtiff, libwebp, librsvg for SVG, ImageMagick's BMP coder) and encodes the
// pixels again: metadata, trailing bytes and anything hidden in the container are dropped.
// Runs only inside a worker; InitImageLibrary() runs once in the supervisor.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mugai {

struct ImageOptions {
  uint32_t jpeg_quality = 90;
  bool gif_all_frames = false;        // false: first frame only, as PNG
  uint64_t max_pixels = 100'000'000;  // width × height (× frames/pages)
  uint32_t max_frames = 100;          // GIF frames / TIFF pages
  uint32_t svg_max_pixels_side = 8192;
  // Called once the header is read, before any pixel is decoded, with the pixels to decode
  // (a worker sets its CPU budget from them).
  std::function<void(uint64_t pixels)> on_header;
};

struct ImageResult {
  std::string bytes;        // the re-encoded image
  std::string output_mime;  // image/jpeg, image/png or image/gif
  std::string format;       // the original format: jpeg, png, gif, tiff, webp, bmp, svg
  int width = 0, height = 0;        // of the output, after orientation
  int original_width = 0, original_height = 0;
  int frames = 1;
  int orientation = 1;              // EXIF orientation applied to the pixels (1 = none)
  std::vector<std::string> metadata;  // names of metadata fields found (never their values)
  bool gps = false;
  std::string trailing;     // "none", "N bytes", or "not checked" for this format
  std::vector<std::string> svg_removed;  // "script: 1", "foreign_object: 1", "external_ref: 1"
};

// Loads libvips and blocks its untrusted loaders except the two mugai calls by name
// (librsvg for SVG, ImageMagick for BMP). Call once, before forking workers.
Status InitImageLibrary();

// Re-encodes `bytes` whose libmagic type is `mime`. kLimit for pixel/frame bombs,
// kInvalidArgument for truncated or undecodable images or unsafe SVG.
Result<ImageResult> SanitizeImage(std::string_view bytes, const std::string& mime,
                                  const ImageOptions& options);

// True for the MIME types SanitizeImage handles.
bool IsSupportedImage(std::string_view mime);

}  // namespace mugai
