// GMime walk of one message. Every leaf becomes a part; nothing is skipped silently: what is
// dropped (HTML alternatives) is noted, and anything beyond a limit fails the whole message.
#include "converters/mail/mime_unpacker.h"

#include <gmime/gmime.h>

#include "converters/mail/gmime_ptr.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include "converters/text/charset_detector.h"

namespace mugai {

namespace {


struct GFreeString {
  void operator()(char* p) const { g_free(p); }
};
using GString_ = std::unique_ptr<char, GFreeString>;

const char* const kAddressHeaders[] = {"From", "To", "Cc", "Reply-To", "Sender"};

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u < 0x7F);
  });
}

// "a\r\n b" → "a b": a header value on one line, trimmed.
std::string Unfold(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (c == '\r' || c == '\n') continue;
    out += c == '\t' ? ' ' : c;
  }
  size_t b = out.find_first_not_of(' ');
  size_t e = out.find_last_not_of(' ');
  return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A name safe to use as a single path component.
std::string PlainName(std::string name) {
  for (char& c : name) {
    if (c == '/' || c == '\\') c = '_';
  }
  while (!name.empty() && (name.front() == '.' || name.front() == ' ')) name.erase(0, 1);
  return name;
}

// The parameters of a raw Content-Type or Content-Disposition value, as written: (lower-case
// name, value as written between '=' and ';' or inside the quotes, quoted?).
struct RawParam {
  std::string name;
  std::string value;
  bool quoted = false;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::vector<RawParam> RawParams(std::string_view v) {
  std::vector<RawParam> out;
  size_t i = 0;
  auto skip_to_semicolon = [&] {
    bool q = false;
    for (; i < v.size(); ++i) {
      if (v[i] == '"') q = !q;
      if (v[i] == '\\' && q) ++i;
      else if (v[i] == ';' && !q) break;
    }
  };
  skip_to_semicolon();  // the type itself
  while (i < v.size()) {
    ++i;  // ';'
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n')) ++i;
    size_t name_start = i;
    while (i < v.size() && v[i] != '=' && v[i] != ';') ++i;
    RawParam p;
    p.name = Lower(std::string(v.substr(name_start, i - name_start)));
    while (!p.name.empty() && (p.name.back() == ' ' || p.name.back() == '\t')) p.name.pop_back();
    if (i < v.size() && v[i] == '=') {
      ++i;
      size_t value_start = i;
      while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
      if (i < v.size() && v[i] == '"') {
        p.quoted = true;
        size_t q = ++i;
        while (i < v.size() && v[i] != '"') i += v[i] == '\\' ? 2 : 1;
        p.value = std::string(v.substr(q, std::min(i, v.size()) - q));
        if (i < v.size()) ++i;  // the closing quote
        skip_to_semicolon();
      } else {
        i = value_start;
        skip_to_semicolon();
        p.value = std::string(v.substr(value_start, i - value_start));
        while (!p.value.empty() && IsSpace(p.value.back())) p.value.pop_back();  // CRLF, folding
      }
    }
    if (!p.name.empty()) out.push_back(std::move(p));
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One RFC 2047 encoded word's text (B or Q) as bytes; false if it is not well formed.
bool DecodeWord(char encoding, std::string_view text, std::string* out) {
  out->clear();
  if (encoding == 'B' || encoding == 'b') {
    if (text.size() % 4 != 0) return false;
    for (char c : text) {
      if (!g_ascii_isalnum(c) && c != '+' && c != '/' && c != '=') return false;
    }
    gsize len = 0;
    guchar* bytes = g_base64_decode(std::string(text).c_str(), &len);
    if (!bytes) return false;
    out->assign(reinterpret_cast<const char*>(bytes), len);
    g_free(bytes);
    return true;
  }
  if (encoding != 'Q' && encoding != 'q') return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      *out += ' ';
    } else if (text[i] == '=') {
      if (i + 2 >= text.size()) return false;
      int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      *out += text[i];
    }
  }
  return true;
}

// RFC 2047 words (B or Q) in a header or parameter value, decoded, when any of them is in a
// Japanese charset: ISO-2022-JP read as CP50221 and Shift_JIS as CP932, as Japanese mail
// clients mean them (①, ㈱, 髙...), which GMime's iconv turns into '?'s or rejects. Other words in the value are decoded too, spaces
// between adjacent words dropped. Nothing when no word is ISO-2022-JP or one does not decode
// cleanly (GMime's reading stands).
std::optional<std::string> JapaneseWords(std::string_view v) {
  if (v.find("=?") == std::string_view::npos) return std::nullopt;
  std::string utf8;
  bool any = false, last_was_word = false;
  for (size_t i = 0; i < v.size();) {
    size_t start = v.find("=?", i);
    size_t q1 = start == std::string_view::npos ? start : v.find('?', start + 2);
    size_t q2 = q1 == std::string_view::npos ? q1 : v.find('?', q1 + 1);
    size_t end = q2 == std::string_view::npos ? q2 : v.find("?=", q2 + 1);
    if (end == std::string_view::npos || q2 != q1 + 2) {
      utf8 += std::string(v.substr(i));  // the rest is plain text
      break;
    }
    std::string_view between = v.substr(i, start - i);
    bool blank = std::all_of(between.begin(), between.end(), IsSpace);
    if (!(last_was_word && blank)) utf8 += std::string(between);  // spaces between words go
    std::string charset = std::string(v.substr(start + 2, q1 - start - 2));
    size_t star = charset.find('*');  // RFC 2231 language suffix
    if (star != std::string::npos) charset.resize(star);
    std::string raw, part;
    if (!DecodeWord(v[q1 + 1], v.substr(q2 + 1, end - q2 - 1), &raw) ||
        !ConvertToUtf8(raw, charset, &part)) {
      return std::nullopt;
    }
    any = any || IsJapaneseCharset(charset);
    utf8 += part;
    last_was_word = true;
    i = end + 2;
  }
  if (!any) return std::nullopt;  // nothing in a Japanese charset: GMime's reading stands
  return utf8;
}

// A file name GMime cannot decode right: ISO-2022-JP as Japanese mail clients write it
// (CP50221, with ①, ㈱, 髙 and half-width katakana), which GMime reads with iconv's
// ISO-2022-JP and turns into '?'s, and Shift_JIS/EUC-JP names with the same characters
// (CP932, EUC-JP-MS), which iconv's Shift_JIS and EUC-JP reject. From the raw parameters, RFC 2231 (`filename*=
// iso-2022-jp''%1B%24B…`, continuations included) or RFC 2047 words in the value (Outlook's
// `filename="=?ISO-2022-JP?B?…?="`), decoded as CP50221. Nothing when the name is not
// ISO-2022-JP or does not decode cleanly (GMime's reading stands).
std::optional<std::string> JapaneseFileName(const std::vector<RawParam>& params,
                                             const char* key) {
  const std::string k = key;
  // RFC 2231: key* or key*0*, key*1*, ... (key*N without the star: not encoded).
  std::string cs;
  std::string bytes;
  bool have = false;
  for (int n = -1; n < 100; ++n) {
    const RawParam* found = nullptr;
    bool encoded = true;
    for (const auto& p : params) {
      if (n < 0 && p.name == k + "*") found = &p;
      if (n >= 0 && p.name == k + "*" + std::to_string(n) + "*") found = &p;
      if (n >= 0 && p.name == k + "*" + std::to_string(n)) found = &p, encoded = false;
    }
    if (!found) {
      if (n >= 0) break;
      continue;
    }
    std::string_view v = found->value;
    if (!have) {
      size_t q1 = v.find('\''), q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
      if (q2 == std::string_view::npos) return std::nullopt;
      cs = std::string(v.substr(0, q1));
      v.remove_prefix(q2 + 1);
      have = true;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      if (encoded && v[i] == '%') {
        if (i + 2 >= v.size()) return std::nullopt;
        int hi = HexValue(v[i + 1]), lo = HexValue(v[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        bytes += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        bytes += v[i];
      }
    }
    if (n < 0) break;  // key*: a single value
  }
  std::string utf8;
  if (have) {
    if (!IsJapaneseCharset(cs) || !ConvertToUtf8(bytes, cs, &utf8)) return std::nullopt;
    return utf8;
  }
  // RFC 2047 words in the plain value.
  const RawParam* plain = nullptr;
  for (const auto& p : params) {
    if (p.name == k) plain = &p;
  }
  if (!plain) return std::nullopt;
  return JapaneseWords(plain->value);
}

// What another parser might read differently in one entity's headers.
void CheckHeaders(GMimeHeaderList* headers, std::vector<std::string>* found) {
  if (!headers) return;
  auto note = [found](std::string what) {
    if (std::find(found->begin(), found->end(), what) == found->end() && found->size() < 50) {
      found->push_back(std::move(what));
    }
  };
  int n = g_mime_header_list_get_count(headers);
  int content_type = 0, encoding = 0, disposition = 0;
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(headers, i);
    const char* name = g_mime_header_get_name(h);
    if (!name) continue;
    bool ct = g_ascii_strcasecmp(name, "Content-Type") == 0;
    bool cd = g_ascii_strcasecmp(name, "Content-Disposition") == 0;
    content_type += ct;
    disposition += cd;
    encoding += g_ascii_strcasecmp(name, "Content-Transfer-Encoding") == 0;
    if (!ct && !cd) continue;
    const char* raw = g_mime_header_get_raw_value(h);
    std::vector<RawParam> params = RawParams(raw ? raw : "");
    for (size_t a = 0; a < params.size(); ++a) {
      for (size_t b = a + 1; b < params.size(); ++b) {
        if (params[a].name == params[b].name) {
          note(std::string(name) + " names the parameter " + params[a].name + " twice");
        }
      }
      if (ct && params[a].name == "boundary") {
        const std::string& v = params[a].value;
        bool padded = !v.empty() && (IsSpace(v.front()) || IsSpace(v.back()));
        bool spaced = !params[a].quoted && std::any_of(v.begin(), v.end(), IsSpace);
        if (padded || spaced) note("a MIME boundary with spaces that parsers trim differently");
      }
    }
  }
  if (content_type > 1) note("more than one Content-Type header in one part");
  if (encoding > 1) note("more than one Content-Transfer-Encoding header in one part");
  if (disposition > 1) note("more than one Content-Disposition header in one part");
}

// Text outside a multipart's boundaries that looks like MIME (a boundary or a header line).
bool LooksLikeMime(const char* text) {
  if (!text) return false;
  std::string_view rest(text);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
    if (line.substr(0, 2) == "--" || Lower(std::string(line.substr(0, 8))) == "content-") return true;
  }
  return false;
}

class Walker {
 public:
  Walker(const MailLimits& limits, GMimeParserOptions* options, UnpackedMail* mail)
      : limits_(limits), options_(options), mail_(mail) {}

