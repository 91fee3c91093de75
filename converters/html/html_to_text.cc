// HTML → text. libxml2 builds the tree (no network, no entities fetched); we walk it with an
// explicit depth bound and emit only text nodes outside the elements that never show text.
#include "converters/html/html_to_text.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <strings.h>

#include <cstdio>
#include <cstring>

#include <array>
#include <map>
#include <memory>

namespace mugai {

namespace {

// Elements whose whole subtree is dropped (never visible, or active content).
constexpr std::array<std::string_view, 13> kDroppedElements = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
    "noscript", "template", "head", "svg", "math"};

// Elements kept for their text but reported, because their behaviour is gone.
constexpr std::array<std::string_view, 4> kDisabledElements = {"form", "input", "button", "base"};

// Elements that start a new line in the text.
constexpr std::array<std::string_view, 30> kBlockElements = {
    "p",  "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "dl", "dt",  "dd", "blockquote", "pre", "hr", "section", "article", "header", "footer",
    "nav", "aside", "address", "title", "caption", "body"};

bool In(std::string_view name, const auto& list) {
  for (auto n : list) {
    if (strcasecmp(std::string(n).c_str(), std::string(name).c_str()) == 0) return true;
  }
  return false;
}

std::string_view Name(const xmlNode* node) {
  return node->name ? reinterpret_cast<const char*>(node->name) : "";
}

std::string Attr(const xmlNode* node, const char* attr) {
  xmlChar* v = xmlGetProp(node, reinterpret_cast<const xmlChar*>(attr));
  if (!v) return "";
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

std::string Defang(std::string url) {
  auto replace_prefix = [&url](std::string_view from, std::string_view to) {
    if (url.size() >= from.size() && strncasecmp(url.c_str(), from.data(), from.size()) == 0) {
      url = std::string(to) + url.substr(from.size());
    }
  };
  replace_prefix("https:", "hxxps:");
  replace_prefix("http:", "hxxp:");
  replace_prefix("ftp:", "fxp:");
  std::string out;
  for (char c : url) {
    if (c == '.') out += "[.]";
    else out += c;
  }
  return out;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// Normalises an href the way browsers read it: leading/trailing control characters and
// spaces go, tabs and line breaks inside vanish. Control and bidi characters that remain
// are percent-encoded so the shown address cannot rearrange the text around it.
std::string NormalizeHref(std::string_view raw) {
  size_t b = 0, e = raw.size();
  while (b < e && static_cast<unsigned char>(raw[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(raw[e - 1]) <= 0x20) --e;
  std::string out;
  for (size_t i = b; i < e; ++i) {
    auto c = static_cast<unsigned char>(raw[i]);
    if (c == '\t' || c == '\n' || c == '\r') continue;
    bool bidi = c == 0xe2 && i + 2 < e && ((static_cast<unsigned char>(raw[i + 1]) == 0x80 &&
                                            ((static_cast<unsigned char>(raw[i + 2]) >= 0xaa &&
                                              static_cast<unsigned char>(raw[i + 2]) <= 0xae) ||
                                             static_cast<unsigned char>(raw[i + 2]) == 0x8e ||
                                             static_cast<unsigned char>(raw[i + 2]) == 0x8f)) ||
                                           (static_cast<unsigned char>(raw[i + 1]) == 0x81 &&
                                            static_cast<unsigned char>(raw[i + 2]) >= 0xa6 &&
                                            static_cast<unsigned char>(raw[i + 2]) <= 0xa9));
    if (c < 0x20 || c == 0x7f || c == ' ' || bidi) {
      size_t n = bidi ? 3 : 1;
      for (size_t k = 0; k < n; ++k) {
        char buf[4];
        snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(raw[i + k]));
        out += buf;
      }
      i += n - 1;
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

// Links shown at all: web and mail addresses, and relative references. Everything else
// (javascript:, vbscript:, data:, file:, search-ms:, ms-msdt:, \\host\share ...) is dropped.
bool IsShowableUrl(std::string_view url) {
  if (StartsWithNoCase(url, "http://") || StartsWithNoCase(url, "https://") ||
      StartsWithNoCase(url, "mailto:") || StartsWithNoCase(url, "ftp://")) {
    return true;
  }
  if (url.rfind("\\\\", 0) == 0 || url.rfind("//", 0) == 0) return false;  // UNC, network path
  size_t colon = url.find(':');
  size_t slash = url.find_first_of("/?#");
  return colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon);
}

// In defang mode, addresses written in the text itself are defanged too, so that a mail
// client or editor on the LGWAN side does not turn them back into links.
std::string DefangText(std::string_view text) {
  static constexpr std::string_view kStarts[] = {"https://", "http://", "ftp://", "file:",
                                                 "www.", "\\\\"};
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    bool boundary = i == 0 || static_cast<unsigned char>(text[i - 1]) <= 0x20 ||
                    strchr("<(\"'[", text[i - 1]) != nullptr;
    std::string_view start;
    if (boundary) {
      for (auto s : kStarts) {
        if (StartsWithNoCase(text.substr(i), s)) {
          start = s;
          break;
        }
      }
    }
    if (start.empty()) {
      out += text[i++];
      continue;
    }
    size_t end = i;
    while (end < text.size() && static_cast<unsigned char>(text[end]) > 0x20 &&
           strchr("<>\"'", text[end]) == nullptr) {
      ++end;
    }
    std::string token(text.substr(i, end - i));
    if (start == "file:") {
      out += "file[:]" + token.substr(5);
    } else if (start == "\\\\") {
      out += "[\\\\]" + token.substr(2);
    } else {
      out += Defang(token);
    }
    i = end;
  }
  return out;
}

class TextWriter {
 public:
  explicit TextWriter(const HtmlToTextOptions& options) : options_(options) {}

  Status Walk(const xmlNode* node, uint32_t depth, bool in_pre) {
    if (depth > options_.max_depth) {
      return {StatusCode::kLimit, "HTML nesting deeper than " + std::to_string(options_.max_depth)};
    }
    for (const xmlNode* n = node; n; n = n->next) {
      if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        const char* content = reinterpret_cast<const char*>(n->content);
        if (content && options_.links == LinkStyle::kDefang) {
          AppendText(DefangText(content).c_str(), in_pre);
        } else {
          AppendText(content, in_pre);
        }
      } else if (n->type == XML_ELEMENT_NODE) {
        if (Status s = Element(n, depth, in_pre); !s.ok()) return s;
      }
      if (out_.size() > options_.max_output_bytes) {
        return {StatusCode::kLimit, "text output larger than the limit"};
      }
    }
    return Status::Ok();
  }

  HtmlText Finish() {
    HtmlText result;
    // Trim trailing blank lines, end with exactly one newline when there is text.
    while (!out_.empty() && (out_.back() == '\n' || out_.back() == ' ')) out_.pop_back();
    if (!out_.empty()) out_ += '\n';
    result.text = std::move(out_);
    for (auto& [what, count] : removed_) result.removed.push_back({what, count});
    result.links = links_;
    return result;
  }

 private:
  Status Element(const xmlNode* n, uint32_t depth, bool in_pre) {
    std::string_view name = Name(n);
    CountActiveAttributes(n);
    if (In(name, kDroppedElements)) {
      if (strcasecmp(std::string(name).c_str(), "head") != 0) ++removed_[std::string(name)];
      // Keep the document title: it is visible in a browser's tab.
      if (strcasecmp(std::string(name).c_str(), "head") == 0) return TitleOf(n, depth);
      return Status::Ok();
    }
    if (In(name, kDisabledElements)) ++removed_[std::string(name)];
    bool block = In(name, kBlockElements);
    bool pre = in_pre || strcasecmp(std::string(name).c_str(), "pre") == 0;
    if (block) NewLine();
    if (strcasecmp(std::string(name).c_str(), "img") == 0) {
      std::string alt = Attr(n, "alt");
      if (!alt.empty()) AppendText(("[" + alt + "]").c_str(), false);
      ++removed_["image"];
      return Status::Ok();
    }
    if (strcasecmp(std::string(name).c_str(), "td") == 0 ||
        strcasecmp(std::string(name).c_str(), "th") == 0) {
      if (!out_.empty() && out_.back() != '\n') out_ += '\t';
    }
    if (Status s = Walk(n->children, depth + 1, pre); !s.ok()) return s;
    if (strcasecmp(std::string(name).c_str(), "a") == 0) Link(n);
    if (block) NewLine();
    return Status::Ok();
  }

  Status TitleOf(const xmlNode* head, uint32_t depth) {
    for (const xmlNode* c = head->children; c; c = c->next) {
      if (c->type == XML_ELEMENT_NODE && strcasecmp(std::string(Name(c)).c_str(), "title") == 0) {
        if (Status s = Walk(c->children, depth + 1, false); !s.ok()) return s;
        NewLine();
      } else if (c->type == XML_ELEMENT_NODE) {
        std::string_view name = Name(c);
        if (In(name, kDroppedElements) || strcasecmp(std::string(name).c_str(), "link") == 0 ||
            strcasecmp(std::string(name).c_str(), "meta") == 0) {
          if (strcasecmp(std::string(name).c_str(), "meta") != 0) ++removed_[std::string(name)];
        }
        CountActiveAttributes(c);
      }
    }
    return Status::Ok();
  }

  void Link(const xmlNode* a) {
    std::string href = NormalizeHref(Attr(a, "href"));
    if (href.empty() || href[0] == '#') return;
    if (!IsShowableUrl(href)) {
      bool script = StartsWithNoCase(href, "javascript:") || StartsWithNoCase(href, "vbscript:") ||
                    StartsWithNoCase(href, "data:");
      ++removed_[script ? "script_url" : "unsafe_url"];
      return;
    }
    ++links_;
    if (options_.links == LinkStyle::kDrop) return;
    std::string shown = options_.links == LinkStyle::kDefang ? Defang(href) : href;
    AppendText((" <" + shown + ">").c_str(), true);
  }

  void CountActiveAttributes(const xmlNode* n) {
    for (const xmlAttr* a = n->properties; a; a = a->next) {
      std::string_view attr = a->name ? reinterpret_cast<const char*>(a->name) : "";
      if (attr.size() > 2 && strncasecmp(attr.data(), "on", 2) == 0) ++removed_["event_handler"];
    }
  }

  void NewLine() {
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    if (!out_.empty() && out_.back() != '\n') out_ += '\n';
  }

  // Collapses runs of white space outside <pre>, as a browser does.
  void AppendText(const char* text, bool preserve) {
    if (!text) return;
    for (const char* p = text; *p; ++p) {
      char c = *p;
      if (preserve) {
        out_ += c;
        continue;
      }
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
        if (!out_.empty() && out_.back() != ' ' && out_.back() != '\n') out_ += ' ';
      } else {
        out_ += c;
      }
    }
  }

  const HtmlToTextOptions& options_;
  std::string out_;
  std::map<std::string, uint32_t> removed_;
  uint32_t links_ = 0;
};

// libxml2 reports charset conversion failures through its error handler and then stops
// reading: the text would be silently cut short. Count them so the caller can fail closed.
void CountEncodingErrors(void* counter, xmlErrorPtr error) {
  if (error && (error->domain == XML_FROM_I18N || error->code == XML_I18N_CONV_FAILED ||
                error->code == XML_IO_ENCODER)) {
    ++*static_cast<int*>(counter);
  }
}

}  // namespace

Result<HtmlText> HtmlToText(std::string_view html, const std::string& charset_hint,
                            const HtmlToTextOptions& options) {
  // HTML_PARSE_NONET: never fetch anything. The HTML parser does not expand external entities.
  const int flags = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                    HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT;
  if (html.size() > static_cast<size_t>(INT32_MAX)) {
    return Status{StatusCode::kLimit, "HTML too large"};
  }
  const char* encoding = charset_hint.empty() ? nullptr : charset_hint.c_str();
  int encoding_errors = 0;
  xmlSetStructuredErrorFunc(&encoding_errors, CountEncodingErrors);
  htmlDocPtr doc = htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, encoding,
                                  flags);
  xmlSetStructuredErrorFunc(nullptr, nullptr);
  if (encoding_errors > 0) {
    if (doc) xmlFreeDoc(doc);
    return Status{StatusCode::kInvalidArgument,
                  "the HTML's text cannot be decoded in its character set (" +
                      std::string(encoding ? encoding : "as declared") + ")"};
  }
  if (!doc) return Status{StatusCode::kInvalidArgument, "libxml2 could not parse the HTML"};
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> guard(doc, xmlFreeDoc);
  TextWriter writer(options);
  if (Status s = writer.Walk(xmlDocGetRootElement(doc), 0, false); !s.ok()) return s;
  HtmlText result = writer.Finish();
  result.source_charset = doc->encoding ? reinterpret_cast<const char*>(doc->encoding)
                                        : (encoding ? encoding : "UTF-8");
  return result;
}

}  // namespace mugai
