// Policy tables. Families are decided from libmagic's MIME type only, never from the name.
#include "gateway/pipeline/policy.h"

#include <array>
#include <cctype>

#include "gateway/service/limits.h"
#include "scanners/name_check.h"

namespace mugai {

namespace {

struct TypeRow {
  std::string_view mime;
  TypeFamily family;
};

// Exact MIME types. Anything not here is kUnknown (blocked), except the prefix rules below.
constexpr TypeRow kTypeTable[] = {
    {"inode/x-empty", TypeFamily::kEmpty},
    {"application/x-empty", TypeFamily::kEmpty},
    {"text/plain", TypeFamily::kText},
    {"text/csv", TypeFamily::kText},
    {"text/tab-separated-values", TypeFamily::kText},
    // libmagic's guesses at source code are still text to a reader.
    {"text/x-c", TypeFamily::kText},
    {"text/x-c++", TypeFamily::kText},
    {"text/x-makefile", TypeFamily::kText},
    {"text/x-diff", TypeFamily::kText},
    {"text/x-tex", TypeFamily::kText},
    {"text/troff", TypeFamily::kText},
    {"text/x-asm", TypeFamily::kText},
    {"text/x-fortran", TypeFamily::kText},
    {"text/x-pascal", TypeFamily::kText},
    {"text/x-java", TypeFamily::kText},
    {"text/x-objective-c", TypeFamily::kText},
    {"text/x-m4", TypeFamily::kText},
    {"text/html", TypeFamily::kHtml},
    {"application/xhtml+xml", TypeFamily::kHtml},
    {"application/pdf", TypeFamily::kPdf},
    {"image/jpeg", TypeFamily::kImage},
    {"image/png", TypeFamily::kImage},
    {"image/gif", TypeFamily::kImage},
    {"image/tiff", TypeFamily::kImage},
    {"image/webp", TypeFamily::kImage},
    {"image/bmp", TypeFamily::kImage},
    {"image/x-ms-bmp", TypeFamily::kImage},
    {"image/svg+xml", TypeFamily::kImage},
    {"application/x-dosexec", TypeFamily::kExecutable},
    {"application/vnd.microsoft.portable-executable", TypeFamily::kExecutable},
    {"application/x-msdownload", TypeFamily::kExecutable},
    {"application/x-executable", TypeFamily::kExecutable},
    {"application/x-pie-executable", TypeFamily::kExecutable},
    {"application/x-sharedlib", TypeFamily::kExecutable},
    {"application/x-mach-binary", TypeFamily::kExecutable},
    {"application/x-elf", TypeFamily::kExecutable},
    {"application/x-object", TypeFamily::kExecutable},
    {"application/x-ms-shortcut", TypeFamily::kExecutable},
    {"application/x-msi", TypeFamily::kExecutable},
    {"application/x-ms-installer", TypeFamily::kExecutable},
    {"application/java-archive", TypeFamily::kExecutable},
    {"application/x-java-applet", TypeFamily::kExecutable},
    {"application/x-bytecode.python", TypeFamily::kExecutable},
    {"application/javascript", TypeFamily::kScript},
    {"text/javascript", TypeFamily::kScript},
    {"application/x-shellscript", TypeFamily::kScript},
    {"text/x-msdos-batch", TypeFamily::kScript},
    {"text/x-python", TypeFamily::kScript},
    {"text/x-script.python", TypeFamily::kScript},
    {"text/x-perl", TypeFamily::kScript},
    {"text/x-php", TypeFamily::kScript},
    {"text/x-ruby", TypeFamily::kScript},
    // Archives and bare compressed streams: unpacked, every member processed as a child.
    {"application/zip", TypeFamily::kArchive},
    {"application/x-zip-compressed", TypeFamily::kArchive},
    {"application/x-7z-compressed", TypeFamily::kArchive},
    {"application/x-rar", TypeFamily::kArchive},
    {"application/vnd.rar", TypeFamily::kArchive},
    {"application/x-rar-compressed", TypeFamily::kArchive},
    {"application/x-tar", TypeFamily::kArchive},
    {"application/x-gtar", TypeFamily::kArchive},
    {"application/x-ustar", TypeFamily::kArchive},
    {"application/gzip", TypeFamily::kArchive},
    {"application/x-gzip", TypeFamily::kArchive},
    {"application/x-bzip2", TypeFamily::kArchive},
    {"application/x-xz", TypeFamily::kArchive},
    {"application/x-lzma", TypeFamily::kArchive},
    {"application/x-lzip", TypeFamily::kArchive},
    {"application/zstd", TypeFamily::kArchive},
    {"application/x-zstd", TypeFamily::kArchive},
    {"application/x-lz4", TypeFamily::kArchive},
    {"application/x-compress", TypeFamily::kArchive},
    {"application/x-lha", TypeFamily::kArchive},
    {"application/x-lharc", TypeFamily::kArchive},
    {"application/x-lzh-compressed", TypeFamily::kArchive},
    {"application/vnd.ms-cab-compressed", TypeFamily::kArchive},
    {"application/x-iso9660-image", TypeFamily::kArchive},
    {"message/rfc822", TypeFamily::kMail},
    // Office Open XML, macro-enabled or not: disarmed (converters/ooxml).
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", TypeFamily::kOoxml},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.template", TypeFamily::kOoxml},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", TypeFamily::kOoxml},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.template", TypeFamily::kOoxml},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", TypeFamily::kOoxml},
    {"application/vnd.openxmlformats-officedocument.presentationml.template", TypeFamily::kOoxml},
    {"application/vnd.openxmlformats-officedocument.presentationml.slideshow", TypeFamily::kOoxml},
    {"application/vnd.ms-word.document.macroenabled.12", TypeFamily::kOoxml},
    {"application/vnd.ms-word.template.macroenabled.12", TypeFamily::kOoxml},
    {"application/vnd.ms-excel.sheet.macroenabled.12", TypeFamily::kOoxml},
    {"application/vnd.ms-excel.template.macroenabled.12", TypeFamily::kOoxml},
    {"application/vnd.ms-excel.addin.macroenabled.12", TypeFamily::kOoxml},
    {"application/vnd.ms-powerpoint.presentation.macroenabled.12", TypeFamily::kOoxml},
    {"application/vnd.ms-powerpoint.slideshow.macroenabled.12", TypeFamily::kOoxml},
    {"application/vnd.ms-powerpoint.template.macroenabled.12", TypeFamily::kOoxml},
    // Legacy binary Office, RTF and OpenDocument: converted to PDF by LibreOffice (the
    // supervisor's warm pool), and that PDF rebuilt like any other.
    {"application/msword", TypeFamily::kOffice},
    {"application/vnd.ms-excel", TypeFamily::kOffice},
    {"application/vnd.ms-powerpoint", TypeFamily::kOffice},
    {"text/rtf", TypeFamily::kOffice},
    {"application/rtf", TypeFamily::kOffice},
    {"application/vnd.oasis.opendocument.text", TypeFamily::kOffice},
    {"application/vnd.oasis.opendocument.text-template", TypeFamily::kOffice},
    {"application/vnd.oasis.opendocument.spreadsheet", TypeFamily::kOffice},
    {"application/vnd.oasis.opendocument.spreadsheet-template", TypeFamily::kOffice},
    {"application/vnd.oasis.opendocument.presentation", TypeFamily::kOffice},
    {"application/vnd.oasis.opendocument.presentation-template", TypeFamily::kOffice},
};

