// OOXML (docx/xlsx/pptx and their template, show and macro-enabled forms) disarming: removes
// macros, ActiveX, OLE objects, external links and relationships, dangerous field codes and
// custom UI, keeps the visible content, and writes a macro-free package. Runs only in a worker.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "converters/archive/archive_unpacker.h"
#include "converters/image/image_sanitizer.h"

namespace mugai {

struct OoxmlLimits {
  ArchiveLimits package;        // the zip itself: members, expanded bytes, ratio (zip bombs)
  uint64_t max_part_bytes = 0;  // largest XML part that is parsed (the DOM costs ~10x this)
  uint32_t max_parts = 0;       // parts in the package
  bool reencode_images = true;  // images decoded and encoded again (false: sniffed only)
  // Called when the package is read (its part count) and again before each image is decoded
  // (the pixels of the images so far): a worker sets its CPU budget from them.
  std::function<void(size_t parts, uint64_t image_pixels)> on_work;
  ImageOptions images;          // the image converter's limits for them
};

struct OoxmlFindings {
  // (what, detail), in the order found. `what` is one of:
  //   vba_project, vba_data, vba_signature, macro_keymap, macro_toolbars  (VBA and its parts)
  //   xlm_macro_sheet, dialog_sheet, auto_run_name, macro_name, defined_name (Excel 4.0)
  //   activex, embedded_object, alt_chunk, external_link, external_formula, custom_ui,
  //   digital_signature (invalid once edited), unreferenced_part,
  //   external_relationship ("attachedTemplate → http://..."), hyperlink (the address),
  //   dangling_relationship, dde_field, include_field, link_field, hyperlink_field,
  //   obfuscated_field (a field whose keyword is built by a nested field), program_action,
  //   macro_content_type ("<old> → <new>"),
  //   part_not_allowed (a part whose content type is not on the allow-list: customXml, fonts,
  //   web extensions, connections, query tables, media...), relationship_not_allowed,
  //   svg_image, image_not_an_image, image_unreadable, dde_formula, network_formula,
  //   code_formula, outside_reference (VML/DrawingML src/href), mail_merge
  // At most 50 entries of one kind; beyond that one more entry says "and N more".
  std::vector<std::pair<std::string, std::string>> removed;
  size_t images_reencoded = 0;       // images decoded and encoded again
  bool macro_enabled_input = false;  // macro-enabled main content type, or VBA/XLM present
  std::string kind;                  // "docx", "xlsx" or "pptx"
};

struct OoxmlDisarmed {
  std::string bytes;             // the new package (a zip)
  std::string output_extension;  // docx dotx xlsx xltx pptx potx ppsx
  std::string output_mime;       // the macro-free main MIME type for that extension
  OoxmlFindings findings;
};

// Disarms one OOXML package. The kind and the output extension come from the main part's
// content type, never from a file name (a .docx holding VBA is treated as the .docm it is).
// Parts that need no change are copied byte for byte; edited XML parts are written again by
// libxml2 as UTF-8 with standalone="yes". Fails (nothing usable) with
//   kLimit            the zip or part limits, or any XML part with a DOCTYPE (entity bombs),
//   kInvalidArgument  not a zip, not OOXML (no [Content_Types].xml or main part), an
//                     unsupported main type (xlsb, Visio...), an XML part that does not parse,
//                     part names that clash, or a workbook left with no sheet.
Result<OoxmlDisarmed> DisarmOoxml(std::string_view package, const OoxmlLimits& limits);

// The visible text of a package as UTF-8, one paragraph per line: the main document of a
// docx (deleted revisions and field instructions left out), the shared strings then the
// inline strings (sheet order) of an xlsx, the slides of a pptx in presentation order.
// Same errors as DisarmOoxml for the package and the parts it reads.
Result<std::string> OoxmlText(std::string_view package, const OoxmlLimits& limits);

}  // namespace mugai
