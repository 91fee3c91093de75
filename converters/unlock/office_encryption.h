// Which password-protected Office documents need decrypting before they can be disarmed or
// converted (issue 19). An OLE2 (Compound File) container is read with libgsf; nothing is
// decrypted here.
#pragma once

#include <string>
#include <string_view>

namespace mugai {

enum class OfficeEncryption {
  kNone,
  // Word/Excel/PowerPoint 2007+ saved with an open password: an OLE2 file holding the
  // streams EncryptionInfo and EncryptedPackage (ECMA-376 agile or standard encryption).
  kOoxmlPackage,
  // PowerPoint 97-2003 with an open password: its "Current User" stream's header token says
  // the document is encrypted (RC4 CryptoAPI). LibreOffice cannot open these at all.
  kPowerPoint,
};

// Only what the container says; a file that is not OLE2 is kNone.
OfficeEncryption DetectOfficeEncryption(std::string_view bytes);

// The legacy Office type an OLE2 file's main stream names ("PowerPoint Document": PowerPoint,
// "WordDocument": Word, "Workbook" or "Book": Excel), for a compound file libmagic could not
// name (e.g. a decrypted presentation whose summary stream is unreadable). "" otherwise.
std::string OleOfficeType(std::string_view bytes);

}  // namespace mugai
