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

std::string Lower(std::string_view s) {
  std::string lower;
  for (char c : s) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return lower;
}

// Mail labels name Japanese charsets many ways, and mean Microsoft's supersets by all of them:
// Shift_JIS is CP932 (NEC row 13, IBM extensions), EUC-JP is EUC-JP-MS.
std::string IconvName(const std::string& charset) {
  for (const auto& m : kMappings) {
    if (charset == m.report || charset == m.uchardet) return std::string(m.iconv);
  }
  const std::string lower = Lower(charset);
  for (const char* sjis : {"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis",
                           "windows-31j", "cp932", "ms932"}) {
    if (lower == sjis) return "CP932";
  }
  for (const char* euc : {"euc-jp", "x-euc-jp", "eucjp", "cseucpkdfmtjapanese", "euc-jp-ms"}) {
    if (lower == euc) return "EUC-JP-MS";
  }
  return charset;
}

// ISO-2022-JP as Japanese mail clients write it (Microsoft's CP50221): JIS X 0208 with the NEC
// special characters (row 13: ①, ㈱, №) and the NEC-selected IBM extensions (rows 89-92: 髙,
// 﨑), JIS X 0201 katakana by ESC ( I or SO/SI. Each two-byte character is moved to the same
// character's CP932 bytes (the JIS to Shift_JIS arithmetic), and the CP932 text is then decoded
// strictly. glibc's iconv has no CP50221: its ISO-2022-JP rejects rows 13 and 89-92, and its
// ISO-2022-JP-3 reads rows 89-92 as different (JIS X 0213) characters.
bool Cp50221ToCp932(std::string_view in, std::string* out) {
  enum class Mode { kAscii, kJis0208, kKatakana } mode = Mode::kAscii;
  bool shifted = false;  // SO ... SI: katakana
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c >= 0x80) return false;  // 8-bit bytes are not ISO-2022-JP
    if (c == 0x1B) {
      std::string_view rest = in.substr(i);
      if (rest.substr(0, 3) == "\x1b(B" || rest.substr(0, 3) == "\x1b(J") {
        mode = Mode::kAscii;
        i += 3;
      } else if (rest.substr(0, 3) == "\x1b$B" || rest.substr(0, 3) == "\x1b$@") {
        mode = Mode::kJis0208;
        i += 3;
      } else if (rest.substr(0, 6) == "\x1b&@\x1b$B") {  // JIS X 0208-1990 announcer
        mode = Mode::kJis0208;
        i += 6;
      } else if (rest.substr(0, 3) == "\x1b(I") {
        mode = Mode::kKatakana;
        i += 3;
      } else {
        return false;  // JIS X 0212, ISO-2022-JP-2's other sets: not what CP932 holds
      }
      continue;
    }
    if (c == 0x0E || c == 0x0F) {
      shifted = c == 0x0E;
      ++i;
      continue;
    }
    if (c < 0x21 || c == 0x7F) {  // controls, space and line ends pass in any mode
      *out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (shifted || mode == Mode::kKatakana) {
      if (c > 0x5F) return false;
      *out += static_cast<char>(c + 0x80);  // half-width katakana, 0xA1-0xDF in CP932
      ++i;
      continue;
    }
    if (mode == Mode::kAscii) {
      *out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (i + 1 >= in.size()) return false;
    auto c2 = static_cast<unsigned char>(in[i + 1]);
    if (c2 < 0x21 || c2 > 0x7E) return false;
    unsigned s1 = (c + 1) / 2 + 0x70;
    if (s1 >= 0xA0) s1 += 0x40;
    unsigned s2 = (c & 1) ? c2 + (c2 >= 0x60 ? 0x20 : 0x1F) : c2 + 0x7E;
    *out += static_cast<char>(s1);
    *out += static_cast<char>(s2);
    i += 2;
  }
  return true;
}


bool Decodes(std::string_view bytes, const std::string& charset) {
  std::string sink;
  return ConvertToUtf8(bytes, charset, &sink);
}

}  // namespace

bool IsJapaneseCharset(std::string_view charset) {
  const std::string name = IconvName(std::string(charset));
  return IsIso2022Jp(charset) || name == "CP932" || name == "EUC-JP-MS";
}

bool IsIso2022Jp(std::string_view charset) {
  const std::string lower = Lower(charset);
  return lower == "iso-2022-jp" || lower == "csiso2022jp" || lower == "cp50220" ||
         lower == "cp50221" || lower == "cp50222";
}

bool ConvertToUtf8(std::string_view bytes, const std::string& charset, std::string* out) {
  out->clear();
  if (IsIso2022Jp(charset)) {
    std::string cp932;
    if (Cp50221ToCp932(bytes, &cp932) && ConvertToUtf8(cp932, "CP932", out)) return true;
    // Not CP50221: JIS X 0213 text (ESC $ ( Q) still reads as ISO-2022-JP-3.
    return ConvertToUtf8(bytes, "ISO-2022-JP-3", out);
  }
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
