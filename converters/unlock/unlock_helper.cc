#include "converters/unlock/unlock_helper.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "converters/office/office_protocol.h"

namespace mugai {

namespace {

namespace fs = std::filesystem;

// Run by python3 -I -S: msoffcrypto-tool from Debian's dist-packages, the password on
// standard input, the document in argv[1], the decrypted one written to argv[2]. Its exit
// status is the answer (see RunOffice).
constexpr char kOfficeScript[] = R"PY(
import sys
sys.path.append('/usr/lib/python3/dist-packages')
try:
    import msoffcrypto
    from msoffcrypto.exceptions import InvalidKeyError
except Exception as e:
    sys.stderr.write('msoffcrypto-tool cannot be loaded (Debian: python3-msoffcrypto-tool): %s\n' % e)
    sys.exit(12)
import struct
import olefile

def restore_edit_records(original, decrypted):
    # [MS-PPT] 2.3.7: the UserEditAtom and PersistDirectoryAtom records of an encrypted
    # presentation are not encrypted, but msoffcrypto-tool 5.0 decrypts the whole stream, so
    # they come out as noise and no reader can find the slides. Copy them back from the
    # original and drop the reference to the encryption session.
    src = olefile.OleFileIO(original)
    plain = src.openstream('PowerPoint Document').read()
    offset = struct.unpack_from('<I', src.openstream('Current User').read(), 16)[0]
    src.close()
    out = olefile.OleFileIO(decrypted, write_mode=True)
    doc = bytearray(out.openstream('PowerPoint Document').read())
    seen = set()
    while offset and offset not in seen and offset + 8 <= len(plain):
        seen.add(offset)
        _, kind, length = struct.unpack_from('<HHI', plain, offset)
        if kind != 0x0FF5 or length < 0x1C or offset + 8 + length > len(plain):
            raise ValueError('no UserEditAtom at %d' % offset)
        doc[offset:offset + 8 + length] = plain[offset:offset + 8 + length]
        previous, directory = struct.unpack_from('<II', plain, offset + 16)
        _, kind, dlength = struct.unpack_from('<HHI', plain, directory)
        if kind != 0x1772 or directory + 8 + dlength > len(plain):
            raise ValueError('no PersistDirectoryAtom at %d' % directory)
        doc[directory:directory + 8 + dlength] = plain[directory:directory + 8 + dlength]
        if length >= 0x20:
            struct.pack_into('<I', doc, offset + 8 + 28, 0)
        offset = previous
    out.write_stream('PowerPoint Document', bytes(doc))
    out.close()

def decrypt_pictures(original, decrypted, password, salt, key_size):
    # [MS-PPT] 2.3.7: the Pictures stream's records are encrypted piece by piece (the header,
    # each fixed field, the picture), every piece with a fresh RC4 key stream for block 0.
    # msoffcrypto-tool 5.0 leaves the stream encrypted, and the slides would come without
    # their pictures. Anything out of place keeps the stream as it was (pictures lost, the
    # slides still converted).
    from hashlib import sha1
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
    src = olefile.OleFileIO(original)
    if not src.exists('Pictures'):
        src.close()
        return
    pics = src.openstream('Pictures').read()
    src.close()
    digest = sha1(sha1(salt + password.encode('utf-16-le')).digest() + b'\0\0\0\0').digest()
    key = digest[:5] + b'\0' * 11 if key_size == 40 else digest[:key_size // 8]
    out = bytearray(pics)

    def piece(at, n):
        if n < 0 or at + n > len(pics):
            raise ValueError('a picture record runs past the stream')
        out[at:at + n] = Cipher(algorithms.ARC4(key), mode=None).decryptor().update(pics[at:at + n])
        return bytes(out[at:at + n])

    two_uids = (0x217, 0x3D5, 0x46B, 0x543, 0x6E1, 0x6E3, 0x6E5, 0x7A9)
    at = 0
    try:
        while at + 8 <= len(pics):
            ver_inst, kind, length = struct.unpack('<HHI', piece(at, 8))
            end = at + 8 + length
            if end > len(pics):
                raise ValueError('a picture record runs past the stream')
            p = at + 8
            if kind == 0xF007:  # OfficeArtFBSE, perhaps with the picture inside
                for n in (1, 1, 16, 2, 4, 4, 4, 1):
                    piece(p, n)
                    p += n
                name_bytes = piece(p, 1)[0]
                p += 1
                for n in (1, 1, name_bytes):
                    piece(p, n)
                    p += n
                if p >= end:
                    at = end
                    continue
                ver_inst, kind, _ = struct.unpack('<HHI', piece(p, 8))
                p += 8
            for _ in range(2 if ver_inst >> 4 in two_uids else 1):
                piece(p, 16)
                p += 16
            n = 34 if kind in (0xF01A, 0xF01B, 0xF01C) else 1
            piece(p, n)
            p += n
            piece(p, end - p)
            at = end
    except (ValueError, struct.error) as e:
        sys.stderr.write('pictures not decrypted: %s\n' % e)
        return
    dst = olefile.OleFileIO(decrypted, write_mode=True)
    dst.write_stream('Pictures', bytes(out))
    dst.close()

def hide_encrypted_summary(path):
    # [MS-PPT] 2.1.5: an encrypted presentation keeps its summary information encrypted in an
    # "EncryptedSummary" stream, which decryption does not touch; LibreOffice takes the
    # stream's presence to mean the presentation is still encrypted and will not open it.
    # Rename its directory entry to a name of the same length (the compound file's directory
    # order is by length first), so that no reader looks at it.
    ole = olefile.OleFileIO(path)
    if not ole.exists('EncryptedSummary'):
        ole.close()
        return
    sid = ole._find('EncryptedSummary')
    size, sector, fat = ole.sectorsize, ole.first_dir_sector, ole.fat
    ole.close()
    for _ in range(sid * 128 // size):
        sector = fat[sector]
    at = (sector + 1) * size + sid * 128 % size
    old, new = 'EncryptedSummary'.encode('utf-16-le'), 'MugaiSkippedSumm'.encode('utf-16-le')
    with open(path, 'r+b') as f:
        f.seek(at)
        if f.read(len(old)) != old:
            raise ValueError('the EncryptedSummary directory entry is not where it should be')
        f.seek(at)
        f.write(new)

password = sys.stdin.buffer.readline().rstrip(b'\n').decode('utf-8', 'strict')
try:
    with open(sys.argv[1], 'rb') as f:
        doc = msoffcrypto.OfficeFile(f)
        if not doc.is_encrypted():
            sys.stderr.write('the document is not encrypted\n')
            sys.exit(13)
        try:
            doc.load_key(password=password, verify_password=True)
        except TypeError:
            doc.load_key(password=password)
        with open(sys.argv[2], 'wb') as out:
            doc.decrypt(out)
    if sys.argv[3] == 'ppt':
        restore_edit_records(sys.argv[1], sys.argv[2])
        hide_encrypted_summary(sys.argv[2])
        decrypt_pictures(sys.argv[1], sys.argv[2], password, doc.salt, doc.keySize)
except InvalidKeyError as e:
    sys.stderr.write('%s\n' % e)
    sys.exit(10)
except Exception as e:
    sys.stderr.write('%s: %s\n' % (type(e).__name__, e))
    sys.exit(11)
)PY";

struct ToolRun {
  bool started = false;
  int status = -1;     // exit status, or -1 when it did not exit normally
  std::string output;  // its standard output and error, as far as the limit allowed
};

// Runs argv with `input` on its standard input and its output captured in a file of the
// work folder (bounded by the process's RLIMIT_FSIZE), and waits for it.
ToolRun RunTool(const std::vector<std::string>& args, const std::string& input,
                const std::string& work_dir, uint64_t max_output = 64 << 10) {
  ToolRun run;
  const std::string log = work_dir + "/tool.log";
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  int in[2];
  if (out < 0 || pipe2(in, O_CLOEXEC) != 0) {
    if (out >= 0) close(out);
    run.output = std::string("cannot prepare the tool: ") + strerror(errno);
    return run;
  }
  std::vector<char*> argv;
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // the helper's deadline ends the tool too
    dup2(in[0], 0);
    dup2(out, 1);
    dup2(out, 2);
    syscall(SYS_close_range, 3U, ~0U, 0U);  // the tool never holds the helper's connection
    if (chdir(work_dir.c_str()) != 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out);
  if (pid < 0) {
    close(in[1]);
    run.output = std::string("cannot start the tool: ") + strerror(errno);
    return run;
  }
  run.started = true;
  signal(SIGPIPE, SIG_IGN);  // a tool that does not read its password is not an error here
  (void)WriteAllTo(in[1], input);
  close(in[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (run.status == 127) run.output = args[0] + " could not be run; ";
  Result<std::string> text = ReadFileLimited(log, max_output);
  if (text.ok()) {
    run.output += *text;
  } else {
    run.output += "(its output is longer than " + std::to_string(max_output) + " bytes)";
  }
  return run;
}

// The last non-empty lines of a tool's output, for a message.
std::string Tail(const std::string& text, size_t lines = 3) {
  std::vector<std::string> kept;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) kept.push_back(line);
    start = end + 1;
  }
  std::string out;
  for (size_t i = kept.size() > lines ? kept.size() - lines : 0; i < kept.size(); ++i) {
    if (!out.empty()) out += " / ";
    out += kept[i];
  }
  return out.size() > 600 ? out.substr(0, 600) : out;
}

OfficeResponse Answer(OfficeStatus status, std::string body) {
  OfficeResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

OfficeResponse RunOffice(const UnlockHelperOptions& o, const std::string& in,
                         const std::string& kind, const std::string& password) {
  const std::string out = o.work_dir + "/decrypted";
  ToolRun run = RunTool({o.python, "-I", "-S", "-c", kOfficeScript, in, out, kind},
                        password + "\n", o.work_dir);
  switch (run.status) {
    case 0: break;
    case 10:
      return Answer(OfficeStatus::kPassword, "the password does not open the document");
    case 12:
      return Answer(OfficeStatus::kFailed, Tail(run.output, 1));
    case 13:
      return Answer(OfficeStatus::kFailed, "msoffcrypto-tool finds no encryption it knows in it");
    default:
      return Answer(OfficeStatus::kFailed,
                    "msoffcrypto-tool could not decrypt it (this kind of encryption may not be "
                    "supported): " + Tail(run.output, 1));
  }
  Result<std::string> plain = ReadFileLimited(out, o.max_output_bytes);
  if (!plain.ok()) {
    if (plain.status().code() == StatusCode::kLimit) {
      return Answer(OfficeStatus::kLimit, "the decrypted document is larger than "
                                          "limits.max_output_bytes");
    }
    return Answer(OfficeStatus::kFailed, "msoffcrypto-tool wrote no document");
  }
  return Answer(OfficeStatus::kPdf, std::move(plain.value()));
}

bool WrongPassword(const std::string& output) {
  return output.find("Wrong password") != std::string::npos;
}

// 7-Zip's technical listing (-slt): the members after the "----------" line, each a block of
// "Key = value" lines. Counts the files (not folders: "Folder = +" or attributes "D...") and
// adds up their sizes.
bool ParseListing(const std::string& text, uint64_t* members, uint64_t* total) {
  size_t at = text.find("\n----------\n");
  if (at == std::string::npos) return false;
  *members = 0;
  *total = 0;
  bool open = false, folder = false;
  auto finish = [&] {
    if (open && !folder) ++*members;
    open = folder = false;
  };
  size_t start = at + 12;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("Path = ", 0) == 0) {
      finish();
      open = true;
    } else if (line == "Folder = +" || line.rfind("Attributes = D", 0) == 0) {
      folder = true;
    } else if (line.rfind("Size = ", 0) == 0) {
      uint64_t n = 0;
      for (char c : line.substr(7)) {
        if (c < '0' || c > '9') break;
        if (n > (UINT64_MAX - 9) / 10) return false;
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      if (*total > UINT64_MAX - n) return false;
      *total += n;
    }
    start = end + 1;
  }
  finish();
  return true;
}

la_ssize_t AppendToString(archive*, void* data, const void* buffer, size_t length) {
  static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

struct WriteCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};

// A plain tar of the regular files beneath `root` (names relative to it, UTF-8 as 7-Zip
// wrote them). A link or special file refuses the whole archive.
OfficeResponse TarOf(const UnlockHelperOptions& o, const std::string& root,
                     uint64_t expected_members = 0) {
  std::string tar;
  std::unique_ptr<archive, WriteCloser> w(archive_write_new());
  archive_write_set_format_pax_restricted(w.get());
  archive_write_set_bytes_in_last_block(w.get(), 1);
  if (archive_write_open(w.get(), &tar, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return Answer(OfficeStatus::kFailed, "cannot write the decrypted archive's members");
  }
  uint64_t members = 0, total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    std::string relative = it->path().lexically_relative(root).string();
    if (fs::is_directory(st)) continue;
    if (!fs::is_regular_file(st)) {
      return Answer(OfficeStatus::kFailed, "the archive holds a link or special file (" +
                                               relative + "): not delivered");
    }
    uint64_t size = fs::file_size(it->path(), ec);
    if (ec) break;
    if (++members > o.max_members || size > o.max_total_bytes - std::min(total, o.max_total_bytes)) {
      return Answer(OfficeStatus::kLimit, "what the archive unpacks to is over archive.max_members "
                                          "or archive.max_total_bytes");
    }
    total += size;
    Result<std::string> bytes = ReadFileLimited(it->path().string(), o.max_total_bytes);
    if (!bytes.ok()) return Answer(OfficeStatus::kFailed, "cannot read " + relative);
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                                archive_entry_free);
    archive_entry_copy_pathname(e.get(), relative.c_str());  // UTF-8: the locale is C.UTF-8
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes->size()));
    if (archive_write_header(w.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(w.get(), bytes->data(), bytes->size()) !=
            static_cast<la_ssize_t>(bytes->size())) {
      return Answer(OfficeStatus::kFailed, "cannot write " + relative + " to the tar");
    }
    if (tar.size() > o.max_output_bytes) {
      return Answer(OfficeStatus::kLimit, "the decrypted archive is larger than "
                                          "limits.max_output_bytes");
    }
  }
  if (ec) return Answer(OfficeStatus::kFailed, "cannot walk what the tool unpacked: " + ec.message());
  if (expected_members != 0 && members != expected_members) {
    return Answer(OfficeStatus::kFailed, "the archive lists " + std::to_string(expected_members) +
                                             " file(s) but " + std::to_string(members) +
                                             " came out: not delivered");
  }
  if (archive_write_close(w.get()) != ARCHIVE_OK) {
    return Answer(OfficeStatus::kFailed, "cannot finish the tar");
  }
  if (members == 0) return Answer(OfficeStatus::kFailed, "the archive holds no file");
  return Answer(OfficeStatus::kPdf, std::move(tar));
}

// What the listing says would come out is over the archive limits: nothing is written.
OfficeResponse OverLimits(uint64_t members, uint64_t total) {
  return Answer(OfficeStatus::kLimit,
                "the archive would unpack to " + std::to_string(members) + " member(s), " +
                    std::to_string(total) +
                    " bytes: over archive.max_members or archive.max_total_bytes");
}

constexpr char kNoRarCodec[] =
    " (Debian's p7zip-full and 7zip leave the RAR codec out; set unlock.unar to The "
    "Unarchiver's unar, Debian: unar, or install the non-free 7zip-rar and set "
    "unlock.seven_zip to /usr/bin/7zz)";

OfficeResponse RunSevenZip(const UnlockHelperOptions& o, const std::string& in,
                           const std::string& kind, const std::string& password) {
  const std::string pw = password + "\n";
  // First the listing (the password opens an encrypted header too): what would come out must
  // be within the archive limits before anything is written.
  // ~200 bytes per member in the technical listing: room for archive.max_members of them.
  const uint64_t listing_cap = std::min<uint64_t>(256ULL << 20, (64 << 10) + 1024ULL * o.max_members);
  ToolRun list = RunTool({o.seven_zip, "l", "-slt", "-sccUTF-8", "--", in}, pw, o.work_dir,
                         listing_cap);
  if (list.status == 127 || !list.started) {
    return Answer(OfficeStatus::kFailed, "7-Zip (unlock.seven_zip = " + o.seven_zip +
                                             ") cannot be run; Debian: p7zip-full");
  }
  if (WrongPassword(list.output)) {
    return Answer(OfficeStatus::kPassword, "the password does not open the archive");
  }
  uint64_t members = 0, total = 0;
  if (kind == "rar" && list.output.find("Can not open the file as archive") != std::string::npos) {
    return Answer(OfficeStatus::kFailed, "this 7-Zip cannot open RAR" + std::string(kNoRarCodec));
  }
  if (list.status != 0 || !ParseListing(list.output, &members, &total)) {
    return Answer(OfficeStatus::kFailed, "7-Zip cannot read the archive: " + Tail(list.output));
  }
  if (members > o.max_members || total > o.max_total_bytes) return OverLimits(members, total);
  const std::string out = o.work_dir + "/out";
  ToolRun x = RunTool({o.seven_zip, "x", "-y", "-bd", "-sccUTF-8", "-o" + out, "--", in}, pw,
                      o.work_dir, listing_cap);
  if (WrongPassword(x.output)) {
    return Answer(OfficeStatus::kPassword, "the password does not open the archive");
  }
  if (x.output.find("Unsupported Method") != std::string::npos && kind == "rar") {
    return Answer(OfficeStatus::kFailed,
                  "this 7-Zip cannot decompress RAR" + std::string(kNoRarCodec));
  }
  if (x.status != 0) {
    return Answer(OfficeStatus::kFailed, "7-Zip could not unpack it: " + Tail(x.output));
  }
  return TarOf(o, out);
}

// The Unarchiver (unar, and lsar beside it) for rar: Debian's 7-Zip has no RAR codec. It takes
// the password only on its command line (`-p`), so while lsar and unar run (at most
// unlock.timeout_seconds) the password is in their /proc/<pid>/cmdline: readable by the host's own accounts, not by any sandboxed process
// (Landlock gives workers, converters and helpers no other process's /proc).
OfficeResponse RunUnar(const UnlockHelperOptions& o, const std::string& in,
                       const std::string& password) {
  const std::string lsar = fs::path(o.unar).parent_path() / "lsar";
  const uint64_t listing_cap = std::min<uint64_t>(256ULL << 20, (64 << 10) + 2048ULL * o.max_members);
  // -nr: an archive inside is a member like any other, unpacked (or not) by the pipeline.
  ToolRun list = RunTool({lsar, "-j", "-nr", "-p", password, in}, "", o.work_dir, listing_cap);
  if (list.status == 127 || !list.started) {
    return Answer(OfficeStatus::kFailed, "The Unarchiver (unlock.unar = " + o.unar +
                                             ", and lsar beside it) cannot be run; Debian: unar");
  }
  if (list.output.empty()) {
    return Answer(OfficeStatus::kFailed, "lsar ended with status " + std::to_string(list.status) +
                                             " and no listing");
  }
  // GNUstep may write warnings (on standard error, captured with the listing) before it.
  size_t json_at = list.output.rfind("{\n", 0) == 0 ? 0 : list.output.find("\n{\n");
  json_at = json_at == std::string::npos ? 0 : json_at + (json_at == 0 ? 0 : 1);
  nlohmann::json listing = nlohmann::json::parse(list.output.substr(json_at), nullptr, false);
  if (listing.is_discarded() || !listing.is_object()) {
    return Answer(OfficeStatus::kFailed,
                  "lsar cannot read the archive: " + list.output.substr(0, 300));
  }
  const int error = listing.value("lsarError", 0);
  if (error == 15) {  // XADPasswordError
    return Answer(OfficeStatus::kPassword, "the password does not open the archive");
  }
  // Debian 12's unar (1.10.1) decrypts RAR 5 but not RAR 4 ("RAR"): say so when that fails.
  const nlohmann::json& format_name =
      listing.contains("lsarFormatName") ? listing["lsarFormatName"] : nlohmann::json();
  const std::string format = format_name.is_string() ? format_name.get<std::string>() : "";
  bool any_encrypted = false;
  if (listing.contains("lsarContents") && listing["lsarContents"].is_array()) {
    for (const nlohmann::json& e : listing["lsarContents"]) {
      any_encrypted |= e.is_object() && e.value("XADIsEncrypted", 0) != 0;
    }
  }
  const std::string hint = format == "RAR" && (any_encrypted || error != 0)
                               ? " (an encrypted RAR 4 archive, or a damaged one: Debian 12's "
                                 "unar 1.10.1 opens encrypted RAR 5 archives only)"
                               : "";
  if (list.status != 0 || error != 0 || !listing.contains("lsarContents") ||
      !listing["lsarContents"].is_array()) {
    return Answer(OfficeStatus::kFailed, "The Unarchiver cannot read the archive (XAD error " +
                                             std::to_string(error) + ")" + hint);
  }
  uint64_t members = 0, total = 0;
  for (const nlohmann::json& e : listing["lsarContents"]) {
    if (!e.is_object() || e.value("XADIsDirectory", 0) != 0) continue;
    ++members;
    const nlohmann::json& size = e.contains("XADFileSize") ? e["XADFileSize"] : nlohmann::json();
    if (!size.is_number_unsigned()) {
      // (RAR 5's "unpacked size unknown"): the limits could not hold before unpacking.
      return Answer(OfficeStatus::kLimit, "the archive does not say how large a member is, so "
                                          "archive.max_total_bytes cannot be checked before "
                                          "unpacking: not opened");
    }
    uint64_t n = size.get<uint64_t>();
    total = n > UINT64_MAX - total ? UINT64_MAX : total + n;
  }
  if (members > o.max_members || total > o.max_total_bytes) return OverLimits(members, total);
  // -k skip: no AppleDouble files for resource forks; -D: the members as named, no wrapper
  // folder; -r: a name that repeats (or that unar's own clean-up makes repeat) is renamed,
  // never asked about or overwritten. What comes out is checked again (the count listed,
  // sizes, no links) as it is put in the tar.
  const std::string out = o.work_dir + "/out";
  ToolRun x = RunTool({o.unar, "-q", "-r", "-nr", "-D", "-k", "skip", "-o", out, "-p", password,
                       in},
                      "", o.work_dir, listing_cap);
  if (x.output.find("Missing or wrong password") != std::string::npos) {
    return Answer(OfficeStatus::kPassword, "the password does not open the archive");
  }
  if (x.status != 0) {
    // Anything short of every member unpacked blocks the whole archive.
    return Answer(OfficeStatus::kFailed,
                  "The Unarchiver could not unpack it" + hint + ": " + Tail(x.output));
  }
  return TarOf(o, out, members);
}

}  // namespace