struct ExtensionRow {
  std::string_view ext;
  std::string_view mime;
};
constexpr std::array<ExtensionRow, 37> kExtensionTable = {{
    {"txt", "text/plain"}, {"text", "text/plain"}, {"log", "text/plain"},
    {"md", "text/plain"}, {"csv", "text/csv"}, {"tsv", "text/tab-separated-values"},
    {"htm", "text/html"}, {"html", "text/html"}, {"xhtml", "application/xhtml+xml"},
    {"pdf", "application/pdf"}, {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"docm", "application/vnd.ms-word.document.macroEnabled.12"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"rtf", "text/rtf"}, {"odt", "application/vnd.oasis.opendocument.text"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odp", "application/vnd.oasis.opendocument.presentation"}, {"zip", "application/zip"}, {"7z", "application/x-7z-compressed"},
    {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"png", "image/png"},
    {"gif", "image/gif"}, {"exe", "application/x-dosexec"},
    {"dll", "application/x-dosexec"}, {"scr", "application/x-dosexec"},
    {"msi", "application/x-msi"}, {"lnk", "application/x-ms-shortcut"},
    {"js", "text/javascript"}, {"bat", "text/x-msdos-batch"},
    {"ps1", "text/x-powershell"}, {"sh", "application/x-shellscript"},
}};

constexpr std::array<std::string_view, 7> kTextNameExtensions = {"txt", "text", "log", "md",
                                                                 "csv", "tsv", ""};
// Image extensions a re-encoded image replaces ("scan.tif" → "scan.png").
constexpr std::array<std::string_view, 11> kImageExtensions = {
    "jpg", "jpeg", "jpe", "png", "gif", "tif", "tiff", "webp", "bmp", "dib", "svg"};

// Extensions a rebuilt zip replaces ("x.tar.gz" → "x.zip", "y.lzh" → "y.zip").
constexpr std::string_view kArchiveExtensions[] = {"zip", "7z", "rar", "tar", "tgz", "tbz",
                                                   "tbz2", "txz", "tzst", "gz", "bz2", "xz",
                                                   "zst", "lzma", "lz", "lz4", "z", "lzh",
                                                   "lha", "cab", "iso"};

// Extensions a text output replaces rather than follows ("page.html" → "page.txt").
constexpr std::array<std::string_view, 6> kReplacedByText = {"htm", "html", "xhtml",
                                                             "shtml", "xht", "pdf"};

template <typename List>
bool Contains(const List& list, std::string_view value) {
  for (auto v : list) {
    if (v == value) return true;
  }
  return false;
}

}  // namespace

