// Worker-side processing of one node. Every early return is a block: nothing is delivered
// unless the policy says so and the conversion succeeded.
#include "gateway/worker/item_processor.h"

#include <iconv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/file_util.h"
#include "converters/archive/archive_unpacker.h"
#include "converters/html/html_to_text.h"
#include "converters/mail/mime_unpacker.h"
#include "converters/text/text_disarm.h"
#include "converters/office/office_protocol.h"
#include "converters/office/rtf_disarm.h"
#include "converters/office/odf_disarm.h"
#include "converters/ooxml/ooxml_disarm.h"
#include "converters/image/image_sanitizer.h"
#include "converters/pdf/pdf_analyzer.h"
#include "converters/pdf/pdf_renderer.h"
#include "converters/text/charset_detector.h"
#include "converters/unlock/office_encryption.h"
#include "gateway/service/limits.h"
#include "gateway/pipeline/family_table.h"
#include "gateway/pipeline/policy.h"
#include "gateway/sandbox/worker_pool.h"
#include "scanners/name_check.h"

namespace mugai {

namespace {

// `bytes` in `charset` (an iconv name such as UTF-16LE) as UTF-8.
Result<std::string> ToUtf8(const std::string& bytes, const std::string& charset) {
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return Status{StatusCode::kInvalidArgument, "no converter for " + charset};
  }
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* o = out.data();
  size_t out_left = out.size();
  size_t rc = iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1) || in_left != 0) {
    return Status{StatusCode::kInvalidArgument, "invalid " + charset + " sequence"};
  }
  out.resize(out.size() - out_left);
  return out;
}

// Text the verifier reads: UTF-16/32 (by byte-order mark or detection) as UTF-8, else as is.
std::string WideTextAsUtf8(const std::string& bytes) {
  std::string charset = DetectCharset(bytes).charset;
  if (charset.rfind("UTF-16", 0) != 0 && charset.rfind("UTF-32", 0) != 0) return bytes;
  Result<std::string> utf8 = ToUtf8(bytes, charset);
  return utf8.ok() ? utf8.value() : bytes;
}

bool IsOdfExtension(const std::string& ext) {
  return ext == "odt" || ext == "ott" || ext == "ods" || ext == "ots" || ext == "odp" ||
         ext == "otp" || ext == "odg" || ext == "otg";
}

// Sets this worker's CPU budget for an item of `input_bytes` with `units` of `unit` work
// (pages, megapixels, parts) at `ms_per_unit` each (config key `key`).
void Budget(const Config& c, size_t input_bytes, double units = 0, const char* unit = "",
            uint32_t ms_per_unit = 0, const char* key = "") {
  double mb = static_cast<double>(input_bytes) / 1e6;
  double seconds = c.worker_cpu_base_ms / 1000.0 + mb * c.worker_cpu_ms_per_megabyte / 1000.0 +
                   units * ms_per_unit / 1000.0;
  char what[256];
  if (*unit) {
    std::snprintf(what, sizeof what,
                  "%.1f s base + %.2f MB x %.2f s + %.2f %s x %.3f s, worker.%s", c.worker_cpu_base_ms / 1000.0,
                  mb, c.worker_cpu_ms_per_megabyte / 1000.0, units, unit, ms_per_unit / 1000.0, key);
  } else {
    std::snprintf(what, sizeof what, "%.1f s base + %.2f MB x %.2f s, worker.cpu_base_ms and "
                  "worker.cpu_ms_per_megabyte", c.worker_cpu_base_ms / 1000.0, mb,
                  c.worker_cpu_ms_per_megabyte / 1000.0);
  }
  SetWorkerCpuBudget(seconds, what);
}




Reason NameReason(NameProblem p) {
  switch (p) {
    case NameProblem::kNone: return Reason::kNone;
    case NameProblem::kInvalidUtf8: return Reason::kNameInvalidUtf8;
    case NameProblem::kControlCharacter: return Reason::kNameControlCharacter;
    case NameProblem::kBidiControl: return Reason::kNameBidiControl;
    case NameProblem::kFullwidthDot: return Reason::kNameFullwidthDot;
    case NameProblem::kDoubleExtension: return Reason::kNameDoubleExtension;
    case NameProblem::kDangerousExtension: return Reason::kNameDangerousExtension;
  }
  return Reason::kNameDangerousExtension;
}

// Scans `fd`; on a hit or an error returns the blocking reason, else kNone.
Reason Scan(const WorkerContext& ctx, int fd, const std::string& name, WorkerResult* r) {
  if (!ctx.scanning_enabled) {
    r->actions.push_back({"scan_skipped", "no signatures loaded (--allow-no-signatures)"});
    return Reason::kNone;
  }
  ScanResult scan = ctx.scanner->Scan(fd, name);
  if (scan.outcome == ScanOutcome::kClean) return Reason::kNone;
  if (scan.outcome == ScanOutcome::kInfected) {
    r->threats.push_back({"clamav", scan.threat});
    bool limit = scan.threat.rfind("Heuristics.Limits.Exceeded", 0) == 0;
    r->reason_detail = scan.threat;
    return limit ? Reason::kScanLimit : Reason::kMalware;
  }
  r->reason_detail = "libclamav: " + scan.error;
  return Reason::kScanError;
}

// libmagic's only test for a DOS .COM program is its first bytes, and Shift_JIS prose
// (e.g. "件名" = 8C 8F 96 BC) matches it. When libmagic has nothing better than that
// headerless guess and the whole content is readable text in a known charset, it is text.
// (A .COM named as such is still blocked by its name; 64-bit Windows cannot run one.)
DetectedType IdentifyWithTextCheck(const WorkerContext& ctx, const std::string& bytes,
                                   WorkerResult* r) {
  DetectedType type = ctx.identifier->Identify(bytes);
  if (type.mime != "application/x-dosexec" && type.mime != "application/octet-stream") {
    return type;
  }
  DetectedType described = ctx.identifier->Identify(bytes, /*describe=*/true);
  bool weak_guess = type.mime == "application/octet-stream" ||
                    described.description.rfind("DOS executable (COM", 0) == 0;
  CharsetGuess guess;
  if (weak_guess && IsReadableText(bytes, &guess)) {
    r->actions.push_back({"reidentified", "libmagic guessed '" + described.description +
                                              "'; content is " + guess.charset + " text"});
    return {"text/plain", "text"};
  }
  return described;
}

