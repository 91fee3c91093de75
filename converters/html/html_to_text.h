// Converts hostile HTML to UTF-8 plain text with libxml2's HTML parser. Scripts, styles,
// frames, objects and event handlers are dropped; visible text is kept; links become text.
// Runs only inside a worker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mugai {

enum class LinkStyle {
  kShow,    // "label <https://example.jp/>" — the address is visible, as plain text
  kDefang,  // "label <hxxps://example[.]jp/>" — visible, and not auto-linked by mail clients
  kDrop,    // "label" only
};

struct HtmlToTextOptions {
  LinkStyle links = LinkStyle::kDefang;
  uint32_t max_depth = 256;         // deeper element nesting is a limit hit (blocked)
  uint64_t max_output_bytes = 64u << 20;
};

struct HtmlRemoval {
  std::string what;  // "script", "iframe", "event_handler", "javascript_url", ...
  uint32_t count = 0;
};

struct HtmlText {
  std::string text;                  // UTF-8
  std::string source_charset;        // what the input was decoded from
  std::vector<HtmlRemoval> removed;  // only entries with count > 0
  uint32_t links = 0;                // links written as text
};

// Converts `html`. `charset_hint` (may be empty) is used when the document declares none.
// Returns kLimit when nesting or output size exceed the options, kInvalidArgument when
// libxml2 cannot build a document at all.
Result<HtmlText> HtmlToText(std::string_view html, const std::string& charset_hint,
                            const HtmlToTextOptions& options);

}  // namespace mugai
