// File name checks. Works on code points decoded from UTF-8; look-alike characters are folded
// to ASCII before the extension is compared, because that is what a reader sees.
#include "scanners/name_check.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <array>
#include <optional>
#include <vector>

namespace mugai {

namespace {

// Extensions that run code, install software, or mount/open something that can.
constexpr std::array<std::string_view, 60> kDangerousExtensions = {
    "exe",  "com",  "scr",   "pif",   "bat",   "cmd",    "vbs",  "vbe",  "js",   "jse",
    "wsf",  "wsh",  "wsc",   "ws",    "hta",   "msi",    "msp",  "mst",  "cpl",  "dll",
    "ocx",  "sys",  "drv",   "lnk",   "url",   "scf",    "reg",  "ps1",  "psm1", "psd1",
    "jar",  "class", "application", "gadget", "inf", "sct",  "chm",  "hlp",  "iso",  "img",
    "vhd",  "vhdx", "appx",  "appxbundle", "msix", "msixbundle", "xll", "xlam", "library-ms",
    "settingcontent-ms", "diagcab", "sh", "bash", "py", "pl", "rb", "command", "desktop",
    "apk",  "elf"};

// Extensions a reader takes for a harmless document in "name.<doc>.<dangerous>".
constexpr std::array<std::string_view, 22> kDocumentExtensions = {
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "jpg", "jpeg", "png",
    "gif", "zip", "rtf", "csv", "htm", "html", "odt", "ods", "mp3", "mp4", "jtd"};

bool IsDangerous(std::string_view ext) {
  return std::find(kDangerousExtensions.begin(), kDangerousExtensions.end(), ext) !=
         kDangerousExtensions.end();
}
bool IsDocument(std::string_view ext) {
  return std::find(kDocumentExtensions.begin(), kDocumentExtensions.end(), ext) !=
         kDocumentExtensions.end();
}

// Decodes UTF-8 strictly (no overlongs, no surrogates). nullopt on any error.
std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xe ? 3 : (b0 >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + static_cast<size_t>(len) > s.size()) return std::nullopt;
    char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1f) : len == 3 ? (b0 & 0x0f) : (b0 & 0x07);
    for (int k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((b & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3f);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

bool IsControl(char32_t c) { return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f); }

bool IsBidiControl(char32_t c) {
  return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
         (c >= 0x2066 && c <= 0x2069);
}

// Characters a reader may take for "." in a file name.
bool IsLookalikeDot(char32_t c) {
  return c == 0xff0e /* ． */ || c == 0x3002 /* 。 */ || c == 0xff61 /* ｡ */ ||
         c == 0x2024 /* ․ */ || c == 0xfe52 /* ﹒ */ || c == 0x2e33 || c == 0x0701 ||
         c == 0x06d4;
}

// Invisible characters that can hide between the name and its extension.
bool IsInvisible(char32_t c) {
  return c == 0x200b || c == 0x200c || c == 0x200d || c == 0x2060 || c == 0xfeff || c == 0x00ad;
}

// Folds full-width ASCII (U+FF01..U+FF5E) and look-alike dots to ASCII, lower-cases.
char32_t Fold(char32_t c, bool* folded_dot) {
  if (IsLookalikeDot(c)) {
    *folded_dot = true;
    return U'.';
  }
  if (c >= 0xff01 && c <= 0xff5e) c = c - 0xff01 + 0x21;
  if (c >= U'A' && c <= U'Z') c = c - U'A' + U'a';
  return c;
}

// Splits a folded name into its dot-separated ASCII tail extensions (last first).
std::vector<std::string> TailExtensions(const std::vector<char32_t>& folded) {
  std::vector<std::string> exts;
  std::string current;
  for (auto it = folded.rbegin(); it != folded.rend(); ++it) {
    char32_t c = *it;
    if (c == U'.') {
      exts.push_back(std::string(current.rbegin(), current.rend()));
      current.clear();
      if (exts.size() == 2) break;
    } else if (c < 0x80) {
      current.push_back(static_cast<char>(c));
    } else {
      break;  // extensions are ASCII once folded
    }
  }
  return exts;
}

}  // namespace

std::string PlainExtension(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return "";
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

NameCheck CheckFileName(std::string_view name) {
  NameCheck out;
  auto decoded = DecodeUtf8(name);
  if (!decoded) {
    out.problem = NameProblem::kInvalidUtf8;
    out.detail = "file name is not valid UTF-8";
    return out;
  }
  for (char32_t c : *decoded) {
    if (IsControl(c)) {
      out.problem = NameProblem::kControlCharacter;
      out.detail = "file name contains a control character";
      return out;
    }
  }
  for (char32_t c : *decoded) {
    if (IsBidiControl(c)) {
      out.problem = NameProblem::kBidiControl;
      out.detail = "file name contains a bidirectional control character (U+202E etc.)";
      return out;
    }
  }
  // Fold look-alikes; drop invisibles; Windows ignores trailing dots and spaces.
  bool folded_dot = false;
  std::vector<char32_t> folded;
  for (char32_t c : *decoded) {
    if (!IsInvisible(c)) folded.push_back(Fold(c, &folded_dot));
  }
  while (!folded.empty() && (folded.back() == U'.' || folded.back() == U' ' ||
                             folded.back() == 0x3000)) {
    folded.pop_back();
  }
  auto exts = TailExtensions(folded);
  if (!exts.empty()) out.extension = exts[0];
  if (exts.empty() || !IsDangerous(exts[0])) return out;
  if (folded_dot && PlainExtension(name) != exts[0]) {
    out.problem = NameProblem::kFullwidthDot;
    out.detail = "a look-alike dot hides the executable extension ." + exts[0];
  } else if (exts.size() == 2 && IsDocument(exts[1])) {
    out.problem = NameProblem::kDoubleExtension;
    out.detail = "double extension ." + exts[1] + "." + exts[0];
  } else {
    out.problem = NameProblem::kDangerousExtension;
    out.detail = "executable extension ." + exts[0];
  }
  return out;
}

std::string VisibleName(std::string_view name) {
  std::string out;
  size_t i = 0;
  char buf[16];
  while (i < name.size()) {
    // Decode one code point at a time so that one bad byte does not hide the rest.
    size_t len = 1;
    auto b0 = static_cast<unsigned char>(name[i]);
    if (b0 >= 0xc0) len = b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : 2;
    auto cp = i + len <= name.size() ? DecodeUtf8(name.substr(i, len)) : std::nullopt;
    if (!cp || cp->size() != 1) {
      snprintf(buf, sizeof buf, "<0x%02X>", b0);
      out += buf;
      i += 1;
      continue;
    }
    char32_t c = (*cp)[0];
    if (IsControl(c) || IsBidiControl(c) || IsInvisible(c)) {
      snprintf(buf, sizeof buf, "<U+%04X>", static_cast<unsigned>(c));
      out += buf;
    } else {
      out.append(name.substr(i, len));
    }
    i += len;
  }
  return out;
}

const char* NameProblemCode(NameProblem problem) {
  switch (problem) {
    case NameProblem::kNone: return "";
    case NameProblem::kInvalidUtf8: return "name_invalid_utf8";
    case NameProblem::kControlCharacter: return "name_control_character";
    case NameProblem::kBidiControl: return "name_bidi_control";
    case NameProblem::kFullwidthDot: return "name_fullwidth_dot";
    case NameProblem::kDoubleExtension: return "name_double_extension";
    case NameProblem::kDangerousExtension: return "name_dangerous_extension";
  }
  return "name_unknown";
}

}  // namespace mugai
