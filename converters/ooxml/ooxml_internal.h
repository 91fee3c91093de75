// Internal to converters/ooxml: the package model (parts, content types, relationships), XML
// parsing that refuses DOCTYPEs, node editing, and the edit passes each ooxml_*.cc provides.
#pragma once

#include <libxml/tree.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "converters/ooxml/ooxml_disarm.h"

namespace mugai::ooxml {

// ---- XML (ooxml_xml.cc) ----

struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

// Parses one XML part with no network, no entity substitution and no DTD loading. A DOCTYPE
// stops the parser as soon as it is seen, whatever the encoding (kLimit: entity bombs);
// a part over `max_bytes` is kLimit; a part that is not well-formed is kInvalidArgument.
Result<XmlDocPtr> ParseXmlPart(std::string_view bytes, const std::string& name, uint64_t max_bytes);
// An edited part as UTF-8 with its XML declaration and standalone="yes".
Result<std::string> SerializeXmlPart(xmlDoc* doc);

std::string_view LocalName(const xmlNode* n);
bool Is(const xmlNode* n, std::string_view local);
bool IsWordNs(const xmlNode* n);  // in WordprocessingML's namespace (transitional or strict)
// The value of the attribute `local` in no namespace, or in any namespace (any_ns); "" if absent.
std::string Attr(const xmlNode* n, std::string_view local, bool any_ns = false);
std::string TextOf(const xmlNode* n);  // concatenated text content of the subtree
bool HasElementChild(const xmlNode* n);
bool IsRelationshipAttr(const xmlAttr* a);  // r:id, r:embed, r:link..., VML o:relid
// Every element under (and including) `root`, in document order; computed before editing so
// that edits never disturb the iteration.
std::vector<xmlNode*> Elements(xmlNode* root);

// Defers freeing: removed nodes are unlinked at once and freed when the editor goes, so that
// pointers collected before an edit stay valid. Parents emptied by a removal are pruned.
class NodeEditor {
 public:
  explicit NodeEditor(xmlDoc* doc) : doc_(doc) {}
  ~NodeEditor();
  NodeEditor(const NodeEditor&) = delete;
  NodeEditor& operator=(const NodeEditor&) = delete;

  bool Attached(const xmlNode* n) const;  // still in the document (not inside a removed tree)
  void Remove(xmlNode* n);
  void Unwrap(xmlNode* n);                         // replaces n by its children
  void Replace(xmlNode* old_node, xmlNode* with);  // moves `with` to where old_node was
  // Removes containers left without element children (controls, oleObjects, hyperlinks,
  // externalReferences, w:object, and mc:AlternateContent whose branches are all empty).
  void PruneEmptied();
  bool changed() const { return changed_; }
  void MarkChanged() { changed_ = true; }

