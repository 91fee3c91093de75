#include "converters/unlock/office_encryption.h"

#include <gsf/gsf.h>

#include <cstdint>
#include <cstring>

namespace mugai {

namespace {

// [MS-PPT] 2.3.2 CurrentUserAtom: headerToken at offset 12 (after the 8-byte record header
// and the 4-byte size). 0xF3D1C4DF: the document is encrypted; 0xE391C05F: it is not.
constexpr uint32_t kEncryptedPptToken = 0xF3D1C4DFu;

template <typename T>
struct Unref {
  void operator()(T* p) const {
    if (p) g_object_unref(p);
  }
};

bool HasChild(GsfInfile* ole, const char* name) {
  GsfInput* child = gsf_infile_child_by_name(ole, name);
  if (!child) return false;
  g_object_unref(child);
  return true;
}

// The OLE2 container of `bytes` (unref it), or null when it is not one.
GsfInfile* OpenOle(std::string_view bytes) {
  static constexpr unsigned char kOle2[] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
  if (bytes.size() < 512 || std::memcmp(bytes.data(), kOle2, sizeof kOle2) != 0) return nullptr;
  GsfInput* input = gsf_input_memory_new(reinterpret_cast<const guint8*>(bytes.data()),
                                         static_cast<gsf_off_t>(bytes.size()), FALSE);
  if (!input) return nullptr;
  GError* error = nullptr;
  GsfInfile* ole = gsf_infile_msole_new(input, &error);
  g_object_unref(input);
  if (error) g_error_free(error);
  return ole;
}

}  // namespace

std::string OleOfficeType(std::string_view bytes) {
  GsfInfile* ole = OpenOle(bytes);
  if (!ole) return "";
  std::string type = HasChild(ole, "PowerPoint Document") ? "application/vnd.ms-powerpoint"
                     : HasChild(ole, "WordDocument")      ? "application/msword"
                     : HasChild(ole, "Workbook") || HasChild(ole, "Book")
                         ? "application/vnd.ms-excel"
                         : "";
  g_object_unref(ole);
  return type;
}

OfficeEncryption DetectOfficeEncryption(std::string_view bytes) {
  GsfInfile* ole = OpenOle(bytes);
  if (!ole) return OfficeEncryption::kNone;
  OfficeEncryption found = OfficeEncryption::kNone;
  if (HasChild(ole, "EncryptionInfo") && HasChild(ole, "EncryptedPackage")) {
    found = OfficeEncryption::kOoxmlPackage;
  } else if (GsfInput* user = gsf_infile_child_by_name(ole, "Current User")) {
    guint8 head[16];
    if (gsf_input_size(user) >= 16 && gsf_input_read(user, sizeof head, head)) {
      uint32_t token = static_cast<uint32_t>(head[12]) | static_cast<uint32_t>(head[13]) << 8 |
                       static_cast<uint32_t>(head[14]) << 16 |
                       static_cast<uint32_t>(head[15]) << 24;
      if (token == kEncryptedPptToken) found = OfficeEncryption::kPowerPoint;
    }
    g_object_unref(user);
  }
  g_object_unref(ole);
  return found;
}

}  // namespace mugai
