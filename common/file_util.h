// Small file helpers shared by the supervisor-side modules: bounded reads, atomic writes,
// directory creation, sha256. All return Status; none throws.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mugai {

// Creates `path` and its parents with `mode` (existing folders are left as they are).
Status MakeDirs(const std::string& path, mode_t mode);

// Reads a regular file of at most `max_bytes`. kLimit when larger, kNotFound/kIo otherwise.
Result<std::string> ReadFileLimited(const std::string& path, uint64_t max_bytes);

// Writes a report or similar file the user named: atomically (WriteFileAtomically, replace)
// when `path` is a regular file or absent; written straight into it when it is something else
// the user meant to write to (/dev/null, a pipe, a terminal), never renamed over it.
Status WriteUserFile(const std::string& path, std::string_view bytes, mode_t mode);

// "name.txt" → "name (n).txt"; names without an extension get the suffix at the end.
std::string CollisionName(const std::string& name, int n);

// Writes `bytes` as a new file `name` in `dir` (atomically, mode 0644), never replacing one:
// when the name is taken, "name (1).ext", "name (2).ext"... Returns the path written.
Result<std::string> WriteNewFile(const std::string& dir, const std::string& name,
                                 std::string_view bytes);

// Reads what `fd` holds (a regular file or memfd from its start, or a pipe to its end) of at
// most `max_bytes`; `what` names it in messages. kLimit when larger, kIo otherwise.
Result<std::string> ReadFdLimited(int fd, uint64_t max_bytes, const std::string& what);

// Writes `bytes` to a temporary name in the same folder, fsyncs it, then renames it to
// `path`. When `replace` is false an existing `path` is never overwritten (kIo, EEXIST).
// On any failure the temporary file is removed: a half-written file is never visible.
Status WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode,
                           bool replace);

// Root writing `path` in `folder` owned by another user gives it to that user (the service's
// user must be able to read and replace it: a file replaced by rename becomes its writer's).
// Ok when there is nothing to do; kIo when the chown fails.
Status GiveToFolderOwner(const std::string& path, const std::string& folder);

// An anonymous in-memory file (memfd) holding `bytes`, sealed against any change, so that
// what a worker reads is exactly what the caller hashed. Returns the fd, or -1 (errno set).
int SealedMemfd(const std::string& bytes);

// Lower-case hex sha256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// The last path component ("a/b/c.txt" → "c.txt").
std::string BaseName(std::string_view path);

}  // namespace mugai
