// The OPC package: parts read from the zip (UnpackArchive enforces the zip-bomb limits),
// content types, relationships and part-name resolution, and writing the package back.
#include <strings.h>

#include <algorithm>

#include "converters/archive/zip_builder.h"
#include "converters/ooxml/ooxml_internal.h"

namespace mugai::ooxml {

namespace {

constexpr std::string_view kOfficeDocumentType = "/officeDocument";

// Main part content types. Macro-enabled ones become their macro-free equivalent.
constexpr std::string_view kWordDoc =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
constexpr std::string_view kWordTemplate =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml";
constexpr std::string_view kSheet =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
constexpr std::string_view kSheetTemplate =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml";
constexpr std::string_view kPresentation =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml";
constexpr std::string_view kPresTemplate =
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml";
constexpr std::string_view kSlideshow =
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml";

constexpr std::string_view kMimeDocx =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
constexpr std::string_view kMimeDotx =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template";
constexpr std::string_view kMimeXlsx =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
constexpr std::string_view kMimeXltx =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template";
constexpr std::string_view kMimePptx =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";
constexpr std::string_view kMimePotx =
    "application/vnd.openxmlformats-officedocument.presentationml.template";
constexpr std::string_view kMimePpsx =
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow";

constexpr MainType kMainTypes[] = {
    {kWordDoc, "docx", "docx", false, kWordDoc, kMimeDocx},
    {kWordTemplate, "docx", "dotx", false, kWordTemplate, kMimeDotx},
    {"application/vnd.ms-word.document.macroEnabled.main+xml", "docx", "docx", true, kWordDoc,
     kMimeDocx},
    {"application/vnd.ms-word.template.macroEnabledTemplate.main+xml", "docx", "dotx", true,
     kWordTemplate, kMimeDotx},
    {kSheet, "xlsx", "xlsx", false, kSheet, kMimeXlsx},
    {kSheetTemplate, "xlsx", "xltx", false, kSheetTemplate, kMimeXltx},
    {"application/vnd.ms-excel.sheet.macroEnabled.main+xml", "xlsx", "xlsx", true, kSheet,
     kMimeXlsx},
    {"application/vnd.ms-excel.template.macroEnabled.main+xml", "xlsx", "xltx", true,
     kSheetTemplate, kMimeXltx},
    {"application/vnd.ms-excel.addin.macroEnabled.main+xml", "xlsx", "xlsx", true, kSheet,
     kMimeXlsx},
    {kPresentation, "pptx", "pptx", false, kPresentation, kMimePptx},
    {kPresTemplate, "pptx", "potx", false, kPresTemplate, kMimePotx},
    {kSlideshow, "pptx", "ppsx", false, kSlideshow, kMimePpsx},
    {"application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml", "pptx", "pptx", true,
     kPresentation, kMimePptx},
    {"application/vnd.ms-powerpoint.template.macroEnabled.main+xml", "pptx", "potx", true,
     kPresTemplate, kMimePotx},
    {"application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml", "pptx", "ppsx", true,
     kSlideshow, kMimePpsx},
    {"application/vnd.ms-powerpoint.addin.macroEnabled.main+xml", "pptx", "pptx", true,
     kPresentation, kMimePptx},
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = s[i] == '%' && i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
    int lo = hi >= 0 ? HexValue(s[i + 2]) : -1;
    if (hi >= 0 && lo >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string ExtensionOf(const std::string& key) {
  size_t slash = key.rfind('/');
  size_t dot = key.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return key.substr(dot + 1);
}

bool IsXmlContentType(std::string_view ct) {
  return ct.ends_with("+xml") || ct == "application/xml" || ct == "text/xml" ||
         ct == "application/vnd.openxmlformats-officedocument.vmlDrawing";
}

Status ArchiveStatus(const UnpackOutcome& u) {
  StatusCode code =
      u.problem == ArchiveProblem::kLimit ? StatusCode::kLimit : StatusCode::kInvalidArgument;
  return Status{code, "OOXML package: " + u.detail};
}

Status ReadContentTypes(Package* pkg, const OoxmlLimits& limits) {
  Part* ct = pkg->Find("[content_types].xml");
  if (!ct) return {StatusCode::kInvalidArgument, "not an OOXML package: no [Content_Types].xml"};
  Result<XmlDocPtr> doc = ParseXmlPart(ct->bytes, ct->name, limits.max_part_bytes);
  if (!doc.ok()) return doc.status();
  ct->xml = true;
  ct->doc = std::move(*doc);
  for (xmlNode* n = xmlDocGetRootElement(ct->doc.get())->children; n; n = n->next) {
    if (Is(n, "Default")) {
      std::string ext = AsciiLower(Attr(n, "Extension"));
      if (!pkg->defaults.emplace(ext, Attr(n, "ContentType")).second) {
        return {StatusCode::kInvalidArgument, "[Content_Types].xml declares ." + ext + " twice"};
      }
    } else if (Is(n, "Override")) {
      std::string key = PartKey(Attr(n, "PartName"));
      if (!pkg->overrides.emplace(key, Attr(n, "ContentType")).second) {
        return {StatusCode::kInvalidArgument, "[Content_Types].xml declares /" + key + " twice"};
      }
    }
  }
  for (Part& p : pkg->parts) {
    auto o = pkg->overrides.find(p.key);
    auto d = pkg->defaults.find(ExtensionOf(p.key));
    p.content_type = o != pkg->overrides.end()  ? o->second
                     : d != pkg->defaults.end() ? d->second
                                                : "";
    std::string ext = ExtensionOf(p.key);
    p.xml =
        p.xml || IsXmlContentType(p.content_type) || ext == "xml" || ext == "rels" || ext == "vml" ||
        AsciiLower(p.content_type).ends_with("vmldrawing");
  }
  return Status::Ok();
}

Status FindMainPart(Package* pkg, const OoxmlLimits& limits) {
  Result<xmlDoc*> rels = PartDoc(pkg, "_rels/.rels", limits);
  if (!rels.ok()) {
    if (rels.status().code() == StatusCode::kNotFound) {
      return {StatusCode::kInvalidArgument, "not an OOXML package: no _rels/.rels"};
    }
    return rels.status();
  }
  for (const Relationship& r : ReadRelationships(*rels, "")) {
    if (r.external || !r.type.ends_with(kOfficeDocumentType)) continue;
    if (!pkg->main_key.empty()) {
      return {StatusCode::kInvalidArgument, "the package names two main documents"};
    }
    pkg->main_key = r.target_key;
  }
  Part* main = pkg->Find(pkg->main_key);
  if (pkg->main_key.empty() || !main) {
    return {StatusCode::kInvalidArgument, "not an OOXML document: no main part"};
  }
  pkg->main_content_type = main->content_type;
  const MainType* t = FindMainType(main->content_type);
  if (!t) {
    return {StatusCode::kInvalidArgument,
            "unsupported OOXML main part type '" + main->content_type + "'"};
  }
  pkg->kind = t->kind;
  return Status::Ok();
}

// A Default that only served removed active content (the "bin" of vbaProject.bin).
bool ActiveContentType(std::string_view ct) {
  static constexpr std::string_view kWords[] = {
      "vbaproject", "vbadata", "activex", "oleobject", "macrosheet", "macroenabled", "keymap"};
  std::string lower = AsciiLower(ct);
  for (auto w : kWords) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return false;
}

// Rewrites [Content_Types].xml when parts went or the main type changes.
Status EditContentTypes(Package* pkg, const MainType& main, OoxmlFindings* findings) {
  Part* ct = pkg->Find("[content_types].xml");
  xmlNode* root = xmlDocGetRootElement(ct->doc.get());
  NodeEditor editor(ct->doc.get());
  std::set<std::string> used_extensions;  // by kept parts that have no Override
  for (const Part& p : pkg->parts) {
    if (!p.removed && !pkg->overrides.contains(p.key)) used_extensions.insert(ExtensionOf(p.key));
  }
  bool main_has_override = false;
  for (xmlNode* n : Elements(root)) {
    if (Is(n, "Override")) {
      std::string key = PartKey(Attr(n, "PartName"));
      Part* p = pkg->Find(key);
      if (!p || p->removed) {
        editor.Remove(n);
      } else if (key == pkg->main_key) {
        main_has_override = true;
        if (main.macro_enabled) {
          xmlSetProp(n, BAD_CAST "ContentType",
                     BAD_CAST std::string(main.macro_free_content_type).c_str());
          editor.MarkChanged();
        }
      }
    } else if (Is(n, "Default")) {
      std::string ext = AsciiLower(Attr(n, "Extension"));
      if (ActiveContentType(Attr(n, "ContentType")) && !used_extensions.contains(ext)) {
        editor.Remove(n);
      }
    }
  }
  // Images the image converter wrote in another format (GIF, BMP, TIFF → PNG).
  std::set<std::string> retyped;
  for (xmlNode* n : Elements(root)) {
    if (!Is(n, "Override") || !editor.Attached(n)) continue;
    Part* p = pkg->Find(PartKey(Attr(n, "PartName")));
    if (p && !p->removed && !p->new_content_type.empty()) {
      xmlSetProp(n, BAD_CAST "ContentType", BAD_CAST p->new_content_type.c_str());
      editor.MarkChanged();
      retyped.insert(p->key);
    }
  }
  for (const Part& p : pkg->parts) {
    if (p.removed || p.new_content_type.empty() || retyped.contains(p.key)) continue;
    xmlNode* o = xmlNewChild(root, root->ns, BAD_CAST "Override", nullptr);
    xmlSetProp(o, BAD_CAST "PartName", BAD_CAST("/" + p.name).c_str());
    xmlSetProp(o, BAD_CAST "ContentType", BAD_CAST p.new_content_type.c_str());
    editor.MarkChanged();
  }
  if (main.macro_enabled && !main_has_override) {
    xmlNode* o = xmlNewChild(root, root->ns, BAD_CAST "Override", nullptr);
    const Part* mp = pkg->Find(pkg->main_key);
    xmlSetProp(o, BAD_CAST "PartName", BAD_CAST("/" + mp->name).c_str());
    xmlSetProp(o, BAD_CAST "ContentType",
               BAD_CAST std::string(main.macro_free_content_type).c_str());
    editor.MarkChanged();
  }
  if (main.macro_enabled) {
    findings->removed.emplace_back(
        "macro_content_type",
        pkg->main_content_type + " → " + std::string(main.macro_free_content_type));
  }
  ct->edited = ct->edited || editor.changed();
  return Status::Ok();
}

}  // namespace

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Part* Package::Find(const std::string& key) {
  auto it = by_key.find(key);
  return it == by_key.end() ? nullptr : &parts[it->second];
}

std::string PartKey(std::string_view name_or_uri) {
  std::string s = PercentDecode(name_or_uri);
  while (!s.empty() && s[0] == '/') s.erase(0, 1);
  return AsciiLower(s);
}

std::string RelsKeyOf(const std::string& source_key) {
  size_t slash = source_key.rfind('/');
  std::string dir = slash == std::string::npos ? "" : source_key.substr(0, slash + 1);
  std::string file = slash == std::string::npos ? source_key : source_key.substr(slash + 1);
  return dir + "_rels/" + file + ".rels";
}

std::string SourceKeyOfRels(const std::string& rels_key, bool* is_rels) {
  *is_rels = false;
  if (!rels_key.ends_with(".rels")) return "";
  size_t slash = rels_key.rfind('/');
  if (slash == std::string::npos) return "";
  std::string dir = rels_key.substr(0, slash);  // ".../_rels"
  if (dir != "_rels" && !dir.ends_with("/_rels")) return "";
  *is_rels = true;
  std::string file = rels_key.substr(slash + 1, rels_key.size() - slash - 1 - 5);
  std::string parent = dir.size() > 5 ? dir.substr(0, dir.size() - 5) : "";  // keeps the '/'
  return parent + file;  // "_rels/.rels" gives "" (the package itself)
}

std::string ResolveTarget(const std::string& source_key, std::string_view target) {
  std::string t = PercentDecode(target);
  if (t.find("://") != std::string::npos || t.find('\\') != std::string::npos ||
      t.find(':') != std::string::npos || t.rfind("//", 0) == 0) {
    return "";  // an address, a UNC, network ("//host/share") or drive path: never a part
  }
  size_t hash = t.find_first_of("#?");
  if (hash != std::string::npos) t.resize(hash);
  std::string base;
  if (t.empty() || t[0] != '/') {
    size_t slash = source_key.rfind('/');
    base = slash == std::string::npos ? "" : source_key.substr(0, slash + 1);
  }
  std::vector<std::string> parts;
  std::string path = base + t;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string seg = path.substr(start, end - start);
    start = end + 1;
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (parts.empty()) return "";  // climbs out of the package
      parts.pop_back();
      continue;
    }
    parts.push_back(seg);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return AsciiLower(out);
}

std::string RelTypeName(std::string_view type_uri) {
  size_t slash = type_uri.rfind('/');
  return std::string(slash == std::string_view::npos ? type_uri : type_uri.substr(slash + 1));
}

std::vector<Relationship> ReadRelationships(xmlDoc* rels_doc, const std::string& source_key) {
  std::vector<Relationship> out;
  xmlNode* root = xmlDocGetRootElement(rels_doc);
  for (xmlNode* n = root ? root->children : nullptr; n; n = n->next) {
    if (!Is(n, "Relationship")) continue;
    Relationship r;
    r.id = Attr(n, "Id");
    r.type = Attr(n, "Type");
    r.target = Attr(n, "Target");
    std::string mode = Attr(n, "TargetMode");
    // Anything but Internal (or nothing) is treated as external: fail closed.
    r.external = !mode.empty() && strcasecmp(mode.c_str(), "Internal") != 0;
    if (!r.external) r.target_key = ResolveTarget(source_key, r.target);
    r.node = n;
    out.push_back(std::move(r));
  }
  return out;
}

const MainType* FindMainType(std::string_view content_type) {
  for (const MainType& t : kMainTypes) {
    if (t.content_type == content_type) return &t;
  }
  return nullptr;
}

Result<Package> LoadPackage(std::string_view bytes, const OoxmlLimits& limits) {
  // A zip starts with a local header (or is a bare 22-byte end record). Checked first also
  // because UnpackArchive crashes on empty input (libarchive state after a failed open).
  if (bytes.size() < 22 || !bytes.starts_with("PK")) {
    return Status{StatusCode::kInvalidArgument, "not an OOXML package: not a zip"};
  }
  UnpackOutcome u = UnpackArchive(bytes, "", "", limits.package);
  if (u.problem != ArchiveProblem::kNone) return ArchiveStatus(u);
  if (u.archive.single_file || !u.archive.format.starts_with("ZIP")) {
    return Status{StatusCode::kInvalidArgument, "not an OOXML package: not a zip"};
  }
  if (!u.archive.notes.empty()) {
    // Names OPC never produces (rewritten, undecodable, duplicated, links): refuse.
    return Status{StatusCode::kInvalidArgument, "OOXML package: " + u.archive.notes.front()};
  }
  if (u.archive.members.size() > limits.max_parts) {
    return Status{StatusCode::kLimit,
                  "more than " + std::to_string(limits.max_parts) + " parts (ooxml max_parts)"};
  }
  Package pkg;
  pkg.parts.reserve(u.archive.members.size());
  for (ArchiveMember& m : u.archive.members) {
    Part p;
    p.name = m.path;
    p.key = PartKey(m.path);
    p.bytes = std::move(m.bytes);
    if (!pkg.by_key.emplace(p.key, pkg.parts.size()).second) {
      return Status{StatusCode::kInvalidArgument,
                    "two parts named " + p.name + " (OPC names ignore case)"};
    }
    pkg.parts.push_back(std::move(p));
  }
  if (Status s = ReadContentTypes(&pkg, limits); !s.ok()) return s;
  if (Status s = FindMainPart(&pkg, limits); !s.ok()) return s;
  return pkg;
}

Status ParseAllXml(Package* pkg, const OoxmlLimits& limits) {
  for (Part& p : pkg->parts) {
    if (!p.xml || p.doc) continue;
    Result<XmlDocPtr> doc = ParseXmlPart(p.bytes, p.name, limits.max_part_bytes);
    if (!doc.ok()) return doc.status();
    p.doc = std::move(*doc);
  }
  return Status::Ok();
}

Result<xmlDoc*> PartDoc(Package* pkg, const std::string& key, const OoxmlLimits& limits) {
  Part* p = pkg->Find(key);
  if (!p) return Status{StatusCode::kNotFound, "no part /" + key};
  if (!p->doc) {
    Result<XmlDocPtr> doc = ParseXmlPart(p->bytes, p->name, limits.max_part_bytes);
    if (!doc.ok()) return doc.status();
    p->doc = std::move(*doc);
  }
  return p->doc.get();
}

Result<std::string> WritePackage(Package* pkg, const MainType& main, OoxmlFindings* findings) {
  if (Status s = EditContentTypes(pkg, main, findings); !s.ok()) return s;
  std::vector<std::string> serialised(pkg->parts.size());
  std::vector<ZipEntry> entries;
  std::vector<ZipEntry> rest;
  for (size_t i = 0; i < pkg->parts.size(); ++i) {
    Part& p = pkg->parts[i];
    if (p.removed) continue;
    const std::string* bytes = &p.bytes;
    if (p.edited) {
      Result<std::string> s = SerializeXmlPart(p.doc.get());
      if (!s.ok()) return s.status();
      serialised[i] = std::move(*s);
      bytes = &serialised[i];
    }
    (p.key == "[content_types].xml" ? entries : rest).push_back({p.name, bytes});
  }
  entries.insert(entries.end(), rest.begin(), rest.end());
  return BuildZip(entries);
}

}  // namespace mugai::ooxml
