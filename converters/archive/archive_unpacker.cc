// libarchive reading under limits. Only formats and filters that work on the bytes given are
// enabled: no mtree (it opens files named inside it) and no external-program filters.
#include "converters/archive/archive_unpacker.h"

#include <archive.h>
#include <archive_entry.h>
#include <iconv.h>
#include <locale.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <map>
#include <set>

#include "converters/text/charset_detector.h"

namespace mugai {

namespace {

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveCloser>;

// libarchive converts names through the C library's multibyte functions: a UTF-8 locale for
// this thread makes 7z/rar5 (UTF-16) and flagged zip names come out as UTF-8, while raw
// names (zip without the UTF-8 flag, lzh, tar) come out as the bytes stored.
class Utf8Locale {
 public:
  Utf8Locale() {
    loc_ = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    if (loc_ != static_cast<locale_t>(0)) old_ = uselocale(loc_);
  }
  ~Utf8Locale() {
    if (loc_ != static_cast<locale_t>(0)) {
      uselocale(old_);
      freelocale(loc_);
    }
  }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t loc_ = static_cast<locale_t>(0);
  locale_t old_ = static_cast<locale_t>(0);
};

ArchivePtr OpenReader(std::string_view bytes, const std::string& password) {
  ArchivePtr a(archive_read_new());
  if (!a) return a;
  archive* r = a.get();
  {
    archive_read_support_format_zip_seekable(r);
    archive_read_support_format_7zip(r);
    archive_read_support_format_rar(r);
    archive_read_support_format_rar5(r);
    archive_read_support_format_tar(r);
    archive_read_support_format_gnutar(r);
    archive_read_support_format_iso9660(r);
    archive_read_support_format_lha(r);
    archive_read_support_format_cab(r);
    archive_read_support_format_raw(r);  // bids last: a bare compressed stream
    archive_read_support_filter_gzip(r);
    archive_read_support_filter_bzip2(r);
    archive_read_support_filter_xz(r);
    archive_read_support_filter_lzma(r);
    archive_read_support_filter_lzip(r);
    archive_read_support_filter_zstd(r);
    archive_read_support_filter_lz4(r);
    archive_read_support_filter_compress(r);
  }
  if (!password.empty()) archive_read_add_passphrase(r, password.c_str());
  if (archive_read_open_memory(r, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return ArchivePtr();  // nothing libarchive recognises (or no memory)
  }
  return a;
}

std::string ErrorOf(archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "unknown libarchive error";
}

// libarchive decrypts zip (ZipCrypto and WinZip AES) only; 7z and rar stay encrypted here,
// and with a password the gateway has its decryption helper (7-Zip) open them instead.
std::string EncryptedDetail(archive* a, const std::string& password, const std::string& what) {
  if (password.empty()) return what + "; resubmit with the password";
  int base = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;
  if (base == ARCHIVE_FORMAT_7ZIP || base == ARCHIVE_FORMAT_RAR || base == ARCHIVE_FORMAT_RAR_V5) {
    return what + " (libarchive cannot decrypt 7z or rar)";
  }
  return "the password does not open it: " + what;
}

bool LooksLikePasswordError(const std::string& e) {
  return e.find("assphrase") != std::string::npos || e.find("ncrypt") != std::string::npos ||
         e.find("password") != std::string::npos;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    if (n == 2 && c < 0xC2) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

bool DecodeCp932(std::string_view in, std::string* out) {
  iconv_t cd = iconv_open("UTF-8", "CP932");
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  out->assign(in.size() * 3 + 4, '\0');
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  char* dst = out->data();
  size_t dst_left = out->size();
  size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1) || src_left != 0) return false;
  out->resize(out->size() - dst_left);
  return true;
}

// "a.txt" → "a (2).txt" for the second file of that name.
std::string NumberedPath(const std::string& path, int n) {
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  std::string suffix = " (" + std::to_string(n) + ")";
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot == (slash == std::string::npos ? 0 : slash + 1)) {
    return path + suffix;
  }
  return path.substr(0, dot) + suffix + path.substr(dot);
}

struct Pass {
  std::vector<std::string> raw_names;  // every entry, in order, as stored
};

uint32_t Le(std::string_view b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  }
  return v;
}