WorkerResult ConvertHtml(const WorkerContext& ctx, const std::string& bytes, WorkerResult r) {
  CharsetGuess guess = DetectCharset(bytes);
  // Only a confirmed Japanese or UTF-8 guess overrides what the document declares.
  std::string hint = guess.confirmed && (guess.charset == "UTF-8" || guess.charset == "Shift_JIS" ||
                                         guess.charset == "EUC-JP")
                         ? guess.charset
                         : "";
  // What Japanese senders label Shift_JIS / EUC-JP is, in practice, Microsoft's supersets
  // (NEC and IBM extensions such as ① or 髙); DetectCharset confirmed them as such.
  if (hint == "Shift_JIS") hint = "CP932";
  if (hint == "EUC-JP") hint = "EUC-JP-MS";
  // ISO-2022-JP HTML (what Outlook sends on Japanese Windows) is decoded here, as CP50221:
  // libxml2 would drop its escape bytes and keep the rest as ASCII garbage.
  std::string decoded;
  if (guess.confirmed && guess.charset == "ISO-2022-JP" &&
      ConvertToUtf8(bytes, "ISO-2022-JP", &decoded)) {
    hint = "UTF-8";
  }
  HtmlToTextOptions options;
  options.links = ctx.config->html_links;
  options.max_depth = ctx.config->html_max_depth;
  options.max_output_bytes = ctx.config->max_output_bytes;
  Result<HtmlText> text = HtmlToText(decoded.empty() ? bytes : decoded, hint, options);
  if (!text.ok()) {
    return Block(std::move(r),
                 text.status().code() == StatusCode::kLimit ? Reason::kConversionLimit
                                                            : Reason::kConversionFailed,
                 text.status().message());
  }
  r.charset = text->source_charset;
  r.actions.push_back({"converted", "HTML to UTF-8 plain text"});
  for (const auto& removed : text->removed) {
    r.actions.push_back({"removed", removed.what + ": " + std::to_string(removed.count)});
  }
  if (text->links > 0) {
    const char* how = ctx.config->html_links == LinkStyle::kDefang ? "defanged"
                      : ctx.config->html_links == LinkStyle::kDrop ? "dropped"
                                                                   : "shown";
    r.actions.push_back(
        {"links_as_text", std::to_string(text->links) + " link(s) written as text, " + how});
  }
  r.verdict = Verdict::kSanitized;
  r.has_output = true;
  r.output_type = "text/plain; charset=utf-8";
  r.output = std::move(text->text);
  return r;
}

// Scans bytes that exist only in memory (e.g. a PDF's embedded file) through a memfd.
ScanResult ScanBytes(const WorkerContext& ctx, const std::string& bytes, const std::string& name) {
  ScanResult out;
  int fd = SealedMemfd(bytes);
  if (fd < 0) {
    out.error = std::string("cannot stage bytes for scanning: ") + strerror(errno);
    return out;
  }
  out = ctx.scanner->Scan(fd, name);
  close(fd);
  return out;
}

PdfLimits PdfLimitsOf(const Config& c) {
  PdfLimits l;
  l.max_embedded_bytes = c.pdf_max_embedded_bytes;
  l.max_pages = static_cast<int>(c.pdf_max_pages);
  return l;
}

// Reports, as actions, everything of the original that reconstruction leaves behind.
void ReportPdfFindings(const PdfFindings& f, WorkerResult* r) {
  auto add = [r](std::string action, std::string detail) {
    r->actions.push_back({std::move(action), std::move(detail)});
  };
  add("pages", std::to_string(f.pages));
  if (f.javascript > 0) add("removed", "javascript: " + std::to_string(f.javascript));
  if (f.open_action) add("removed", "open_action");
  if (f.additional_actions > 0) {
    add("removed", "additional_actions: " + std::to_string(f.additional_actions));
  }
  for (const auto& [type, count] : f.actions) {
    add("removed", "action " + type + ": " + std::to_string(count));
  }
  for (const auto& e : f.embedded_files) {
    add("removed", "embedded_file: " + e.name + " (" + std::to_string(e.size) + " bytes" +
                       (e.truncated ? ", over the limit" : "") + ")");
  }
  if (f.form_fields > 0) {
    add("flattened", "form_fields: " + std::to_string(f.form_fields) +
                         " (filled values kept as page content)");
  }
  if (f.xfa) add("removed", "xfa_form");
  if (f.annotations > 0) {
    add("removed", "annotations: " + std::to_string(f.annotations) +
                       " (their appearance is drawn into the page, their behaviour is gone)");
  }
  if (f.links > 0) add("removed", "links: " + std::to_string(f.links));
  for (size_t i = 0; i < f.uris.size() && i < 20; ++i) add("removed_uri", f.uris[i]);
  if (f.rich_media > 0) add("removed", "rich_media: " + std::to_string(f.rich_media));
  if (f.metadata) add("removed", "metadata");
}

WorkerResult ConvertPdf(const WorkerContext& ctx, const std::string& bytes, WorkerResult r) {
  const Config& c = *ctx.config;
  Result<PdfFindings> findings = AnalyzePdf(bytes, ctx.password, PdfLimitsOf(c));
  if (!findings.ok()) {
    if (IsPasswordError(findings.status())) {
      return Block(std::move(r), Reason::kEncrypted,
                   ctx.password.empty()
                       ? "the PDF is encrypted with a user password; resubmit with --password"
                       : "the password given does not open this PDF");
    }
    return Block(std::move(r),
                 findings.status().code() == StatusCode::kLimit ? Reason::kConversionLimit
                                                                : Reason::kConversionFailed,
                 findings.status().message());
  }
  const PdfFindings& f = findings.value();
  Budget(c, bytes.size(), f.pages, "page(s)", c.worker_cpu_ms_per_pdf_page, "cpu_ms_per_pdf_page");
  // Embedded files are dropped from the output, but a hostile one still condemns the item.
  for (const auto& e : f.embedded_files) {
    if (e.truncated) {  // a partial scan is never presented as complete
      return Block(std::move(r), Reason::kConversionLimit,
                   "embedded file " + e.name + " is larger than pdf.max_embedded_bytes");
    }
    if (!ctx.scanning_enabled) break;
    ScanResult s = ScanBytes(ctx, e.bytes, e.name);
    if (s.outcome == ScanOutcome::kInfected) {
      r.threats.push_back({"clamav", s.threat});
      return Block(std::move(r), Reason::kMalware, s.threat + " in embedded file " + e.name);
    }
    if (s.outcome == ScanOutcome::kError) {
      return Block(std::move(r), Reason::kScanError, "embedded file " + e.name + ": " + s.error);
    }
  }
  if (f.encrypted) {
    r.actions.push_back({"decrypted", f.owner_password_only
                                          ? "owner password only: restrictions removed"
                                          : "opened with the supplied password"});
  }
  PdfRenderOptions options;
  options.mode = c.pdf_mode;
  options.raster_dpi = c.pdf_raster_dpi;
  options.max_raster_pixels = c.pdf_max_raster_pixels;
  options.max_output_bytes = c.max_output_bytes;
  options.max_pages = static_cast<int>(c.pdf_max_pages);
  options.decode_images = f.HasOpaqueImageCodecs();
  Result<PdfRendered> rendered = RenderPdf(bytes, ctx.password, options);
  // cairo writes JPEG data only where Poppler handed it the sender's JPEG: without JPEG
  // images in the input there is nothing to re-encode.
  if (rendered.ok() && c.pdf_mode == PdfMode::kReconstruct && !options.decode_images &&
      f.image_filters.count("DCTDecode") > 0) {
    // No byte of the sender's JPEGs may survive: decode and encode each one afresh.
    Result<std::string> clean = ReencodePdfJpegs(rendered->bytes, 85);
    if (clean.ok()) {
      if (f.image_filters.count("DCTDecode")) {
        r.actions.push_back({"reencoded", "JPEG images: " + std::to_string(f.image_filters.at("DCTDecode"))});
      }
      rendered->bytes = std::move(clean.value());
    } else {
      options.decode_images = true;  // e.g. CMYK JPEG: draw fresh pixels instead
      rendered = RenderPdf(bytes, ctx.password, options);
    }
  }
  if (options.decode_images && rendered.ok()) {
    r.actions.push_back({"reencoded", "all images redrawn as new pixels"});
  }
  if (!rendered.ok()) {
    return Block(std::move(r),
                 rendered.status().code() == StatusCode::kLimit ? Reason::kConversionLimit
                                                                : Reason::kConversionFailed,
                 rendered.status().message());
  }
  static const char* const kHow[] = {
      "PDF reconstructed from its rendered pages (Poppler + cairo)",
      "PDF rebuilt from page images", "PDF converted to UTF-8 text"};
  r.actions.push_back({"converted", std::string(kHow[static_cast<int>(c.pdf_mode)]) + ", mode " +
                                        PdfModeName(c.pdf_mode)});
  ReportPdfFindings(f, &r);
  r.verdict = Verdict::kSanitized;
  r.has_output = true;
  r.output_type = c.pdf_mode == PdfMode::kText ? "text/plain; charset=utf-8" : "application/pdf";
  r.output = std::move(rendered->bytes);
  return r;
}

