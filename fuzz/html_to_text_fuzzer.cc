// Fuzz target: HTML to text (libxml2's HTML parser and mugai's tree walk and defanging).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "converters/html/html_to_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view html(reinterpret_cast<const char*>(data), size);
  mugai::HtmlToTextOptions options;
  options.max_output_bytes = 1 << 20;
  (void)mugai::HtmlToText(html, "", options);
  options.links = mugai::LinkStyle::kShow;
  (void)mugai::HtmlToText(html, "CP932", options);
  return 0;
}
