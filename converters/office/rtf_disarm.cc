// RTF group scanning. See rtf_disarm.h. The tokenizer follows LibreOffice's (writerfilter
// rtftok): control words of letters with an optional signed number and one delimiting space,
// \'hh with hex digits only, \binN followed by N raw bytes. Anything it would read otherwise
// than this scanner (a \bin that is not a positive 32-bit count within the file, a \' not
// followed by two hex digits, a field instruction outside any group) makes the document
// "unclear" and it is blocked rather than guessed at.
#include "converters/office/rtf_disarm.h"

#include <cctype>
#include <vector>

namespace mugai {

namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

struct Token {
  enum Kind { kText, kGroupOpen, kGroupClose, kWord, kSymbol, kHex, kBinary } kind = kText;
  std::string word;  // kWord: the control word
  long long param = 0;
  bool has_param = false;
  size_t end = 0;  // index just after the token
};

// Reads the token at `i`. Sets *unclear (with why) on input LibreOffice may read differently.
Token Next(std::string_view rtf, size_t i, std::string* unclear) {
  Token t;
  char c = rtf[i];
  if (c == '{') return {Token::kGroupOpen, "", 0, false, i + 1};
  if (c == '}') return {Token::kGroupClose, "", 0, false, i + 1};
  if (c != '\\') return {Token::kText, "", 0, false, i + 1};
  size_t j = i + 1;
  if (j >= rtf.size()) {
    t.kind = Token::kSymbol;
    t.end = j;
    return t;
  }
  if (rtf[j] == '\'') {
    t.kind = Token::kHex;
    if (j + 2 < rtf.size() && IsHex(rtf[j + 1]) && IsHex(rtf[j + 2])) {
      t.param = std::stoi(std::string(rtf.substr(j + 1, 2)), nullptr, 16);
      t.end = j + 3;
    } else {
      *unclear = "a \\' escape without two hex digits";
      t.end = std::min(rtf.size(), j + 1);
    }
    return t;
  }
  if (!IsLetter(rtf[j])) {
    t.kind = Token::kSymbol;
    t.word = std::string(1, rtf[j]);
    t.end = j + 1;
    return t;
  }
  t.kind = Token::kWord;
  while (j < rtf.size() && IsLetter(rtf[j]) && t.word.size() < 64) t.word += rtf[j++];
  size_t num = j;
  if (j < rtf.size() && rtf[j] == '-') ++j;
  size_t digits = j;
  while (j < rtf.size() && std::isdigit(static_cast<unsigned char>(rtf[j]))) ++j;
  if (j > digits) {
    t.has_param = true;
    if (j - digits > 10) {
      t.param = -1;
      *unclear = "a control word with an oversized number";
    } else {
      t.param = std::stoll(std::string(rtf.substr(num, j - num)));
    }
  } else {
    j = num;  // a lone '-' is text
  }
  if (j < rtf.size() && rtf[j] == ' ') ++j;
  if (t.word == "bin") {
    if (!t.has_param || t.param <= 0 || t.param > 0x7FFFFFFF ||
        static_cast<unsigned long long>(t.param) > rtf.size() - j) {
      *unclear = "a \\bin without a positive byte count inside the file";
      t.end = rtf.size();
      return t;
    }
    t.kind = Token::kBinary;
    j += static_cast<size_t>(t.param);
  }
  t.end = j;
  return t;
}

// The index just after the group opening at `open`.
size_t GroupEnd(std::string_view rtf, size_t open, std::string* unclear) {
  int depth = 0;
  for (size_t i = open; i < rtf.size();) {
    Token t = Next(rtf, i, unclear);
    if (t.kind == Token::kGroupOpen) ++depth;
    if (t.kind == Token::kGroupClose && --depth == 0) return t.end;
    i = t.end;
  }
  return rtf.size();
}

// The group's text as LibreOffice would read it for a shape property name: control words
// dropped, \'hh and \uN (ASCII) decoded, lower case.
std::string GroupText(std::string_view rtf, size_t open, size_t end, std::string* unclear) {
  std::string text;
  bool fallback = false;  // the character after \uN stands in for it (\uc1, the default)
  for (size_t i = open; i < end;) {
    Token t = Next(rtf, i, unclear);
    if ((t.kind == Token::kText || t.kind == Token::kHex) && fallback) {
      fallback = false;
    } else if (t.kind == Token::kText) {
      text += static_cast<char>(std::tolower(static_cast<unsigned char>(rtf[i])));
    } else if (t.kind == Token::kHex) {
      text += static_cast<char>(std::tolower(static_cast<int>(t.param)));
    } else if (t.kind == Token::kWord && t.word == "u") {
      if (t.param > 0 && t.param < 128) text += static_cast<char>(std::tolower(static_cast<int>(t.param)));
      fallback = true;
    }
    i = t.end;
  }
  return text;
}

}  // namespace

std::string StripRtfLinks(std::string_view rtf, RtfLinks* found) {
  RtfLinks counts;
  std::string out;
  out.reserve(rtf.size());
  struct Open {
    size_t in, out;
  };
  std::vector<Open> groups;
  for (size_t i = 0; i < rtf.size();) {
    Token t = Next(rtf, i, &counts.unclear);
    if (t.kind == Token::kGroupOpen) {
      // A shape property naming a picture file: its whole {\sp ...} group goes.
      Token first = t.end < rtf.size() ? Next(rtf, t.end, &counts.unclear) : Token{};
      if (first.kind == Token::kWord && first.word == "sp") {
        size_t end = GroupEnd(rtf, i, &counts.unclear);
        if (GroupText(rtf, i, end, &counts.unclear).find("pibname") != std::string::npos) {
          ++counts.linked_pictures;
          i = end;
          continue;
        }
      }
      groups.push_back({i, out.size()});
    } else if (t.kind == Token::kGroupClose) {
      if (!groups.empty()) groups.pop_back();
    } else if (t.kind == Token::kWord && (t.word == "fldinst" || t.word == "datafield")) {
      // Wherever it stands in its group, the whole group goes.
      ++(t.word == "fldinst" ? counts.field_instructions : counts.data_fields);
      if (groups.empty()) {
        counts.unclear = "a field instruction outside any group";
        break;
      }
      Open g = groups.back();
      groups.pop_back();
      out.resize(g.out);
      i = GroupEnd(rtf, g.in, &counts.unclear);
      continue;
    }
    out.append(rtf.substr(i, t.end - i));
    i = t.end;
  }
  // What is left must hold no field instruction or data field at all.
  if (counts.unclear.empty() && (out.find("\\fldinst") != std::string::npos ||
                                 out.find("\\datafield") != std::string::npos)) {
    counts.unclear = "a field instruction the scanner could not take out";
  }
  if (found) *found = counts;
  return out;
}

}  // namespace mugai