WorkerResult ReencodeImage(const WorkerContext& ctx, const std::string& bytes, WorkerResult r) {
  const Config& c = *ctx.config;
  ImageOptions o;
  o.jpeg_quality = c.image_jpeg_quality;
  o.gif_all_frames = c.image_gif_all_frames;
  o.max_pixels = c.image_max_pixels;
  o.max_frames = c.image_max_frames;
  o.on_header = [&c, &bytes](uint64_t pixels) {
    Budget(c, bytes.size(), static_cast<double>(pixels) / 1e6, "megapixel(s)",
           c.worker_cpu_ms_per_megapixel, "cpu_ms_per_megapixel");
  };
  Result<ImageResult> img = SanitizeImage(bytes, r.detected_type, o);
  if (!img.ok()) {
    return Block(std::move(r),
                 img.status().code() == StatusCode::kLimit ? Reason::kConversionLimit
                                                           : Reason::kConversionFailed,
                 img.status().message());
  }
  const ImageResult& i = img.value();
  auto add = [&r](std::string a, std::string d) { r.actions.push_back({std::move(a), std::move(d)}); };
  add("converted", "image re-encoded: " + i.format + " " + std::to_string(i.original_width) + "x" +
                       std::to_string(i.original_height) + " → " + i.output_mime + " " +
                       std::to_string(i.width) + "x" + std::to_string(i.height));
  if (i.frames > 1) {
    add("frames", std::to_string(i.frames) +
                      (i.format == "tiff" ? " pages stacked top to bottom"
                       : i.output_mime == "image/gif" ? " frames kept"
                                                      : " frames; only the first kept"));
  }
  if (i.orientation > 1) {
    add("rotated", "EXIF orientation " + std::to_string(i.orientation) + " applied to the pixels");
  }
  if (!i.metadata.empty()) {
    std::string names;
    for (const auto& m : i.metadata) names += (names.empty() ? "" : ", ") + m;
    add("removed", "metadata" + std::string(i.gps ? " (including GPS location)" : "") + ": " + names);
  }
  add("trailing_data", i.trailing == "none" || i.trailing == "not checked"
                           ? i.trailing
                           : i.trailing + " after the image data, removed");
  for (const auto& s : i.svg_removed) add("removed", "svg " + s + " (never run or fetched)");
  r.verdict = Verdict::kSanitized;
  r.has_output = true;
  r.output_type = i.output_mime;
  r.output = i.bytes;
  return r;
}

// A node the decryption helper decrypts with the password (the supervisor starts it): the
// worker has identified and scanned it, and answers "to unlock" without an output.
WorkerResult ToUnlock(WorkerResult r, const std::string& what) {
  r.family = TypeFamily::kEncrypted;
  r.verdict = Verdict::kSanitized;
  r.actions.push_back({"to_unlock", what + ": decrypted with the password by the decryption "
                                           "helper, then processed as what it is"});
  return r;
}

// Opens an archive and hands its members back for the supervisor to process as child nodes.
// The per-archive limits are enforced here; the supervisor enforces them again over the tree.
WorkerResult UnpackNode(const WorkerContext& ctx, const std::string& bytes,
                        const std::string& name, WorkerResult r) {
  const Config& c = *ctx.config;
  ArchiveLimits limits{c.archive_max_members, c.archive_max_member_bytes,
                       std::min(c.archive_max_total_bytes, c.max_output_bytes), c.archive_max_ratio,
                       limits::kArchiveRatioFloorBytes};
  UnpackOutcome u = UnpackArchive(bytes, UncompressedName(BaseName(name)), ctx.password, limits);
  switch (u.problem) {
    case ArchiveProblem::kNone: break;
    case ArchiveProblem::kLimit: return Block(std::move(r), Reason::kArchiveLimit, u.detail);
    case ArchiveProblem::kEncrypted:
    case ArchiveProblem::kMalformed:
      if (!ctx.password.empty() && !UnlockKindFor(r.detected_type).empty() &&
          (u.problem == ArchiveProblem::kEncrypted || UnlockKindFor(r.detected_type) == "rar")) {
        // libarchive cannot decrypt 7z or rar (an encrypted rar5 even reads as damaged to
        // it): with a password, the decryption helper's 7-Zip unpacks it, and what comes out
        // is unpacked here like any archive.
        return ToUnlock(std::move(r), "an encrypted " + UnlockKindFor(r.detected_type) +
                                          " archive (libarchive cannot decrypt it)");
      }
      return Block(std::move(r), u.problem == ArchiveProblem::kEncrypted ? Reason::kEncrypted
                                                                        : Reason::kArchiveBroken,
                   u.detail);
    case ArchiveProblem::kBadName: return Block(std::move(r), Reason::kArchiveName, u.detail);
  }
  UnpackedArchive& a = u.archive;
  r.actions.push_back({"unpacked", a.format + ": " + std::to_string(a.members.size()) +
                                       " file(s), " + std::to_string(a.expanded_bytes) +
                                       " bytes"});
  if (a.decrypted) r.actions.push_back({"decrypted", "opened with the supplied password"});
  for (size_t i = 0; i < a.notes.size() && i < 100; ++i) {
    r.actions.push_back({"archive_name", a.notes[i]});
  }
  r.verdict = Verdict::kSanitized;
  r.is_container = true;
  r.single_file = a.single_file;
  r.members.reserve(a.members.size());
  for (auto& m : a.members) {
    Member out;
    out.path = std::move(m.path);
    out.bytes = std::move(m.bytes);
    r.members.push_back(std::move(out));
  }
  return r;
}

