// The system-call filter every worker installs before it touches input (libseccomp).
// A first, deny-list profile: no network sockets or connections, no exec, no new processes
// (threads are allowed: libvips and GLib need them), no ptrace, no mounts, namespaces,
// kernel modules or BPF. The allow-list profile of issue 9 replaces it.
#pragma once

#include <string>

namespace mugai {

// Installs the filter in the calling process. Returns false if it could not be installed;
// the worker then refuses to run (fail closed).
bool InstallWorkerSeccomp();

// Landlock: the worker may create, write, rename or delete files only inside `scratch_dir`
// (reading is not restricted yet). Returns false when the kernel has no Landlock; the
// supervisor says so in its log at start-up (WorkerLandlockAvailable).
bool InstallWorkerLandlock(const std::string& scratch_dir);

// The kernel's Landlock ABI version, 0 when unavailable.
int WorkerLandlockAbi();

}  // namespace mugai
