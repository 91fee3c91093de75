// Worker seccomp filter. Denials return an errno (so libraries fail cleanly and the item is
// blocked); exec kills the worker outright, since no worker type of this build may run one.
#include "gateway/worker_seccomp.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>

// Debian 12's kernel headers predate Landlock ABI 3; the kernel may well be newer.
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

namespace mugai {

int WorkerLandlockAbi() {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

bool InstallWorkerLandlock(const std::string& scratch_dir) {
  int abi = WorkerLandlockAbi();
  if (abi <= 0) return false;
  // Every right that changes the file system; reading and executing are left alone.
  uint64_t write_rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                          LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                          LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                          LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                          LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) write_rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) write_rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = write_rights;
  int ruleset = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (ruleset < 0) return false;
  bool ok = true;
  if (!scratch_dir.empty()) {
    int dir = open(scratch_dir.c_str(), O_PATH | O_CLOEXEC);
    landlock_path_beneath_attr beneath{};
    beneath.allowed_access = write_rights;
    beneath.parent_fd = dir;
    ok = dir >= 0 && syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
                             &beneath, 0) == 0;
    if (dir >= 0) close(dir);
  }
  ok = ok && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
       syscall(SYS_landlock_restrict_self, ruleset, 0) == 0;
  close(ruleset);
  return ok;
}

bool InstallWorkerSeccomp() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return false;
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> guard(ctx, seccomp_release);
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  int rc = 0;
  auto add = [&](uint32_t action, int syscall) {
    rc |= seccomp_rule_add(ctx, action, syscall, 0);
  };
  // No network: only AF_UNIX sockets (socketpair, used by some libraries internally), and
  // nothing that reaches out or listens.
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
  for (int s : {SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept),
                SCMP_SYS(accept4)}) {
    add(deny, s);
  }
  // No programs.
  add(SCMP_ACT_KILL_PROCESS, SCMP_SYS(execve));
  add(SCMP_ACT_KILL_PROCESS, SCMP_SYS(execveat));
  // No new processes; threads only. clone3 reports ENOSYS so glibc falls back to clone,
  // whose flags can be inspected.
  add(deny, SCMP_SYS(fork));
  add(deny, SCMP_SYS(vfork));
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
  add(SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3));
  // Nothing that inspects or changes other processes or the system.
  for (int s : {SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
                SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
                SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(init_module),
                SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
                SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(bpf),
                SCMP_SYS(perf_event_open), SCMP_SYS(keyctl), SCMP_SYS(add_key),
                SCMP_SYS(request_key), SCMP_SYS(setuid), SCMP_SYS(setgid),
                SCMP_SYS(setreuid), SCMP_SYS(setregid), SCMP_SYS(setresuid),
                SCMP_SYS(setresgid), SCMP_SYS(userfaultfd)}) {
    add(deny, s);
  }
  if (rc != 0) return false;
  return seccomp_load(ctx) == 0;  // sets no_new_privs first (libseccomp's default)
}

}  // namespace mugai