OoxmlLimits OoxmlLimitsOf(const Config& c) {
  OoxmlLimits l;
  l.package = ArchiveLimits{std::min<uint32_t>(c.archive_max_members, c.office_max_parts),
                            c.archive_max_member_bytes,
                            std::min(c.archive_max_total_bytes, c.max_output_bytes),
                            c.archive_max_ratio, limits::kArchiveRatioFloorBytes};
  l.max_part_bytes = c.office_max_part_bytes;
  l.max_parts = c.office_max_parts;
  l.images.jpeg_quality = c.image_jpeg_quality;
  l.images.gif_all_frames = false;  // a document shows one frame
  l.images.max_pixels = c.image_max_pixels;
  l.images.max_frames = c.image_max_frames;
  return l;
}

// Word, Excel and PowerPoint 2007+: macros, ActiveX, OLE objects, external links and
// dangerous fields removed; macro-enabled packages become macro-free (or, in text mode, the
// document's text).
WorkerResult DisarmOoxmlNode(const WorkerContext& ctx, const std::string& bytes, WorkerResult r) {
  const Config& c = *ctx.config;
  OoxmlLimits limits = OoxmlLimitsOf(c);
  limits.on_work = [&c, &bytes](size_t parts, uint64_t pixels) {
    // Parts, and the images decoded so far at the image rate.
    double units = static_cast<double>(parts) +
                   static_cast<double>(pixels) / 1e6 * c.worker_cpu_ms_per_megapixel /
                       std::max<uint32_t>(1, c.worker_cpu_ms_per_package_part);
    Budget(c, bytes.size(), units, "part(s) and image megapixels", c.worker_cpu_ms_per_package_part,
           "cpu_ms_per_package_part");
  };
  auto fail = [&r](const Status& s) {
    return Block(std::move(r),
                 s.code() == StatusCode::kLimit ? Reason::kConversionLimit
                                                : Reason::kConversionFailed,
                 s.message());
  };
  if (c.office_ooxml_text) {
    Result<std::string> text = OoxmlText(bytes, limits);
    if (!text.ok()) return fail(text.status());
    r.actions.push_back({"converted", "Office document to UTF-8 text (office.ooxml_mode = text)"});
    r.verdict = Verdict::kSanitized;
    r.has_output = true;
    r.output_type = "text/plain; charset=utf-8";
    r.output = std::move(text.value());
    return r;
  }
  Result<OoxmlDisarmed> d = DisarmOoxml(bytes, limits);
  if (!d.ok()) return fail(d.status());
  const OoxmlFindings& f = d->findings;
  r.actions.push_back({"disarmed", f.kind + " → " + d->output_extension +
                                       (f.macro_enabled_input ? " (macro-enabled input made macro-free)" : "")});
  if (f.images_reencoded > 0) {
    r.actions.push_back({"images_reencoded", std::to_string(f.images_reencoded) +
                                                 " image(s) in the document decoded and encoded again"});
  }
  for (size_t i = 0; i < f.removed.size() && i < 200; ++i) {
    r.actions.push_back({"removed", f.removed[i].first + ": " + f.removed[i].second});
  }
  r.verdict = Verdict::kSanitized;
  r.has_output = true;
  r.output_type = d->output_mime;
  r.output = std::move(d->bytes);
  return r;
}

// Opens a message and hands its parts back as child nodes, with the headers to keep.
WorkerResult UnpackMailNode(const WorkerContext& ctx, const std::string& bytes, WorkerResult r) {
  const Config& c = *ctx.config;
  MailOutcome m = UnpackMail(bytes, MailLimits{c.mail_max_parts, c.mail_max_depth,
                                               c.mail_max_header_bytes});
  if (m.problem == MailProblem::kLimit) return Block(std::move(r), Reason::kMailLimit, m.detail);
  if (m.problem != MailProblem::kNone) return Block(std::move(r), Reason::kMailBroken, m.detail);
  r.actions.push_back({"unpacked", "message: " + std::to_string(m.mail.parts.size()) + " part(s)"});
  for (size_t i = 0; i < m.mail.notes.size() && i < 100; ++i) {
    r.actions.push_back({"mime", m.mail.notes[i]});
  }
  for (size_t i = 0; i < m.mail.ambiguities.size() && i < 50; ++i) {
    r.actions.push_back({"mime_ambiguous", m.mail.ambiguities[i] + ": normalised, the message "
                                                                   "is rebuilt from mugai's reading"});
  }
  r.verdict = Verdict::kSanitized;
  r.is_container = true;
  size_t inline_parts = 0;
  for (auto& p : m.mail.parts) {
    Member out;
    out.path = std::move(p.name);
    out.bytes = std::move(p.bytes);
    out.role = p.role == MailPartRole::kBody ? MemberRole::kBody : MemberRole::kAttachment;
    out.declared_type = std::move(p.declared_type);
    out.charset = std::move(p.charset);
    // A small plain-text part is processed here, by the worker that already holds the whole
    // message (the same item): a worker less per part. Its output is verified with the
    // rebuilt message, by another worker. Anything that turns out not to be plain text (or
    // to hold more parts) is left to a worker of its own.
    if (inline_parts < limits::kInlineTextParts &&
        MayProcessWithItsMessage(out.declared_type, BaseName(out.path), out.bytes)) {
      int fd = SealedMemfd(out.bytes);
      if (fd >= 0) {
        WorkerResult part = ProcessNode(ctx, fd, BaseName(out.path), "", false);
        close(fd);
        if (!part.is_container &&
            (part.family == TypeFamily::kText || part.verdict == Verdict::kBlocked)) {
          out.processed = EncodeWorkerResult(part);
          ++inline_parts;
        }
      }
    }
    r.members.push_back(std::move(out));
  }
  r.headers = std::move(m.mail.headers);
  r.subject = std::move(m.mail.subject);
  return r;
}

