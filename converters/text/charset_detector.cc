// uchardet proposes, iconv disposes: a guess counts only if the whole text decodes.
#include "converters/text/charset_detector.h"

#include <iconv.h>
#include <uchardet/uchardet.h>

#include <array>
#include <cerrno>
#include <memory>

namespace mugai {

namespace {

bool IsAscii(std::string_view bytes) {
  for (char c : bytes) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool HasIso2022Escape(std::string_view bytes) {
  // ESC $ B, ESC $ @ (JIS X 0208), ESC ( J, ESC ( I, ESC $ ( D.
  return bytes.find("\x1b$B") != std::string_view::npos ||
         bytes.find("\x1b$@") != std::string_view::npos ||
         bytes.find("\x1b$(D") != std::string_view::npos;
}

// Names uchardet uses → names we report, and the iconv name that validates them. CP932 is
// the superset Windows writes (NEC/IBM extensions), so Shift_JIS text is validated as CP932.
struct Mapping {
  std::string_view uchardet;
  std::string_view report;
  std::string_view iconv;
};
constexpr std::array<Mapping, 8> kMappings = {{
    {"ASCII", "US-ASCII", "ASCII"},
    {"UTF-8", "UTF-8", "UTF-8"},
    {"SHIFT_JIS", "Shift_JIS", "CP932"},
    {"EUC-JP", "EUC-JP", "EUC-JP-MS"},
    {"ISO-2022-JP", "ISO-2022-JP", "ISO-2022-JP-3"},
    {"UTF-16LE", "UTF-16LE", "UTF-16LE"},
    {"UTF-16BE", "UTF-16BE", "UTF-16BE"},
    {"WINDOWS-1252", "windows-1252", "WINDOWS-1252"},
}};

std::string IconvName(const std::string& charset) {
  for (const auto& m : kMappings) {
    if (charset == m.report || charset == m.uchardet) return std::string(m.iconv);
  }
  return charset;
}

bool Decodes(std::string_view bytes, const std::string& charset) {
  std::string sink;
  return ConvertToUtf8(bytes, charset, &sink);
}

}  // namespace

bool ConvertToUtf8(std::string_view bytes, const std::string& charset, std::string* out) {
  out->clear();
  iconv_t cd = iconv_open("UTF-8", IconvName(charset).c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  std::unique_ptr<void, int (*)(iconv_t)> guard(cd, iconv_close);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  std::array<char, 16384> buf;
  while (true) {
    char* o = buf.data();
    size_t o_left = buf.size();
    size_t rc = iconv(cd, in_left ? &in : nullptr, &in_left, &o, &o_left);
    out->append(buf.data(), buf.size() - o_left);
    if (rc != static_cast<size_t>(-1)) {
      if (in_left == 0) {
        // Flush shift state (ISO-2022-JP), then done.
        o = buf.data();
        o_left = buf.size();
        iconv(cd, nullptr, nullptr, &o, &o_left);
        out->append(buf.data(), buf.size() - o_left);
        return true;
      }
      continue;
    }
    if (errno != E2BIG) return false;  // EILSEQ or EINVAL (truncated sequence)
  }
}

bool IsReadableText(std::string_view bytes, CharsetGuess* guess) {
  *guess = DetectCharset(bytes);
  if (!guess->confirmed) return false;
  std::string utf8;
  if (!ConvertToUtf8(bytes, guess->charset, &utf8)) return false;
  for (char c : utf8) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || u == 0x7f) return false;
  }
  return true;
}

CharsetGuess DetectCharset(std::string_view bytes) {
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF" && Decodes(bytes, "UTF-8")) {
    return {"UTF-8", true};
  }
  if (IsAscii(bytes)) {
    if (HasIso2022Escape(bytes) && Decodes(bytes, "ISO-2022-JP")) return {"ISO-2022-JP", true};
    return {"US-ASCII", true};
  }
  if (Decodes(bytes, "UTF-8")) return {"UTF-8", true};

  uchardet_t ud = uchardet_new();
  std::unique_ptr<std::remove_pointer_t<uchardet_t>, void (*)(uchardet_t)> guard(ud,
                                                                                uchardet_delete);
  uchardet_handle_data(ud, bytes.data(), bytes.size());
  uchardet_data_end(ud);
  std::string guess = uchardet_get_charset(ud);
  // A Japanese gateway: short EUC-JP texts are easily taken for a Western single-byte set,
  // and EUC-JP's byte pairs rarely decode by accident, so a clean EUC-JP decode wins over a
  // non-Japanese guess.
  bool japanese_guess = guess == "SHIFT_JIS" || guess == "EUC-JP" || guess == "ISO-2022-JP";
  if (!japanese_guess && Decodes(bytes, "EUC-JP")) return {"EUC-JP", true};
  for (const auto& m : kMappings) {
    if (guess == m.uchardet && Decodes(bytes, std::string(m.report))) {
      return {std::string(m.report), true};
    }
  }
  if (!guess.empty() && Decodes(bytes, guess)) return {guess, true};
  // uchardet may miss short Japanese texts: try the Japanese legacy sets in a fixed order.
  for (const char* fallback : {"Shift_JIS", "EUC-JP"}) {
    if (Decodes(bytes, fallback)) return {fallback, true};
  }
  return {"unknown", false};
}

}  // namespace mugai
