// Whether LibreOffice is installed where mugai looks for it (pure: the supervisor asks).
#include <unistd.h>

#include "converters/office/office_server.h"

namespace mugai {

std::string LibreOfficeMissing(const std::string& program_dir) {
  for (const char* lib : {"libmergedlo.so", "libsofficeapp.so"}) {
    if (access((program_dir + "/" + lib).c_str(), R_OK) == 0) return "";
  }
  return "LibreOffice is not installed (no libmergedlo.so in " + program_dir +
         "): install the Debian packages libreoffice-writer, libreoffice-calc and "
         "libreoffice-impress (not the -nogui ones), or set office.libreoffice_dir";
}

}  // namespace mugai