// Legacy Office, RTF and ODF: identified and scanned here; macros reported (libclamav's macro
// heuristics read the OLE2 VBA and Excel 4.0 streams). The conversion itself is the
// supervisor's warm LibreOffice pool's, reached through a relay worker.
WorkerResult PrepareOfficeNode(const WorkerContext& ctx, int fd, const std::string& name,
                               const std::string& bytes, WorkerResult r) {
  if (OfficeExtensionFor(r.detected_type) == "rtf") {
    // What the relay worker takes out before LibreOffice sees it (StripRtfLinks).
    RtfLinks links;
    StripRtfLinks(bytes, &links);
    if (!links.unclear.empty()) {
      return Block(std::move(r), Reason::kConversionFailed,
                   "RTF that LibreOffice may read otherwise than mugai (" + links.unclear +
                       "): not converted");
    }
    if (links.field_instructions > 0) {
      r.actions.push_back({"removed", "rtf_field_instruction: " +
                                          std::to_string(links.field_instructions) +
                                          " (each field shows its last result; INCLUDEPICTURE, "
                                          "INCLUDETEXT, LINK, DDE... never run)"});
    }
    if (links.linked_pictures > 0) {
      r.actions.push_back({"removed", "rtf_linked_picture: " + std::to_string(links.linked_pictures)});
    }
    if (links.data_fields > 0) {
      r.actions.push_back({"removed", "rtf_data_field: " + std::to_string(links.data_fields)});
    }
  }
  if (ctx.scanner->loaded()) {
    std::string macros = ctx.scanner->MacroHeuristic(fd, name);
    if (!macros.empty()) {
      r.actions.push_back({"macros_found", macros + ": VBA or Excel 4.0 macros, not carried "
                                                    "into the PDF"});
    }
  }
  if (IsOdfExtension(OfficeExtensionFor(r.detected_type))) {
    size_t links = 0, encrypted = 0;
    Result<std::string> stripped =
        StripOdfLinks(bytes, OoxmlLimitsOf(*ctx.config).package, &links, &encrypted);
    if (stripped.ok() && encrypted > 0 && ctx.password.empty()) {
      return Block(std::move(r), Reason::kEncrypted,
                   "a password-protected OpenDocument file: resubmit it with the password "
                   "(mugai quarantine resubmit --password)");
    }
    if (!stripped.ok()) {
      return Block(std::move(r),
                   stripped.status().code() == StatusCode::kLimit ? Reason::kConversionLimit
                                                                  : Reason::kConversionFailed,
                   stripped.status().message());
    }
    if (links > 0) {
      r.actions.push_back({"removed", "odf_outside_link: " + std::to_string(links) +
                                          " (linked files, URLs and DDE links the document "
                                          "would load; never given to LibreOffice)"});
    }
    if (encrypted > 0) {
      r.actions.push_back({"decrypted", std::to_string(encrypted) +
                                            " encrypted part(s): LibreOffice opens them with "
                                            "the supplied password in its sandbox; links in "
                                            "them could not be taken out first"});
    }
  }
  r.actions.push_back({"to_convert", "LibreOffice converts it to PDF; the PDF is rebuilt"});
  r.verdict = Verdict::kSanitized;
  return r;
}

WorkerResult Dispatch(const WorkerContext& ctx, int fd, const std::string& name,
                      const std::string& bytes, WorkerResult r);
WorkerResult DisarmTextOutput(const WorkerContext& ctx, const std::string& name,
                              const std::string& bytes, WorkerResult r);

}  // namespace

WorkerResult Block(WorkerResult r, Reason reason, std::string detail) {
  r.verdict = Verdict::kBlocked;
  r.reason = reason;
  r.reason_detail = std::move(detail);
  r.has_output = false;
  r.output.clear();
  return r;
}

