// SpreadsheetML edits: macro and dialog sheets leave the workbook with the names that run or
// point at them; formulas into removed external workbooks keep only their cached values.
#include <strings.h>

#include <cstdlib>
#include <cstring>

#include "converters/ooxml/ooxml_internal.h"

namespace mugai::ooxml {

namespace {

bool NameChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '.' || static_cast<unsigned char>(c) >= 0x80;
}

// Excel runs a name starting with Auto_Open (Auto_Open2, auto_openX...) when the workbook
// opens; the _xlnm. form is the built-in name of the same.
std::string_view AutoRunName(std::string_view name) {
  if (name.size() >= 6 && strncasecmp(name.data(), "_xlnm.", 6) == 0) name.remove_prefix(6);
  for (std::string_view prefix : {"auto_open", "auto_close", "auto_activate", "auto_deactivate"}) {
    if (name.size() >= prefix.size() &&
        strncasecmp(name.data(), prefix.data(), prefix.size()) == 0) {
      return prefix;
    }
  }
  return "";
}

bool IsTrue(const std::string& v) { return v == "1" || v == "true"; }

// The sheet names a formula refers to (Name!A1, 'Na''me'!A1, First:Last!A1), lower case.
// One pass from left to right: string literals are skipped, quoted names read whole.
std::vector<std::string> SheetsReferenced(std::string_view f) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& names) {  // "first:last" names both ends
    size_t colon = names.find(':');
    out.push_back(AsciiLower(names.substr(0, colon)));
    if (colon != std::string::npos) out.push_back(AsciiLower(names.substr(colon + 1)));
  };
  std::string run;  // unquoted name characters just read
  for (size_t i = 0; i < f.size(); ++i) {
    char c = f[i];
    if (c == '"' || c == '\'') {
      std::string quoted;
      for (++i; i < f.size(); ++i) {
        if (f[i] == c && i + 1 < f.size() && f[i + 1] == c) {
          quoted += c;
          ++i;
        } else if (f[i] == c) {
          break;
        } else {
          quoted += f[i];
        }
      }
      if (c == '\'' && i + 1 < f.size() && f[i + 1] == '!') add(quoted);
      run.clear();
    } else if (c == '!') {
      if (!run.empty()) add(run);
      run.clear();
    } else if (NameChar(c) || c == ':') {
      run += c;
    } else {
      run.clear();
    }
  }
  return out;
}

struct SheetIndex {
  std::vector<int> new_index;  // by old index; -1 for a removed sheet
  std::vector<std::string> removed_names;
  std::set<std::string> removed_lower;  // compared without case, as Excel does
  int kept = 0;
};

Status RemoveSheets(xmlNode* root, const std::set<std::string>& removed_ids, NodeEditor* editor,
                    SheetIndex* index) {
  std::vector<xmlNode*> kept;
  for (xmlNode* sheets = root->children; sheets; sheets = sheets->next) {
    if (!Is(sheets, "sheets")) continue;
    xmlNode* next = nullptr;
    for (xmlNode* s = sheets->children; s; s = next) {
      next = s->next;  // before Remove() unlinks s
      if (!Is(s, "sheet")) continue;
      bool gone = false;
      for (xmlAttr* a = s->properties; a; a = a->next) {
        gone = gone || (IsRelationshipAttr(a) &&
                        removed_ids.contains(TextOf(reinterpret_cast<xmlNode*>(a))));
      }
      index->new_index.push_back(gone ? -1 : index->kept++);
      if (gone) {
        index->removed_names.push_back(Attr(s, "name"));
        index->removed_lower.insert(AsciiLower(index->removed_names.back()));
        editor->Remove(s);
      } else {
        kept.push_back(s);
      }
    }
  }
  if (kept.empty()) {
    return {StatusCode::kInvalidArgument,
            "the workbook has no sheet left once its macro and dialog sheets are removed"};
  }
  bool visible = false;
  for (xmlNode* s : kept)
    visible = visible || Attr(s, "state").empty() || Attr(s, "state") == "visible";
  if (!visible) {
    xmlUnsetProp(kept.front(), BAD_CAST "state");  // Excel needs one visible sheet
    editor->MarkChanged();
  }
  return Status::Ok();
}

// What makes a defined name go, or "" to keep it.
std::string_view DefinedNameProblem(xmlNode* n, const SheetIndex& index,
                                    bool external_links_removed) {
  std::string name = Attr(n, "name");
  if (!AutoRunName(name).empty()) return "auto_run_name";
  if (IsTrue(Attr(n, "function")) || IsTrue(Attr(n, "vbProcedure")) || IsTrue(Attr(n, "xlm"))) {
    return "macro_name";
  }
  std::string local = Attr(n, "localSheetId");
  if (!local.empty()) {
    char* end = nullptr;
    long i = std::strtol(local.c_str(), &end, 10);
    if (*end != '\0' || i < 0 || static_cast<size_t>(i) >= index.new_index.size() ||
        index.new_index[static_cast<size_t>(i)] < 0) {
      return "defined_name";
    }
  }
  std::string formula = TextOf(n);
  for (const std::string& sheet : SheetsReferenced(formula)) {
    if (index.removed_lower.contains(sheet)) return "defined_name";
  }
  (void)external_links_removed;  // the same rule whether or not an externalLink part exists
  return RiskyFormula(formula);
}

