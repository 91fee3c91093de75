// ODF before LibreOffice: LibreOffice 7.4 loads a spreadsheet's, presentation's or drawing's
// linked image (draw:image xlink:href="file:...") while importing, before any setting can
// stop it (see docs/ARCHITECTURE-NOTES.md). Every reference that leaves the package is taken
// out of its XML parts first. Runs in the worker that relays the document to LibreOffice.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "converters/archive/archive_unpacker.h"

namespace mugai {

// Removes, from every XML part but META-INF/manifest.xml: xlink:href attributes that do not
// name a part of the package (a scheme, an absolute path or "../"), and DDE connections
// (office:dde-source, table:dde-link, text:dde-connection-decl). Returns the package rebuilt
// from what was read ("mimetype" first), always, so that LibreOffice's zip reader sees only
// members read here; *removed counts what went. A member name libarchive had to decode or
// make safe refuses the package. kInvalidArgument for a package that cannot be read (or an XML part with a
// DOCTYPE), kLimit beyond `limits`.
//
// Parts that META-INF/manifest.xml marks encrypted (manifest:encryption-data: a document
// saved with a password) cannot be read here; they are handed on as they are and counted in
// *encrypted. Without the password such a document cannot be opened at all.
Result<std::string> StripOdfLinks(std::string_view odf, const ArchiveLimits& limits,
                                  size_t* removed, size_t* encrypted);

}  // namespace mugai
