// The charset table of issue 19, shared by the `mail`/`sanitize` tests (mail_cli_test.cc) and
// the milter test (milter_test.cc): one message per charset (UTF-8, ISO-2022-JP, ISO-2022-JP
// with NEC special characters and IBM extensions, Shift_JIS meaning CP932, EUC-JP, and
// unlabelled 8-bit CP932) carrying Japanese text in every place mugai decodes: the subject,
// an HTML body, an HTML attachment whose charset is only in the MIME header, a text
// attachment, that attachment's file name, and a zip member's name. Check() asserts the
// exact characters that come out of whichever entry point delivered the message.
#pragma once

#include <gtest/gtest.h>
#include <iconv.h>

#include <cstdint>
#include <string>
#include <vector>

#include <gmime/gmime.h>

#include "converters/mail/mime_unpacker.h"
#include "converters/text/charset_detector.h"

namespace mugai::charset_table {

enum class Enc { kUtf8, kJis, kCp932, kEucJp };

struct Case {
  const char* id;
  const char* label;   // the MIME charset ("" = unlabelled)
  Enc enc;
  const char* text;    // UTF-8: what the recipient's mail client shows
};

// Every row's characters exist in its charset; the NEC row carries ①②№㈱ (NEC row 13) and
// 髙 (an IBM extension), which plain ISO-2022-JP decoders turn into '?' or U+FFFD.
inline const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"utf8", "UTF-8", Enc::kUtf8, "ご確認ください①㈱髙"},
      {"jis", "ISO-2022-JP", Enc::kJis, "ご確認ください"},
      {"jis_nec", "ISO-2022-JP", Enc::kJis, "ご確認ください①②№㈱髙"},
      {"cp932", "Shift_JIS", Enc::kCp932, "ご確認ください①髙"},
      {"eucjp", "EUC-JP", Enc::kEucJp, "ご確認ください①"},
      {"unlabelled", "", Enc::kCp932, "ご確認ください①髙"},
  };
  return cases;
}

inline std::string Iconv(const std::string& utf8, const char* to) {
  iconv_t cd = iconv_open(to, "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) return "";
  std::string out(utf8.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* o = out.data();
  size_t o_left = out.size();
  size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1)) return "";
  out.resize(out.size() - o_left);
  return out;
}

// CP932 → ISO-2022-JP as Windows writes it (CP50221): double-byte characters, NEC row 13
// and the NEC-selected IBM extensions (rows 89-92) included, as JIS X 0208 code points.
inline std::string Cp932ToJis(const std::string& sjis) {
  std::string out;
  bool kanji = false;
  for (size_t i = 0; i < sjis.size(); ++i) {
    auto s1 = static_cast<unsigned char>(sjis[i]);
    if (s1 < 0x80) {
      if (kanji) out += "\x1b(B";
      kanji = false;
      out += static_cast<char>(s1);
      continue;
    }
    auto s2 = static_cast<unsigned char>(sjis[++i]);
    if (!kanji) out += "\x1b$B";
    kanji = true;
    int j1 = (s1 <= 0x9F ? (s1 - 0x71) : (s1 - 0xB1)) * 2 + 1;
    if (s2 > 0x7F) --s2;
    int j2;
    if (s2 >= 0x9E) {
      ++j1;
      j2 = s2 - 0x7D;
    } else {
      j2 = s2 - 0x1F;
    }
    out += static_cast<char>(j1);
    out += static_cast<char>(j2);
  }
  if (kanji) out += "\x1b(B";
  return out;
}

// `utf8` in the case's charset. The IBM extension 髙 is written at its NEC-selected code
// point (CP932 0xEEE0), which is what CP50221 can carry.
inline std::string Encode(const Case& c, const std::string& utf8) {
  switch (c.enc) {
    case Enc::kUtf8: return utf8;
    case Enc::kCp932: return Iconv(utf8, "CP932");
    case Enc::kEucJp: return Iconv(utf8, "EUC-JP-MS");
    case Enc::kJis: {
      std::string sjis = Iconv(utf8, "CP932");
      // glibc writes 髙 as the IBM code point 0xFBFC; CP50221 has only the NEC-selected one.
      for (size_t at = sjis.find("\xfb\xfc"); at != std::string::npos; at = sjis.find("\xfb\xfc")) {
        sjis.replace(at, 2, "\xee\xe0");
      }
      return Cp932ToJis(sjis);
    }
  }
  return "";
}

