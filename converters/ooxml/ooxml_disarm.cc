// DisarmOoxml: the order of the passes. Parts go first (active content, then relationships,
// then what nothing reaches), then each remaining XML part drops its references to them.
#include "converters/ooxml/ooxml_disarm.h"

#include "converters/ooxml/ooxml_internal.h"

namespace mugai {

namespace {

using ooxml::Package;
using ooxml::Part;

bool Found(const OoxmlFindings& f, std::initializer_list<std::string_view> whats) {
  for (const auto& [what, detail] : f.removed) {
    for (auto w : whats) {
      if (what == w) return true;
    }
  }
  return false;
}

bool IsRelsOrTypes(const Part& p) {
  bool is_rels = false;
  ooxml::SourceKeyOfRels(p.key, &is_rels);
  return is_rels || p.key == "[content_types].xml";
}

// A hostile file can repeat one feature many thousand times: the report keeps the first
// kMaxFindingsPerKind of each kind and counts the rest in one more entry.
void CompactFindings(OoxmlFindings* f) {
  constexpr size_t kMaxFindingsPerKind = 50;
  std::map<std::string, size_t> seen;
  std::vector<std::pair<std::string, std::string>> kept;
  for (auto& entry : f->removed) {
    if (++seen[entry.first] <= kMaxFindingsPerKind) kept.push_back(std::move(entry));
  }
  for (const auto& [what, n] : seen) {
    if (n > kMaxFindingsPerKind) {
      kept.emplace_back(what, "and " + std::to_string(n - kMaxFindingsPerKind) + " more");
    }
  }
  f->removed = std::move(kept);
}

Status EditPart(Package* pkg, Part* p, const ooxml::RemovedIds& removed,
                bool external_links_removed, OoxmlFindings* findings) {
  static const std::set<std::string> kNone;
  auto it = removed.find(p->key);
  const std::set<std::string>& ids = it == removed.end() ? kNone : it->second;
  ooxml::NodeEditor editor(p->doc.get());  // destroyed before the document
  if (pkg->kind == "xlsx" && p->key == pkg->main_key) {
    if (Status s =
            ooxml::DisarmWorkbook(p->doc.get(), ids, external_links_removed, &editor, findings);
        !s.ok()) {
      return s;
    }
  }
  (void)external_links_removed;
  if (pkg->kind == "xlsx" && p->content_type.find("worksheet+xml") != std::string::npos) {
    ooxml::DropExternalFormulas(p->doc.get(), p->name, &editor, findings);
  }
  if (pkg->kind == "docx") ooxml::DisarmFields(p->doc.get(), &editor, findings);
  ooxml::DropOutsideReferences(p->doc.get(), p->name, &editor, findings);
  ooxml::EditReferences(p->doc.get(), ids, &editor, findings);
  p->edited = p->edited || editor.changed();
  return Status::Ok();
}

}  // namespace

Result<OoxmlDisarmed> DisarmOoxml(std::string_view package, const OoxmlLimits& limits) {
  Result<Package> loaded = ooxml::LoadPackage(package, limits);
  if (!loaded.ok()) return loaded.status();
  Package& pkg = *loaded;
  if (limits.on_work) limits.on_work(pkg.parts.size(), 0);
  if (Status s = ooxml::ParseAllXml(&pkg, limits); !s.ok()) return s;
  const ooxml::MainType* main = ooxml::FindMainType(pkg.main_content_type);
  OoxmlDisarmed out;
  OoxmlFindings& findings = out.findings;
  findings.kind = pkg.kind;

  ooxml::MarkActiveParts(&pkg, &findings);
  ooxml::KeepOnlyKnownParts(&pkg, limits, &findings);
  ooxml::RemovedIds removed = ooxml::DropRelationships(&pkg, &findings);
  ooxml::DropUnreachable(&pkg, &findings);
  bool external_links_removed = Found(findings, {"external_link"});
  for (Part& p : pkg.parts) {
    if (p.removed || !p.doc || IsRelsOrTypes(p)) continue;
    if (Status s = EditPart(&pkg, &p, removed, external_links_removed, &findings); !s.ok()) {
      return s;
    }
  }
  findings.macro_enabled_input =
      main->macro_enabled ||
      Found(findings, {"vba_project", "vba_data", "vba_signature", "macro_keymap", "macro_toolbars",
                       "xlm_macro_sheet", "auto_run_name", "macro_name"});
  Result<std::string> bytes = ooxml::WritePackage(&pkg, *main, &findings);
  CompactFindings(&findings);
  if (!bytes.ok()) return bytes.status();
  out.bytes = std::move(*bytes);
  out.output_extension = main->extension;
  out.output_mime = main->mime;
  return out;
}

}  // namespace mugai
