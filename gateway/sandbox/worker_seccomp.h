// Worker confinement, installed by every worker after fork and before it touches input:
// its own network and mount namespaces (where the kernel permits), Landlock (reads only
// beneath what the libraries need, writes only in its scratch folder) and a seccomp
// allow-list (libseccomp): any system call not listed fails with EPERM, exec kills.
#pragma once

#include <string>

namespace mugai {

// Puts the calling process, which must be single-threaded (a worker just after fork), into a
// new network namespace (no interfaces but a down loopback) and a private mount namespace.
// Without CAP_SYS_ADMIN it first enters a new user namespace mapping only its own uid and
// gid. Returns false when the kernel does not permit it; the process is then unchanged or,
// if a later step failed, in namespaces that are only partly set up.
bool EnterWorkerNamespaces();

// Whether EnterWorkerNamespaces works for this process: tried once in a short-lived child,
// then remembered. The supervisor says so in its log when it does not.
bool WorkerNamespacesAvailable();

// Landlock: the worker may read only beneath the folders the libraries read after fork
// (/usr, fontconfig's configuration and cache, ...) and its scratch folder, and create,
// write, rename or delete files only inside `scratch_dir` ("" = nowhere). Returns false when
// the kernel has no Landlock or a rule could not be added; the supervisor logs Landlock's
// absence at start-up (WorkerLandlockAbi).
bool InstallWorkerLandlock(const std::string& scratch_dir);

// Landlock for LibreOffice's converter process (`mugai office-server`): the worker's read
// paths plus LibreOffice's (`program_dir`, /etc/libreoffice), every right but execute
// beneath `work_dir` (its profile and the document), nothing else.
bool InstallOfficeLandlock(const std::string& work_dir, const std::string& program_dir);

// Landlock for the decryption helper (`mugai unlock-helper`) and the tools it runs: read and
// execute beneath /usr, read the library paths, every right but execute and device nodes
// beneath `work_dir`, nothing else.
bool InstallUnlockLandlock(const std::string& work_dir);

// The converter process's seccomp filter: allow by default (LibreOffice's system calls vary
// with the document), deny exec (kills), new processes and sessions, ptrace and other
// processes' memory, limits and scheduling, signals to anyone but itself, sockets other than
// Unix, connect and addressed sends, namespaces, mounts, device nodes, modules, BPF, keys,
// io_uring, identities and clocks.
bool InstallOfficeSeccomp();

// The decryption helper's seccomp filter, inherited by the tool it runs: the converter's
// deny-list (other processes, new sessions, the network, namespaces, ...) but exec and one
// child process allowed.
bool InstallUnlockSeccomp();

// The kernel's Landlock ABI version, 0 when unavailable.
int WorkerLandlockAbi();

// Installs the system-call allow-list in the calling process. Returns false if it could not
// be installed; the worker then refuses to run (fail closed).
bool InstallWorkerSeccomp();

}  // namespace mugai
