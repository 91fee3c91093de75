// GMime writing of a rebuilt message. Header lines are written by hand (they were checked
// to be plain 7-bit text); each part's headers and encoding are GMime's.
#include "converters/mail/mail_builder.h"

#include <gmime/gmime.h>

#include "converters/mail/gmime_ptr.h"

#include <strings.h>

#include <memory>

namespace mugai {

namespace {


// Folds a long header line at spaces (RFC 5322 §2.2.3) so that no line passes 78 columns
// where a space allows it, and none passes 998 at all.
std::string FoldedHeader(const std::string& name, const std::string& value) {
  std::string line = name + ": ";
  std::string out;
  size_t col = line.size();
  out = line;
  size_t i = 0;
  while (i < value.size()) {
    size_t sp = value.find(' ', i + 1);
    std::string word = value.substr(i, sp == std::string::npos ? std::string::npos : sp - i);
    if (col + word.size() > 78 && col > name.size() + 2 && !word.empty() && word[0] == ' ') {
      out += "\n";
      col = 0;
    }
    out += word;
    col += word.size();
    i = sp == std::string::npos ? value.size() : sp;
  }
  return out + "\n";
}

GMimeObject* MakePart(const BuiltPart& p) {
  std::string type = p.content_type.empty() ? "application/octet-stream" : p.content_type;
  size_t slash = type.find('/');
  std::string major = slash == std::string::npos ? "application" : type.substr(0, slash);
  std::string minor = slash == std::string::npos ? "octet-stream" : type.substr(slash + 1);
  size_t semi = minor.find(';');
  if (semi != std::string::npos) minor.resize(semi);
  GMimePart* part = g_mime_part_new_with_type(major.c_str(), minor.c_str());
  if (!p.charset.empty() && major == "text") {
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", p.charset.c_str());
  }
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(p.bytes->data(), p.bytes->size()));
  GPtr<GMimeDataWrapper> wrapper(
      g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part, wrapper.get());
  if (major == "message") {
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_7BIT);  // never base64
  } else {
    g_mime_part_set_content_encoding(
        part, g_mime_part_get_best_content_encoding(part, GMIME_ENCODING_CONSTRAINT_7BIT));
  }
  if (!p.filename.empty()) {
    // A name is written into a header parameter: no control character (CR, LF...) reaches
    // it, whatever name the sender gave the part this one stands for.
    std::string name = p.filename;
    for (char& c : name) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '_';
    }
    g_mime_part_set_filename(part, name.c_str());
  }
  g_mime_object_set_disposition(GMIME_OBJECT(part), p.inline_part ? "inline" : "attachment");
  return GMIME_OBJECT(part);
}

}  // namespace

Result<std::string> BuildMail(const HeaderList& headers, const HeaderList& added,
                              const std::vector<BuiltPart>& parts, bool crlf) {
  g_mime_init();
  std::string out;
  for (const auto& [name, value] : headers) {
    if (!IsSafeHeaderValue(name) || name.find(':') != std::string::npos ||
        !IsSafeHeaderValue(value)) {
      return Status{StatusCode::kInvalidArgument, "header " + name + " is not plain 7-bit text"};
    }
    out += FoldedHeader(name, value);
  }
  out += "MIME-Version: 1.0\n";
  for (const auto& [name, value] : added) {
    if (!IsSafeHeaderValue(value)) {
      return Status{StatusCode::kInvalidArgument, "header " + name + " is not plain 7-bit text"};
    }
    out += FoldedHeader(name, value);
  }
  GPtr<GMimeObject> entity;
  if (parts.size() == 1 && parts[0].filename.empty()) {
    entity.reset(MakePart(parts[0]));
  } else {
    GMimeMultipart* mixed = g_mime_multipart_new_with_subtype("mixed");
    entity.reset(GMIME_OBJECT(mixed));
    for (const BuiltPart& p : parts) {
      GPtr<GMimeObject> child(MakePart(p));
      g_mime_multipart_add(mixed, child.get());
    }
  }
  char* text = g_mime_object_to_string(entity.get(), nullptr);
  if (!text) return Status{StatusCode::kInternal, "GMime could not write the message"};
  out += text;
  g_free(text);
  return crlf ? WithCrlf(out) : out;
}

}  // namespace mugai