  // Returns "" on success, else the problem (and sets *limit for limit problems).
  std::string Walk(GMimeObject* obj, uint32_t depth, bool* limit) {
    if (++entities_ > limits_.max_parts) {
      *limit = true;
      return "more than " + std::to_string(limits_.max_parts) + " MIME parts (mail.max_parts)";
    }
    if (depth > limits_.max_depth) {
      *limit = true;
      return "MIME nesting deeper than mail.max_depth (" + std::to_string(limits_.max_depth) + ")";
    }
    CheckHeaders(g_mime_object_get_header_list(obj), &mail_->ambiguities);
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      if (LooksLikeMime(g_mime_multipart_get_prologue(mp)) ||
          LooksLikeMime(g_mime_multipart_get_epilogue(mp))) {
        mail_->ambiguities.push_back("MIME-looking text outside a multipart's boundaries "
                                     "(not delivered)");
      }
      return WalkMultipart(mp, depth, limit);
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (!inner) return "empty message/rfc822 part";
      GString_ text(g_mime_object_to_string(GMIME_OBJECT(inner), nullptr));
      MailPart p;
      p.name = "forwarded-" + std::to_string(++forwarded_) + ".eml";
      p.bytes = text ? text.get() : "";
      p.role = MailPartRole::kAttachment;
      p.declared_type = "message/rfc822";
      mail_->parts.push_back(std::move(p));
      return "";
    }
    if (GMIME_IS_PART(obj)) return Leaf(GMIME_PART(obj));
    return "unknown MIME entity";
  }

