// libxml2 for OOXML parts: parsing that stops at any DOCTYPE, serialising edited parts, and
// a node editor that defers freeing so that edits made from a collected node list are safe.
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <climits>
#include <cstring>

#include "converters/ooxml/ooxml_internal.h"

namespace mugai::ooxml {

namespace {

constexpr std::string_view kRelNs =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
constexpr std::string_view kRelNsStrict = "http://purl.oclc.org/ooxml/officeDocument/relationships";
constexpr std::string_view kOfficeNs = "urn:schemas-microsoft-com:office:office";
constexpr std::string_view kMcNs = "http://schemas.openxmlformats.org/markup-compatibility/2006";

// Set by the SAX hook below; one parse at a time per thread.
thread_local bool t_saw_doctype = false;

// Called by libxml2 as soon as "<!DOCTYPE name ..." has been read, before any declaration
// of the internal subset: no entity is ever declared, let alone expanded.
void RefuseDoctype(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  t_saw_doctype = true;
  xmlStopParser(static_cast<xmlParserCtxtPtr>(ctx));
}

struct CtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

std::string_view NsHref(const xmlNs* ns) {
  return ns && ns->href ? reinterpret_cast<const char*>(ns->href) : "";
}

// Containers whose schema needs at least one child: emptied by a removal, they go too.
bool Prunable(const xmlNode* n) {
  static constexpr std::string_view kNames[] = {"controls", "oleObjects", "hyperlinks",
                                                "externalReferences", "definedNames"};
  for (auto k : kNames) {
    if (Is(n, k)) return true;
  }
  return Is(n, "object") && IsWordNs(n);
}

bool IsMc(const xmlNode* n, std::string_view local) {
  return Is(n, local) && NsHref(n->ns) == kMcNs;
}

// An mc:AlternateContent whose every branch is empty shows nothing in any consumer.
bool AllBranchesEmpty(const xmlNode* alternate) {
  for (const xmlNode* c = alternate->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && HasElementChild(c)) return false;
  }
  return true;
}

}  // namespace

Result<XmlDocPtr> ParseXmlPart(std::string_view bytes, const std::string& name,
                               uint64_t max_bytes) {
  if (bytes.size() > max_bytes || bytes.size() > static_cast<size_t>(INT_MAX)) {
    return Status{StatusCode::kLimit, name + " is larger than " + std::to_string(max_bytes) +
                                          " bytes (ooxml max_part_bytes)"};
  }
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt || !ctxt->sax) return Status{StatusCode::kInternal, "libxml2: out of memory"};
  ctxt->sax->internalSubset = RefuseDoctype;
  t_saw_doctype = false;
  // No XML_PARSE_NOENT, DTDLOAD, DTDATTR or HUGE: entities stay unexpanded, nothing is
  // fetched, and libxml2 keeps its default nesting limit (256), which bounds our tree walks.
  const int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), bytes.data(), static_cast<int>(bytes.size()),
                                  name.c_str(), nullptr, flags));
  if (t_saw_doctype || (doc && (doc->intSubset || doc->extSubset))) {
    return Status{StatusCode::kLimit,
                  name + " has a DOCTYPE (refused: entity expansion bombs, external entities)"};
  }
  if (!doc || !xmlDocGetRootElement(doc.get())) {
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    std::string why = e && e->message ? e->message : "not well-formed";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return Status{StatusCode::kInvalidArgument,
                  name + " is not well-formed XML: " + why +
                      (e ? " (line " + std::to_string(e->line) + ")" : "")};
  }
  return doc;
}

