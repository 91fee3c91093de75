// Windows metafiles (EMF, WMF) inside Office documents: no library of this build decodes them
// to pixels, so they are rebuilt record by record instead. Comment and escape records (which
// carry arbitrary bytes, EMF+ included: the EMF drawing records stay) are dropped, nothing after
// the end-of-file record is kept, and the header's size fields are written afresh.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace mugai {

// kInvalidArgument when the records do not walk cleanly to an end-of-file record.
// `dropped` counts the records left out (and 1 more for bytes after the end, if any).
Result<std::string> CleanEmf(std::string_view emf, size_t* dropped);
Result<std::string> CleanWmf(std::string_view wmf, size_t* dropped);

}  // namespace mugai