inline std::string B64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) |
                 uint8_t(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

inline std::string Wrapped(const std::string& b64) {
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

inline std::string Percent(const std::string& bytes) {
  std::string out;
  for (unsigned char ch : bytes) {
    char buf[4];
    snprintf(buf, sizeof buf, "%%%02X", ch);
    out += buf;
  }
  return out;
}

inline uint32_t Crc32(const std::string& s) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char ch : s) {
    crc ^= ch;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

// A one-member stored zip whose name is `name` as given, flagged UTF-8 only when `utf8`
// (Japanese Windows writes CP932 names without the flag).
inline std::string StoredZip(const std::string& name, const std::string& data, bool utf8) {
  auto le = [](std::string* o, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) o->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  const uint32_t crc = Crc32(data);
  const uint16_t flags = utf8 ? 0x800 : 0;
  std::string local = "PK\x03\x04";
  le(&local, 20, 2); le(&local, flags, 2); le(&local, 0, 2); le(&local, 0, 2); le(&local, 0x21, 2);
  le(&local, crc, 4); le(&local, data.size(), 4); le(&local, data.size(), 4);
  le(&local, name.size(), 2); le(&local, 0, 2);
  local += name + data;
  std::string central = "PK\x01\x02";
  le(&central, 20, 2); le(&central, 20, 2); le(&central, flags, 2); le(&central, 0, 2);
  le(&central, 0, 2); le(&central, 0x21, 2); le(&central, crc, 4); le(&central, data.size(), 4);
  le(&central, data.size(), 4); le(&central, name.size(), 2); le(&central, 0, 2);
  le(&central, 0, 2); le(&central, 0, 2); le(&central, 0, 2); le(&central, 0, 4); le(&central, 0, 4);
  central += name;
  std::string end = "PK\x05\x06";
  le(&end, 0, 2); le(&end, 0, 2); le(&end, 1, 2); le(&end, 1, 2);
  le(&end, central.size(), 4); le(&end, local.size(), 4); le(&end, 0, 2);
  return local + central + end;
}

inline std::string BodyText(const Case& c) { return std::string(c.text) + "。本文の段落です。会議の資料をお送りしますので、ご確認をお願いいたします。"; }
inline std::string PageText(const Case& c) { return std::string("添付の案内：") + c.text; }
inline std::string NoteText(const Case& c) { return std::string("メモ：") + c.text + "\r\n"; }
inline std::string FileName(const Case& c) { return std::string(c.text) + ".txt"; }
inline std::string MemberName(const Case& c) { return std::string("資料") + c.text + ".txt"; }

// The Subject header's value for one row, as Japanese mail clients write it.
inline std::string SubjectValue(const Case& c) {
  const std::string label = c.label;
  if (c.enc == Enc::kUtf8) return "=?UTF-8?B?" + B64(Encode(c, c.text)) + "?=";
  if (c.enc == Enc::kJis) return "=?ISO-2022-JP?B?" + B64(Encode(c, c.text)) + "?=";
  if (label.empty()) return Encode(c, c.text);  // raw 8-bit bytes
  return "=?" + label + "?B?" + B64(Encode(c, c.text)) + "?=";
}

// The message for one row, as Japanese mail clients write it.
inline std::string Message(const Case& c) {
  const std::string label = c.label;
  const std::string cs = label.empty() ? "" : "; charset=" + label;
  std::string subject = SubjectValue(c), name_param;
  switch (c.enc) {
    case Enc::kUtf8:
      name_param = "filename*=utf-8''" + Percent(FileName(c));
      break;
    case Enc::kJis:
      // Outlook writes RFC 2047 inside the quotes; other clients RFC 2231.
      name_param = std::string(c.id) == "jis"
                       ? "filename=\"=?ISO-2022-JP?B?" + B64(Encode(c, FileName(c))) + "?=\""
                       : "filename*=iso-2022-jp''" + Percent(Encode(c, FileName(c)));
      break;
    case Enc::kCp932:
    case Enc::kEucJp:
      if (label.empty()) {  // raw 8-bit bytes, no label anywhere
        name_param = "filename=\"" + Encode(c, FileName(c)) + "\"";
      } else {
        name_param = "filename*=" + label + "''" + Percent(Encode(c, FileName(c)));
      }
      break;
  }
  // Zip member names are CP932 without the UTF-8 flag on Japanese Windows (whatever the
  // mail's charset), UTF-8 with the flag elsewhere; EUC-JP from old Unix zips.
  std::string member = c.enc == Enc::kUtf8   ? MemberName(c)
                       : c.enc == Enc::kEucJp ? Encode(c, MemberName(c))
                                              : Iconv(MemberName(c), "CP932");
  std::string zip = StoredZip(member, "zip member\n", c.enc == Enc::kUtf8);
  return "From: sender@example.jp\r\nTo: staff@city.example.lg.jp\r\nSubject: " + subject +
         "\r\nDate: Mon, 7 Dec 2026 10:00:00 +0900\r\nMessage-ID: <" + c.id +
         "@example.jp>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
         "--B\r\nContent-Type: text/html" + cs + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         Wrapped(B64(Encode(c, "<html><body><p>" + BodyText(c) + "</p></body></html>\r\n"))) +
         "--B\r\nContent-Type: text/html" + cs +
         "\r\nContent-Disposition: attachment; filename=\"page.html\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         Wrapped(B64(Encode(c, "<p>" + PageText(c) + "</p>\r\n"))) +
         "--B\r\nContent-Type: text/plain" + cs + "\r\nContent-Disposition: attachment; " +
         name_param + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         Wrapped(B64(Encode(c, NoteText(c)))) +
         "--B\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; "
         "filename=\"members.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         Wrapped(B64(zip)) + "--B--\r\n";
}

inline const MailPart* PartNamed(const UnpackedMail& m, const std::string& name) {
  for (const auto& p : m.parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

inline std::vector<std::string> ZipNames(const std::string& z) {
  auto le = [&z](size_t at, int n) {
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(z[at + static_cast<size_t>(i)]);
    return v;
  };
  std::vector<std::string> out;
  size_t eocd = z.rfind(std::string("PK\x05\x06", 4));
  if (eocd == std::string::npos || eocd + 22 > z.size()) return out;
  size_t at = le(eocd + 16, 4);
  for (uint32_t i = 0; i < le(eocd + 10, 2) && at + 46 <= z.size(); ++i) {
    size_t n = le(at + 28, 2), m = le(at + 30, 2), k = le(at + 32, 2);
    out.push_back(z.substr(at + 46, n));
    at += 46 + n + m + k;
  }
  return out;
}

// What one entry point delivered for row `c`: every place's characters exactly, nowhere a
// U+FFFD. `delivered` is the whole message as it left mugai.
inline void Check(const Case& c, const std::string& delivered) {
  SCOPED_TRACE(std::string("charset row ") + c.id);
  MailOutcome out = UnpackMail(delivered, MailLimits{1000, 50, 1 << 20});
  ASSERT_EQ(out.problem, MailProblem::kNone) << out.detail;
  const UnpackedMail& m = out.mail;
  // subject: kept as the sender wrote it when it is 7-bit (the recipient's client decodes
  // it); raw 8-bit bytes are either left as they came (the milter changes no subject) or, in
  // a message mugai wrote, decoded and written again as RFC 2047 UTF-8, which GMime's own
  // decoder (not mugai's) must read as the text.
  std::string raw_subject;
  for (size_t at = 0; at < delivered.size();) {
    size_t nl = delivered.find('\n', at);
    std::string line = delivered.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;  // end of the header block
    if (!raw_subject.empty() && (line[0] == ' ' || line[0] == '\t')) {
      raw_subject += line;
    } else if (raw_subject.empty() && line.rfind("Subject:", 0) == 0) {
      raw_subject = line.substr(8);
      while (!raw_subject.empty() && raw_subject[0] == ' ') raw_subject.erase(0, 1);
    } else if (!raw_subject.empty()) {
      break;
    }
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  if (std::string(c.label).empty() && raw_subject != SubjectValue(c)) {
    // (The milter cannot have changed it: Postfix delivers the raw bytes as they came.)
    char* decoded = g_mime_utils_header_decode_text(nullptr, raw_subject.c_str());
    EXPECT_EQ(std::string(decoded ? decoded : ""), c.text) << raw_subject;
    g_free(decoded);
  } else {
    EXPECT_EQ(raw_subject, SubjectValue(c));
  }
  // HTML body: converted to UTF-8 text holding the sentence. No part, decoded, holds a
  // U+FFFD (a character lost on the way).
  bool body = false;
  for (const auto& p : m.parts) {
    std::string utf8;
    if (p.declared_type == "text/plain" &&
        ConvertToUtf8(p.bytes, p.charset.empty() ? "UTF-8" : p.charset, &utf8)) {
      if (utf8.find(BodyText(c)) != std::string::npos) body = true;
      EXPECT_EQ(utf8.find("\xef\xbf\xbd"), std::string::npos) << p.name << ": U+FFFD\n" << utf8;
    }
    EXPECT_EQ(p.name.find("\xef\xbf\xbd"), std::string::npos) << p.name;
    EXPECT_EQ(p.name.find('<'), std::string::npos) << p.name;
  }
  EXPECT_TRUE(body) << "HTML body text not found\n" << delivered.substr(0, 3000);
  // HTML attachment (charset only in the MIME header, a fragment libmagic does not call HTML)
  const MailPart* page = PartNamed(m, "page.txt");
  ASSERT_NE(page, nullptr) << delivered.substr(0, 3000);
  EXPECT_NE(page->bytes.find(PageText(c)), std::string::npos) << page->bytes;
  EXPECT_EQ(page->bytes.find("<p>"), std::string::npos);
  EXPECT_EQ(PartNamed(m, "page.html.txt"), nullptr);
  // text attachment: delivered with its bytes unchanged (line ends aside: a 7-bit part is
  // written in the message's own line ends, CRLF on the wire), under its decoded name
  const MailPart* note = PartNamed(m, FileName(c));
  ASSERT_NE(note, nullptr) << "file name not decoded to " << FileName(c) << "\n"
                           << delivered.substr(0, 4000);
  auto no_cr = [](std::string s) {
    std::erase(s, '\r');
    return s;
  };
  EXPECT_EQ(no_cr(note->bytes), no_cr(Encode(c, NoteText(c))));
  // zip member name: rebuilt with UTF-8 names
  const MailPart* zip = PartNamed(m, "members.zip");
  ASSERT_NE(zip, nullptr);
  std::vector<std::string> names = ZipNames(zip->bytes);
  EXPECT_EQ(names, std::vector<std::string>{MemberName(c)});
}

}  // namespace mugai::charset_table
