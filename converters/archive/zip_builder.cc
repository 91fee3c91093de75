// libarchive's zip writer into memory.
#include "converters/archive/zip_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <time.h>

#include <memory>

namespace mugai {

namespace {

la_ssize_t AppendToString(struct archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

struct WriterCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

}  // namespace

Result<std::string> BuildZip(const std::vector<ZipEntry>& entries) {
  std::string out;
  std::unique_ptr<archive, WriterCloser> w(archive_write_new());
  if (!w) return Status{StatusCode::kInternal, "libarchive: out of memory"};
  auto fail = [&w](const std::string& what) {
    const char* e = archive_error_string(w.get());
    return Status{StatusCode::kInternal, what + ": " + (e ? e : "libarchive error")};
  };
  if (archive_write_set_format_zip(w.get()) != ARCHIVE_OK ||
      archive_write_set_options(w.get(), "zip:compression=deflate,zip:hdrcharset=UTF-8") <
          ARCHIVE_WARN ||
      archive_write_set_bytes_in_last_block(w.get(), 1) != ARCHIVE_OK ||
      archive_write_open(w.get(), &out, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return fail("cannot start a zip");
  }
  time_t now = time(nullptr);
  for (const ZipEntry& z : entries) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname_utf8(e.get(), z.path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(z.bytes->size()));
    archive_entry_set_mtime(e.get(), now, 0);
    if ((z.store ? archive_write_zip_set_compression_store(w.get())
                 : archive_write_zip_set_compression_deflate(w.get())) != ARCHIVE_OK) {
      return fail("cannot choose the compression of " + z.path);
    }
    if (archive_write_header(w.get(), e.get()) < ARCHIVE_WARN) {
      return fail("cannot add " + z.path);
    }
    if (!z.bytes->empty() &&
        archive_write_data(w.get(), z.bytes->data(), z.bytes->size()) !=
            static_cast<la_ssize_t>(z.bytes->size())) {
      return fail("cannot write " + z.path);
    }
  }
  if (archive_write_close(w.get()) != ARCHIVE_OK) return fail("cannot finish the zip");
  return out;
}

}  // namespace mugai
