// The one family table (ARCHITECTURE §9, gateway/pipeline/): per type family, the policy
// action, the worker entry that handles it, the output types a sanitised node may have, and
// how the supervisor rebuilds it from its children. It replaces the policy that was split
// across ActionFor (worker), CheckWorkerResult and ExpectedOutputType (supervisor): both sides
// now read the same row. Pure data and string code: no format library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/pipeline/policy.h"

namespace mugai {

struct Config;
struct WorkerResult;

// Which code a worker runs for a node of the family (gateway/worker/item_processor.cc).
enum class WorkerEntry : uint8_t {
  kNone,           // blocked before any conversion
  kPass,           // delivered as received (after identify and scan)
  kHtmlToText,
  kPdfRebuild,
  kImageReencode,
  kUnpackArchive,  // members come back; the node is rebuilt as a zip
  kUnpackMail,     // parts come back; the node is rebuilt as a message
  kOoxmlDisarm,
  kOfficeRelay,    // identified and scanned; the warm LibreOffice pool converts it to PDF
  kUnlock,         // identified and scanned; the decryption helper decrypts it
};

// How a node with children becomes one output again.
enum class RebuildKind : uint8_t {
  kNone,        // no children: the worker's output (or the original) is what is verified
  kZip,         // a new zip of the members' verified outputs (or the one member, unwrapped)
  kMail,        // a new message from the parts' verified outputs
  kOnlyChild,   // the one child's verified output goes on in the node's place (Office → PDF,
                // an encrypted document → the decrypted one, disarmed or converted)
};

// The output types a sanitised node of a family may have.
enum class OutputRule : uint8_t {
  kNone,        // never sanitised with an output of its own (clean, blocked, or rebuilt)
  kText,        // text/plain; charset=utf-8
  kPdfByMode,   // application/pdf, or text under pdf.mode = "text"
  kImage,       // image/jpeg for a JPEG, image/gif for an animated GIF kept whole, else PNG
  kOoxmlByMode, // a macro-free OOXML type, or text under office.ooxml_text
  kSameText,    // "text/plain": the sender's text in its own charset with something taken out
                // (an encoded file, spreadsheet formulas); UTF-8 when it came as UTF-16/32
};

struct FamilyRow {
  TypeFamily family;
  PolicyAction action;
  WorkerEntry entry;
  OutputRule outputs;
  RebuildKind rebuild;
};

// The settings that change which outputs a family may have.
struct OutputPolicy {
  bool pdf_text = false;        // pdf.mode = "text"
  bool ooxml_text = false;      // office.ooxml_text
  bool gif_all_frames = false;  // image.gif_all_frames
  static OutputPolicy From(const Config& config);
};

// The row of `family`; any value outside the table (a corrupt or future family) gets the
// row of kUnknown, which blocks.
const FamilyRow& FamilyRowFor(TypeFamily family);

// The output MIME types a sanitised node of `row` identified as `detected_type` may be
// delivered as, under `policy` (empty: none).
// What the decryption helper is asked to decrypt a node of this detected type as: "ooxml",
// "ppt", "7z", "rar", or "" when it cannot.
std::string UnlockKindFor(std::string_view detected_type);

std::vector<std::string> AllowedOutputTypes(const FamilyRow& row, const OutputPolicy& policy,
                                            std::string_view detected_type);

// The supervisor's check of a worker's answer for one node, from the table alone: a clean
// answer only for a family that passes; a message handled as one; members exactly when the
// family is rebuilt from them; an output only of an allowed type. Returns "" when the answer
// is acceptable, else why not (the node is then blocked as a protocol error).
std::string CheckWorkerAnswer(const WorkerResult& answer, bool item_is_mail,
                              const OutputPolicy& policy);

}  // namespace mugai
