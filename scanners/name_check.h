// Checks a claimed file name (the basename a sender or a user gave) for tricks that make a
// recipient run something: dangerous extensions, double extensions, bidi controls, full-width
// dots, control characters. Pure function: safe to call anywhere.
#pragma once

#include <string>
#include <string_view>

namespace mugai {

enum class NameProblem {
  kNone = 0,
  kInvalidUtf8,         // not valid UTF-8
  kControlCharacter,    // C0/C1 control or DEL
  kBidiControl,         // U+202E and friends: "fdp.exe" shown as "exe.pdf"
  kFullwidthDot,        // "請求書．exe": a full-width or look-alike dot before a dangerous extension
  kDoubleExtension,     // "請求書.pdf.exe"
  kDangerousExtension,  // "setup.exe", "x.lnk", "a.js"
};

struct NameCheck {
  NameProblem problem = NameProblem::kNone;
  std::string detail;        // human detail, e.g. the extension found
  std::string extension;     // normalised last extension (lower case ASCII), "" if none
};

// Checks `name` (a basename, no directory). Returns the most serious problem found.
NameCheck CheckFileName(std::string_view name);

// Stable code for reports ("name_bidi_control", ...); "" for kNone.
const char* NameProblemCode(NameProblem problem);

// `name` made safe to show to a person: control characters, bidi controls and invalid UTF-8
// bytes are written as <U+202E> or <0x8C> so the name cannot rearrange the screen.
std::string VisibleName(std::string_view name);

// The lower-case extension after the last '.', "" when none (no normalisation).
std::string PlainExtension(std::string_view name);

}  // namespace mugai
