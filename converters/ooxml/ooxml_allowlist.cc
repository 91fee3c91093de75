// The allow-list: a package keeps only the parts and relationships that Word, Excel and
// PowerPoint need to show a document's content. Everything else goes and is reported, whatever
// it is; images are decoded and encoded again (the image converter), SVG goes (its PNG
// fallback stays), metafiles must at least look like metafiles.
#include <set>

#include "converters/image/image_sanitizer.h"
#include "converters/image/metafile.h"
#include "converters/ooxml/ooxml_internal.h"

namespace mugai::ooxml {

namespace {

// Content types (lower case) of the parts a document needs to show its content.
const std::set<std::string, std::less<>>& AllowedContentTypes() {
  static const std::set<std::string, std::less<>> kAllowed = [] {
    std::set<std::string, std::less<>> s;
    const std::string ox = "application/vnd.openxmlformats-officedocument.";
    for (const char* t :
         {"wordprocessingml.document.main+xml", "wordprocessingml.template.main+xml",
          "wordprocessingml.styles+xml", "wordprocessingml.settings+xml",
          "wordprocessingml.websettings+xml", "wordprocessingml.fonttable+xml",
          "wordprocessingml.numbering+xml", "wordprocessingml.footnotes+xml",
          "wordprocessingml.endnotes+xml", "wordprocessingml.comments+xml",
          "wordprocessingml.header+xml", "wordprocessingml.footer+xml",
          "wordprocessingml.document.glossary+xml", "wordprocessingml.people+xml",
          "spreadsheetml.sheet.main+xml", "spreadsheetml.template.main+xml",
          "spreadsheetml.worksheet+xml", "spreadsheetml.chartsheet+xml",
          "spreadsheetml.sharedstrings+xml", "spreadsheetml.styles+xml",
          "spreadsheetml.calcchain+xml", "spreadsheetml.table+xml", "spreadsheetml.comments+xml",
          "spreadsheetml.pivottable+xml", "spreadsheetml.pivotcachedefinition+xml",
          "spreadsheetml.pivotcacherecords+xml", "spreadsheetml.sheetmetadata+xml",
          "spreadsheetml.tablesinglecells+xml",
          "presentationml.presentation.main+xml", "presentationml.slideshow.main+xml",
          "presentationml.template.main+xml", "presentationml.slide+xml",
          "presentationml.slidelayout+xml", "presentationml.slidemaster+xml",
          "presentationml.notesslide+xml", "presentationml.notesmaster+xml",
          "presentationml.handoutmaster+xml", "presentationml.presprops+xml",
          "presentationml.viewprops+xml", "presentationml.tablestyles+xml",
          "presentationml.commentauthors+xml", "presentationml.comments+xml",
          "presentationml.tags+xml",
          "theme+xml", "themeoverride+xml", "drawing+xml", "vmldrawing",
          "drawingml.chart+xml", "drawingml.chartshapes+xml", "drawingml.diagramdata+xml",
          "drawingml.diagramlayout+xml", "drawingml.diagramstyle+xml",
          "drawingml.diagramcolors+xml", "extended-properties+xml", "custom-properties+xml"}) {
      s.insert(ox + t);
    }
    for (const char* t :
         {"application/vnd.openxmlformats-package.core-properties+xml",
          "application/vnd.ms-office.drawingml.diagramdrawing+xml",
          "application/vnd.ms-office.chartstyle+xml", "application/vnd.ms-office.chartcolorstyle+xml",
          "application/vnd.ms-word.styleswitheffects+xml",
          "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsextended+xml",
          "application/vnd.ms-word.commentsextended+xml", "application/vnd.ms-word.commentsids+xml",
          "application/vnd.ms-word.commentsextensible+xml", "application/vnd.ms-excel.threadedcomments+xml",
          "application/vnd.ms-excel.person+xml", "application/vnd.ms-powerpoint.comments+xml",
          "application/vnd.ms-powerpoint.authors+xml",
          // Macro-enabled main parts: the package is written macro-free (EditContentTypes).
          "application/vnd.ms-word.document.macroenabled.main+xml",
          "application/vnd.ms-word.template.macroenabledtemplate.main+xml",
          "application/vnd.ms-excel.sheet.macroenabled.main+xml",
          "application/vnd.ms-excel.template.macroenabled.main+xml",
          "application/vnd.ms-powerpoint.presentation.macroenabled.main+xml",
          "application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml",
          "application/vnd.ms-powerpoint.template.macroenabled.main+xml"}) {
      s.insert(t);
    }
    return s;
  }();
  return kAllowed;
}

// Relationship types (the last segment of the URI, lower case) that reach such parts.
const std::set<std::string, std::less<>>& AllowedRelationshipTypes() {
  static const std::set<std::string, std::less<>> kAllowed = {
      "officedocument", "core-properties", "extended-properties", "custom-properties",
      "thumbnail", "styles", "styleswitheffects", "settings", "websettings", "fonttable",
      "numbering", "footnotes", "endnotes", "comments", "header", "footer", "glossarydocument",
      "people", "commentsextended", "commentsids", "commentsextensible", "theme", "themeoverride",
      "image", "chart", "chartusershapes", "chartstyle", "chartcolorstyle", "diagramdata",
      "diagramlayout", "diagramquickstyle", "diagramcolors", "diagramdrawing", "drawing",
      "vmldrawing", "worksheet", "chartsheet", "sharedstrings", "calcchain", "table",
      "pivottable", "pivotcachedefinition", "pivotcacherecords", "sheetmetadata",
      "tablesinglecells", "threadedcomment", "person", "slide", "slidelayout", "slidemaster",
      "notesslide", "notesmaster", "handoutmaster", "presprops", "viewprops", "tablestyles",
      "commentauthors", "tags", "authors", "hyperlink"};
  return kAllowed;
}

// What the first bytes say an image part is ("" when no format mugai knows).
std::string SniffImage(std::string_view b) {
  if (b.substr(0, 8) == "\x89PNG\r\n\x1a\n") return "image/png";
  if (b.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a") return "image/gif";
  if (b.substr(0, 2) == "BM") return "image/bmp";
  if (b.substr(0, 4) == std::string_view("II*\0", 4) || b.substr(0, 4) == std::string_view("MM\0*", 4)) {
    return "image/tiff";
  }
  if (b.size() >= 44 && b.substr(0, 4) == std::string_view("\x01\0\0\0", 4) && b.substr(40, 4) == " EMF") {
    return "image/x-emf";
  }
  if (b.substr(0, 4) == "\xD7\xCD\xC6\x9A" || b.substr(0, 4) == std::string_view("\x01\0\x09\0", 4) ||
      b.substr(0, 4) == std::string_view("\x02\0\x09\0", 4)) {
    return "image/x-wmf";
  }
  return "";
}

bool IsSvg(const Part& p, const std::string& ct) {
  return ct == "image/svg+xml" || p.key.ends_with(".svg");
}

}  // namespace

bool AllowedRelationshipType(std::string_view type_uri) {
  return AllowedRelationshipTypes().contains(AsciiLower(RelTypeName(type_uri)));
}

void KeepOnlyKnownParts(Package* pkg, const OoxmlLimits& limits, OoxmlFindings* findings) {
  uint64_t pixels_so_far = 0;
  ImageOptions image_options = limits.images;
  if (limits.on_work) {
    image_options.on_header = [&](uint64_t pixels) {
      pixels_so_far += pixels;
      limits.on_work(pkg->parts.size(), pixels_so_far);
    };
  }
  for (Part& p : pkg->parts) {
    if (p.removed || p.key == pkg->main_key || p.key == "[content_types].xml") continue;
    bool is_rels = false;
    SourceKeyOfRels(p.key, &is_rels);
    if (is_rels) continue;  // relationships are checked one by one (DropRelationships)
    std::string ct = AsciiLower(p.content_type);
    if (ct.rfind("image/", 0) == 0 || IsSvg(p, ct)) {
      if (IsSvg(p, ct)) {
        p.removed = true;
        findings->removed.emplace_back("svg_image", p.name + " (the PNG fallback, if any, stays)");
        continue;
      }
      std::string sniffed = SniffImage(p.bytes);
      bool metafile = sniffed == "image/x-emf" || sniffed == "image/x-wmf";
      if (sniffed.empty()) {
        p.removed = true;
        findings->removed.emplace_back("image_not_an_image", p.name + " (" + ct + ")");
        continue;
      }
      if (metafile) {
        // No decoder here: rebuilt record by record (comments, escapes and trailing bytes
        // dropped). The verifier's pass must find nothing more to drop.
        size_t dropped = 0;
        Result<std::string> clean = sniffed == "image/x-emf" ? CleanEmf(p.bytes, &dropped)
                                                             : CleanWmf(p.bytes, &dropped);
        if (!clean.ok()) {
          p.removed = true;
          findings->removed.emplace_back("image_unreadable", p.name + ": " + clean.status().message());
        } else if (!limits.reencode_images && dropped > 0) {
          findings->removed.emplace_back("metafile_records", p.name + ": " + std::to_string(dropped));
        } else if (limits.reencode_images) {
          if (dropped > 0) {
            findings->removed.emplace_back("metafile_records",
                                           p.name + ": " + std::to_string(dropped) +
                                               " comment/escape record(s) or trailing data");
          }
          ++findings->images_reencoded;
          p.bytes = std::move(*clean);
        }
        continue;
      }
      if (!limits.reencode_images) continue;
      Result<ImageResult> img = InitImageLibrary().ok()
                                    ? SanitizeImage(p.bytes, sniffed, image_options)
                                    : Result<ImageResult>(Status{StatusCode::kInternal,
                                                                 "libvips cannot start"});
      if (!img.ok()) {
        p.removed = true;
        findings->removed.emplace_back("image_unreadable", p.name + ": " + img.status().message());
        continue;
      }
      ++findings->images_reencoded;
      p.bytes = std::move(img->bytes);
      if (img->output_mime != ct) p.new_content_type = img->output_mime;
      continue;
    }
    if (AllowedContentTypes().contains(ct) && p.xml) continue;
    p.removed = true;
    findings->removed.emplace_back("part_not_allowed",
                                   p.name + " (" + (ct.empty() ? "no content type" : ct) + ")");
  }
}

}  // namespace mugai::ooxml