 private:
  std::string WalkMultipart(GMimeMultipart* mp, uint32_t depth, bool* limit) {
    GMimeContentType* ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
    int n = g_mime_multipart_get_count(mp);
    bool alternative = ct && g_mime_content_type_is_type(ct, "multipart", "alternative");
    if (alternative) {
      // Keep the text; drop the HTML (and other) renderings of the same message.
      int text = -1;
      for (int i = 0; i < n && text < 0; ++i) {
        GMimeObject* part = g_mime_multipart_get_part(mp, i);
        GMimeContentType* pct = g_mime_object_get_content_type(part);
        if (GMIME_IS_PART(part) && pct && g_mime_content_type_is_type(pct, "text", "plain")) text = i;
      }
      for (int i = 0; i < n; ++i) {
        GMimeObject* part = g_mime_multipart_get_part(mp, i);
        if (text >= 0 && i != text) {
          GMimeContentType* pct = g_mime_object_get_content_type(part);
          GString_ type(pct ? g_mime_content_type_get_mime_type(pct) : nullptr);
          mail_->notes.push_back(std::string("alternative ") + (type ? type.get() : "part") +
                                 " dropped (the text/plain version is kept)");
          continue;
        }
        if (std::string e = Walk(part, depth + 1, limit); !e.empty()) return e;
      }
      return "";
    }
    for (int i = 0; i < n; ++i) {
      if (std::string e = Walk(g_mime_multipart_get_part(mp, i), depth + 1, limit); !e.empty()) {
        return e;
      }
    }
    return "";
  }