Result<std::string> SerializeXmlPart(xmlDoc* doc) {
  doc->standalone = 1;
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  if (!mem || size <= 0) {
    if (mem) xmlFree(mem);
    return Status{StatusCode::kInternal, "libxml2 could not serialise an edited part"};
  }
  std::string out(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
  xmlFree(mem);
  return out;
}

std::string_view LocalName(const xmlNode* n) {
  return n && n->name ? reinterpret_cast<const char*>(n->name) : "";
}

bool IsWordNs(const xmlNode* n) {
  std::string_view href = NsHref(n->ns);
  return href.ends_with("/wordprocessingml/2006/main") || href.ends_with("/wordprocessingml/main");
}

bool Is(const xmlNode* n, std::string_view local) {
  return n && n->type == XML_ELEMENT_NODE && LocalName(n) == local;
}

std::string Attr(const xmlNode* n, std::string_view local, bool any_ns) {
  for (const xmlAttr* a = n->properties; a; a = a->next) {
    if (!a->name || local != reinterpret_cast<const char*>(a->name)) continue;
    if (a->ns && !any_ns) continue;
    xmlChar* v = xmlNodeGetContent(reinterpret_cast<const xmlNode*>(a));
    std::string out = v ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
    return out;
  }
  return "";
}

std::string TextOf(const xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  std::string out = v ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return out;
}

bool HasElementChild(const xmlNode* n) {
  for (const xmlNode* c = n->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return true;
  }
  return false;
}

bool IsRelationshipAttr(const xmlAttr* a) {
  std::string_view href = NsHref(a->ns);
  if (href == kRelNs || href == kRelNsStrict) return true;
  return href == kOfficeNs && a->name &&
         std::strcmp(reinterpret_cast<const char*>(a->name), "relid") == 0;
}

std::vector<xmlNode*> Elements(xmlNode* root) {
  std::vector<xmlNode*> out;
  if (!root) return out;
  xmlNode* n = root;
  for (;;) {
    if (n->type == XML_ELEMENT_NODE) {
      out.push_back(n);
      if (n->children) {
        n = n->children;
        continue;
      }
    }
    while (n != root && n->next == nullptr) n = n->parent;
    if (n == root) break;
    n = n->next;
  }
  return out;
}

NodeEditor::~NodeEditor() {
  // Freed while the document (whose dictionary owns the names) is still alive.
  for (xmlNode* n : graveyard_) xmlFreeNode(n);
}

bool NodeEditor::Attached(const xmlNode* n) const {
  while (n && n->type != XML_DOCUMENT_NODE) n = n->parent;
  return n != nullptr && reinterpret_cast<const xmlDoc*>(n) == doc_;
}

void NodeEditor::Remove(xmlNode* n) {
  if (!Attached(n) || n->type == XML_DOCUMENT_NODE) return;
  xmlNode* parent = n->parent;
  xmlUnlinkNode(n);
  graveyard_.insert(n);
  emptied_parents_.push_back(parent);
  changed_ = true;
}

void NodeEditor::Unwrap(xmlNode* n) {
  if (!Attached(n)) return;
  std::vector<xmlNode*> children;
  for (xmlNode* c = n->children; c; c = c->next) children.push_back(c);
  for (xmlNode* c : children) {
    bool element = c->type == XML_ELEMENT_NODE;
    xmlUnlinkNode(c);
    xmlNode* placed = xmlAddPrevSibling(n, c);  // a text node may be merged (and freed)
    // Namespaces declared on n itself would vanish with it: declare them where needed.
    if (element && placed == c) xmlReconciliateNs(doc_, c);
  }
  Remove(n);
}

void NodeEditor::Replace(xmlNode* old_node, xmlNode* with) {
  if (!Attached(old_node)) return;
  xmlUnlinkNode(with);
  if (xmlAddPrevSibling(old_node, with) == with) xmlReconciliateNs(doc_, with);
  Remove(old_node);
}

void NodeEditor::PruneEmptied() {
  for (size_t i = 0; i < emptied_parents_.size(); ++i) {  // Remove() appends: a worklist
    xmlNode* p = emptied_parents_[i];
    if (!p || p->type != XML_ELEMENT_NODE || !Attached(p)) continue;
    if (Prunable(p) && !HasElementChild(p)) {
      Remove(p);
    } else if ((IsMc(p, "Choice") || IsMc(p, "Fallback")) && p->parent &&
               IsMc(p->parent, "AlternateContent") && AllBranchesEmpty(p->parent)) {
      Remove(p->parent);
    } else if (IsMc(p, "AlternateContent") && AllBranchesEmpty(p)) {
      Remove(p);
    }
  }
  emptied_parents_.clear();
}

}  // namespace mugai::ooxml
