// Detects the character set of plain text (uchardet) and confirms it by decoding the whole
// text strictly (iconv). Used for reports and for HTML without a declared charset.
#pragma once

#include <string>
#include <string_view>

namespace mugai {

struct CharsetGuess {
  // Canonical name: "US-ASCII", "UTF-8", "Shift_JIS", "EUC-JP", "ISO-2022-JP", "UTF-16LE",
  // "UTF-16BE", or uchardet's name for others; "unknown" when nothing decodes cleanly.
  std::string charset;
  bool confirmed = false;  // the whole input decodes without error in `charset`
};

// Guesses the charset of `bytes`. Never fails; returns {"unknown", false} when unsure.
CharsetGuess DetectCharset(std::string_view bytes);

// True when `bytes` decode cleanly (DetectCharset confirmed) and, decoded, hold no control
// characters other than tab, line feed, carriage return and form feed: text a person reads.
// Used to overrule libmagic's headerless guesses (Shift_JIS prose looks like a DOS .COM).
bool IsReadableText(std::string_view bytes, CharsetGuess* guess);

// Whether `charset` names ISO-2022-JP as mail clients write it (ISO-2022-JP, csISO2022JP,
// CP50220/CP50221/CP50222), which ConvertToUtf8 reads as CP50221.
bool IsIso2022Jp(std::string_view charset);

// Whether `charset` names one of the Japanese charsets whose labels mean Microsoft's
// supersets (ISO-2022-JP → CP50221, Shift_JIS and its aliases → CP932, EUC-JP → EUC-JP-MS),
// which ConvertToUtf8 reads as such and other decoders (GMime's, libxml2's iconv) do not.
bool IsJapaneseCharset(std::string_view charset);

// Strictly converts `bytes` from `charset` to UTF-8. Returns false on any invalid sequence.
// ISO-2022-JP is read as Japanese mail clients write it (CP50221: NEC special characters and
// IBM extensions included), Shift_JIS as CP932, EUC-JP as EUC-JP-MS.
bool ConvertToUtf8(std::string_view bytes, const std::string& charset, std::string* out);

}  // namespace mugai