  std::string Leaf(GMimePart* part) {
    GMimeObject* obj = GMIME_OBJECT(part);
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    GString_ type(ct ? g_mime_content_type_get_mime_type(ct) : nullptr);
    MailPart p;
    p.declared_type = Lower(type ? type.get() : "application/octet-stream");
    const char* charset = ct ? g_mime_content_type_get_parameter(ct, "charset") : nullptr;
    p.charset = charset ? charset : "";
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (content) {
      GPtr<GMimeStream> mem(g_mime_stream_mem_new());
      g_mime_data_wrapper_write_to_stream(content, mem.get());
      GByteArray* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
      p.bytes.assign(reinterpret_cast<const char*>(arr->data), arr->len);
    }
    const char* filename = g_mime_part_get_filename(part);
    std::string jp_name;  // an ISO-2022-JP name GMime cannot read right
    for (const char* header : {"Content-Disposition", "Content-Type"}) {
      if (!jp_name.empty() || !filename) break;
      const char* raw = nullptr;
      GMimeHeaderList* list = g_mime_object_get_header_list(obj);
      for (int h = 0; list && h < g_mime_header_list_get_count(list); ++h) {
        GMimeHeader* hd = g_mime_header_list_get_header_at(list, h);
        const char* hn = g_mime_header_get_name(hd);
        if (hn && g_ascii_strcasecmp(hn, header) == 0) raw = g_mime_header_get_raw_value(hd);
      }
      if (!raw) continue;
      std::optional<std::string> n =
          JapaneseFileName(RawParams(raw), header[8] == 'D' ? "filename" : "name");
      if (n && !n->empty()) jp_name = std::move(*n);
    }
    if (!jp_name.empty()) filename = jp_name.c_str();
    const char* disposition = g_mime_object_get_disposition(obj);
    bool attachment = (disposition && Lower(disposition) == "attachment") ||
                      (filename && *filename);
    bool text = p.declared_type == "text/plain" || p.declared_type == "text/html";
    if (!attachment && text) {
      p.role = MailPartRole::kBody;
      p.name = "body-" + std::to_string(++bodies_) +
               (p.declared_type == "text/html" ? ".html" : ".txt");
      if (p.declared_type == "text/plain") return CutEncodedBlocks(std::move(p));
    } else {
      p.role = MailPartRole::kAttachment;
      p.name = filename && *filename ? PlainName(filename) : "";
      if (p.name.empty()) p.name = "attachment-" + std::to_string(++unnamed_);
    }
    mail_->parts.push_back(std::move(p));
    return "";
  }