void FixDefinedNames(xmlNode* root, const SheetIndex& index, bool external_links_removed,
                     NodeEditor* editor, OoxmlFindings* findings) {
  for (xmlNode* n : Elements(root)) {
    if (!Is(n, "definedName")) continue;
    std::string_view problem = DefinedNameProblem(n, index, external_links_removed);
    if (!problem.empty()) {
      findings->removed.emplace_back(std::string(problem), Attr(n, "name") + " = " + TextOf(n));
      editor->Remove(n);
      continue;
    }
    std::string local = Attr(n, "localSheetId");
    if (local.empty() || index.removed_names.empty()) continue;
    int now = index.new_index[static_cast<size_t>(std::strtol(local.c_str(), nullptr, 10))];
    xmlSetProp(n, BAD_CAST "localSheetId", BAD_CAST std::to_string(now).c_str());
    editor->MarkChanged();
  }
}

// workbookView activeTab/firstSheet are sheet indices too.
void FixViews(xmlNode* root, const SheetIndex& index, NodeEditor* editor) {
  if (index.removed_names.empty()) return;
  for (xmlNode* n : Elements(root)) {
    if (!Is(n, "workbookView")) continue;
    for (const char* attr : {"activeTab", "firstSheet"}) {
      std::string v = Attr(n, attr);
      if (v.empty()) continue;
      long i = std::strtol(v.c_str(), nullptr, 10);
      int now = i >= 0 && static_cast<size_t>(i) < index.new_index.size()
                    ? index.new_index[static_cast<size_t>(i)]
                    : -1;
      xmlSetProp(n, BAD_CAST attr, BAD_CAST std::to_string(now < 0 ? 0 : now).c_str());
      editor->MarkChanged();
    }
  }
}

// A cell whose formula went keeps its value; a formula string (t="str") becomes an inline one.
void KeepCachedValue(xmlNode* cell, NodeEditor* editor) {
  if (Attr(cell, "t") != "str") return;
  for (xmlNode* v = cell->children; v; v = v->next) {
    if (!Is(v, "v")) continue;
    std::string text = TextOf(v);
    xmlNode* is = xmlNewNode(cell->ns, BAD_CAST "is");
    xmlNode* t = xmlNewChild(is, cell->ns, BAD_CAST "t", nullptr);
    xmlNodeAddContent(t, BAD_CAST text.c_str());
    xmlAddPrevSibling(v, is);
    editor->Remove(v);
    break;
  }
  xmlSetProp(cell, BAD_CAST "t", BAD_CAST "inlineStr");
}

}  // namespace

std::string_view RiskyFormula(std::string_view f) {
  if (RefersToExternalWorkbook(f)) return "external_formula";
  // One pass: string literals skipped, quoted sheet names read whole, names before '('
  // collected as functions.
  static const char* const kNetwork[] = {"webservice", "image", "rtd", "hyperlink", "filterxml"};
  static const char* const kCode[] = {"call", "register", "register.id", "exec",
                                      "executeexcel4macro"};
  auto classify = [](std::string name) -> std::string_view {
    for (std::string_view prefix : {"_xlfn._xlws.", "_xlfn._xleta.", "_xlfn.", "_xlws.", "_xleta."}) {
      if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
    }
    for (const char* n : kNetwork) {
      if (name == n) return "network_formula";
    }
    for (const char* n : kCode) {
      if (name == n) return "code_formula";
    }
    if (name.rfind("_xll.", 0) == 0) return "code_formula";  // an XLL add-in's function
    return "";
  };
  // A function passed by name to a LAMBDA helper (MAP(A1:A3, _xlfn._xleta.WEBSERVICE)) runs
  // as surely as one called with '('.
  auto eta = [&classify](const std::string& run) -> std::string_view {
    std::string name = AsciiLower(run);
    if (name.rfind("_xlfn._xleta.", 0) != 0 && name.rfind("_xleta.", 0) != 0) return "";
    return classify(name);
  };
  std::string run;
  for (size_t i = 0; i < f.size(); ++i) {
    char c = f[i];
    if (c == '"') {
      for (++i; i < f.size(); ++i) {
        if (f[i] == '"' && i + 1 < f.size() && f[i + 1] == '"') {
          ++i;
        } else if (f[i] == '"') {
          break;
        }
      }
      run.clear();
    } else if (c == '\'') {
      std::string quoted;
      for (++i; i < f.size(); ++i) {
        if (f[i] == '\'' && i + 1 < f.size() && f[i + 1] == '\'') {
          quoted += '\'';
          ++i;
        } else if (f[i] == '\'') {
          break;
        } else {
          quoted += f[i];
        }
      }
      // 'C:\dir\[book.xlsx]Sheet'!A1, '\\host\share\[b.xlsx]S'!A1, 'https://h/[b.xlsx]S'!A1
      if (quoted.find('[') != std::string::npos || quoted.find('\\') != std::string::npos ||
          quoted.find('/') != std::string::npos || quoted.find(':') != std::string::npos) {
        return "external_formula";
      }
      if (i + 1 < f.size() && f[i + 1] == '|') return "dde_formula";  // 'cmd'|'/c calc'!A0
      run.clear();
    } else if (c == '|') {
      return "dde_formula";  // app|topic!item
    } else if (c == '[') {
      // Book references: [book.xlsx]Sheet!A1 (a structured reference Table1[Col] follows a
      // name; [#This Row] and [@Col] are inside one).
      size_t end = f.find(']', i);
      std::string_view inside = f.substr(i + 1, end == std::string_view::npos ? 0 : end - i - 1);
      if (run.empty() && inside.find('.') != std::string_view::npos && inside.find('#') ==
          std::string_view::npos && inside.find('@') == std::string_view::npos) {
        return "external_formula";
      }
      run.clear();
    } else if (c == '(') {
      if (std::string_view w = classify(AsciiLower(run)); !w.empty()) return w;
      run.clear();
    } else if (NameChar(c)) {
      run += c;
    } else {
      if (std::string_view w = eta(run); !w.empty()) return w;
      run.clear();
    }
  }
  return eta(run);
}

