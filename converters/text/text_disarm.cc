// Encoded blocks and spreadsheet formulas in text. See text_disarm.h.
#include "converters/text/text_disarm.h"

#include <cctype>

namespace mugai {

namespace {

std::string_view StripEnd(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

std::string_view StripStart(std::string_view line) {
  size_t i = 0;
  // Indentation an HTML or Office conversion adds: spaces, tabs, and U+00A0 / U+3000 in UTF-8.
  while (i < line.size()) {
    if (line[i] == ' ' || line[i] == '\t' || line[i] == '>') {
      ++i;
    } else if (line.substr(i, 2) == "\xC2\xA0") {
      i += 2;
    } else if (line.substr(i, 3) == "\xE3\x80\x80") {
      i += 3;
    } else {
      break;
    }
  }
  return line.substr(i);
}

enum class BlockKind { kNone, kUu, kUuBase64, kYenc, kBinHex };

// "begin 644 name", "begin-base64 0644 name", "=ybegin line=128 size=9 name=x.exe".
BlockKind StartOf(std::string_view line, std::string* name) {
  line = StripStart(StripEnd(line));
  auto mode_and_name = [&](std::string_view rest) {
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '7') ++digits;
    if (digits == 0 || digits > 6) return false;
    rest.remove_prefix(digits);
    if (!rest.empty() && rest[0] != ' ' && rest[0] != '\t') return false;
    while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) rest.remove_prefix(1);
    *name = std::string(rest);
    return true;
  };
  if (line.substr(0, 13) == "begin-base64 " && mode_and_name(line.substr(13))) {
    return BlockKind::kUuBase64;
  }
  if (line.substr(0, 6) == "begin " && mode_and_name(line.substr(6))) return BlockKind::kUu;
  if (line.rfind("(This file must be converted with BinHex", 0) == 0) {
    name->clear();
    return BlockKind::kBinHex;
  }
  if (line.substr(0, 8) == "=ybegin ") {
    size_t at = line.find(" name=");
    *name = at == std::string_view::npos ? "" : std::string(line.substr(at + 6));
    return BlockKind::kYenc;
  }
  return BlockKind::kNone;
}

bool EndOf(BlockKind kind, std::string_view line) {
  line = StripStart(StripEnd(line));
  switch (kind) {
    case BlockKind::kUu: return line == "end";
    case BlockKind::kUuBase64: return line == "====" || line == "end";
    case BlockKind::kYenc: return line.substr(0, 5) == "=yend";
    case BlockKind::kBinHex: return line.size() >= 2 && line.back() == ':';  // its last data line
    case BlockKind::kNone: break;
  }
  return true;
}

const char* KindName(BlockKind kind) {
  switch (kind) {
    case BlockKind::kUu: return "uuencoded";
    case BlockKind::kUuBase64: return "base64 uuencoded";
    case BlockKind::kYenc: return "yEnc";
    case BlockKind::kBinHex: return "BinHex";
    case BlockKind::kNone: break;
  }
  return "";
}

// One line with its end: LF, CRLF, or a lone CR (a mail client's line buffer takes that as a
// line end too).
std::string_view NextLine(std::string_view* rest) {
  size_t end = rest->find_first_of("\r\n");
  if (end == std::string_view::npos) {
    end = rest->size();
  } else if ((*rest)[end] == '\r' && end + 1 < rest->size() && (*rest)[end + 1] == '\n') {
    end += 2;
  } else {
    end += 1;
  }
  std::string_view line = rest->substr(0, end);
  rest->remove_prefix(line.size());
  return line;
}

}  // namespace

std::string RemoveEncodedBlocks(std::string_view text, std::vector<EncodedBlock>* found) {
  std::string out;
  out.reserve(text.size());
  std::string_view rest = text;
  while (!rest.empty()) {
    std::string_view line = NextLine(&rest);
    std::string name;
    BlockKind kind = StartOf(line, &name);
    if (kind == BlockKind::kNone) {
      out.append(line);
      continue;
    }
    while (!rest.empty() && !EndOf(kind, NextLine(&rest))) {
    }
    // The name is the sender's: only printable ASCII of it is repeated in the text.
    std::string shown;
    for (char c : name) {
      auto u = static_cast<unsigned char>(c);
      shown += u >= 0x20 && u < 0x7F ? c : '_';
    }
    if (shown.size() > 100) shown.resize(100);
    if (found) found->push_back({KindName(kind), shown});
    out += "[mugai: ";
    out += KindName(kind);
    out += " file " + shown + " removed / エンコードされたファイルを除去]\n";
  }
  return out;
}

bool HasEncodedBlock(std::string_view text) {
  std::string_view rest = text;
  std::string name;
  while (!rest.empty()) {
    if (StartOf(NextLine(&rest), &name) != BlockKind::kNone) return true;
  }
  return false;
}

std::string NeutraliseCsvFormulas(std::string_view text, char delimiter, size_t* changed) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  size_t count = 0;
  size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    out.append(text.substr(0, 3));
    i = 3;
  }
  auto risky = [](char c) {
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
  };
  // A plain number ("-5", "+1.5e3", "-1,234") is data, not a formula: Excel reads it the same
  // either way, so it keeps its bytes.
  auto plain_number = [&](size_t at, char end_quote) {
    size_t j = at + 1;
    bool digit = false;
    for (; j < text.size(); ++j) {
      char c = text[j];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        digit = true;
      } else if (c == '.' || (c == ',' && end_quote == '"') || c == 'e' || c == 'E') {
        continue;
      } else {
        break;
      }
    }
    if (!digit || (text[at] != '-' && text[at] != '+')) return false;
    if (j == text.size()) return true;
    char c = text[j];
    if (end_quote == '"') return c == '"';
    return c == delimiter || c == '\n' || (c == '\r' && j + 1 < text.size() && text[j + 1] == '\n');
  };
  // Excel's "sep=X" first line chooses the delimiter: honoured, and kept.
  if (text.substr(i, 4) == "sep=" && i + 4 < text.size() && text[i + 4] != '\r' &&
      text[i + 4] != '\n') {
    delimiter = text[i + 4];
    size_t end = text.find_first_of("\r\n", i);
    end = end == std::string_view::npos ? text.size() : end;
    out.append(text.substr(i, end - i));
    i = end;
  }
  bool cell_start = true;
  bool quoted = false;
  while (i < text.size()) {
    char c = text[i];
    if (cell_start) {
      cell_start = false;
      if (c == '"') {
        out += c;
        ++i;
        quoted = true;
        if (i < text.size() && risky(text[i]) && !plain_number(i, '"')) {
          out += '\'';
          ++count;
        }
        continue;
      }
      // A CR at a cell's start ends its row (with or without LF), as in Excel.
      bool line_end = c == '\r';
      if (risky(c) && !line_end && !(c == '\t' && delimiter == '\t') && !plain_number(i, 0)) {
        out += '\'';
        ++count;
      }
    }
    out += c;
    ++i;
    if (quoted) {
      if (c == '"') {
        if (i < text.size() && text[i] == '"') {  // an escaped quote inside the cell
          out += '"';
          ++i;
        } else {
          quoted = false;
        }
      }
      continue;
    }
    if (c == delimiter || c == '\n' || c == '\r') cell_start = true;
  }
  if (changed) *changed = count;
  return out;
}

}  // namespace mugai
