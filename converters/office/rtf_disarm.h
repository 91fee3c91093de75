// RTF before LibreOffice: what makes its importer read files by itself. LibreOffice 7.4's RTF
// importer opens an INCLUDEPICTURE field's path while parsing, whatever the profile says (see
// docs/ARCHITECTURE-NOTES.md), so those instructions never reach it. Pure string code on the
// RTF bytes; runs in the worker that relays the document to LibreOffice.
#pragma once

#include <string>
#include <string_view>

namespace mugai {

struct RtfLinks {
  size_t field_instructions = 0;  // {\*\fldinst ...} groups: the field shows its last result
  size_t linked_pictures = 0;     // shape properties naming a picture file (pibName)
  size_t data_fields = 0;         // {\*\datafield ...} (mail merge and form data)
  std::string unclear;  // non-empty: RTF that LibreOffice may read otherwise (block it)
};

// `rtf` without every group holding a field instruction or a data field (wherever the control
// word stands in it) and every shape property naming a picture file. Braces inside \binN data
// and escaped braces are honoured; an unbalanced group runs to the end of the input. When
// found->unclear is set, the result must not be used.
std::string StripRtfLinks(std::string_view rtf, RtfLinks* found);

}  // namespace mugai
