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
#include <set>

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

ArchivePtr OpenReader(std::string_view bytes, const std::string& password, bool zip_streaming) {
  ArchivePtr a(archive_read_new());
  if (!a) return a;
  archive* r = a.get();
  if (zip_streaming) {
    archive_read_support_format_zip_streamable(r);
  } else {
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
    // Keep the handle: the caller reads archive_error_string().
  }
  return a;
}

std::string ErrorOf(archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "unknown libarchive error";
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

}  // namespace

std::string SafeMemberPath(std::string_view raw_name, std::string* why, bool* decoded_cp932) {
  *decoded_cp932 = false;
  std::string name;
  if (ValidUtf8(raw_name)) {
    name.assign(raw_name);
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

UnpackOutcome UnpackArchive(std::string_view bytes, const std::string& single_file_name,
                            const std::string& password, const ArchiveLimits& limits) {
  Utf8Locale utf8;
  UnpackOutcome out;
  auto fail = [&out](ArchiveProblem p, std::string detail) {
    out.problem = p;
    out.detail = std::move(detail);
    out.archive = UnpackedArchive{};
    return std::move(out);
  };
  ArchivePtr a = OpenReader(bytes, password, /*zip_streaming=*/false);
  if (!a) return fail(ArchiveProblem::kMalformed, "libarchive: out of memory");
  Pass pass;
  std::set<std::string> seen;
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
                    password.empty() ? "encrypted archive (" + err + ")"
                                     : "the password does not open this archive (" + err + ")");
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
      return fail(ArchiveProblem::kMalformed, "not an archive format mugai can read");
    }
    out.archive.single_file = raw;
    const char* raw_name_c = archive_entry_pathname(e);
    if (raw_name_c == nullptr) raw_name_c = archive_entry_pathname_utf8(e);
    std::string raw_name = raw ? single_file_name : (raw_name_c ? raw_name_c : "");
    pass.raw_names.push_back(raw_name);
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR) continue;
    if (type != AE_IFREG || archive_entry_hardlink(e) != nullptr) {
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
                  "encrypted archive member " + raw_name + "; resubmit with the password");
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
      out.archive.notes.push_back("name decoded from CP932: " + path);
    }
    if (!seen.insert(path).second) {
      int n = 2;
      while (!seen.insert(NumberedPath(path, n)).second) ++n;
      out.archive.notes.push_back("duplicate name " + path + " kept as " + NumberedPath(path, n));
      path = NumberedPath(path, n);
    }
    ArchiveMember m;
    m.path = path;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) {
        std::string err = ErrorOf(a.get());
        if (encrypted || LooksLikePasswordError(err)) {
          return fail(ArchiveProblem::kEncrypted,
                      password.empty() ? "encrypted member " + path + " (" + err + ")"
                                       : "the password does not open " + path + " (" + err + ")");
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
    out.archive.members.push_back(std::move(m));
  }
  out.archive.decrypted = any_encrypted;
  if (is_zip) {
    // A zip names each file twice: in its local header (read by streaming extractors) and in
    // the central directory (read by most others). Names that disagree show different files
    // to different tools, so the archive is refused.
    ArchivePtr s = OpenReader(bytes, password, /*zip_streaming=*/true);
    if (!s) return fail(ArchiveProblem::kMalformed, "libarchive: out of memory");
    std::vector<std::string> local;
    for (;;) {
      archive_entry* e = nullptr;
      int rc = archive_read_next_header(s.get(), &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) {
        return fail(ArchiveProblem::kMalformed,
                    "local file headers unreadable: " + ErrorOf(s.get()));
      }
      const char* n = archive_entry_pathname(e);
      if (n == nullptr) n = archive_entry_pathname_utf8(e);
      local.emplace_back(n ? n : "");
      if (local.size() > pass.raw_names.size()) break;
      if (archive_read_data_skip(s.get()) < ARCHIVE_WARN) {
        return fail(ArchiveProblem::kMalformed,
                    "local file headers unreadable: " + ErrorOf(s.get()));
      }
    }
    if (local != pass.raw_names) {
      size_t i = 0;
      while (i < local.size() && i < pass.raw_names.size() && local[i] == pass.raw_names[i]) ++i;
      std::string detail = "zip local header and central directory disagree";
      if (i < local.size() && i < pass.raw_names.size()) {
        detail += ": '" + local[i] + "' vs '" + pass.raw_names[i] + "'";
      } else {
        detail += " on the number of files (" + std::to_string(local.size()) + " vs " +
                  std::to_string(pass.raw_names.size()) + ")";
      }
      return fail(ArchiveProblem::kBadName, detail);
    }
  }
  return out;
}

}  // namespace mugai