TypeFamily ClassifyMime(std::string_view mime) {
  std::string lower(mime);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& row : kTypeTable) {
    if (row.mime == lower) return row.family;
  }
  if (mime.find("script") != std::string_view::npos) return TypeFamily::kScript;
  if (mime.find("executable") != std::string_view::npos) return TypeFamily::kExecutable;
  if (mime == "application/octet-stream" || mime.empty()) return TypeFamily::kUnknown;
  // Identified, but not a type any converter of this build handles.
  return TypeFamily::kNotAllowed;
}

const char* FamilyName(TypeFamily family) {
  switch (family) {
    case TypeFamily::kUnknown: return "unknown";
    case TypeFamily::kEmpty: return "empty";
    case TypeFamily::kText: return "text";
    case TypeFamily::kHtml: return "html";
    case TypeFamily::kExecutable: return "executable";
    case TypeFamily::kScript: return "script";
    case TypeFamily::kNotAllowed: return "not_allowed";
    case TypeFamily::kPdf: return "pdf";
    case TypeFamily::kImage: return "image";
    case TypeFamily::kArchive: return "archive";
    case TypeFamily::kMail: return "mail";
    case TypeFamily::kOoxml: return "ooxml";
    case TypeFamily::kOffice: return "office";
    case TypeFamily::kEncrypted: return "encrypted";
  }
  return "unknown";
}

std::string ClaimedTypeFromName(std::string_view name) {
  std::string ext = PlainExtension(name);
  for (const auto& row : kExtensionTable) {
    if (row.ext == ext) return std::string(row.mime);
  }
  return "";
}

bool NamedAsHtml(std::string_view name) {
  std::string type = ClaimedTypeFromName(name);
  return type == "text/html" || type == "application/xhtml+xml";
}

bool HasPdfSignatureNearStart(std::string_view bytes) {
  return bytes.substr(0, 1024).find("%PDF-") != std::string_view::npos;
}

bool MayProcessWithItsMessage(std::string_view declared_type, std::string_view name,
                              std::string_view bytes) {
  return declared_type == "text/plain" && bytes.size() <= limits::kInlineTextPartBytes &&
         !NamedAsHtml(name) && !HasPdfSignatureNearStart(bytes);
}

