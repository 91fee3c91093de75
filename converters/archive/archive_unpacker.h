// Unpacks one archive (zip, 7z, rar 4/5, tar and its compressed forms, lzh, cab, iso 9660, or
// a single gz/bz2/xz/zstd file) with libarchive, under hard limits, into named members that
// the pipeline then processes as child nodes. Runs only inside a worker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mugai {

struct ArchiveLimits {
  uint32_t max_members = 0;       // files in this archive (directories are not counted)
  uint64_t max_member_bytes = 0;  // expanded size of one member
  uint64_t max_total_bytes = 0;   // expanded size of all members together
  uint32_t max_ratio = 0;         // expanded bytes per archive byte, checked beyond ratio_floor
  uint64_t ratio_floor_bytes = 0; // below this much expanded data the ratio is not checked
};

struct ArchiveMember {
  std::string path;   // UTF-8, relative, '/'-separated, each component checked (see below)
  std::string bytes;
};

struct UnpackedArchive {
  std::string format;        // libarchive's name, e.g. "ZIP 2.0 (deflation)", "7-Zip"
  bool single_file = false;  // a bare gz/bz2/xz/zstd/... stream: one member, no names
  std::vector<ArchiveMember> members;
  std::vector<std::string> notes;  // names that were decoded or made safe, for the report
  uint64_t expanded_bytes = 0;
  bool decrypted = false;
};

enum class ArchiveProblem {
  kNone = 0,
  kLimit,          // a limit was hit: the whole archive is blocked
  kEncrypted,      // encrypted and no password, or the password is wrong
  kBadName,        // a name that cannot be made safe, or zip local/central names disagree
  kMalformed,      // truncated or corrupt
};

struct UnpackOutcome {
  ArchiveProblem problem = ArchiveProblem::kNone;
  std::string detail;  // what went wrong, for the report
  UnpackedArchive archive;
};

// Unpacks `bytes`. `single_file_name` names the member of a bare compressed stream (the
// archive's own name without its compression extension). `password` ("" = none) opens
// encrypted zip (ZipCrypto, AES), 7z and rar members. Never returns a partial listing as
// complete: any problem other than kNone means `archive` must not be used.
UnpackOutcome UnpackArchive(std::string_view bytes, const std::string& single_file_name,
                            const std::string& password, const ArchiveLimits& limits);

// Whether a RAR 5 archive marks anything encrypted: an archive encryption header (names
// encrypted, `-hp`) or a file or service header with an encryption record. libarchive 3.6
// cannot decrypt RAR 5 and reads such an archive as damaged; this walks the block headers
// only (bounded by `bytes`, nothing decompressed) so that it is blocked `encrypted` and can
// be resubmitted with the password. False for anything else, including damaged headers.
bool Rar5HasEncryption(std::string_view bytes);

// Makes one archive path safe: decodes it (UTF-8 as is, else CP932), drops "." components,
// and refuses absolute paths, "..", NUL and control characters and empty names.
// Returns "" (and sets *why) when the name cannot be used. Pure function.
std::string SafeMemberPath(std::string_view raw_name, std::string* why, bool* decoded_cp932);

// The name of a bare compressed file's content: "report.txt.gz" → "report.txt",
// "x.tgz" → "x.tar"; a name without such an extension gains nothing ("data" when empty).
std::string UncompressedName(std::string_view archive_name);

}  // namespace mugai