 private:
  xmlDoc* doc_;
  std::set<xmlNode*> graveyard_;
  std::vector<xmlNode*> emptied_parents_;
  bool changed_ = false;
};

// ---- the package (ooxml_package.cc) ----

struct Part {
  std::string name;          // as stored in the zip: "word/document.xml"
  std::string key;           // percent-decoded, ASCII lower case: how OPC compares names
  std::string bytes;         // as read
  std::string content_type;  // from [Content_Types].xml ("" when it declares none)
  bool xml = false;
  bool removed = false;
  XmlDocPtr doc;  // parsed (all XML parts when disarming)
  bool edited = false;
  std::string new_content_type;  // an image re-encoded in another format ("" = unchanged)
};

struct Relationship {
  std::string id, type, target;
  bool external = false;
  std::string target_key;  // the internal target as a part key
  xmlNode* node = nullptr;
};

struct Package {
  std::vector<Part> parts;  // zip order
  std::map<std::string, size_t> by_key;
  std::map<std::string, std::string> defaults;   // extension (lower case) → content type
  std::map<std::string, std::string> overrides;  // part key → content type
  std::string main_key;
  std::string main_content_type;
  std::string kind;  // docx xlsx pptx
  Part* Find(const std::string& key);
};

// Reads the zip under the limits, refuses clashing names, reads [Content_Types].xml and the
// package relationships, and finds the main part and its kind. Does not parse other parts.
Result<Package> LoadPackage(std::string_view bytes, const OoxmlLimits& limits);
// Parses every XML part (each must parse, none may have a DOCTYPE).
Status ParseAllXml(Package* pkg, const OoxmlLimits& limits);
// Parses one part on demand (text mode).
Result<xmlDoc*> PartDoc(Package* pkg, const std::string& key, const OoxmlLimits& limits);

std::string AsciiLower(std::string_view s);            // OPC compares names and types without case
std::string PartKey(std::string_view name_or_uri);     // decode, drop '/', lower case
std::string RelsKeyOf(const std::string& source_key);  // "" = the package itself
std::string SourceKeyOfRels(const std::string& rels_key, bool* is_rels);
std::string ResolveTarget(const std::string& source_key, std::string_view target);
std::string RelTypeName(std::string_view type_uri);  // the last segment of the URI
std::vector<Relationship> ReadRelationships(xmlDoc* rels_doc, const std::string& source_key);

struct MainType {
  std::string_view content_type;
  std::string_view kind, extension;
  bool macro_enabled;
  std::string_view macro_free_content_type;
  std::string_view mime;
};
const MainType* FindMainType(std::string_view content_type);

// Writes the package: removed parts left out, edited parts serialised, [Content_Types].xml
// first with Overrides for missing parts dropped and the main part's type made macro-free.
Result<std::string> WritePackage(Package* pkg, const MainType& main, OoxmlFindings* findings);

// ---- relationships (ooxml_relationships.cc) ----

using RemovedIds = std::map<std::string, std::set<std::string>>;  // source part → rel ids

// Marks parts that are active content (VBA, XLM, ActiveX, OLE, external links, custom UI,
// signatures...), by content type, name or the type of a relationship pointing at them.
void MarkActiveParts(Package* pkg, OoxmlFindings* findings);
// Drops external relationships, and those to removed or missing parts, from every .rels
// part; returns the removed ids by source part.
RemovedIds DropRelationships(Package* pkg, OoxmlFindings* findings);
// Removes parts no relationship reaches from the package root any more.
void DropUnreachable(Package* pkg, OoxmlFindings* findings);

// ---- the allow-list (ooxml_allowlist.cc) ----

// Removes every part whose content type is not on the list of what documents need to show
// their content; images are re-encoded (limits.reencode_images) or at least sniffed, SVG
// removed. Relationship and [Content_Types] parts are left to the other passes.
void KeepOnlyKnownParts(Package* pkg, const OoxmlLimits& limits, OoxmlFindings* findings);
// An internal relationship of this type may stay (officeDocument, styles, image, slide...).
bool AllowedRelationshipType(std::string_view type_uri);

// ---- edit passes (ooxml_references.cc, ooxml_fields.cc, ooxml_workbook.cc) ----

// Removes, unwraps or replaces the elements that reference removed relationship ids, and
// PowerPoint actions that run programs or macros.
void EditReferences(xmlDoc* doc, const std::set<std::string>& removed_ids, NodeEditor* editor,
                    OoxmlFindings* findings);
// Drops DDE, INCLUDETEXT/INCLUDEPICTURE, LINK and external HYPERLINK field instructions
// (simple and complex fields) and keeps the field results.
void DisarmFields(xmlDoc* doc, NodeEditor* editor, OoxmlFindings* findings);
// Workbook: removes sheets whose relationship went, auto-run and macro names, names referring
// to removed sheets or external workbooks; fixes sheet indices. kInvalidArgument when no
// sheet is left.
Status DisarmWorkbook(xmlDoc* doc, const std::set<std::string>& removed_ids,
                      bool external_links_removed, NodeEditor* editor, OoxmlFindings* findings);
// Worksheet: formulas that fetch, run or refer outside the workbook (RiskyFormula) are
// dropped, keeping the cached values.
void DropExternalFormulas(xmlDoc* doc, const std::string& part_name, NodeEditor* editor,
                          OoxmlFindings* findings);
bool RefersToExternalWorkbook(std::string_view formula);
// What makes a formula unsafe to keep, or "": "external_formula" (an external workbook or a
// path: [1]Sheet!A1, '\\host\share\[x.xlsx]S'!A1, 'C:\dir\[x.xlsx]S'!A1),
// "dde_formula" (cmd|' /C calc'!A0), "network_formula" (WEBSERVICE, IMAGE, RTD, HYPERLINK,
// FILTERXML), "code_formula" (CALL, REGISTER, REGISTER.ID, EXEC, _xll.*).
std::string_view RiskyFormula(std::string_view formula);
// VML and DrawingML attributes that point outside the package (src, href, o:href, althref)
// and Word's mailMerge settings.
void DropOutsideReferences(xmlDoc* doc, const std::string& part_name, NodeEditor* editor,
                           OoxmlFindings* findings);

}  // namespace mugai::ooxml
