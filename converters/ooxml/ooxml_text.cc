// Text mode: the visible text of a docx (main document), xlsx (shared and inline strings) or
// pptx (slides in presentation order), one paragraph per line.
#include "converters/ooxml/ooxml_internal.h"

namespace mugai::ooxml {

namespace {

// Subtrees that never show text: alternative renderings already shown by mc:Choice, field
// instructions, deleted text, phonetic guides (furigana), and properties.
bool Hidden(const xmlNode* n) {
  static constexpr std::string_view kNames[] = {"Fallback", "instrText",  "delInstrText", "delText",
                                                "rPh",      "phoneticPr", "pPr",          "rPr"};
  for (auto k : kNames) {
    if (Is(n, k)) return true;
  }
  return false;
}

class TextCollector {
 public:
  // Appends the text under `node`; every paragraph (w:p, a:p) ends a line. libxml2 caps
  // nesting at 256, which bounds the recursion.
  void Walk(const xmlNode* node) {
    for (const xmlNode* c = node->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE || Hidden(c)) continue;
      bool in_run = c->parent && (Is(c->parent, "r") || Is(c->parent, "fld"));
      if (Is(c, "t")) {
        line_ += TextOf(c);
      } else if (Is(c, "tab") && in_run) {
        line_ += '\t';
      } else if ((Is(c, "br") || Is(c, "cr")) && (in_run || Is(c->parent, "p"))) {
        line_ += '\n';
      } else if (Is(c, "p")) {
        Walk(c);
        EndLine();
      } else {
        Walk(c);
      }
    }
  }
  void EndLine() {
    out_ += line_;
    out_ += '\n';
    line_.clear();
  }
  std::string Finish() {
    if (!line_.empty()) EndLine();
    return std::move(out_);
  }

 private:
  std::string line_;
  std::string out_;
};

std::string RelId(const xmlNode* n) {
  for (const xmlAttr* a = n->properties; a; a = a->next) {
    if (IsRelationshipAttr(a) && a->name &&
        std::string_view("id") == reinterpret_cast<const char*>(a->name)) {
      return TextOf(reinterpret_cast<const xmlNode*>(a));
    }
  }
  return "";
}

// The parts the main part's relationships name, by id and by type.
struct MainRels {
  std::map<std::string, std::string> by_id;                  // id → part key
  std::vector<std::pair<std::string, std::string>> by_type;  // (type name, part key)
};

Result<MainRels> ReadMainRels(Package* pkg, const OoxmlLimits& limits) {
  MainRels out;
  Result<xmlDoc*> rels = PartDoc(pkg, RelsKeyOf(pkg->main_key), limits);
  if (!rels.ok()) {
    if (rels.status().code() == StatusCode::kNotFound) return out;
    return rels.status();
  }
  for (const Relationship& r : ReadRelationships(*rels, pkg->main_key)) {
    if (r.external) continue;
    out.by_id[r.id] = r.target_key;
    out.by_type.emplace_back(RelTypeName(r.type), r.target_key);
  }
  return out;
}

Result<std::string> DocxText(Package* pkg, const OoxmlLimits& limits) {
  Result<xmlDoc*> doc = PartDoc(pkg, pkg->main_key, limits);
  if (!doc.ok()) return doc.status();
  TextCollector text;
  text.Walk(xmlDocGetRootElement(*doc));
  return text.Finish();
}

// One line per shared string item, then per inline string, sheet by sheet.
Result<std::string> XlsxText(Package* pkg, const OoxmlLimits& limits) {
  Result<MainRels> rels = ReadMainRels(pkg, limits);
  if (!rels.ok()) return rels.status();
  TextCollector text;
  for (const auto& [type, key] : rels->by_type) {
    if (type != "sharedStrings" || !pkg->Find(key)) continue;
    Result<xmlDoc*> sst = PartDoc(pkg, key, limits);
    if (!sst.ok()) return sst.status();
    for (const xmlNode* si : Elements(xmlDocGetRootElement(*sst))) {
      if (!Is(si, "si")) continue;
      text.Walk(si);
      text.EndLine();
    }
  }
  Result<xmlDoc*> workbook = PartDoc(pkg, pkg->main_key, limits);
  if (!workbook.ok()) return workbook.status();
  for (const xmlNode* sheet : Elements(xmlDocGetRootElement(*workbook))) {
    auto target = Is(sheet, "sheet") ? rels->by_id.find(RelId(sheet)) : rels->by_id.end();
    if (target == rels->by_id.end()) continue;
    const Part* part = pkg->Find(target->second);
    if (!part || part->content_type.find("worksheet+xml") == std::string::npos) continue;
    Result<xmlDoc*> ws = PartDoc(pkg, target->second, limits);
    if (!ws.ok()) return ws.status();
    for (const xmlNode* c : Elements(xmlDocGetRootElement(*ws))) {
      if (!Is(c, "c") || Attr(c, "t") != "inlineStr") continue;
      text.Walk(c);
      text.EndLine();
    }
  }
  return text.Finish();
}

Result<std::string> PptxText(Package* pkg, const OoxmlLimits& limits) {
  Result<MainRels> rels = ReadMainRels(pkg, limits);
  if (!rels.ok()) return rels.status();
  Result<xmlDoc*> presentation = PartDoc(pkg, pkg->main_key, limits);
  if (!presentation.ok()) return presentation.status();
  TextCollector text;
  for (const xmlNode* id : Elements(xmlDocGetRootElement(*presentation))) {
    auto target = Is(id, "sldId") ? rels->by_id.find(RelId(id)) : rels->by_id.end();
    if (target == rels->by_id.end() || !pkg->Find(target->second)) continue;
    Result<xmlDoc*> slide = PartDoc(pkg, target->second, limits);
    if (!slide.ok()) return slide.status();
    text.Walk(xmlDocGetRootElement(*slide));
  }
  return text.Finish();
}

}  // namespace

}  // namespace mugai::ooxml

namespace mugai {

Result<std::string> OoxmlText(std::string_view package, const OoxmlLimits& limits) {
  Result<ooxml::Package> pkg = ooxml::LoadPackage(package, limits);
  if (!pkg.ok()) return pkg.status();
  if (limits.on_work) limits.on_work(pkg->parts.size(), 0);
  if (pkg->kind == "docx") return ooxml::DocxText(&*pkg, limits);
  if (pkg->kind == "xlsx") return ooxml::XlsxText(&*pkg, limits);
  return ooxml::PptxText(&*pkg, limits);
}

}  // namespace mugai
