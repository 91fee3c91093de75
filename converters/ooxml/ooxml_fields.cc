// Word field codes that fetch or run things (DDE, DDEAUTO, INCLUDETEXT, INCLUDEPICTURE, LINK,
// external HYPERLINK): the instruction goes, the field's last result (the visible text) stays.
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "converters/ooxml/ooxml_internal.h"

namespace mugai::ooxml {

namespace {

struct FieldKind {
  std::string_view keyword;
  std::string_view what;
};

constexpr FieldKind kDangerous[] = {
    {"DDE", "dde_field"},
    {"DDEAUTO", "dde_field"},
    {"INCLUDETEXT", "include_field"},
    {"INCLUDEPICTURE", "include_field"},
    {"INCLUDE", "include_field"},
    {"IMPORT", "include_field"},
    {"LINK", "link_field"},
    {"DATABASE", "include_field"},  // reads outside data (\c connection, \d data source)
    {"RD", "include_field"},        // a referenced document from outside
};

bool Space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && Space(s.front())) s.remove_prefix(1);
  return s;
}

// What a field instruction is, or "" when it is harmless. A keyword put together by a
// nested field ({ {QUOTE 68 68 69} ... }) cannot be read without evaluating it: it goes.
std::string_view Classify(std::string_view instr, bool keyword_from_nested_field) {
  if (keyword_from_nested_field) return "obfuscated_field";
  std::string_view s = TrimLeft(instr);
  size_t end = s.find_first_of(" \t\r\n\\\"");
  std::string_view keyword = s.substr(0, end);
  for (const FieldKind& k : kDangerous) {
    if (keyword.size() == k.keyword.size() &&
        strncasecmp(keyword.data(), k.keyword.data(), keyword.size()) == 0) {
      return k.what;
    }
  }
  if (keyword.size() == 9 && strncasecmp(keyword.data(), "HYPERLINK", 9) == 0) {
    // HYPERLINK \l "bookmark" stays inside the document (tables of contents); a target (a
    // word that is not a switch or a switch's value, wherever it stands) does not.
    std::string_view rest = end == std::string_view::npos ? "" : s.substr(end);
    bool value_expected = false;
    while (!(rest = TrimLeft(rest)).empty()) {
      size_t len = rest.front() == '"' ? rest.find('"', 1) : rest.find_first_of(" \t\r\n");
      len = len == std::string_view::npos ? rest.size() : len + (rest.front() == '"' ? 1 : 0);
      std::string_view word = rest.substr(0, len);
      rest.remove_prefix(len);
      if (value_expected) {
        value_expected = false;
      } else if (word.size() == 2 && word[0] == '\\') {
        // \l bookmark, \o tooltip, \t target frame take a value; \m, \n, \h do not.
        char sw = static_cast<char>(std::tolower(static_cast<unsigned char>(word[1])));
        value_expected = sw == 'l' || sw == 'o' || sw == 't';
      } else {
        return "hyperlink_field";
      }
    }
  }
  return "";
}

