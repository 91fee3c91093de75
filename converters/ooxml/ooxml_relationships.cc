// Which parts are active content (by content type, by name, by the relationships pointing at
// them), which relationships go (external, to removed or missing parts), and reachability.
#include <deque>

#include "converters/ooxml/ooxml_internal.h"

namespace mugai::ooxml {

namespace {

struct Rule {
  std::string_view pattern;
  std::string_view what;
};

// Matched as substrings of the part's content type.
constexpr Rule kByContentType[] = {
    {"vbaProjectSignature", "vba_signature"},
    {"vnd.ms-office.vbaProject", "vba_project"},
    {"vbaData+xml", "vba_data"},  // application/vnd.ms-word.vbaData+xml
    {"keyMapCustomizations", "macro_keymap"},
    {"attachedToolbars", "macro_toolbars"},
    {"macrosheet+xml", "xlm_macro_sheet"},
    {"dialogsheet+xml", "dialog_sheet"},
    {"vnd.ms-office.activeX", "activex"},
    {"officedocument.oleObject", "embedded_object"},
    {"spreadsheetml.externalLink+xml", "external_link"},
    {"package.digital-signature", "digital_signature"},
};

// Matched against a folder name in the part's path (lower case) or its file name.
constexpr Rule kByFolder[] = {
    {"macrosheets", "xlm_macro_sheet"},
    {"dialogsheets", "dialog_sheet"},
    {"activex", "activex"},
    {"embeddings", "embedded_object"},
    {"externallinks", "external_link"},
    {"customui", "custom_ui"},
    {"_xmlsignatures", "digital_signature"},
};
constexpr Rule kByFileName[] = {
    {"vbaproject.bin", "vba_project"},
    {"vbadata.xml", "vba_data"},
    {"vbaprojectsignature.bin", "vba_signature"},
    {"vbaprojectsignatureagile.bin", "vba_signature"},
    {"vbaprojectsignaturev3.bin", "vba_signature"},
};

// Matched against the end of the type URI of a relationship pointing at the part.
constexpr Rule kByRelationshipType[] = {
    {"/vbaProject", "vba_project"},
    {"/wordVbaData", "vba_data"},
    {"/vbaProjectSignature", "vba_signature"},
    {"/vbaProjectSignatureAgile", "vba_signature"},
    {"/vbaProjectSignatureV3", "vba_signature"},
    {"/keyMapCustomizations", "macro_keymap"},
    {"/attachedToolbars", "macro_toolbars"},
    {"/xlMacrosheet", "xlm_macro_sheet"},
    {"/xlIntlMacrosheet", "xlm_macro_sheet"},
    {"/dialogsheet", "dialog_sheet"},
    {"/control", "activex"},
    {"/activeXControlBinary", "activex"},
    {"/oleObject", "embedded_object"},
    {"/package", "embedded_object"},
    {"/externalLink", "external_link"},
    {"/ui/extensibility", "custom_ui"},
    {"/aFChunk", "alt_chunk"},
    {"/digital-signature/origin", "digital_signature"},
    {"/digital-signature/signature", "digital_signature"},
};

std::string_view ByName(const Part& p) {
  std::string content_type = AsciiLower(p.content_type);
  for (const Rule& r : kByContentType) {
    if (content_type.find(AsciiLower(r.pattern)) != std::string::npos) return r.what;
  }
  size_t slash = p.key.rfind('/');
  std::string file = slash == std::string::npos ? p.key : p.key.substr(slash + 1);
  for (const Rule& r : kByFileName) {
    if (file == r.pattern) return r.what;
  }
  std::string dirs = "/" + (slash == std::string::npos ? "" : p.key.substr(0, slash + 1));
  for (const Rule& r : kByFolder) {
    if (dirs.find("/" + std::string(r.pattern) + "/") != std::string::npos) return r.what;
  }
  return "";
}

std::string_view ByRelationshipType(std::string_view type) {
  std::string lower = AsciiLower(type);
  for (const Rule& r : kByRelationshipType) {
    if (lower.ends_with(AsciiLower(r.pattern))) return r.what;
  }
  return "";
}

bool IsRelsPart(const Part& p, std::string* source) {
  bool is_rels = false;
  *source = SourceKeyOfRels(p.key, &is_rels);
  return is_rels;
}

// Removes parts whose source part went, and reports nothing: they belonged to it.
void DropOrphanRels(Package* pkg) {
  for (Part& p : pkg->parts) {
    std::string source;
    if (p.removed || !IsRelsPart(p, &source) || source.empty()) continue;
    const Part* s = pkg->Find(source);
    if (!s || s->removed) p.removed = true;
  }
}

void DropRelationshipsOf(Part* rels, const std::string& source, Package* pkg,
                         std::set<std::string>* ids, OoxmlFindings* findings) {
  std::vector<Relationship> all = ReadRelationships(rels->doc.get(), source);
  for (const Relationship& r : all) {
    if (r.external) {
      bool hyperlink = AsciiLower(RelTypeName(r.type)) == "hyperlink";
      findings->removed.emplace_back(hyperlink ? "hyperlink" : "external_relationship",
                                     hyperlink ? r.target : RelTypeName(r.type) + " → " + r.target);
      ids->insert(r.id);
      continue;
    }
    const Part* target = pkg->Find(r.target_key);
    if (!target) {
      findings->removed.emplace_back("dangling_relationship",
                                     rels->name + " " + r.id + " → " + r.target);
      ids->insert(r.id);
    } else if (target->removed) {
      ids->insert(r.id);
    } else if (!AllowedRelationshipType(r.type)) {
      findings->removed.emplace_back("relationship_not_allowed",
                                     rels->name + " " + r.id + ": " + RelTypeName(r.type) +
                                         " → " + r.target);
      ids->insert(r.id);
    }
  }
  // Every relationship sharing a removed id goes: a duplicate id must not keep a reference
  // alive that the consumer might resolve to the removed target.
  NodeEditor editor(rels->doc.get());
  for (const Relationship& r : all) {
    if (ids->contains(r.id)) editor.Remove(r.node);
  }
  rels->edited = rels->edited || editor.changed();
}

}  // namespace

void MarkActiveParts(Package* pkg, OoxmlFindings* findings) {
  std::map<std::string, std::string_view> why;  // part key → what
  for (const Part& p : pkg->parts) {
    std::string source;
    if (IsRelsPart(p, &source)) continue;  // goes with its source part, below
    std::string_view what = ByName(p);
    if (!what.empty()) why.emplace(p.key, what);
  }
  for (Part& rels : pkg->parts) {
    std::string source;
    if (!rels.doc || !IsRelsPart(rels, &source)) continue;
    for (const Relationship& r : ReadRelationships(rels.doc.get(), source)) {
      std::string_view what = ByRelationshipType(r.type);
      if (!r.external && !what.empty() && pkg->Find(r.target_key)) why.emplace(r.target_key, what);
    }
  }
  for (Part& p : pkg->parts) {
    auto it = why.find(p.key);
    if (it == why.end() || p.key == pkg->main_key) continue;
    p.removed = true;
    findings->removed.emplace_back(std::string(it->second), p.name);
  }
  DropOrphanRels(pkg);
}

RemovedIds DropRelationships(Package* pkg, OoxmlFindings* findings) {
  RemovedIds removed;
  for (Part& rels : pkg->parts) {
    std::string source;
    if (rels.removed || !rels.doc || !IsRelsPart(rels, &source)) continue;
    std::set<std::string> ids;
    DropRelationshipsOf(&rels, source, pkg, &ids, findings);
    if (!ids.empty()) removed[source] = std::move(ids);
  }
  return removed;
}

void DropUnreachable(Package* pkg, OoxmlFindings* findings) {
  std::set<std::string> reachable = {"", "[content_types].xml"};
  std::deque<std::string> queue = {""};
  while (!queue.empty()) {
    std::string source = queue.front();
    queue.pop_front();
    Part* rels = pkg->Find(RelsKeyOf(source));
    if (!rels || rels->removed || !rels->doc) continue;
    reachable.insert(rels->key);
    for (const Relationship& r : ReadRelationships(rels->doc.get(), source)) {
      const Part* target = r.external ? nullptr : pkg->Find(r.target_key);
      if (target && !target->removed && reachable.insert(r.target_key).second) {
        queue.push_back(r.target_key);
      }
    }
  }
  for (Part& p : pkg->parts) {
    if (p.removed || reachable.contains(p.key)) continue;
    p.removed = true;
    std::string source;
    if (!IsRelsPart(p, &source)) findings->removed.emplace_back("unreferenced_part", p.name);
  }
}

}  // namespace mugai::ooxml
