// Elements that reference removed relationships: each is removed, unwrapped (a Word
// hyperlink keeps its text), or replaced by its preview picture (a PowerPoint OLE object).
#include <strings.h>

#include <cstring>

#include "converters/ooxml/ooxml_internal.h"

namespace mugai::ooxml {

namespace {

constexpr std::string_view kOfficeNs = "urn:schemas-microsoft-com:office:office";

enum class Action {
  kRemove,          // the element goes
  kUnwrap,          // the element goes, its children stay (w:hyperlink)
  kRemoveAncestor,  // the named ancestor goes (a mail merge without its data source)
  kOleFrame,        // the graphic frame becomes the object's fallback picture (pptx)
};

struct ElementRule {
  std::string_view local;
  Action action;
  std::string_view ancestor;
};

// An element not listed here only loses the attribute that names the removed relationship
// (a:blip r:link, v:imagedata r:id...), which leaves it valid and harmless.
constexpr ElementRule kRules[] = {
    {"hlinkClick", Action::kRemove, ""},
    {"hlinkHover", Action::kRemove, ""},
    {"hlinkMouseOver", Action::kRemove, ""},
    {"OLEObject", Action::kRemove, ""},  // docx w:object: the v:shape preview stays
    {"control", Action::kRemove, ""},    // w:control, xlsx control, p:control
    {"oleObject", Action::kRemove, ""},  // xlsx
    {"oleObj", Action::kOleFrame, ""},   // pptx
    {"sheet", Action::kRemove, ""},
    {"externalReference", Action::kRemove, ""},
    {"attachedTemplate", Action::kRemove, ""},
    {"subDoc", Action::kRemove, ""},
    {"altChunk", Action::kRemove, ""},
    {"objectEmbed", Action::kRemove, ""},
    {"objectLink", Action::kRemove, ""},
    {"externalData", Action::kRemove, ""},  // a chart's embedded workbook
    {"audioFile", Action::kRemove, ""},
    {"videoFile", Action::kRemove, ""},
    {"quickTimeFile", Action::kRemove, ""},
    {"wavAudioFile", Action::kRemove, ""},
    {"dataSource", Action::kRemoveAncestor, "mailMerge"},
    {"headerSource", Action::kRemoveAncestor, "mailMerge"},
    {"sourceFileName", Action::kRemoveAncestor, "frame"},
};

// PowerPoint actions that start a program, a macro or an OLE verb (ppaction://program runs
// the hyperlink's target; mouse-over needs no click).
bool IsProgramAction(const xmlNode* n) {
  if (!Is(n, "hlinkClick") && !Is(n, "hlinkHover") && !Is(n, "hlinkMouseOver")) return false;
  std::string action = Attr(n, "action");
  for (const char* p : {"ppaction://program", "ppaction://macro", "ppaction://ole"}) {
    if (strncasecmp(action.c_str(), p, std::strlen(p)) == 0) return true;
  }
  return false;
}

xmlNode* Ancestor(xmlNode* n, std::string_view local) {
  for (xmlNode* p = n->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent) {
    if (Is(p, local)) return p;
  }
  return nullptr;
}

// The attributes of `n` naming a removed relationship.
std::vector<xmlAttr*> RemovedRefs(xmlNode* n, const std::set<std::string>& removed_ids) {
  std::vector<xmlAttr*> out;
  for (xmlAttr* a = n->properties; a; a = a->next) {
    if (!IsRelationshipAttr(a)) continue;
    xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNode*>(a));
    if (v && removed_ids.contains(reinterpret_cast<const char*>(v))) out.push_back(a);
    xmlFree(v);
  }
  return out;
}

// The v:shape of a w:object no longer stands for an OLE object: drop its o:ole marker.
void ClearOleMarker(xmlNode* ole_object) {
  if (!ole_object->parent) return;
  for (xmlNode* s = ole_object->parent->children; s; s = s->next) {
    if (!Is(s, "shape")) continue;
    for (xmlAttr* a = s->properties; a; a = a->next) {
      if (a->ns && a->ns->href && kOfficeNs == reinterpret_cast<const char*>(a->ns->href) &&
          std::strcmp(reinterpret_cast<const char*>(a->name), "ole") == 0) {
        xmlRemoveProp(a);
        break;
      }
    }
  }
}

// pptx: <p:graphicFrame>…<p:oleObj r:id><p:embed/><p:pic>preview</p:pic></p:oleObj>… becomes
// the <p:pic> (PowerPoint writes it in the mc:Fallback branch), or goes if there is none.
void ReplaceOleFrame(xmlNode* ole, NodeEditor* editor) {
  xmlNode* frame = Ancestor(ole, "graphicFrame");
  if (!frame) {
    editor->Remove(ole);
    return;
  }
  for (xmlNode* n : Elements(frame)) {
    if (Is(n, "pic") && Ancestor(n, "oleObj")) {
      editor->Replace(frame, n);
      return;
    }
  }
  editor->Remove(frame);
}

void Apply(xmlNode* n, const ElementRule* rule, NodeEditor* editor) {
  switch (rule->action) {
    case Action::kRemove:
      if (Is(n, "OLEObject")) ClearOleMarker(n);
      editor->Remove(n);
      break;
    case Action::kUnwrap:
      editor->Unwrap(n);
      break;
    case Action::kRemoveAncestor: {
      xmlNode* a = Ancestor(n, rule->ancestor);
      editor->Remove(a ? a : n);
      break;
    }
    case Action::kOleFrame:
      ReplaceOleFrame(n, editor);
      break;
  }
}

const ElementRule* RuleFor(const xmlNode* n) {
  static constexpr ElementRule kWordHyperlink = {"hyperlink", Action::kUnwrap, ""};
  static constexpr ElementRule kOtherHyperlink = {"hyperlink", Action::kRemove, ""};
  if (Is(n, "hyperlink")) return IsWordNs(n) ? &kWordHyperlink : &kOtherHyperlink;
  for (const ElementRule& r : kRules) {
    if (Is(n, r.local)) return &r;
  }
  return nullptr;
}

}  // namespace

