// setgroups/setgid/setuid, in that order, checked.
#include "gateway/service/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mugai {

Status DropPrivileges(const std::string& user) {
  if (user.empty()) return Status::Ok();
  passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) {
    return {StatusCode::kConfig, "process.user '" + user + "' does not exist (create it, e.g. "
                                 "'useradd --system --home /var/lib/mugai mugai')"};
  }
  if (geteuid() != 0) {
    if (geteuid() == pw->pw_uid) return Status::Ok();
    return {StatusCode::kConfig, "process.user is '" + user +
                                     "': start mugai as root (it drops to that user) or as that user"};
  }
  if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
      setuid(pw->pw_uid) != 0) {
    return {StatusCode::kInternal, "cannot become '" + user + "': " + strerror(errno)};
  }
  if (setuid(0) == 0 || geteuid() == 0) {
    return {StatusCode::kInternal, "privileges did not drop: still able to become root"};
  }
  return Status::Ok();
}

}  // namespace mugai
