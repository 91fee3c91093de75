// The allow-list policy (ARCHITECTURE §4): which detected types belong to which family (and so
// are delivered, converted or blocked: gateway/pipeline/family_table.h). Unknown types are
// blocked. Later converters add rows to kTypeTable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mugai {

// What a detected MIME type is, for policy. Values cross the worker boundary: keep them
// stable and range-checked (kLast).
enum class TypeFamily : uint8_t {
  kUnknown = 0,
  kEmpty,
  kText,        // plain text in any charset: delivered as is
  kHtml,        // converted to UTF-8 text
  kExecutable,  // PE, ELF, Mach-O, MSI, shortcuts, Java: always blocked
  kScript,      // shell, Python, batch, JavaScript...: always blocked
  kNotAllowed,  // identified, but no converter handles it yet: blocked
  kPdf,         // rebuilt through Poppler + cairo (or rasterised, or text)
  kImage,       // decoded and encoded again
  kArchive,     // unpacked; members go through the pipeline; rebuilt as a new zip
  kMail,        // an RFC 5322 message: parts go through the pipeline; rebuilt as a new message
  kOoxml,       // Word/Excel/PowerPoint 2007+ (incl. macro-enabled): disarmed, macro-free
  kOffice,      // legacy .doc/.xls/.ppt, RTF, ODF: LibreOffice → PDF → rebuilt as any PDF
  kEncrypted,   // password-protected Office 2007+/PowerPoint 97 document, 7z or rar with a
                // password given: decrypted by the unlock helper, then processed as what it is
  kLast = kEncrypted,
};

enum class PolicyAction : uint8_t {
  kPass,
  kConvertToText,
  kConvertPdf,
  kReencodeImage,
  kUnpack,
  kDisarmOoxml,
  kConvertOffice,  // the supervisor has the warm LibreOffice pool convert it to PDF
  kUnlock,         // the supervisor has the decryption helper decrypt it with the password
  kBlock
};

// True for the macro-free OOXML main types a disarmed document may be delivered as.
bool IsMacroFreeOoxmlMime(std::string_view mime);
// Those types.
const std::vector<std::string>& MacroFreeOoxmlMimes();

// The file extension LibreOffice is given for a kOffice type ("doc", "xls", "rtf", "odt"...).
std::string OfficeExtensionFor(std::string_view mime);

// Maps a libmagic MIME type to its family (kUnknown when not in the table).
TypeFamily ClassifyMime(std::string_view mime);

const char* FamilyName(TypeFamily family);

// The MIME type a file name claims by its extension ("" when the extension is unknown).
std::string ClaimedTypeFromName(std::string_view name);

// Whether a reader opens `name` as HTML (.html, .htm, .xhtml): such text is converted as HTML.
bool NamedAsHtml(std::string_view name);

// Whether "%PDF-" stands in the first 1,024 bytes, where Acrobat looks for it: such text is
// handled as a PDF.
bool HasPdfSignatureNearStart(std::string_view bytes);

// Whether the worker that unpacked a message may process this part of it itself (and the
// part's output be verified with the rebuilt message): declared text/plain, at most
// limits::kInlineTextPartBytes, and nothing a reader would open as HTML or a PDF. The
// worker asks before it does; the supervisor refuses a part that came processed otherwise.
bool MayProcessWithItsMessage(std::string_view declared_type, std::string_view name,
                              std::string_view bytes);

// The name a delivered output gets. Clean text keeps a text-like name (else gains ".txt");
// a converted output of type `output_mime` gets the matching extension: text/plain → ".txt"
// (replacing .html/.htm/.pdf), application/pdf → ".pdf".
std::string OutputName(const std::string& input_name, TypeFamily family,
                       std::string_view output_mime = "");

// The family an output of `output_mime` must identify as when it is verified.
TypeFamily FamilyOfOutput(std::string_view output_mime);

}  // namespace mugai
