// The console's pages: mstch templates (HTML-escaped by default) and the words on them in
// Japanese and English. No script anywhere: the Content-Security-Policy allows none.
#pragma once

#include <map>
#include <string>

#include <mstch/mstch.hpp>

namespace mugai {

// The template of page `name` ("login", "items", "item", "requests", "audit", "dashboard",
// "message"), rendered inside the layout.
const std::string& PageTemplate(const std::string& name);
const std::string& LayoutTemplate();
const std::string& ConsoleCss();

// Every word of the UI in `lang` ("ja" or "en"), for templates as {{t.key}}.
mstch::map Words(const std::string& lang);
// One word (for messages built in code).
std::string Word(const std::string& lang, const std::string& key);

}  // namespace mugai
