// ODF link removal. See odf_disarm.h.
#include "converters/office/odf_disarm.h"

#include <libxml/tree.h>

#include <set>

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

constexpr std::string_view kManifest = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";

bool IsManifest(const xmlNode* n, std::string_view local) {
  return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         kManifest == reinterpret_cast<const char*>(n->ns->href) && ooxml::LocalName(n) == local;
}

// The parts META-INF/manifest.xml lists as encrypted, read as LibreOffice reads it: a
// manifest:file-entry right under the root with a manifest:encryption-data child, named by
// its manifest:full-path. A manifest that cannot be read here (one with a DOCTYPE, as old
// OpenOffice.org wrote) lists none: its encrypted parts, if any, then fail as XML below.
std::set<std::string> EncryptedParts(const std::vector<ArchiveMember>& members,
                                     uint64_t max_bytes) {
  std::set<std::string> out;
  for (const ArchiveMember& m : members) {
    if (m.path != "META-INF/manifest.xml") continue;
    Result<ooxml::XmlDocPtr> doc = ooxml::ParseXmlPart(m.bytes, m.path, max_bytes);
    if (!doc.ok()) return out;
    xmlNode* root = xmlDocGetRootElement(doc->get());
    if (!root || !IsManifest(root, "manifest")) return out;
    for (xmlNode* n = root->children; n; n = n->next) {
      if (!IsManifest(n, "file-entry")) continue;
      bool encrypted = false;
      for (xmlNode* c = n->children; c; c = c->next) encrypted |= IsManifest(c, "encryption-data");
      if (!encrypted) continue;
      xmlChar* v = xmlGetNsProp(n, BAD_CAST "full-path", BAD_CAST kManifest.data());
      if (v) out.insert(reinterpret_cast<const char*>(v));
      xmlFree(v);
    }
  }
  return out;
}

}  // namespace

Result<std::string> StripOdfLinks(std::string_view odf, const ArchiveLimits& limits,
                                  size_t* removed, size_t* encrypted) {
  *removed = 0;
  *encrypted = 0;
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
  const std::set<std::string> sealed = EncryptedParts(u.archive.members, limits.max_member_bytes);
  std::vector<std::string> rewritten(u.archive.members.size());
  std::vector<ZipEntry> entries;
  for (size_t i = 0; i < u.archive.members.size(); ++i) {
    ArchiveMember& m = u.archive.members[i];
    const std::string* bytes = &m.bytes;
    if (sealed.count(m.path) > 0) {
      // Ciphertext, which LibreOffice decrypts with the password. A part the manifest calls
      // encrypted that reads as XML is not: its links would reach LibreOffice unstripped.
      if (m.path.ends_with(".xml") && ooxml::ParseXmlPart(m.bytes, m.path, limits.max_member_bytes).ok()) {
        return Status{StatusCode::kInvalidArgument,
                      "the ODF manifest calls " + m.path + " encrypted, but it is plain XML"};
      }
      ++*encrypted;
    } else if (m.path.ends_with(".xml") && m.path != "META-INF/manifest.xml") {
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
    // LibreOffice reads an encrypted part's stored bytes as the ciphertext: never deflated.
    const bool store = sealed.count(m.path) > 0;
    if (m.path == "mimetype") {
      entries.insert(entries.begin(), {m.path, bytes, store});
    } else {
      entries.push_back({m.path, bytes, store});
    }
  }
  // Always the package as read here: entries libarchive skipped (links, devices) or names it
  // read otherwise than another zip reader would are not handed on.
  return BuildZip(entries);
}

}  // namespace mugai
