// The supervisor's privilege drop (ARCHITECTURE §3): started as root (e.g. to bind a socket),
// a front end becomes the dedicated user named by process.user before it touches the state
// folder or any input.
#pragma once

#include <string>

#include "common/status.h"

namespace mugai {

// Becomes `user` (its uid, primary gid and supplementary groups) for good. "" = stay as is.
// Not root: fine when already `user`, otherwise kConfig saying how to start. kConfig for an
// unknown user; kInternal if the change does not stick.
Status DropPrivileges(const std::string& user);

}  // namespace mugai