// Reads the whole input (a sealed memfd or regular file) of at most `max` bytes.
bool ReadInput(int fd, uint64_t max, std::string* out, std::string* error) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *error = std::string("cannot stat input: ") + strerror(errno);
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > max) {
    *error = "input larger than the limit";
    return false;
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = pread(fd, out->data() + done, out->size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("cannot read input: ") + (n < 0 ? strerror(errno) : "short read");
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

WorkerResult RelayOfficeConversion(int conn, const std::string& document,
                                   const std::string& extension, const std::string& password,
                                   uint64_t max_pdf_bytes, const Config& config) {
  WorkerResult r;
  r.family = TypeFamily::kOffice;
  // What LibreOffice would load by itself while importing never reaches it: an RTF's field
  // instructions (INCLUDEPICTURE is read at parse time, whatever its settings) and an ODF
  // drawing's links (its linked images likewise).
  std::string body;
  if (IsOdfExtension(extension)) {
    size_t links = 0, encrypted = 0;
    Result<std::string> stripped =
        StripOdfLinks(document, OoxmlLimitsOf(config).package, &links, &encrypted);
    if (!stripped.ok()) {
      return Block(std::move(r), Reason::kConversionFailed, stripped.status().message());
    }
    if (encrypted > 0 && password.empty()) {
      return Block(std::move(r), Reason::kEncrypted, "a password-protected OpenDocument file");
    }
    body = std::move(*stripped);
  } else if (extension == "rtf") {
    RtfLinks links;
    body = StripRtfLinks(document, &links);
    if (!links.unclear.empty()) {
      return Block(std::move(r), Reason::kConversionFailed, "unclear RTF: " + links.unclear);
    }
  } else {
    body = document;
  }
  // LibreOffice's RTF importer reads an INCLUDEPICTURE field's file by itself while parsing,
  // whatever its settings: no field instruction reaches it.
  OfficeRequest req{extension, password, std::move(body)};
  if (Status s = WriteAllTo(conn, EncodeOfficeRequest(req)); !s.ok()) {
    return Block(std::move(r), Reason::kConversionFailed,
                 "the LibreOffice converter did not take the document: " + s.message());
  }
  Result<OfficeResponse> resp = ReadOfficeResponse(conn, max_pdf_bytes);
  if (!resp.ok()) {
    if (resp.status().code() == StatusCode::kLimit) {
      return Block(std::move(r), Reason::kConversionLimit,
                   "LibreOffice's PDF is larger than limits.max_output_bytes");
    }
    if (resp.status().code() == StatusCode::kNotFound) {  // it closed without answering
      return Block(std::move(r), Reason::kConversionFailed,
                   "LibreOffice stopped while converting it (a crash, office.timeout_seconds or "
                   "office.memory_bytes; the converter is restarted)");
    }
    return Block(std::move(r), Reason::kConversionFailed,
                 std::string(kConverterNotAResult) + " (" + resp.status().message() +
                     "); the converter is restarted");
  }
  switch (resp->status) {
    case OfficeStatus::kPdf:
      r.verdict = Verdict::kSanitized;
      r.has_output = true;
      r.output_type = "application/pdf";
      r.output = std::move(resp->body);
      return r;
    case OfficeStatus::kPassword:
      return Block(std::move(r), Reason::kEncrypted,
                   resp->body + " (resubmit it with the password: mugai quarantine resubmit "
                                "--password)");
    case OfficeStatus::kLimit:
      return Block(std::move(r), Reason::kConversionLimit, resp->body);
    case OfficeStatus::kFailed:
      break;
  }
  return Block(std::move(r), Reason::kConversionFailed, resp->body);
}

WorkerResult RelayUnlock(int conn, const std::string& item, const std::string& kind,
                         const std::string& password, uint64_t max_bytes) {
  WorkerResult r;
  r.family = TypeFamily::kEncrypted;
  OfficeRequest req{kind, password, item};
  if (Status s = WriteAllTo(conn, EncodeOfficeRequest(req)); !s.ok()) {
    return Block(std::move(r), Reason::kConversionFailed,
                 "the decryption helper did not take the item: " + s.message());
  }
  Result<OfficeResponse> resp = ReadOfficeResponse(conn, max_bytes);
  if (!resp.ok()) {
    if (resp.status().code() == StatusCode::kLimit) {
      return Block(std::move(r), Reason::kConversionLimit,
                   "what the decryption helper made is larger than limits.max_output_bytes");
    }
    return Block(std::move(r), Reason::kConversionFailed,
                 resp.status().code() == StatusCode::kNotFound
                     ? "the decryption helper stopped without an answer (unlock.timeout_seconds, "
                       "unlock.memory_bytes or a crash)"
                     : "the decryption helper's answer is not one: " + resp.status().message());
  }
  switch (resp->status) {
    case OfficeStatus::kPdf:
      r.verdict = Verdict::kSanitized;
      r.has_output = true;
      r.output_type = "application/octet-stream";
      r.output = std::move(resp->body);
      return r;
    case OfficeStatus::kPassword:
      return Block(std::move(r), Reason::kEncrypted, resp->body);
    case OfficeStatus::kLimit:
      return Block(std::move(r),
                   kind == "7z" || kind == "rar" ? Reason::kArchiveLimit : Reason::kConversionLimit,
                   resp->body);
    case OfficeStatus::kFailed:
      break;
  }
  return Block(std::move(r), Reason::kConversionFailed, resp->body);
}

WorkerResult ProcessNode(const WorkerContext& ctx, int fd, const std::string& name,
                         const std::string& scratch_dir, bool as_mail) {
  WorkerResult r;
  if (!scratch_dir.empty()) ctx.scanner->UseTempDirInThisProcess(scratch_dir);
  std::string bytes, error;
  if (!ReadInput(fd, ctx.config->max_input_bytes, &bytes, &error)) {
    return Block(std::move(r), Reason::kConversionFailed, error);
  }

  // The budget for any item; PDFs, images and packages refine it once their work is known.
  Budget(*ctx.config, bytes.size());

  // identify
  DetectedType type = IdentifyWithTextCheck(ctx, bytes, &r);
  r.detected_type = type.mime;
  r.family = ClassifyMime(type.mime);
  if (r.family == TypeFamily::kArchive && type.mime == "application/zip" &&
      bytes.find("[Content_Types].xml") != std::string::npos) {
    r.family = TypeFamily::kOoxml;  // an Office package libmagic did not recognise as one
    r.actions.push_back({"identified", "zip holding [Content_Types].xml: an Office document"});
  }
  if (type.mime == "application/x-ole-storage") {
    // A compound file libmagic could not name (a decrypted presentation whose summary is
    // unreadable, say): its main stream says which Office document it is, as it does to
    // LibreOffice.
    if (std::string office = OleOfficeType(bytes); !office.empty()) {
      r.actions.push_back({"identified", "OLE2 compound file whose main stream is " + office +
                                             "'s (libmagic: " + type.mime + ")"});
      r.detected_type = office;
      r.family = ClassifyMime(office);
    }
  }
  if (r.family == TypeFamily::kText && HasPdfSignatureNearStart(bytes)) {
    // Acrobat and other lenient readers take a file for a PDF when "%PDF-" appears anywhere
    // in its first 1,024 bytes: such "text" is rebuilt as the PDF it is (or blocked when it
    // cannot be), never delivered as text a reader would open as a PDF.
    r.actions.push_back({"identified", "\"%PDF-\" within the first 1,024 bytes (libmagic: " +
                                           type.mime + "): handled as a PDF"});
    r.family = TypeFamily::kPdf;
    r.detected_type = "application/pdf";
  }
  if (r.family == TypeFamily::kText && NamedAsHtml(name)) {
    // HTML whose first bytes libmagic does not take for HTML (a fragment such as "<span>…",
    // or a charset given only in the MIME header) is still HTML to whoever opens it by its
    // name (a message's HTML part is named .html by its declared type): converted as HTML,
    // so no tag or handler arrives as text.
    r.actions.push_back({"identified", "named as HTML (libmagic: " + type.mime +
                                           "): converted as HTML"});
    r.family = TypeFamily::kHtml;
    r.detected_type = "text/html";
  }
  if (as_mail) {
    if (r.family != TypeFamily::kMail) {
      r.actions.push_back({"identified", "handled as a message (libmagic: " + type.mime + ")"});
    }
    r.family = TypeFamily::kMail;
    r.detected_type = "message/rfc822";
  }

  // scan (always, so that threats are reported even for items blocked by name or type)
  Reason scan_reason = Scan(ctx, fd, name, &r);
  if (scan_reason == Reason::kMalware && r.family == TypeFamily::kMail) {
    // A message is not condemned whole for one bad attachment: its parts are scanned one by
    // one and the infected ones removed. The supervisor blocks the message after all if no
    // part accounts for what ClamAV found here.
    r.actions.push_back({"container_threat", r.reason_detail});
    r.threats.clear();
    r.reason_detail.clear();
    scan_reason = Reason::kNone;
  }
  if (scan_reason != Reason::kNone) {
    std::string detail = r.reason_detail;
    return Block(std::move(r), scan_reason, std::move(detail));
  }

  // type and name policy
  if (r.family == TypeFamily::kExecutable || r.family == TypeFamily::kScript ||
      r.family == TypeFamily::kUnknown || r.family == TypeFamily::kNotAllowed) {
    r.description = ctx.identifier->Identify(bytes, /*describe=*/true).description;
  }
  if (r.family == TypeFamily::kExecutable) {
    std::string claimed = PlainExtension(name);
    return Block(std::move(r), Reason::kExecutable,
                 "executable content (" + r.description + ")" +
                     (claimed.empty() ? "" : " named ." + claimed));
  }
  if (r.family == TypeFamily::kScript) {
    return Block(std::move(r), Reason::kScript, "script content (" + r.description + ")");
  }
  NameCheck name_check = CheckFileName(name);
  // A disk image is dangerous because Windows mounts it on a double click. One that really is
  // an ISO 9660 image is unpacked and delivered as a zip instead, so that name never arrives.
  bool unpacked_image = name_check.problem == NameProblem::kDangerousExtension &&
                        r.family == TypeFamily::kArchive && name_check.extension == "iso" &&
                        r.detected_type == "application/x-iso9660-image";
  if (name_check.problem != NameProblem::kNone && !unpacked_image) {
    return Block(std::move(r), NameReason(name_check.problem), name_check.detail);
  }
  if (r.family == TypeFamily::kUnknown) {
    return Block(std::move(r), Reason::kUnknownType, "unknown type (" + r.description + ")");
  }
  if (r.detected_type == "application/encrypted" || r.family == TypeFamily::kOffice ||
      r.family == TypeFamily::kNotAllowed) {
    // A password-protected Office 2007+ document (OLE2 holding EncryptedPackage) or
    // PowerPoint 97-2003 document: neither the OOXML disarm nor LibreOffice opens these. With
    // the password the decryption helper decrypts it; the result is a new child node.
    // (Legacy Word and Excel documents with a password go to LibreOffice, which opens them.)
    OfficeEncryption enc = DetectOfficeEncryption(bytes);
    if (enc != OfficeEncryption::kNone) {
      const char* what = enc == OfficeEncryption::kPowerPoint
                             ? "a password-protected PowerPoint 97-2003 presentation"
                             : "a password-protected Word/Excel/PowerPoint document";
      r.detected_type = enc == OfficeEncryption::kPowerPoint ? "application/vnd.ms-powerpoint"
                                                              : "application/encrypted";
      if (ctx.password.empty()) {
        return Block(std::move(r), Reason::kEncrypted,
                     std::string(what) + ": resubmit it with the password (mugai quarantine "
                                         "resubmit --password)");
      }
      return ToUnlock(std::move(r), what);
    }
    if (r.detected_type == "application/encrypted") {
      return Block(std::move(r), Reason::kEncrypted,
                   "an encrypted OLE2 document without EncryptionInfo and EncryptedPackage: "
                   "mugai cannot decrypt it; ask the sender for an unencrypted copy");
    }
  }
  if (r.family == TypeFamily::kNotAllowed) {
    return Block(std::move(r), Reason::kTypeNotAllowed,
                 r.detected_type + " (" + r.description + ") is not handled by this build");
  }

  // disarm/convert, then what any text output may still carry
  WorkerResult out = DisarmTextOutput(ctx, name, bytes, Dispatch(ctx, fd, name, bytes, std::move(r)));
  if (!WorkerCpuBudget().empty()) {
    char used[64];
    std::snprintf(used, sizeof used, "used %.2f s of ", WorkerCpuSecondsUsed());
    out.actions.push_back({"cpu", used + WorkerCpuBudget()});
  }
  return out;
}

namespace {

WorkerResult Dispatch(const WorkerContext& ctx, int fd, const std::string& name,
                      const std::string& bytes, WorkerResult r) {
  switch (FamilyRowFor(r.family).entry) {
    case WorkerEntry::kPass: {
      if (r.family == TypeFamily::kText) {
        CharsetGuess guess = DetectCharset(bytes);
        r.charset = guess.charset;
      }
      r.verdict = Verdict::kClean;
      return r;
    }
    case WorkerEntry::kHtmlToText:
      return ConvertHtml(ctx, bytes, std::move(r));
    case WorkerEntry::kPdfRebuild:
      return ConvertPdf(ctx, bytes, std::move(r));
    case WorkerEntry::kImageReencode:
      return ReencodeImage(ctx, bytes, std::move(r));
    case WorkerEntry::kOoxmlDisarm:
      return DisarmOoxmlNode(ctx, bytes, std::move(r));
    case WorkerEntry::kOfficeRelay:
      return PrepareOfficeNode(ctx, fd, name, bytes, std::move(r));
    case WorkerEntry::kUnpackMail:
      return UnpackMailNode(ctx, bytes, std::move(r));
    case WorkerEntry::kUnpackArchive:
      return UnpackNode(ctx, bytes, name, std::move(r));
    case WorkerEntry::kUnlock:  // answered "to unlock" before any conversion
    case WorkerEntry::kNone:
      break;
  }
  return Block(std::move(r), Reason::kTypeNotAllowed, "blocked by policy");
}

// Every text a worker delivers, passed or converted (HTML, PDF or Office text), loses its
// uuencoded and yEnc blocks; a CSV or TSV its formulas (text.csv_formulas).
WorkerResult DisarmTextOutput(const WorkerContext& ctx, const std::string& name,
                              const std::string& bytes, WorkerResult r) {
  if (r.verdict == Verdict::kBlocked || r.is_container) return r;
  bool passed = r.verdict == Verdict::kClean && r.family == TypeFamily::kText;
  bool converted = r.verdict == Verdict::kSanitized && r.has_output &&
                   r.output_type.rfind("text/plain", 0) == 0;
  if (!passed && !converted) return r;
  // UTF-16 and UTF-32 text is read as UTF-8 for these checks; if anything is taken out, the
  // text is delivered in UTF-8 (with a byte-order mark, which Excel needs to read it so).
  std::string wide_charset;
  std::string decoded;
  if (passed) {
    std::string_view cs = r.charset;
    if (cs.rfind("UTF-16", 0) == 0 || cs.rfind("UTF-32", 0) == 0) {
      wide_charset = r.charset;
      Result<std::string> utf8 = ToUtf8(bytes, wide_charset);
      if (!utf8.ok()) {
        return Block(std::move(r), Reason::kConversionFailed,
                     "text labelled " + wide_charset + " that does not decode: " +
                         utf8.status().message());
      }
      decoded = std::move(utf8.value());
      if (decoded.rfind("\xEF\xBB\xBF", 0) == 0) decoded.erase(0, 3);  // the BOM, decoded
    }
  }
  const std::string& text = !wide_charset.empty() ? decoded : passed ? bytes : r.output;
  std::vector<EncodedBlock> blocks;
  std::string out = RemoveEncodedBlocks(text, &blocks);
  for (size_t i = 0; i < blocks.size() && i < 100; ++i) {
    r.actions.push_back({"encoded_file_removed", blocks[i].kind + " file " + blocks[i].name +
                                                     " in the text (not delivered)"});
  }
  bool changed = !blocks.empty();
  // The extension as Windows will see it ("list.csv." opens as list.csv).
  std::string ext = CheckFileName(name).extension;
  if (passed && (ext == "csv" || ext == "tsv")) {
    size_t cells = 0;
    std::string neutral = NeutraliseCsvFormulas(out, ext == "tsv" ? '\t' : ',', &cells);
    if (cells > 0) {
      switch (ctx.config->text_csv_formulas) {
        case CsvFormulas::kBlock:
          return Block(std::move(r), Reason::kTypeNotAllowed,
                       std::to_string(cells) + " cell(s) of this " + ext +
                           " start like a formula, and text.csv_formulas = \"block\"");
        case CsvFormulas::kKeep:
          r.actions.push_back({"csv_formulas_kept", std::to_string(cells) +
                                                        " cell(s) start like a formula "
                                                        "(text.csv_formulas = \"keep\")"});
          break;
        case CsvFormulas::kNeutralise:
          r.actions.push_back({"csv_formulas_neutralised",
                               std::to_string(cells) +
                                   " cell(s) starting with = + - @ tab or CR prefixed with ' "
                                   "so that a spreadsheet shows them as text"});
          out = std::move(neutral);
          changed = true;
          break;
      }
    }
  }
  if (!changed) return r;
  if (passed && !wide_charset.empty()) {
    r.actions.push_back({"converted", wide_charset + " text to UTF-8"});
    r.verdict = Verdict::kSanitized;
    r.has_output = true;
    r.output_type = "text/plain; charset=utf-8";
    r.output = "\xEF\xBB\xBF" + out;
    return r;
  }
  if (passed) {
    // Still the sender's text in the sender's charset, now with something taken out.
    r.verdict = Verdict::kSanitized;
    r.has_output = true;
    r.output_type = "text/plain";
  }
  r.output = std::move(out);
  return r;
}

}  // namespace

WorkerResult VerifyNode(const WorkerContext& ctx, int fd, const std::string& name,
                        TypeFamily promised_family, const std::string& scratch_dir) {
  WorkerResult r;
  if (!scratch_dir.empty()) ctx.scanner->UseTempDirInThisProcess(scratch_dir);
  std::string bytes, error;
  if (!ReadInput(fd, ctx.config->max_output_bytes, &bytes, &error)) {
    return Block(std::move(r), Reason::kConversionFailed, error);
  }
  DetectedType type = IdentifyWithTextCheck(ctx, bytes, &r);
  r.actions.clear();
  r.detected_type = type.mime;
  r.family = ClassifyMime(type.mime);
  Reason scan_reason = Scan(ctx, fd, name, &r);
  if (scan_reason != Reason::kNone) {
    std::string detail = r.reason_detail;
    return Block(std::move(r), scan_reason, std::move(detail));
  }
  if (promised_family == TypeFamily::kMail) {
    // A rebuilt (or passed) message must read back as MIME within the limits.
    const Config& c = *ctx.config;
    MailOutcome m = UnpackMail(bytes, MailLimits{c.mail_max_parts, c.mail_max_depth,
                                                 c.mail_max_header_bytes});
    if (m.problem != MailProblem::kNone) {
      return Block(std::move(r), Reason::kMailBroken, "the rebuilt message: " + m.detail);
    }
    // What this reading found, for the supervisor to compare with what it checked.
    // Every part is checked; the first 64 are listed (mail_part), and up to 150 plain-text
    // parts by their content (mail_text: a message with more, whose text parts were
    // processed with it, is then blocked by the supervisor, never passed unchecked).
    size_t texts = 0;
    for (size_t i = 0; i < m.mail.parts.size(); ++i) {
      const MailPart& p = m.mail.parts[i];
      if (p.declared_type.rfind("text/", 0) == 0 && HasEncodedBlock(WideTextAsUtf8(p.bytes))) {
        return Block(std::move(r), Reason::kConversionFailed,
                     "the rebuilt message: a text part still holds a uuencoded or yEnc file");
      }
      if (p.declared_type == "text/plain" && texts < 150) {
        ++texts;
        // Plain-text parts processed by their message's worker have no verifier of their
        // own: they must identify as text here, as a verifier of their own would require.
        WorkerResult scratch;
        DetectedType t = IdentifyWithTextCheck(ctx, p.bytes, &scratch);
        TypeFamily f = ClassifyMime(t.mime);
        if (f != TypeFamily::kText && f != TypeFamily::kEmpty) {
          return Block(std::move(r), Reason::kUnknownType,
                       "the rebuilt message: a text/plain part identifies as " + t.mime);
        }
        r.actions.push_back({"mail_text", TextPartDigest(p.bytes)});
      }
      if (i < 64) {
        r.actions.push_back({"mail_part", Sha256Hex(p.bytes) + " " + p.declared_type + " " +
                                              (p.role == MailPartRole::kBody ? "body" : "attachment")});
      }
    }
    r.family = TypeFamily::kMail;
    r.verdict = Verdict::kClean;
    return r;
  }
  if (r.family != promised_family && !(r.family == TypeFamily::kEmpty &&
                                        promised_family == TypeFamily::kText)) {
    return Block(std::move(r), Reason::kUnknownType,
                 std::string("output identifies as ") + type.mime + ", not " +
                     FamilyName(promised_family));
  }
  if ((promised_family == TypeFamily::kText || r.family == TypeFamily::kText) &&
      HasEncodedBlock(WideTextAsUtf8(bytes))) {
    return Block(std::move(r), Reason::kConversionFailed,
                 "the text still holds a uuencoded or yEnc file");
  }
  if (promised_family == TypeFamily::kOoxml) {
    // The disarmed package, disarmed again, must lose nothing more.
    OoxmlLimits limits = OoxmlLimitsOf(*ctx.config);
    limits.reencode_images = false;  // rebuilt already: sniffed, not decoded a second time
    Result<OoxmlDisarmed> again = DisarmOoxml(bytes, limits);
    if (!again.ok()) return Block(std::move(r), Reason::kConversionFailed, again.status().message());
    if (again->findings.macro_enabled_input || !again->findings.removed.empty()) {
      return Block(std::move(r), Reason::kConversionFailed,
                   "the disarmed document still holds active content: " +
                       (again->findings.removed.empty() ? std::string("macros")
                                                        : again->findings.removed.front().first));
    }
  }
  if (promised_family == TypeFamily::kPdf) {
    // The rebuilt PDF must itself hold nothing active: analyse it like an input.
    Result<PdfFindings> f = AnalyzePdf(bytes, "", PdfLimitsOf(*ctx.config));
    if (!f.ok()) return Block(std::move(r), Reason::kConversionFailed, f.status().message());
    if (f->HasActiveContent() || f->encrypted) {
      return Block(std::move(r), Reason::kConversionFailed,
                   "the rebuilt PDF still holds active content");
    }
    if (f->HasOpaqueImageCodecs()) {
      return Block(std::move(r), Reason::kConversionFailed,
                   "the rebuilt PDF holds images in a codec mugai does not re-encode");
    }
  }
  r.verdict = Verdict::kClean;
  return r;
}

}  // namespace mugai