void EditReferences(xmlDoc* doc, const std::set<std::string>& removed_ids, NodeEditor* editor,
                    OoxmlFindings* findings) {
  for (xmlNode* n : Elements(xmlDocGetRootElement(doc))) {
    if (!editor->Attached(n)) continue;
    if (IsProgramAction(n)) {
      findings->removed.emplace_back("program_action", Attr(n, "action"));
      editor->Remove(n);
      continue;
    }
    if (removed_ids.empty()) continue;
    std::vector<xmlAttr*> refs = RemovedRefs(n, removed_ids);
    if (refs.empty()) continue;
    if (const ElementRule* rule = RuleFor(n)) {
      Apply(n, rule, editor);
    } else {
      for (xmlAttr* a : refs) xmlRemoveProp(a);
      editor->MarkChanged();
    }
  }
  editor->PruneEmptied();
}

}  // namespace mugai::ooxml

namespace mugai::ooxml {

namespace {

bool InNamespace(const xmlNode* n, std::string_view prefix_of_uri) {
  return n->ns && n->ns->href &&
         std::string_view(reinterpret_cast<const char*>(n->ns->href)).rfind(prefix_of_uri, 0) == 0;
}

}  // namespace

void DropOutsideReferences(xmlDoc* doc, const std::string& part_name, NodeEditor* editor,
                           OoxmlFindings* findings) {
  xmlNode* root = xmlDocGetRootElement(doc);
  if (!root) return;
  size_t attrs = 0;
  std::string example;
  for (xmlNode* n : Elements(root)) {
    if (!editor->Attached(n)) continue;
    // Word's mail merge: a data source (a UNC path, an ODBC or OLE DB connection) that Word
    // opens and queries when the document opens.
    if (Is(n, "mailMerge") && IsWordNs(n)) {
      findings->removed.emplace_back("mail_merge", part_name + ": " + Attr(n, "connectString", true).substr(0, 200));
      editor->Remove(n);
      continue;
    }
    // VML (v:imagedata src, v:fill src, o:href...) and the Office VML extensions point at
    // files by address with no relationship at all; DrawingML's address attributes likewise.
    bool vml = InNamespace(n, "urn:schemas-microsoft-com:");
    bool drawing = InNamespace(n, "http://schemas.openxmlformats.org/drawingml/") ||
                   InNamespace(n, "http://purl.oclc.org/ooxml/drawingml/");
    if (!vml && !drawing) continue;
    // A form control's macro (x:FmlaMacro) runs code; its links name cells, perhaps in
    // another workbook.
    if (vml && (LocalName(n) == "FmlaMacro" ||
                ((LocalName(n) == "FmlaLink" || LocalName(n) == "FmlaRange" ||
                  LocalName(n) == "FmlaTxbx" || LocalName(n) == "FmlaPict") &&
                 !RiskyFormula(TextOf(n)).empty()))) {
      findings->removed.emplace_back("outside_reference",
                                     part_name + ": " + std::string(LocalName(n)) + " " +
                                         TextOf(n).substr(0, 200));
      editor->Remove(n);
      continue;
    }
    std::vector<xmlAttr*> drop;
    for (xmlAttr* a = n->properties; a; a = a->next) {
      std::string_view local(reinterpret_cast<const char*>(a->name));
      if (IsRelationshipAttr(a)) continue;  // r:id, r:embed, o:relid: checked as relationships
      // A shape's macro ("'\\host\s\[x.xlsm]'!M") runs when it is clicked.
      if (local == "src" || local == "href" || local == "althref" || local == "link") {
        drop.push_back(a);
      } else if (local == "macro" || local == "textlink") {
        xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNode*>(a));
        std::string value = v ? reinterpret_cast<const char*>(v) : "";
        xmlFree(v);
        if (local == "macro" ? !value.empty() : !RiskyFormula(value).empty()) drop.push_back(a);
      }
    }
    for (xmlAttr* a : drop) {
      if (example.empty()) {
        xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNode*>(a));
        example = std::string(reinterpret_cast<const char*>(a->name)) + "=" +
                  (v ? std::string(reinterpret_cast<const char*>(v)).substr(0, 200) : "");
        xmlFree(v);
      }
      xmlRemoveProp(a);
      ++attrs;
      editor->MarkChanged();
    }
  }
  if (attrs > 0) {
    findings->removed.emplace_back("outside_reference", part_name + ": " + std::to_string(attrs) +
                                                            " address attribute(s), e.g. " + example);
  }
}

}  // namespace mugai::ooxml
