// StripOdfLinks: links out of the package are removed from every XML part it can read; the
// parts the manifest lists as encrypted (as LibreOffice reads a manifest) pass as they are,
// and a manifest cannot pass off a plain part as encrypted.
#include "converters/office/odf_disarm.h"

#include <gtest/gtest.h>

#include "converters/archive/zip_builder.h"

namespace mugai {
namespace {

ArchiveLimits Generous() { return ArchiveLimits{1000, 1 << 26, 1 << 27, 200, 1 << 20}; }

constexpr char kContent[] =
    "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
    "xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" "
    "xmlns:xlink=\"http://www.w3.org/1999/xlink\"><office:body>"
    "<draw:image xlink:href=\"file:///etc/passwd\"/></office:body></office:document-content>";

std::string Manifest(const std::string& entries) {
  return "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" "
         "xmlns:x=\"urn:example:other\">"
         "<manifest:file-entry manifest:full-path=\"/\" "
         "manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>" +
         entries + "</manifest:manifest>";
}

std::string Odt(const std::string& manifest, const std::string& content) {
  const std::string mimetype = "application/vnd.oasis.opendocument.text";
  std::vector<ZipEntry> entries{{"mimetype", &mimetype},
                                {"META-INF/manifest.xml", &manifest},
                                {"content.xml", &content}};
  return BuildZip(entries).value();
}

constexpr char kEncryptionData[] =
    "<manifest:encryption-data manifest:checksum-type=\"SHA1/1K\" manifest:checksum=\"AAAA\">"
    "<manifest:algorithm manifest:algorithm-name=\"Blowfish CFB\" "
    "manifest:initialisation-vector=\"AAAA\"/></manifest:encryption-data>";

TEST(StripOdfLinks, APlainPartLosesItsOutsideLink) {
  size_t removed = 0, encrypted = 0;
  Result<std::string> out = StripOdfLinks(
      Odt(Manifest("<manifest:file-entry manifest:full-path=\"content.xml\"/>"), kContent),
      Generous(), &removed, &encrypted);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(removed, 1u);
  EXPECT_EQ(encrypted, 0u);
  EXPECT_EQ(out->find("/etc/passwd"), std::string::npos);
}

// Forgeries LibreOffice would not take for encryption (another namespace, an entry not
// directly under the root): the part is read as plain XML and its link removed.
TEST(StripOdfLinks, AForgedEncryptionMarkDoesNotSpareAPlainPart) {
  for (const std::string& entries :
       {std::string("<manifest:file-entry manifest:full-path=\"content.xml\">"
                    "<x:encryption-data/></manifest:file-entry>"),
        std::string("<x:wrap><manifest:file-entry manifest:full-path=\"content.xml\">") +
            kEncryptionData + "</manifest:file-entry></x:wrap>",
        std::string("<manifest:file-entry x:full-path=\"content.xml\">") + kEncryptionData +
            "</manifest:file-entry>"}) {
    SCOPED_TRACE(entries);
    size_t removed = 0, encrypted = 0;
    Result<std::string> out = StripOdfLinks(Odt(Manifest(entries), kContent), Generous(),
                                            &removed, &encrypted);
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_EQ(encrypted, 0u);
    EXPECT_EQ(removed, 1u);
    EXPECT_EQ(out->find("/etc/passwd"), std::string::npos);
  }
}

// A well-formed mark on a part that reads as XML: refused, never handed on unstripped.
TEST(StripOdfLinks, APlainPartMarkedEncryptedRefusesTheDocument) {
  size_t removed = 0, encrypted = 0;
  Result<std::string> out = StripOdfLinks(
      Odt(Manifest(std::string("<manifest:file-entry manifest:full-path=\"content.xml\">") +
                   kEncryptionData + "</manifest:file-entry>"),
          kContent),
      Generous(), &removed, &encrypted);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("plain XML"), std::string::npos) << out.status().message();
}

// A part that really is ciphertext passes as it is, stored rather than deflated.
TEST(StripOdfLinks, AnEncryptedPartPassesAsItIs) {
  std::string cipher(300, '\0');
  for (size_t i = 0; i < cipher.size(); ++i) cipher[i] = static_cast<char>((i * 131 + 7) & 0xff);
  size_t removed = 0, encrypted = 0;
  Result<std::string> out = StripOdfLinks(
      Odt(Manifest(std::string("<manifest:file-entry manifest:full-path=\"content.xml\">") +
                   kEncryptionData + "</manifest:file-entry>"),
          cipher),
      Generous(), &removed, &encrypted);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(encrypted, 1u);
  EXPECT_NE(out->find(cipher), std::string::npos);  // stored: the bytes appear as they are
}

// An old manifest with a DOCTYPE (OpenOffice.org 2) is not an error for a plain document.
TEST(StripOdfLinks, AManifestWithADoctypeStillConverts) {
  size_t removed = 0, encrypted = 0;
  Result<std::string> out = StripOdfLinks(
      Odt("<?xml version=\"1.0\"?><!DOCTYPE manifest:manifest PUBLIC "
          "\"-//OpenOffice.org//DTD Manifest 1.0//EN\" \"Manifest.dtd\">" +
              Manifest("<manifest:file-entry manifest:full-path=\"content.xml\"/>"),
          kContent),
      Generous(), &removed, &encrypted);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(removed, 1u);
  EXPECT_EQ(out->find("/etc/passwd"), std::string::npos);
}

}  // namespace
}  // namespace mugai