std::string OutputName(const std::string& received_name, TypeFamily family,
                       std::string_view output_mime) {
  // Windows drops trailing dots and spaces ("page.html." opens as page.html): decide on the
  // name as the recipient's system will see it, and deliver that name.
  std::string input_name = received_name;
  while (!input_name.empty() && (input_name.back() == '.' || input_name.back() == ' ')) {
    input_name.pop_back();
  }
  if (input_name.empty()) input_name = "unnamed";
  std::string ext = PlainExtension(input_name);
  std::string stem = input_name.substr(0, input_name.size() - ext.size());  // keeps the dot
  if (output_mime.rfind("application/pdf", 0) == 0) {
    // A document LibreOffice converted loses its own extension ("memo.doc" → "memo.pdf").
    static const std::string_view kConverted[] = {"doc", "dot", "xls", "xlt", "ppt", "pps",
                                                  "pot", "rtf", "odt", "ott", "ods", "ots",
                                                  "odp", "otp"};
    if (family == TypeFamily::kOffice && Contains(kConverted, ext)) return stem + "pdf";
    return ext == "pdf" ? input_name : input_name + ".pdf";
  }
  if (IsMacroFreeOoxmlMime(output_mime)) {
    static const std::pair<std::string_view, std::string_view> kExt[] = {
        {"wordprocessingml.document", "docx"}, {"wordprocessingml.template", "dotx"},
        {"spreadsheetml.sheet", "xlsx"},       {"spreadsheetml.template", "xltx"},
        {"presentationml.presentation", "pptx"}, {"presentationml.template", "potx"},
        {"presentationml.slideshow", "ppsx"}};
    std::string want = "docx";
    for (const auto& [suffix, e] : kExt) {
      if (output_mime.size() > suffix.size() &&
          output_mime.substr(output_mime.size() - suffix.size()) == suffix) {
        want = std::string(e);
      }
    }
    static const std::string_view kOffice[] = {"docx", "docm", "dotx", "dotm", "xlsx", "xlsm",
                                               "xltx", "xltm", "xlam", "pptx", "pptm", "potx",
                                               "potm", "ppsx", "ppsm", "doc", "xls", "ppt"};
    return Contains(kOffice, ext) ? stem + want : input_name + "." + want;
  }
  if (output_mime == "application/zip") {
    std::string base = input_name;
    for (std::string e = ext; !e.empty() && Contains(kArchiveExtensions, e) &&
                              base.size() > e.size() + 1;
         e = PlainExtension(base)) {
      base.resize(base.size() - e.size() - 1);
    }
    return base + ".zip";
  }
  if (output_mime.rfind("image/", 0) == 0) {
    std::string want = output_mime == "image/jpeg" ? "jpg" : output_mime == "image/gif" ? "gif"
                                                                                       : "png";
    if (ext == want || (want == "jpg" && ext == "jpeg")) return input_name;
    return Contains(kImageExtensions, ext) ? stem + want : input_name + "." + want;
  }
  if (family == TypeFamily::kText) {
    // Passed text, or the sender's text with something taken out: a text name stays.
    return Contains(kTextNameExtensions, ext) ? input_name : input_name + ".txt";
  }
  if (output_mime.rfind("text/plain", 0) == 0 || family == TypeFamily::kHtml) {
    return Contains(kReplacedByText, ext) ? stem + "txt" : input_name + ".txt";
  }
  return input_name;
}

std::string OfficeExtensionFor(std::string_view mime) {
  static const std::pair<std::string_view, std::string_view> kExt[] = {
      {"application/msword", "doc"},
      {"application/vnd.ms-excel", "xls"},
      {"application/vnd.ms-powerpoint", "ppt"},
      {"text/rtf", "rtf"},
      {"application/rtf", "rtf"},
      {"application/vnd.oasis.opendocument.text", "odt"},
      {"application/vnd.oasis.opendocument.text-template", "ott"},
      {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
      {"application/vnd.oasis.opendocument.spreadsheet-template", "ots"},
      {"application/vnd.oasis.opendocument.presentation", "odp"},
      {"application/vnd.oasis.opendocument.presentation-template", "otp"}};
  for (const auto& [m, e] : kExt) {
    if (m == mime) return std::string(e);
  }
  return "bin";
}

const std::vector<std::string>& MacroFreeOoxmlMimes() {
  static const std::vector<std::string> kTypes = {
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation",
      "application/vnd.openxmlformats-officedocument.presentationml.template",
      "application/vnd.openxmlformats-officedocument.presentationml.slideshow"};
  return kTypes;
}

bool IsMacroFreeOoxmlMime(std::string_view mime) {
  for (const auto& t : MacroFreeOoxmlMimes()) {
    if (t == mime) return true;
  }
  return false;
}

TypeFamily FamilyOfOutput(std::string_view output_mime) {
  if (output_mime.rfind("application/pdf", 0) == 0) return TypeFamily::kPdf;
  if (output_mime.rfind("image/", 0) == 0) return TypeFamily::kImage;
  if (output_mime == "application/zip") return TypeFamily::kArchive;
  if (output_mime == "message/rfc822") return TypeFamily::kMail;
  if (IsMacroFreeOoxmlMime(output_mime)) return TypeFamily::kOoxml;
  return TypeFamily::kText;
}

}  // namespace mugai