// The instruction for the report: whitespace collapsed, at most ~120 bytes, whole characters.
std::string Summary(std::string_view instr) {
  std::string out;
  for (char c : TrimLeft(instr)) {
    if (Space(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > 120) {
    size_t cut = 120;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "…";
  }
  return out;
}

bool IsWordElement(const xmlNode* n, std::string_view local) {
  return Is(n, local) && IsWordNs(n);
}

void DisarmSimpleFields(xmlNode* root, NodeEditor* editor, OoxmlFindings* findings) {
  for (xmlNode* n : Elements(root)) {
    if (!IsWordElement(n, "fldSimple") || !editor->Attached(n)) continue;
    std::string instr = Attr(n, "instr", true);
    std::string_view what = Classify(instr, false);
    if (what.empty()) continue;
    findings->removed.emplace_back(std::string(what), Summary(instr));
    editor->Unwrap(n);  // its runs are the result
  }
}

enum class ItemKind { kBegin, kSeparate, kEnd, kInstr, kOther };

struct Item {
  xmlNode* node;
  ItemKind kind;
};

// Run content (the children of every w:r) in document order: a complex field is the run
// content from its begin fldChar to its end fldChar, at any depth and across paragraphs.
std::vector<Item> RunContent(xmlNode* root) {
  std::vector<Item> items;
  for (xmlNode* n : Elements(root)) {
    if (!n->parent || !IsWordElement(n->parent, "r")) continue;
    ItemKind kind = ItemKind::kOther;
    if (IsWordElement(n, "fldChar")) {
      std::string type = Attr(n, "fldCharType", true);
      kind = type == "begin"      ? ItemKind::kBegin
             : type == "separate" ? ItemKind::kSeparate
             : type == "end"      ? ItemKind::kEnd
                                  : ItemKind::kOther;
    } else if (IsWordElement(n, "instrText") || IsWordElement(n, "delInstrText")) {
      kind = ItemKind::kInstr;
    }
    items.push_back({n, kind});
  }
  return items;
}

struct OpenField {
  explicit OpenField(size_t at) : begin(at) {}

  // Appends instruction text, following whether the keyword has ended (non-space text then a
  // space, a switch or a quote) in constant time per character.
  void AddInstruction(const std::string& text) {
    for (char c : text) {
      if (!seen_text) {
        seen_text = !Space(c);
      } else if (!keyword_complete) {
        keyword_complete = Space(c) || c == '\\' || c == '"';
      }
    }
    instr += text;
  }

  size_t begin;
  size_t separate = std::string::npos;
  std::string instr;
  bool seen_text = false;
  bool keyword_complete = false;
  bool keyword_from_nested_field = false;
};

class ComplexFields {
 public:
  explicit ComplexFields(std::vector<Item> items)
      : items_(std::move(items)), cover_(items_.size() + 1, 0) {}

  // Marks the items of every dangerous field's instruction (begin to separate) and its end.
  void Scan(OoxmlFindings* findings) {
    std::vector<OpenField> open;
    for (size_t i = 0; i < items_.size(); ++i) {
      switch (items_[i].kind) {
        case ItemKind::kBegin:
          if (!open.empty() && open.back().separate == std::string::npos &&
              !open.back().keyword_complete) {
            open.back().keyword_from_nested_field = true;
          }
          open.emplace_back(i);
          break;
        case ItemKind::kInstr:
          if (!open.empty() && open.back().separate == std::string::npos) {
            open.back().AddInstruction(TextOf(items_[i].node));
          }
          break;
        case ItemKind::kSeparate:
          if (!open.empty() && open.back().separate == std::string::npos) open.back().separate = i;
          break;
        case ItemKind::kEnd:
          if (!open.empty()) {
            Close(open.back(), i, findings);
            open.pop_back();
          }
          break;
        case ItemKind::kOther:
          break;
      }
    }
    while (!open.empty()) {  // never ended: what was begun still goes
      Close(open.back(), items_.size(), findings);
      open.pop_back();
    }
  }

  // Removes the marked items, then the runs left with nothing but their properties.
  void Drop(NodeEditor* editor) {
    std::vector<xmlNode*> runs;  // each once: a run's items are contiguous
    long covered = 0;
    for (size_t i = 0; i < items_.size(); ++i) {
      covered += cover_[i];
      if (covered <= 0) continue;
      if (runs.empty() || runs.back() != items_[i].node->parent) {
        runs.push_back(items_[i].node->parent);
      }
      editor->Remove(items_[i].node);
    }
    for (xmlNode* r : runs) {
      if (!editor->Attached(r)) continue;
      bool content = false;
      for (xmlNode* c = r->children; c && !content; c = c->next) {
        content = c->type == XML_ELEMENT_NODE && !Is(c, "rPr");
      }
      if (!content) editor->Remove(r);
    }
  }

 private:
  // Ranges are recorded as +1/-1 marks (summed in Drop) so that nested or unended fields
  // cost constant time each, not the length of their range.
  void Mark(size_t first, size_t last) {
    if (first >= items_.size()) return;
    last = std::min(last, items_.size() - 1);
    ++cover_[first];
    --cover_[last + 1];
  }

  void Close(const OpenField& f, size_t end, OoxmlFindings* findings) {
    std::string_view what = Classify(f.instr, f.keyword_from_nested_field);
    if (what.empty()) return;
    // A nested field's instruction is not shown: "{…}" stands for it.
    findings->removed.emplace_back(std::string(what),
                                   Summary((f.keyword_from_nested_field ? "{…}" : "") + f.instr));
    Mark(f.begin, f.separate != std::string::npos ? f.separate : end);
    Mark(end, end);
  }

  std::vector<Item> items_;
  std::vector<long> cover_;  // range marks, one more than items_
};

}  // namespace

void DisarmFields(xmlDoc* doc, NodeEditor* editor, OoxmlFindings* findings) {
  xmlNode* root = xmlDocGetRootElement(doc);
  DisarmSimpleFields(root, editor, findings);
  ComplexFields fields(RunContent(root));
  fields.Scan(findings);
  fields.Drop(editor);
}

}  // namespace mugai::ooxml