// The names a zip's central directory lists, in order. libarchive reports the names of the
// local headers and offers no way to see these, so this reads the two fixed record layouts
// of APPNOTE 4.3.12 and 4.3.16 itself, bounds-checking every field. The directory is found
// from the end record and located just before it, so data prepended to the zip (which
// shifts every recorded offset) does not matter. Returns false when they cannot be read.
bool ZipCentralNames(std::string_view z, std::vector<std::string>* names) {
  constexpr size_t kEndSize = 22;
  if (z.size() < kEndSize) return false;
  size_t lowest = z.size() > kEndSize + 65535 ? z.size() - kEndSize - 65535 : 0;
  size_t end = std::string_view::npos;
  for (size_t at = z.size() - kEndSize + 1; at-- > lowest;) {
    if (Le(z, at, 4) == 0x06054B50 && at + kEndSize + Le(z, at + 20, 2) == z.size()) {
      end = at;
      break;
    }
  }
  if (end == std::string_view::npos) return false;
  uint32_t count = Le(z, end + 10, 2);
  uint64_t size = Le(z, end + 12, 4);
  if (count == 0xFFFF || size == 0xFFFFFFFF) {
    // Zip64: the zip64 end record (located by its locator just before) holds the real values.
    if (end < 20 || Le(z, end - 20, 4) != 0x07064B50) return false;
    size_t locator = end - 20;
    size_t at = locator;
    // The zip64 end record directly precedes its locator (fixed part: 56 bytes).
    if (at < 56 || Le(z, at - 56, 4) != 0x06064B50) return false;
    size_t rec = at - 56;
    uint64_t count64 = Le(z, rec + 32, 4) | (uint64_t{Le(z, rec + 36, 4)} << 32);
    uint64_t size64 = Le(z, rec + 40, 4) | (uint64_t{Le(z, rec + 44, 4)} << 32);
    if (count64 > 1000000 || size64 > rec) return false;
    count = static_cast<uint32_t>(count64);
    size = size64;
    end = rec;
  }
  if (size > end) return false;
  size_t at = end - static_cast<size_t>(size);
  for (uint32_t i = 0; i < count; ++i) {
    if (at + 46 > end || Le(z, at, 4) != 0x02014B50) return false;
    size_t name_len = Le(z, at + 28, 2);
    size_t extra_len = Le(z, at + 30, 2);
    size_t comment_len = Le(z, at + 32, 2);
    if (at + 46 + name_len + extra_len + comment_len > end) return false;
    names->emplace_back(z.substr(at + 46, name_len));
    at += 46 + name_len + extra_len + comment_len;
  }
  return true;
}

}  // namespace

std::string SafeMemberPath(std::string_view raw_name, std::string* why, bool* decoded_cp932) {
  *decoded_cp932 = false;
  std::string name;
  if (ValidUtf8(raw_name)) {
    name.assign(raw_name);
  } else if (DetectCharset(raw_name).charset == "EUC-JP" &&
             ConvertToUtf8(raw_name, "EUC-JP", &name)) {
    // Old Unix zips write EUC-JP names, which often also decode (as half-width katakana
    // noise) in CP932: the charset detector tells them apart.
    *decoded_cp932 = true;
  } else if (DecodeCp932(raw_name, &name)) {
    *decoded_cp932 = true;
  } else {
    *why = "name is neither UTF-8 nor CP932";
    return "";
  }
  // Windows tools store '\' as a separator; an extractor on Windows treats it as one.
  for (char& c : name) {
    if (c == '\\') c = '/';
  }
  if (!name.empty() && name[0] == '/') *why = "absolute path made relative";
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      *why = "name climbs out of the archive with ..";
      continue;  // dropped; the caller reports the rewrite
    }
    if (part.size() == 2 && part[1] == ':') {  // a drive letter "C:"
      *why = "drive letter removed";
      continue;
    }
    for (char& c : part) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F) {
        if (start <= name.size()) c = '_';  // controls in a folder name; the file name is
                                            // left for the name check, which blocks it
      } else if (std::strchr("<>:\"|?*", c) != nullptr) {
        c = '_';  // reserved on Windows, where the recipients unpack
      }
    }
    out += (out.empty() ? "" : "/") + part;
  }
  if (out.empty()) {
    *why = "empty name";
    return "";
  }
  return out;
}

