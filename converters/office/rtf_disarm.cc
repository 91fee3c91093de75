// RTF group scanning. See rtf_disarm.h.
#include "converters/office/rtf_disarm.h"

#include <cctype>
#include <cstdlib>

namespace mugai {

namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Reads the control word at `i` (rtf[i] == '\\'): its name and the index after it (its
// numeric parameter and one delimiting space included). For \binN, also skips N bytes.
size_t SkipControl(std::string_view rtf, size_t i, std::string* word) {
  word->clear();
  size_t j = i + 1;
  if (j >= rtf.size()) return j;
  if (!IsLetter(rtf[j])) {
    if (rtf[j] == '\'') return std::min(rtf.size(), j + 3);  // \'hh
    return j + 1;                                            // \{ \} \\ \* \~ ...
  }
  while (j < rtf.size() && IsLetter(rtf[j])) *word += rtf[j++];
  size_t num_start = j;
  if (j < rtf.size() && rtf[j] == '-') ++j;
  while (j < rtf.size() && std::isdigit(static_cast<unsigned char>(rtf[j]))) ++j;
  long param = 0;
  if (j > num_start) param = std::strtol(std::string(rtf.substr(num_start, j - num_start)).c_str(), nullptr, 10);
  if (j < rtf.size() && rtf[j] == ' ') ++j;
  if (*word == "bin" && param > 0) j = std::min(rtf.size(), j + static_cast<size_t>(param));
  return j;
}

// The index just after the group opening at `open` (rtf[open] == '{').
size_t GroupEnd(std::string_view rtf, size_t open) {
  int depth = 0;
  std::string word;
  for (size_t i = open; i < rtf.size();) {
    char c = rtf[i];
    if (c == '\\') {
      i = SkipControl(rtf, i, &word);
    } else if (c == '{') {
      ++depth;
      ++i;
    } else if (c == '}') {
      ++i;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return rtf.size();
}

// The group's first control word, after an optional \*.
std::string FirstWord(std::string_view rtf, size_t open) {
  std::string word;
  size_t i = open + 1;
  while (i < rtf.size() && (rtf[i] == '\r' || rtf[i] == '\n' || rtf[i] == ' ')) ++i;
  if (i + 1 < rtf.size() && rtf[i] == '\\' && rtf[i + 1] == '*') {
    i += 2;
    while (i < rtf.size() && (rtf[i] == '\r' || rtf[i] == '\n' || rtf[i] == ' ')) ++i;
  }
  if (i < rtf.size() && rtf[i] == '\\') SkipControl(rtf, i, &word);
  return word;
}

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() &&
           std::tolower(static_cast<unsigned char>(hay[i + k])) == needle[k]) {
      ++k;
    }
    if (k == needle.size()) return true;
  }
  return false;
}

}  // namespace

std::string StripRtfLinks(std::string_view rtf, RtfLinks* found) {
  RtfLinks counts;
  std::string out;
  out.reserve(rtf.size());
  std::string word;
  for (size_t i = 0; i < rtf.size();) {
    char c = rtf[i];
    if (c == '\\') {
      size_t next = SkipControl(rtf, i, &word);
      out.append(rtf.substr(i, next - i));
      i = next;
      continue;
    }
    if (c != '{') {
      out += c;
      ++i;
      continue;
    }
    std::string first = FirstWord(rtf, i);
    if (first == "fldinst" || first == "datafield") {
      ++(first == "fldinst" ? counts.field_instructions : counts.data_fields);
      i = GroupEnd(rtf, i);
      continue;
    }
    if (first == "sp") {
      size_t end = GroupEnd(rtf, i);
      if (ContainsNoCase(rtf.substr(i, end - i), "pibname")) {
        ++counts.linked_pictures;
        i = end;
        continue;
      }
    }
    out += c;
    ++i;
  }
  if (found) *found = counts;
  return out;
}

}  // namespace mugai