  // uuencoded ("begin 644 name" … "end") and yEnc ("=ybegin … name=x" … "=yend") blocks in
  // a text body are attachments by another name: each is decoded (GMime) into a part of its
  // own and replaced in the text by a line saying so.
  std::string CutEncodedBlocks(MailPart body) {
    std::string text;
    std::string_view rest = body.bytes;
    auto next_line = [&rest]() {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
      rest.remove_prefix(line.size());
      return line;
    };
    while (!rest.empty()) {
      std::string_view line = next_line();
      std::string_view bare = line;
      while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.remove_suffix(1);
      bool uu = bare.size() > 10 && bare.substr(0, 6) == "begin " &&
                std::isdigit(static_cast<unsigned char>(bare[6])) && bare.find(' ', 6) != std::string_view::npos;
      bool y = bare.substr(0, 8) == "=ybegin " && bare.find(" name=") != std::string_view::npos;
      if (!uu && !y) {
        text.append(line);
        continue;
      }
      std::string name = uu ? std::string(bare.substr(bare.find(' ', 6) + 1))
                            : std::string(bare.substr(bare.find(" name=") + 6));
      std::string encoded;
      bool ended = false;
      while (!rest.empty()) {
        std::string_view l = next_line();
        std::string_view b = l;
        while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.remove_suffix(1);
        if ((uu && b == "end") || (y && b.substr(0, 5) == "=yend")) {
          ended = true;
          break;
        }
        if (y && b.substr(0, 6) == "=ypart") continue;
        encoded.append(b);
        encoded += '\n';
      }
      std::string decoded(encoded.size() + 16, '\0');
      size_t n = 0;
      if (uu) {
        int state = GMIME_UUDECODE_STATE_BEGIN;
        guint32 save = 0;
        n = g_mime_encoding_uudecode_step(reinterpret_cast<const unsigned char*>(encoded.data()),
                                          encoded.size(),
                                          reinterpret_cast<unsigned char*>(decoded.data()),
                                          &state, &save);
      } else {
        int state = GMIME_YDECODE_STATE_BEGIN | GMIME_YDECODE_STATE_DECODE;
        guint32 pcrc = GMIME_YENCODE_CRC_INIT, crc = GMIME_YENCODE_CRC_INIT;
        n = g_mime_ydecode_step(reinterpret_cast<const unsigned char*>(encoded.data()),
                                encoded.size(), reinterpret_cast<unsigned char*>(decoded.data()),
                                &state, &pcrc, &crc);
      }
      decoded.resize(std::min(n, decoded.size()));
      MailPart att;
      att.name = PlainName(Unfold(name));
      if (att.name.empty()) att.name = "attachment-" + std::to_string(++unnamed_);
      att.bytes = std::move(decoded);
      att.role = MailPartRole::kAttachment;
      att.declared_type = uu ? "application/x-uuencode" : "application/x-yenc";
      mail_->notes.push_back(std::string(uu ? "uuencoded" : "yEnc") + " block " + att.name +
                             (ended ? "" : " (unterminated)") + " taken out of the text as an attachment");
      text += "[" + std::string(uu ? "uuencoded" : "yEnc") + " attachment " + att.name +
              " / 添付ファイルとして分離]\n";
      mail_->parts.push_back(std::move(att));
    }
    body.bytes = std::move(text);
    mail_->parts.push_back(std::move(body));
    return "";
  }

  const MailLimits& limits_;
  GMimeParserOptions* options_;
  UnpackedMail* mail_;
  uint32_t entities_ = 0;
  int bodies_ = 0, unnamed_ = 0, forwarded_ = 0;
};

// A header's unfolded raw value as text: RFC 2047 words in ISO-2022-JP read as CP50221, raw
// ISO-2022-JP (escape sequences, unencoded) likewise, raw 8-bit bytes in the charset they
// decode cleanly in (UTF-8, CP932 or EUC-JP, told apart by the charset detector rather than
// tried in a fixed order); otherwise GMime's decoding of `value`. Never invents U+FFFD: bytes
// that decode in no charset give "".
std::string HeaderText(std::string_view raw, const char* value) {
  while (!raw.empty() && IsSpace(raw.front())) raw.remove_prefix(1);
  // (The text between encoded words is copied as it is: with raw 8-bit bytes there, the
  // result is not UTF-8 and the whole value is decoded below instead.)
  if (std::optional<std::string> jp = JapaneseWords(raw);
      jp && g_utf8_validate(jp->data(), static_cast<gssize>(jp->size()), nullptr)) {
    return *jp;
  }
  std::string utf8;
  if (raw.find('\x1b') != std::string_view::npos && ConvertToUtf8(raw, "ISO-2022-JP", &utf8)) {
    return utf8;
  }
  if (!IsAscii(raw)) {
    CharsetGuess guess = DetectCharset(raw);
    if (guess.confirmed && ConvertToUtf8(raw, guess.charset, &utf8)) return utf8;
    for (const char* cs : {"UTF-8", "CP932", "EUC-JP"}) {
      if (ConvertToUtf8(raw, cs, &utf8)) return utf8;
    }
    return "";
  }
  return value ? value : "";
}