std::string UncompressedName(std::string_view archive_name) {
  std::string name(archive_name);
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char* const kStrip[] = {".gz", ".bz2", ".xz", ".lzma", ".lz", ".zst", ".lz4", ".z"};
  for (const char* ext : kStrip) {
    size_t n = std::strlen(ext);
    if (lower.size() > n && lower.compare(lower.size() - n, n, ext) == 0) {
      return name.substr(0, name.size() - n);
    }
  }
  static const std::pair<const char*, const char*> kTar[] = {
      {".tgz", ".tar"}, {".tbz2", ".tar"}, {".tbz", ".tar"}, {".txz", ".tar"}, {".tzst", ".tar"}};
  for (const auto& [ext, repl] : kTar) {
    size_t n = std::strlen(ext);
    if (lower.size() > n && lower.compare(lower.size() - n, n, ext) == 0) {
      return name.substr(0, name.size() - n) + repl;
    }
  }
  return name.empty() ? "data" : name;
}

namespace {

UnpackOutcome Unpack(std::string_view bytes, const std::string& single_file_name,
                     const std::string& password, const ArchiveLimits& limits) {
  Utf8Locale utf8;
  UnpackOutcome out;
  if (bytes.size() == 22 && bytes.substr(0, 4) == std::string_view("PK\x05\x06", 4)) {
    out.archive.format = "ZIP (empty)";  // libarchive does not recognise a zip of nothing
    return out;
  }
  auto fail = [&out](ArchiveProblem p, std::string detail) {
    out.problem = p;
    out.detail = std::move(detail);
    out.archive = UnpackedArchive{};
    return std::move(out);
  };
  ArchivePtr a = OpenReader(bytes, password);
  if (!a) {
    return fail(ArchiveProblem::kMalformed,
                "damaged or truncated archive, or a format mugai cannot read");
  }
  Pass pass;
  std::set<std::string> seen;
  std::map<std::string, size_t> by_raw_name;  // for hard links
  bool is_zip = false;
  bool any_encrypted = false;
  std::vector<char> buf(64 * 1024);
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      std::string err = ErrorOf(a.get());
      if (LooksLikePasswordError(err) || archive_read_has_encrypted_entries(a.get()) > 0) {
        return fail(ArchiveProblem::kEncrypted,
                    EncryptedDetail(a.get(), password, "encrypted archive (" + err + ")"));
      }
      return fail(ArchiveProblem::kMalformed, "unreadable archive: " + err);
    }
    int format = archive_format(a.get());
    is_zip = (format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP;
    if (out.archive.format.empty()) {
      const char* f = archive_format_name(a.get());
      out.archive.format = f ? f : "unknown";
    }
    bool raw = (format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_RAW;
    if (raw && archive_filter_count(a.get()) <= 1) {
      return fail(ArchiveProblem::kMalformed,
                  "damaged or truncated archive, or a format mugai cannot read");
    }
    out.archive.single_file = raw;
    const char* raw_name_c = archive_entry_pathname(e);
    if (raw_name_c == nullptr) raw_name_c = archive_entry_pathname_utf8(e);
    std::string raw_name = raw ? single_file_name : (raw_name_c ? raw_name_c : "");
    pass.raw_names.push_back(raw_name);
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR) continue;
    // A hard link (tar, cpio, ISO 9660) is a second name for an earlier file: it is delivered
    // as a copy of that file's content, counted against the limits like any other member.
    const char* link_target = archive_entry_hardlink(e);
    const std::string* linked = nullptr;
    if (link_target != nullptr) {
      auto it = by_raw_name.find(link_target);
      if (it != by_raw_name.end()) linked = &out.archive.members[it->second].bytes;
    }
    if ((type != AE_IFREG && type != 0) || (link_target != nullptr && linked == nullptr)) {
      out.archive.notes.push_back("not extracted (link or special file): " + raw_name);
      continue;
    }
    if (out.archive.members.size() + 1 > limits.max_members) {
      return fail(ArchiveProblem::kLimit,
                  "more than " + std::to_string(limits.max_members) +
                      " files (archive.max_members)");
    }
    bool encrypted = archive_entry_is_encrypted(e) != 0;
    any_encrypted = any_encrypted || encrypted;
    if (encrypted && password.empty()) {
      return fail(ArchiveProblem::kEncrypted,
                  EncryptedDetail(a.get(), password, "encrypted member " + raw_name));
    }
    std::string why;
    bool cp932 = false;
    std::string path = raw ? raw_name : SafeMemberPath(raw_name, &why, &cp932);
    if (path.empty()) {
      path = "member-" + std::to_string(out.archive.members.size() + 1);
      out.archive.notes.push_back("renamed " + path + ": " + why);
    } else if (!why.empty()) {
      out.archive.notes.push_back("path made safe: " + path + " (" + why + ")");
    } else if (cp932) {
      out.archive.notes.push_back("name decoded from CP932 or EUC-JP: " + path);
    }
    if (!seen.insert(path).second) {
      int n = 2;
      while (!seen.insert(NumberedPath(path, n)).second) ++n;
      out.archive.notes.push_back("duplicate name " + path + " kept as " + NumberedPath(path, n));
      path = NumberedPath(path, n);
    }
    ArchiveMember m;
    m.path = path;
    if (linked != nullptr && (!archive_entry_size_is_set(e) || archive_entry_size(e) == 0)) {
      std::string copy = *linked;
      out.archive.expanded_bytes += copy.size();
      if (out.archive.expanded_bytes > limits.max_total_bytes) {
        return fail(ArchiveProblem::kLimit, "members expand beyond " +
                                                std::to_string(limits.max_total_bytes) +
                                                " bytes (archive.max_total_bytes)");
      }
      m.bytes = std::move(copy);
      by_raw_name[raw_name] = out.archive.members.size();
      out.archive.members.push_back(std::move(m));
      continue;
    }
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) {
        std::string err = ErrorOf(a.get());
        if (encrypted || LooksLikePasswordError(err)) {
          return fail(ArchiveProblem::kEncrypted,
                      EncryptedDetail(a.get(), password, path + " (" + err + ")"));
        }
        return fail(ArchiveProblem::kMalformed, "cannot read " + path + ": " + err);
      }
      auto got = static_cast<uint64_t>(n);
      out.archive.expanded_bytes += got;
      if (m.bytes.size() + got > limits.max_member_bytes) {
        return fail(ArchiveProblem::kLimit, path + " expands beyond " +
                                                std::to_string(limits.max_member_bytes) +
                                                " bytes (archive.max_member_bytes)");
      }
      if (out.archive.expanded_bytes > limits.max_total_bytes) {
        return fail(ArchiveProblem::kLimit, "members expand beyond " +
                                                std::to_string(limits.max_total_bytes) +
                                                " bytes (archive.max_total_bytes)");
      }
      if (out.archive.expanded_bytes > limits.ratio_floor_bytes &&
          out.archive.expanded_bytes / std::max<uint64_t>(bytes.size(), 1) >= limits.max_ratio) {
        return fail(ArchiveProblem::kLimit,
                    "compression ratio above " + std::to_string(limits.max_ratio) +
                        ":1 (archive.max_ratio): a decompression bomb");
      }
      m.bytes.append(buf.data(), static_cast<size_t>(n));
    }
    by_raw_name[raw_name] = out.archive.members.size();
    out.archive.members.push_back(std::move(m));
  }
  out.archive.decrypted = any_encrypted;
  if (is_zip) {
    // A zip names each file twice: in its local header (what libarchive reports, and what
    // streaming extractors read) and in the central directory (what most other tools list
    // and extract). Names that disagree show different files to different tools, so the
    // archive is refused; so is one whose two listings differ in number.
    std::vector<std::string> central;
    if (!ZipCentralNames(bytes, &central)) {
      return fail(ArchiveProblem::kMalformed, "the zip central directory cannot be read");
    }
    // Compared as the recipient would see them (decoded, backslash as '/', made safe): libarchive
    // itself rewrites backslashes in names written by DOS/Windows tools.
    auto shown = [](const std::vector<std::string>& raw) {
      std::vector<std::string> names;
      for (const auto& n : raw) {
        std::string why;
        bool cp932 = false;
        names.push_back(SafeMemberPath(n, &why, &cp932));
      }
      return names;
    };
    std::vector<std::string> local = shown(pass.raw_names);
    std::vector<std::string> listed = shown(central);
    if (local != listed) {
      size_t i = 0;
      while (i < local.size() && i < listed.size() && local[i] == listed[i]) ++i;
      std::string detail = "zip local header and central directory disagree";
      if (i < local.size() && i < listed.size()) {
        detail += ": local '" + local[i] + "', central '" + listed[i] + "'";
      } else {
        detail += " on the number of files (" + std::to_string(local.size()) + " local, " +
                  std::to_string(listed.size()) + " central)";
      }
      return fail(ArchiveProblem::kBadName, detail);
    }
  }
  return out;
}

}  // namespace

