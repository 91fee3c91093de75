// What a text output can still carry for the recipient's software, taken out: encoded
// attachments (uuencode, yEnc) in any text, and formulas in text that Excel opens as a
// spreadsheet (CSV, TSV). Pure string code on the bytes, whatever their charset (every
// trigger is ASCII, and none of them can be the second byte of a CP932 character).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mugai {

struct EncodedBlock {
  std::string kind;  // "uuencoded", "base64 uuencoded", "yEnc", "BinHex"
  std::string name;  // the name the block gives, as written (may be empty)
};

// Finds uuencoded ("begin 644 name" … "end"), base64-uuencoded ("begin-base64 644 name" …
// "===="), yEnc ("=ybegin … name=" … "=yend") and BinHex 4.0 ("(This file must be converted
// with BinHex" … ":...:") blocks, on lines ended by LF, CRLF or a lone CR, also when indented
// (as an HTML or Office conversion may leave them), and writes `text` without them: each block becomes one
// line saying what was removed. `found` lists them in order. An unterminated block runs to
// the end of the text.
std::string RemoveEncodedBlocks(std::string_view text, std::vector<EncodedBlock>* found);

// True when `text` still holds the first line of such a block (the verifier's check).
bool HasEncodedBlock(std::string_view text);

// CSV/TSV: each cell (field) whose content starts with '=', '+', '-', '@', a tab or a CR is
// prefixed with "'" (OWASP's CSV injection guidance), inside the quotes when it is quoted.
// `delimiter` is ',' or '\t', unless a first line "sep=X" (Excel's) names another. A CR ends a
// row as LF does. A leading UTF-8 byte-order mark is kept. Returns how many
// cells changed through `changed`.
std::string NeutraliseCsvFormulas(std::string_view text, char delimiter, size_t* changed);

}  // namespace mugai
