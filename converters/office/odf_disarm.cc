// ODF link removal. See odf_disarm.h.
#include "converters/office/odf_disarm.h"

#include <libxml/tree.h>

#include "converters/archive/zip_builder.h"
#include "converters/ooxml/ooxml_internal.h"

namespace mugai {

namespace {

constexpr std::string_view kXlink = "http://www.w3.org/1999/xlink";

bool Outside(std::string_view href) {
  return href.find(':') != std::string_view::npos || href.rfind("/", 0) == 0 ||
         href.rfind("../", 0) == 0 || href.rfind("\\", 0) == 0 || href.rfind("./../", 0) == 0;
}

size_t StripDoc(xmlDoc* doc) {
  size_t removed = 0;
  ooxml::NodeEditor editor(doc);
  for (xmlNode* n : ooxml::Elements(xmlDocGetRootElement(doc))) {
    if (!editor.Attached(n)) continue;
    std::string_view local = ooxml::LocalName(n);
    if (local == "dde-source" || local == "dde-link" || local == "dde-connection-decl") {
      editor.Remove(n);
      ++removed;
      continue;
    }
    std::vector<xmlAttr*> drop;
    for (xmlAttr* a = n->properties; a; a = a->next) {
      if (!a->ns || !a->ns->href || kXlink != reinterpret_cast<const char*>(a->ns->href)) continue;
      if (std::string_view(reinterpret_cast<const char*>(a->name)) != "href") continue;
      xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNode*>(a));
      if (v && Outside(reinterpret_cast<const char*>(v))) drop.push_back(a);
      xmlFree(v);
    }
    for (xmlAttr* a : drop) {
      xmlRemoveProp(a);
      ++removed;
      editor.MarkChanged();
    }
  }
  return removed;
}

}  // namespace

Result<std::string> StripOdfLinks(std::string_view odf, const ArchiveLimits& limits,
                                  size_t* removed) {
  *removed = 0;
  UnpackOutcome u = UnpackArchive(odf, "", "", limits);
  if (u.problem == ArchiveProblem::kLimit) return Status{StatusCode::kLimit, u.detail};
  if (u.problem != ArchiveProblem::kNone) {
    return Status{StatusCode::kInvalidArgument, "the ODF package cannot be read: " + u.detail};
  }
  if (!u.archive.notes.empty()) {
    // A name libarchive had to decode or make safe: LibreOffice's zip reader would take it as
    // written, so what it opens might not be what was checked here.
    return Status{StatusCode::kInvalidArgument,
                  "the ODF package has member names that are not plain: " + u.archive.notes[0]};
  }
  std::vector<std::string> rewritten(u.archive.members.size());
  std::vector<ZipEntry> entries;
  for (size_t i = 0; i < u.archive.members.size(); ++i) {
    ArchiveMember& m = u.archive.members[i];
    const std::string* bytes = &m.bytes;
    if (m.path.ends_with(".xml") && m.path != "META-INF/manifest.xml") {
      Result<ooxml::XmlDocPtr> doc = ooxml::ParseXmlPart(m.bytes, m.path, limits.max_member_bytes);
      if (!doc.ok()) return doc.status();
      if (size_t n = StripDoc(doc->get()); n > 0) {
        *removed += n;
        Result<std::string> s = ooxml::SerializeXmlPart(doc->get());
        if (!s.ok()) return s.status();
        rewritten[i] = std::move(*s);
        bytes = &rewritten[i];
      }
    }
    if (m.path == "mimetype") {
      entries.insert(entries.begin(), {m.path, bytes});
    } else {
      entries.push_back({m.path, bytes});
    }
  }
  // Always the package as read here: entries libarchive skipped (links, devices) or names it
  // read otherwise than another zip reader would are not handed on.
  return BuildZip(entries);
}

}  // namespace mugai
