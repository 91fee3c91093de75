// The family table and the checks that read it.
#include "gateway/pipeline/family_table.h"

#include <algorithm>

#include "gateway/service/config.h"
#include "gateway/sandbox/worker_protocol.h"

namespace mugai {

namespace {

using A = PolicyAction;
using E = WorkerEntry;
using O = OutputRule;
using R = RebuildKind;
using F = TypeFamily;

// Indexed by TypeFamily; the static_assert below keeps it complete and in order.
constexpr FamilyRow kFamilies[] = {
    {F::kUnknown, A::kBlock, E::kNone, O::kNone, R::kNone},
    {F::kEmpty, A::kPass, E::kPass, O::kNone, R::kNone},
    {F::kText, A::kPass, E::kPass, O::kSameText, R::kNone},
    {F::kHtml, A::kConvertToText, E::kHtmlToText, O::kText, R::kNone},
    {F::kExecutable, A::kBlock, E::kNone, O::kNone, R::kNone},
    {F::kScript, A::kBlock, E::kNone, O::kNone, R::kNone},
    {F::kNotAllowed, A::kBlock, E::kNone, O::kNone, R::kNone},
    {F::kPdf, A::kConvertPdf, E::kPdfRebuild, O::kPdfByMode, R::kNone},
    {F::kImage, A::kReencodeImage, E::kImageReencode, O::kImage, R::kNone},
    {F::kArchive, A::kUnpack, E::kUnpackArchive, O::kNone, R::kZip},
    {F::kMail, A::kUnpack, E::kUnpackMail, O::kNone, R::kMail},
    {F::kOoxml, A::kDisarmOoxml, E::kOoxmlDisarm, O::kOoxmlByMode, R::kNone},
    {F::kOffice, A::kConvertOffice, E::kOfficeRelay, O::kNone, R::kOnlyChild},
    {F::kEncrypted, A::kUnlock, E::kUnlock, O::kNone, R::kOnlyChild},
};
static_assert(std::size(kFamilies) == static_cast<size_t>(TypeFamily::kLast) + 1,
              "one row per TypeFamily");

constexpr bool RowsInOrder() {
  for (size_t i = 0; i < std::size(kFamilies); ++i) {
    if (static_cast<size_t>(kFamilies[i].family) != i) return false;
  }
  return true;
}
static_assert(RowsInOrder(), "kFamilies is indexed by TypeFamily");

constexpr std::string_view kUtf8Text = "text/plain; charset=utf-8";

}  // namespace

OutputPolicy OutputPolicy::From(const Config& config) {
  OutputPolicy p;
  p.pdf_text = config.pdf_mode == PdfMode::kText;
  p.ooxml_text = config.office_ooxml_text;
  p.gif_all_frames = config.image_gif_all_frames;
  return p;
}

std::string UnlockKindFor(std::string_view t) {
  if (t == "application/encrypted") return "ooxml";
  if (t == "application/vnd.ms-powerpoint") return "ppt";
  if (t == "application/x-7z-compressed") return "7z";
  if (t == "application/x-rar" || t == "application/vnd.rar" ||
      t == "application/x-rar-compressed") {
    return "rar";
  }
  return "";
}

const FamilyRow& FamilyRowFor(TypeFamily family) {
  auto i = static_cast<size_t>(family);
  return i < std::size(kFamilies) ? kFamilies[i] : kFamilies[0];
}

std::vector<std::string> AllowedOutputTypes(const FamilyRow& row, const OutputPolicy& policy,
                                            std::string_view detected_type) {
  switch (row.outputs) {
    case OutputRule::kNone: return {};
    case OutputRule::kText: return {std::string(kUtf8Text)};
    case OutputRule::kSameText: return {"text/plain", std::string(kUtf8Text)};
    case OutputRule::kPdfByMode:
      return {policy.pdf_text ? std::string(kUtf8Text) : std::string("application/pdf")};
    case OutputRule::kImage:
      if (detected_type == "image/jpeg") return {"image/jpeg"};
      // An animated GIF stays a GIF when every frame is kept (one frame is still a PNG).
      if (detected_type == "image/gif" && policy.gif_all_frames) {
        return {"image/gif", "image/png"};
      }
      return {"image/png"};
    case OutputRule::kOoxmlByMode:
      if (policy.ooxml_text) return {std::string(kUtf8Text)};
      return MacroFreeOoxmlMimes();
  }
  return {};
}

std::string CheckWorkerAnswer(const WorkerResult& w, bool item_is_mail,
                              const OutputPolicy& policy) {
  if (w.verdict == Verdict::kBlocked) return "";
  const FamilyRow& row = FamilyRowFor(w.family);
  const std::string family = FamilyName(w.family);
  if (row.action == PolicyAction::kBlock) return "worker delivered a " + family;
  if (item_is_mail && w.family != TypeFamily::kMail) {
    return "worker did not handle a message as one";
  }
  if (w.verdict == Verdict::kClean) {
    if (row.entry != WorkerEntry::kPass || w.has_output || w.is_container) {
      return "worker passed a " + family + " unchanged";
    }
    return "";
  }
  // Sanitised from here on.
  bool unpacks = row.rebuild == RebuildKind::kZip || row.rebuild == RebuildKind::kMail;
  if (unpacks != w.is_container) {
    return "worker answered a " + family + (w.is_container ? " with members" : " without unpacking it");
  }
  if (w.is_container) return w.has_output ? "worker answered a " + family + " with an output" : "";
  if (row.entry == WorkerEntry::kOfficeRelay || row.entry == WorkerEntry::kUnlock) {
    // The worker only identifies and scans it: the supervisor's pool converts it, or the
    // decryption helper decrypts it.
    return w.has_output ? "worker answered a " + family + " document with an output" : "";
  }
  std::vector<std::string> allowed = AllowedOutputTypes(row, policy, w.detected_type);
  if (!w.has_output || std::find(allowed.begin(), allowed.end(), w.output_type) == allowed.end()) {
    return "worker converted a " + family + " into " +
           (w.has_output ? w.output_type : std::string("nothing"));
  }
  return "";
}

}  // namespace mugai