bool IsUnlockKind(const std::string& kind) {
  return kind == "ooxml" || kind == "ppt" || kind == "7z" || kind == "rar";
}

int RunUnlockHelper(const UnlockHelperOptions& o, const std::function<bool()>& confine) {
  fcntl(o.conn_fd, F_SETFD, FD_CLOEXEC);  // inherited across exec: never the tool's
  signal(SIGALRM, SIG_DFL);  // the default action ends this process; its tool dies with it
  // The relay may still wait for a worker slot: a generous bound until the request arrives,
  // then the item's own.
  alarm(std::max<uint32_t>(o.timeout_seconds, 600));
  setenv("LANG", "C.UTF-8", 1);  // 7-Zip writes member names in the locale's encoding
  setenv("LC_ALL", "C.UTF-8", 1);
  setlocale(LC_ALL, "C.UTF-8");  // libarchive writes the tar's names in this locale's encoding
  setenv("TZ", "UTC", 1);  // GNUstep (unar) cannot read /etc/localtime under Landlock
  setenv("HOME", o.work_dir.c_str(), 1);
  setenv("TMPDIR", o.work_dir.c_str(), 1);
  // Reading the request parses nothing (a length-checked frame); the sandbox goes up before
  // any tool runs, and if it cannot, the relay is told so rather than left to guess.
  Result<OfficeRequest> req = ReadOfficeRequest(o.conn_fd, o.max_input_bytes);
  alarm(o.timeout_seconds);
  OfficeResponse resp;
  if (!confine()) {
    resp = Answer(OfficeStatus::kFailed,
                  "the decryption helper's sandbox (Landlock, seccomp) could not be set up on "
                  "this kernel; password-protected items cannot be opened here");
  } else if (!req.ok()) {
    resp = Answer(OfficeStatus::kFailed, "bad request: " + req.status().message());
  } else if (!IsUnlockKind(req->extension)) {
    resp = Answer(OfficeStatus::kFailed, "unknown kind " + req->extension);
  } else if (req->password.empty()) {
    resp = Answer(OfficeStatus::kPassword, "no password was given");
  } else {
    const std::string in = o.work_dir + "/input." + req->extension;
    int fd = open(in.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || !WriteAllTo(fd, req->document).ok()) {
      resp = Answer(OfficeStatus::kFailed, "cannot write the item into " + o.work_dir);
    } else if (req->extension == "ooxml" || req->extension == "ppt") {
      resp = RunOffice(o, in, req->extension, req->password);
    } else if (req->extension == "rar" && !o.unar.empty() && access(o.unar.c_str(), X_OK) == 0) {
      // (without unar, 7-Zip is tried: with the non-free 7zip-rar it opens rar, RAR 4 too)
      resp = RunUnar(o, in, req->password);
    } else {
      resp = RunSevenZip(o, in, req->extension, req->password);
    }
    if (fd >= 0) close(fd);
  }
  bool sent = WriteAllTo(o.conn_fd, EncodeOfficeResponse(resp)).ok();
  return sent ? 0 : 3;
}

}  // namespace mugai