bool RefersToExternalWorkbook(std::string_view formula) {
  for (size_t at = formula.find('['); at != std::string_view::npos;
       at = formula.find('[', at + 1)) {
    size_t digits = at + 1;
    while (digits < formula.size() && formula[digits] >= '0' && formula[digits] <= '9') ++digits;
    if (digits == at + 1 || digits >= formula.size() || formula[digits] != ']') continue;
    if (at == 0 || (!NameChar(formula[at - 1]) && formula[at - 1] != ']')) return true;
  }
  return false;
}

Status DisarmWorkbook(xmlDoc* doc, const std::set<std::string>& removed_ids,
                      bool external_links_removed, NodeEditor* editor, OoxmlFindings* findings) {
  xmlNode* root = xmlDocGetRootElement(doc);
  SheetIndex index;
  if (Status s = RemoveSheets(root, removed_ids, editor, &index); !s.ok()) return s;
  FixDefinedNames(root, index, external_links_removed, editor, findings);
  FixViews(root, index, editor);
  editor->PruneEmptied();
  return Status::Ok();
}

void DropExternalFormulas(xmlDoc* doc, const std::string& part_name, NodeEditor* editor,
                          OoxmlFindings* findings) {
  // Formulas outside cells: conditional formats (cfRule/formula), data validations
  // (formula1/formula2) and their x14 forms (xm:f). A risky one takes its rule with it.
  for (xmlNode* n : Elements(xmlDocGetRootElement(doc))) {
    if (!editor->Attached(n)) continue;
    std::string_view local = LocalName(n);
    bool rule_formula = local == "formula" || local == "formula1" || local == "formula2" ||
                        (local == "f" && !(n->parent && Is(n->parent, "c")));
    if (!rule_formula) continue;
    std::string text = TextOf(n);
    std::string_view what = RiskyFormula(text);
    if (what.empty()) continue;
    xmlNode* gone = n;
    for (xmlNode* a = n->parent; a && a->type == XML_ELEMENT_NODE; a = a->parent) {
      if (Is(a, "cfRule") || Is(a, "dataValidation")) {
        gone = a;
        break;
      }
    }
    findings->removed.emplace_back(std::string(what), part_name + ": a conditional format or "
                                                                  "validation rule, =" +
                                                          text.substr(0, 200));
    editor->Remove(gone);
  }
  std::set<std::string> shared;  // si of dropped shared-formula masters
  std::map<std::string, size_t> dropped;  // what → cells
  std::map<std::string, std::string> example;
  std::vector<xmlNode*> formulas;
  for (xmlNode* n : Elements(xmlDocGetRootElement(doc))) {
    if (Is(n, "f") && n->parent && Is(n->parent, "c")) formulas.push_back(n);
  }
  for (xmlNode* f : formulas) {
    std::string text = TextOf(f);
    std::string_view what = RiskyFormula(text);
    if (what.empty()) continue;
    if (Attr(f, "t") == "shared") shared.insert(Attr(f, "si"));
    KeepCachedValue(f->parent, editor);
    editor->Remove(f);
    if (dropped[std::string(what)]++ == 0) example[std::string(what)] = text.substr(0, 200);
  }
  for (xmlNode* f : formulas) {  // cells sharing a dropped master's formula
    if (!editor->Attached(f) || Attr(f, "t") != "shared" || !shared.contains(Attr(f, "si"))) {
      continue;
    }
    KeepCachedValue(f->parent, editor);
    editor->Remove(f);
    ++dropped["external_formula"];
  }
  for (const auto& [what, n] : dropped) {
    findings->removed.emplace_back(
        what, part_name + ": " + std::to_string(n) + " formula(s) replaced by their values" +
                  (example[what].empty() ? "" : ", e.g. =" + example[what]));
  }
}

}  // namespace mugai::ooxml