UnpackOutcome UnpackArchive(std::string_view bytes, const std::string& single_file_name,
                            const std::string& password, const ArchiveLimits& limits) {
  UnpackOutcome out = Unpack(bytes, single_file_name, password, limits);
  if (out.problem == ArchiveProblem::kMalformed && Rar5HasEncryption(bytes)) {
    out.problem = ArchiveProblem::kEncrypted;
    out.detail = "encrypted RAR 5 archive: resubmit it with the password (libarchive, which "
                 "cannot decrypt RAR 5, read: " + out.detail + ")";
  }
  return out;
}

bool Rar5HasEncryption(std::string_view b) {
  static constexpr std::string_view kSignature("Rar!\x1A\x07\x01\x00", 8);
  if (b.substr(0, kSignature.size()) != kSignature) return false;
  // A variable-length integer: 7 bits a byte, low first, the high bit set on all but the last.
  auto vint = [&b](size_t* p, size_t end, uint64_t* v) {
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
      auto c = static_cast<uint8_t>(b[(*p)++]);
      *v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if ((c & 0x80) == 0) return true;
    }
    return false;
  };
  constexpr uint64_t kArchiveEncryption = 4, kFile = 2, kService = 3, kEnd = 5;
  size_t pos = kSignature.size();
  for (int blocks = 0; blocks < 1000000 && b.size() - pos > 4; ++blocks) {
    size_t p = pos + 4;  // the header's CRC32
    uint64_t size = 0, type = 0, flags = 0, extra = 0, data = 0;
    if (!vint(&p, b.size(), &size) || size > b.size() - p) return false;
    const size_t end = p + size;  // from the type to the end of the extra area
    if (!vint(&p, end, &type) || !vint(&p, end, &flags)) return false;
    if (type == kArchiveEncryption) return true;
    if (type == kEnd) return false;
    if ((flags & 1) != 0 && !vint(&p, end, &extra)) return false;
    if ((flags & 2) != 0 && !vint(&p, end, &data)) return false;
    if ((type == kFile || type == kService) && extra > 0) {
      if (extra > end - p) return false;
      // The extra area ends the header: records of (size, type, ...); type 1 is encryption.
      for (size_t q = end - extra; q < end;) {
        uint64_t record_size = 0, record_type = 0;
        if (!vint(&q, end, &record_size) || record_size == 0 || record_size > end - q) {
          return false;
        }
        size_t r = q;
        if (!vint(&r, q + record_size, &record_type)) return false;
        if (record_type == 1) return true;
        q += record_size;
      }
    }
    if (data > b.size() - end) return false;
    pos = end + data;
  }
  return false;
}

}  // namespace mugai
