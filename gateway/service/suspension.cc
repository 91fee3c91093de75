#include "gateway/service/suspension.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace mugai {

std::string SuspensionPath(const std::string& state_dir) { return state_dir + "/suspended"; }

Suspension ReadSuspension(const std::string& state_dir) {
  Suspension s;
  const std::string path = SuspensionPath(state_dir);
  struct stat st;
  if (stat(path.c_str(), &st) != 0 && errno == ENOENT) return s;
  s.active = true;
  Result<std::string> text = ReadFileLimited(path, 64 * 1024);
  nlohmann::json j = text.ok() ? nlohmann::json::parse(text.value(), nullptr, false)
                               : nlohmann::json();
  if (!text.ok() || j.is_discarded() || !j.is_object() || !j.contains("reason") ||
      !j["reason"].is_string()) {
    s.reason = "the suspension file " + path + " cannot be read (" +
               (text.ok() ? std::string("not JSON") : text.status().message()) +
               "); run 'mugai resume' to clear it";
    return s;
  }
  s.reason = j["reason"].get<std::string>();
  if (j.contains("actor") && j["actor"].is_string()) s.actor = j["actor"].get<std::string>();
  if (j.contains("since") && j["since"].is_number_integer()) s.since = j["since"].get<int64_t>();
  return s;
}

Status WriteSuspension(const std::string& state_dir, const Suspension& s) {
  nlohmann::json j = {{"reason", s.reason}, {"actor", s.actor}, {"since", s.since}};
  const std::string path = SuspensionPath(state_dir);
  Status written = WriteFileAtomically(
      path, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", 0600, true);
  // Root on the state folder: the file is the folder owner's (the service reads it).
  if (!written.ok()) return written;
  return GiveToFolderOwner(path, state_dir);
}

Status ClearSuspension(const std::string& state_dir) {
  const std::string path = SuspensionPath(state_dir);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return {StatusCode::kIo, "cannot remove " + path + ": " + strerror(errno)};
  }
  return Status::Ok();
}

}  // namespace mugai