std::string KeptHeaderValue(GMimeHeader* h, GMimeParserOptions* options, bool address) {
  const char* raw = g_mime_header_get_raw_value(h);
  std::string unfolded = Unfold(raw ? raw : "");
  if (IsAscii(unfolded)) return unfolded;  // as received
  // 8-bit bytes in a header: decode and encode again as RFC 2047 UTF-8.
  std::string text = HeaderText(unfolded, g_mime_header_get_value(h));
  // Bytes that decode in no charset: GMime's own reading (its fallback charsets) rather than
  // nothing, so that an address is not lost.
  if (text.empty() && g_mime_header_get_value(h)) text = g_mime_header_get_value(h);
  const char* value = text.c_str();
  if (address) {
    GPtr<InternetAddressList> list(internet_address_list_parse(options, value));
    if (list) {
      GString_ s(internet_address_list_to_string(list.get(), nullptr, TRUE));
      if (s) return Unfold(s.get());
    }
  }
  GString_ s(g_mime_utils_header_encode_text(nullptr, value, "UTF-8"));
  return s ? Unfold(s.get()) : "";
}

}  // namespace

void InitMailLibrary() {
  static bool done = false;
  if (!done) {
    g_mime_init();
    done = true;
  }
}

MailOutcome UnpackMail(std::string_view bytes, const MailLimits& limits) {
  InitMailLibrary();
  MailOutcome out;
  GMimeParserOptions* options = g_mime_parser_options_new();
  std::unique_ptr<GMimeParserOptions, void (*)(GMimeParserOptions*)> options_guard(
      options, g_mime_parser_options_free);
  // Japanese senders' undeclared 8-bit text is CP932 or EUC-JP far more often than Latin-1.
  static const char* kFallback[] = {"UTF-8", "CP932", "EUC-JP", "ISO-8859-1", nullptr};
  g_mime_parser_options_set_fallback_charsets(options, kFallback);
  g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), options));
  if (!message) {
    out.problem = MailProblem::kMalformed;
    out.detail = "not an RFC 5322 message (no headers GMime can read)";
    return out;
  }
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message.get()));
  if (GMimeHeader* subject = g_mime_header_list_get_header(headers, "Subject")) {
    const char* raw = g_mime_header_get_raw_value(subject);
    out.mail.subject = HeaderText(Unfold(raw ? raw : ""), g_mime_message_get_subject(message.get()));
  }
  int n = g_mime_header_list_get_count(headers);
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(headers, i);
    const char* name = g_mime_header_get_name(h);
    const char* raw = g_mime_header_get_raw_value(h);
    size_t size = (name ? strlen(name) : 0) + (raw ? strlen(raw) : 0);
    if (size > limits.max_header_bytes) {
      out.problem = MailProblem::kLimit;
      out.detail = std::string("header ") + (name ? name : "?") + " is longer than " +
                   std::to_string(limits.max_header_bytes) + " bytes (mail.max_header_bytes)";
      return out;
    }
    if (!name) continue;
    if (const char* keep = KeptMailHeader(name)) {
      bool address = std::any_of(std::begin(kAddressHeaders), std::end(kAddressHeaders),
                                 [name](const char* a) { return g_ascii_strcasecmp(name, a) == 0; });
      out.mail.headers.emplace_back(keep, KeptHeaderValue(h, options, address));
    }
  }
  CheckHeaders(headers, &out.mail.ambiguities);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r' && (i + 1 == bytes.size() || bytes[i + 1] != '\n')) {
      out.mail.ambiguities.push_back("bare CR line endings (a CR without LF)");
      break;
    }
  }
  GMimeObject* body = g_mime_message_get_mime_part(message.get());
  if (body) {
    Walker walker(limits, options, &out.mail);
    bool limit = false;
    if (std::string e = walker.Walk(body, 0, &limit); !e.empty()) {
      out.problem = limit ? MailProblem::kLimit : MailProblem::kMalformed;
      out.detail = e;
      out.mail = UnpackedMail{};
      return out;
    }
  }
  return out;
}

}  // namespace mugai
