// Finds the active and hidden content of a PDF by walking its object model with qpdf:
// every indirect object, those inside compressed object streams included, with names already
// unescaped (/J#61vaScript is /JavaScript). poppler-glib does not expose the object model,
// and Poppler's core API is private and unstable, hence qpdf here (CONVENTIONS 13).
// Runs only inside a worker.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mugai {

struct PdfEmbeddedFile {
  std::string name;
  uint64_t size = 0;
  std::string bytes;  // decoded contents, for scanning (bounded by the analyser's limit)
  bool truncated = false;
};

struct PdfFindings {
  int pages = 0;
  bool encrypted = false;
  bool owner_password_only = false;  // opened without a user password
  int javascript = 0;                // /JS entries and JavaScript name-tree entries
  bool open_action = false;
  int additional_actions = 0;        // /AA dictionaries
  std::map<std::string, int> actions;  // by /S type: Launch, URI, SubmitForm, ...
  std::vector<PdfEmbeddedFile> embedded_files;
  int form_fields = 0;
  bool xfa = false;
  int annotations = 0;
  int links = 0;
  std::vector<std::string> uris;
  bool metadata = false;             // XMP /Metadata streams or a document /Info
  int rich_media = 0;
  // Image XObjects by filter: DCTDecode, FlateDecode, JBIG2Decode, JPXDecode, CCITTFaxDecode...
  std::map<std::string, int> image_filters;
  // Images whose encoded bytes a renderer could pass through verbatim and mugai cannot
  // re-encode itself (JBIG2, JPEG 2000, CCITT): such a document is drawn as fresh pixels.
  bool HasOpaqueImageCodecs() const;

  // True when any content that mugai's reconstruction removes is present.
  bool HasActiveContent() const;
};

struct PdfLimits {
  uint64_t max_embedded_bytes = 64u << 20;  // per embedded file, decoded
  int max_pages = 2000;
};

// Analyses `bytes` with `password` (may be empty). Returns the findings; an error for which
// IsPasswordError() is true when a user password is needed and missing or wrong;
// kInvalidArgument when the file is too damaged to read; kLimit for too many pages.
Result<PdfFindings> AnalyzePdf(std::string_view bytes, const std::string& password,
                               const PdfLimits& limits);

// Rewrites every JPEG image of a PDF that mugai itself produced (cairo output): each one is
// decoded and encoded afresh, so no segment, marker, profile or trailing byte of the sender's
// JPEG survives. kInvalidArgument when an image cannot be re-encoded (4 components, /Decode
// arrays, or a codec other than JPEG or Flate): the caller then draws pixels instead.
Result<std::string> ReencodePdfJpegs(const std::string& pdf, int quality);

// True when `status` from AnalyzePdf means "a (correct) user password is needed".
bool IsPasswordError(const Status& status);

}  // namespace mugai
