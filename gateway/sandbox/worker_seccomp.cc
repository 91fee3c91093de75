// Worker confinement: namespaces, Landlock and the seccomp allow-list. Denials return an
// errno (so libraries fail cleanly and the item is blocked); exec kills the worker outright,
// since no worker type of this build may run one.
#include "gateway/sandbox/worker_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <utility>

// The kernel may well be newer than the installed headers.
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

namespace mugai {

// ---------------------------------------------------------------------------------------
// Namespaces

namespace {

// Writes `len` bytes to a /proc file in one write(), as the kernel requires for id maps.
bool WriteProcFile(const char* path, const char* text, size_t len) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text, len) == static_cast<ssize_t>(len);
  return close(fd) == 0 && ok;
}

// Writes "<id> <id> 1\n": the id maps to itself and nothing else does. No allocation or
// stdio: this also runs in a child forked from a process that may have threads.
bool WriteSelfMap(const char* path, unsigned id) {
  char digits[12];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + id % 10);
    id /= 10;
  } while (id != 0 && n < sizeof digits);
  char line[32];
  size_t len = 0;
  for (int twice = 0; twice < 2; ++twice) {
    for (size_t i = n; i-- > 0;) line[len++] = digits[i];
    line[len++] = ' ';
  }
  line[len++] = '1';
  line[len++] = '\n';
  return WriteProcFile(path, line, len);
}

}  // namespace

bool EnterWorkerNamespaces() {
  const unsigned uid = getuid();
  const unsigned gid = getgid();
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
    // Not privileged: a user namespace of its own gives the capability over the new network
    // and mount namespaces, and only there (the seccomp filter then denies every call that
    // could use it: mount, unshare, setns, namespace flags to clone). Its uid and gid map to themselves so that files
    // keep their owners; setgroups must be denied before an unprivileged gid_map is written.
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS) != 0) return false;
    static const char kDeny[] = "deny\n";
    if (!WriteSelfMap("/proc/self/uid_map", uid) ||
        !WriteProcFile("/proc/self/setgroups", kDeny, sizeof kDeny - 1) ||
        !WriteSelfMap("/proc/self/gid_map", gid)) {
      return false;
    }
  }
  // Nothing mounted inside propagates out, and nothing mounted outside later comes in.
  return mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

bool WorkerNamespacesAvailable() {
  // The child makes only raw system calls, so forking here needs no ForkMutex even when
  // other threads (the milter's) hold library locks.
  static const bool available = [] {
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) _exit(EnterWorkerNamespaces() ? 0 : 1);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) return false;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }();
  return available;
}

// ---------------------------------------------------------------------------------------
// Landlock

namespace {

constexpr uint64_t kReadRights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
// The rights a rule on a file (rather than a folder) may carry.
constexpr uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;

// What the libraries open after fork, found by tracing every worker of the test suite and
// the corpora (strace -f -ff; ARCHITECTURE-NOTES "worker confinement"). Libraries
// loaded at start-up (libclamav's database, libmagic's, gconv's cache) are read before fork.
// Anything else, the quarantine and other workers' scratch folders included, cannot be
// opened; $HOME (fontconfig and ImageMagick look there) is denied like a missing file.
struct LibraryPath {
  const char* path;
  uint64_t rights;
};
// Workers: shared objects loaded on first use (gconv modules, ImageMagick's coders), fonts,
// Poppler's CMaps, locales, fontconfig's configuration snippets, all beneath /usr.
constexpr LibraryPath kWorkerUsrPaths[] = {{"/usr", kReadRights}};
// The LibreOffice converter: only what it was seen to read (strace of conversions of every
// kind of document in the suite), so that a document that names a file under /usr (a linked
// picture, an INCLUDETEXT) finds nothing there. Paths that do not exist are skipped.
constexpr LibraryPath kOfficeUsrPaths[] = {
    {"/usr/lib", kReadRights},              // shared objects, LibreOffice, locales, gconv
    {"/usr/share/fonts", kReadRights},      // fonts (Japanese ones included)
    {"/usr/share/fontconfig", kReadRights},
    {"/usr/share/libreoffice", kReadRights},  // its registry and filters (Debian links them)
    {"/usr/share/locale", kReadRights},
    {"/usr/share/zoneinfo", kReadRights},
    {"/usr/share/hyphen", kReadRights},  // hyphenation, spelling and thesaurus dictionaries
    {"/usr/share/hunspell", kReadRights},
    {"/usr/share/mythes", kReadRights},
    {"/usr/share/X11/locale", kReadRights},
};
constexpr LibraryPath kLibraryPaths[] = {
    {"/etc/ld.so.cache", kReadRights},       // dlopen by soname
    {"/etc/locale.alias", kReadRights},      // glibc locale names (/usr/share/locale's links here)
    {"/etc/fonts", kReadRights},             // fontconfig
    {"/var/cache/fontconfig", kReadRights},  // fontconfig
    // ImageMagick (BMP decoding only): without its policy.xml every coder would be allowed.
    {"/etc/ImageMagick-6", kReadRights},
    {"/etc/localtime", kReadRights},
    // Resolved to the worker's own /proc/<pid> when the rule is made. Should the kernel drop
    // and recreate that entry, reads there are denied: the rule can only narrow, not widen.
    {"/proc/self", kReadRights},
    {"/proc/sys/vm/overcommit_memory", kReadRights},  // glibc malloc, when trimming
    {"/sys/devices/system/cpu", kReadRights},         // processor count
    {"/dev/null", kReadRights | LANDLOCK_ACCESS_FS_WRITE_FILE},
    {"/dev/urandom", kReadRights},
};

uint64_t HandledRights(int abi) {
  uint64_t rights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
                    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
                    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
                    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                    LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
  return rights;
}

// Grants `rights` (as far as the ruleset handles them and, for a file, a file can take them)
// beneath `path`. A path that cannot be opened is skipped unless `required`. Returns false
// if a required path is missing or the kernel refused the rule.
bool AllowBeneath(int ruleset, const char* path, uint64_t rights, uint64_t handled,
                  bool required) {
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return !required;
  struct stat st;
  bool ok = fstat(fd, &st) == 0;
  if (ok) {
    landlock_path_beneath_attr beneath{};
    beneath.allowed_access = rights & handled & (S_ISDIR(st.st_mode) ? ~0ULL : kFileRights);
    beneath.parent_fd = fd;
    ok = beneath.allowed_access == 0 ||
         syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) == 0;
  }
  close(fd);
  return ok;
}

}  // namespace

int WorkerLandlockAbi() {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

namespace {

// LibreOffice's converter process reads, beyond the worker's paths, LibreOffice's own
// configuration link target and a few facts under /proc. Not /etc as a whole: a document's
// INCLUDETEXT or link to a local file must find nothing worth reading.
constexpr LibraryPath kOfficePaths[] = {
    {"/etc/libreoffice", kReadRights},
    {"/var/spool/libreoffice", kReadRights},  // the shared extension cache (Debian links it)
    {"/var/lib/libreoffice", kReadRights},
    {"/proc/meminfo", kReadRights},
    {"/proc/cpuinfo", kReadRights},
    {"/dev/random", kReadRights},
    {"/dev/zero", kReadRights},
};

// Restricts the calling process to `lists` (read rights) plus every right but execute
// beneath `writable` ("" = nowhere) and `extra_read` ("" = none).
bool InstallLandlock(std::initializer_list<std::pair<const LibraryPath*, size_t>> lists,
                     const std::string& writable, const std::string& extra_read,
                     uint64_t withheld = LANDLOCK_ACCESS_FS_EXECUTE) {
  int abi = WorkerLandlockAbi();
  if (abi <= 0) return false;
  // Every file-system right up to ABI 3 is handled, so whatever no rule grants is denied:
  // executing anything (seccomp kills exec first anyway), reading outside the library paths,
  // changing anything outside the scratch folder.
  const uint64_t handled = HandledRights(abi);
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = handled;
  int ruleset = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (ruleset < 0) return false;
  bool ok = true;
  for (const auto& [list, n] : lists) {
    for (size_t i = 0; i < n; ++i) {
      ok = ok && AllowBeneath(ruleset, list[i].path, list[i].rights, handled, false);
    }
  }
  if (!extra_read.empty()) {
    ok = ok && AllowBeneath(ruleset, extra_read.c_str(), kReadRights, handled, true);
  }
  if (!writable.empty()) {
    ok = ok && AllowBeneath(ruleset, writable.c_str(), handled & ~withheld, handled, true);
  }
  ok = ok && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
       syscall(SYS_landlock_restrict_self, ruleset, 0) == 0;
  close(ruleset);
  return ok;
}

}  // namespace

bool InstallWorkerLandlock(const std::string& scratch_dir) {
  return InstallLandlock({{kWorkerUsrPaths, std::size(kWorkerUsrPaths)},
                          {kLibraryPaths, std::size(kLibraryPaths)}},
                         scratch_dir, "");
}

bool InstallOfficeLandlock(const std::string& work_dir, const std::string& program_dir) {
  // No devices, no symbolic links in its folder either (a link there could mislead whoever
  // cleans it up; a device node would be raw disk access for a converter running as root).
  return InstallLandlock({{kOfficeUsrPaths, std::size(kOfficeUsrPaths)},
                          {kLibraryPaths, std::size(kLibraryPaths)},
                          {kOfficePaths, std::size(kOfficePaths)}},
                         work_dir, program_dir,
                         LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                             LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_SYM);
}

namespace {

// The decryption helper runs maintained tools (python3 with msoffcrypto-tool, 7-Zip, unar): it may
// read and execute beneath /usr, read the library paths and what 7-Zip and Python ask the
// kernel about the machine, and change nothing outside its own folder.
constexpr LibraryPath kUnlockPaths[] = {
    {"/usr", kReadRights | LANDLOCK_ACCESS_FS_EXECUTE},
    {"/proc/meminfo", kReadRights},
    {"/proc/cpuinfo", kReadRights},
    {"/dev/zero", kReadRights},
    // GNUstep (unar, lsar) ends when it cannot look up its own user: the account list,
    // readable by every account anyway, and how to look it up.
    {"/etc/passwd", kReadRights},
    {"/etc/group", kReadRights},
    {"/etc/nsswitch.conf", kReadRights},
};

}  // namespace

bool InstallUnlockLandlock(const std::string& work_dir) {
  return InstallLandlock({{kUnlockPaths, std::size(kUnlockPaths)},
                          {kLibraryPaths, std::size(kLibraryPaths)}},
                         work_dir, "",
                         LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                             LANDLOCK_ACCESS_FS_MAKE_CHAR);
}

// ---------------------------------------------------------------------------------------
// seccomp

namespace {

// System calls a worker may make with any arguments: those the traced workers made (see
// kLibraryPaths), plus a few that do no more than a listed one (fstat for newfstatat, ...)
// or that threads and GLib's main loop need (poll, eventfd2, pipe2, sched_*), so that another
// path through glibc to the same thing does not fail. Paths are Landlock's business.
constexpr int kAllowed[] = {
    // memory
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    // descriptors it has or opens (Landlock decides which paths)
    SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(pwrite64),
    SCMP_SYS(writev), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(dup), SCMP_SYS(dup3),
    SCMP_SYS(ftruncate), SCMP_SYS(fadvise64), SCMP_SYS(getdents64), SCMP_SYS(memfd_create),
    SCMP_SYS(pipe2), SCMP_SYS(eventfd2),
    // its connection to the scanner process (a descriptor and the verdict come back)
    SCMP_SYS(recvmsg),
    // paths
    SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(stat),
    SCMP_SYS(lstat), SCMP_SYS(statx), SCMP_SYS(fstatfs), SCMP_SYS(statfs), SCMP_SYS(access),
    SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
    SCMP_SYS(getcwd), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(rmdir), SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    // waiting and threads (clone is below, restricted to threads)
    SCMP_SYS(futex), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(pause), SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    // its own signal handling
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    // facts about itself and the machine
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid),
    SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(uname),
    SCMP_SYS(sysinfo), SCMP_SYS(times), SCMP_SYS(getrlimit), SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getrandom),
};

// Allowed only with the arguments InstallWorkerSeccomp checks.
constexpr int kRestricted[] = {
    SCMP_SYS(clone),    SCMP_SYS(clone3), SCMP_SYS(socket),    SCMP_SYS(socketpair),
    SCMP_SYS(fcntl),    SCMP_SYS(ioctl),  SCMP_SYS(prctl),     SCMP_SYS(prlimit64),
    SCMP_SYS(kill),     SCMP_SYS(tgkill), SCMP_SYS(execve),    SCMP_SYS(execveat),
    SCMP_SYS(sendmsg),
};

// The system: mounts, namespaces, modules, BPF, keys, tracing, io_uring (which would bypass a
// filter), identities, clocks. Never allowed to a worker; denied to the LibreOffice converter.
constexpr int kNeverSystem[] = {
    SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
    SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(init_module), SCMP_SYS(finit_module),
    SCMP_SYS(delete_module), SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load),
    SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(acct), SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
    SCMP_SYS(userfaultfd), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
    SCMP_SYS(io_uring_register), SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid),
    SCMP_SYS(setregid), SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups),
    SCMP_SYS(capset), SCMP_SYS(personality), SCMP_SYS(settimeofday),
    SCMP_SYS(clock_settime), SCMP_SYS(adjtimex), SCMP_SYS(sethostname),
    SCMP_SYS(setdomainname), SCMP_SYS(iopl), SCMP_SYS(ioperm), SCMP_SYS(open_by_handle_at),
    SCMP_SYS(name_to_handle_at), SCMP_SYS(fanotify_init), SCMP_SYS(quotactl),
    SCMP_SYS(syslog), SCMP_SYS(vhangup), SCMP_SYS(move_mount), SCMP_SYS(fsopen),
    SCMP_SYS(fsmount), SCMP_SYS(fsconfig), SCMP_SYS(fspick), SCMP_SYS(open_tree),
    SCMP_SYS(mount_setattr),
};

// Never to be allowed, whatever a library seems to need: a worker that needs one of these
// needs a different design. Denied by the default action; kept here so that the compiler
// checks that neither list above ever gains one.
constexpr int kNeverAllowed[] = {
    // network (socket itself is restricted to AF_UNIX streams; sendto could name an address)
    SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4),
    SCMP_SYS(sendto), SCMP_SYS(sendmmsg),
    // other processes
    SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev), SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_getfd),
    SCMP_SYS(pidfd_send_signal), SCMP_SYS(tkill), SCMP_SYS(rt_sigqueueinfo),
    SCMP_SYS(rt_tgsigqueueinfo), SCMP_SYS(kcmp), SCMP_SYS(setpriority),
    SCMP_SYS(sched_setaffinity), SCMP_SYS(sched_setscheduler),
    // metadata of files anywhere (Landlock does not cover it): modes, owners, times, links
    SCMP_SYS(chmod), SCMP_SYS(fchmod), SCMP_SYS(fchmodat), SCMP_SYS(chown), SCMP_SYS(fchown),
    SCMP_SYS(lchown), SCMP_SYS(fchownat), SCMP_SYS(utimensat), SCMP_SYS(utimes),
    SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink), SCMP_SYS(symlinkat),
    SCMP_SYS(mknod), SCMP_SYS(mknodat), SCMP_SYS(setxattr), SCMP_SYS(fsetxattr),
};

template <size_t N, size_t M>
constexpr bool Disjoint(const int (&a)[N], const int (&b)[M]) {
  for (int x : a) {
    for (int y : b) {
      if (x == y) return false;
    }
  }
  return true;
}
static_assert(Disjoint(kAllowed, kNeverSystem) && Disjoint(kRestricted, kNeverSystem),
              "a worker may make a system call that belongs to the system");
static_assert(Disjoint(kAllowed, kNeverAllowed) && Disjoint(kRestricted, kNeverAllowed) &&
                  Disjoint(kAllowed, kRestricted),
              "a system call is both allowed and never allowed, or allowed twice");

// An int argument equals `value` (the kernel reads only the low 32 bits of the register).
scmp_arg_cmp IntArgIs(unsigned arg, uint64_t value) {
  return scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, value & 0xFFFFFFFFu};
}

}  // namespace

bool InstallWorkerSeccomp() {
  // Anything not listed fails with EPERM: the library sees an ordinary error and the item is
  // blocked, rather than a crash that would hide which call it was.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (!ctx) return false;
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> guard(ctx, seccomp_release);
  const uint32_t allow = SCMP_ACT_ALLOW;
  int rc = 0;
  for (int s : kAllowed) rc |= seccomp_rule_add(ctx, allow, s, 0);
  auto allow_if = [&](int syscall, scmp_arg_cmp cmp) {
    rc |= seccomp_rule_add_array(ctx, allow, syscall, 1, &cmp);
  };

  // No programs: exec kills.
  rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execve), 0);
  rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execveat), 0);
  // Threads, never processes or namespaces. clone3 passes its flags in memory the filter
  // cannot read, so it reports ENOSYS and glibc falls back to clone.
  constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                       CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                       CLONE_NEWNET;
  allow_if(SCMP_SYS(clone), SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | kNamespaceFlags,
                                    CLONE_THREAD));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  // No network: AF_UNIX stream sockets only (a socketpair between threads), and no call that
  // could connect one (kNeverAllowed). sendmsg carries a descriptor to the scanner process over
  // the connection the worker was started with; the filter cannot read its address field, but
  // a Unix stream socket refuses an addressed send (EISCONN/EOPNOTSUPP), and the worker can
  // hold no other kind of socket: it inherits only that connection, and may create only
  // AF_UNIX SOCK_STREAM sockets (never datagram sockets, which could be addressed).
  auto unix_stream = [&](int syscall) {
    scmp_arg_cmp args[2] = {IntArgIs(0, AF_UNIX),
                            SCMP_A1(SCMP_CMP_MASKED_EQ, ~static_cast<uint64_t>(SOCK_NONBLOCK |
                                                                                SOCK_CLOEXEC) &
                                                            0xFFFFFFFFu,
                                    SOCK_STREAM)};
    rc |= seccomp_rule_add_array(ctx, allow, syscall, 2, args);
  };
  unix_stream(SCMP_SYS(socket));
  unix_stream(SCMP_SYS(socketpair));
  rc |= seccomp_rule_add(ctx, allow, SCMP_SYS(sendmsg), 0);
  // Descriptor flags and seals only: F_SETOWN/F_SETSIG would let it signal other processes.
  for (int cmd : {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, F_ADD_SEALS,
                  F_GET_SEALS}) {
    allow_if(SCMP_SYS(fcntl), IntArgIs(1, static_cast<uint64_t>(cmd)));
  }
  // isatty() and a byte count; not TIOCSTI (typing into the operator's terminal) or
  // anything else a device does.
  for (unsigned long request : {TCGETS, FIONREAD}) allow_if(SCMP_SYS(ioctl), IntArgIs(1, request));
  // Naming its threads.
  for (int option : {PR_SET_NAME, PR_GET_NAME}) {
    allow_if(SCMP_SYS(prctl), IntArgIs(0, static_cast<uint64_t>(option)));
  }
  // Its own limits only (0 = itself; the hard limits were lowered before this filter).
  allow_if(SCMP_SYS(prlimit64), IntArgIs(0, 0));
  // Signals to itself only (raise, abort): never the supervisor or a sibling worker, which
  // run as the same user.
  const uint64_t self = static_cast<uint64_t>(getpid());
  allow_if(SCMP_SYS(kill), IntArgIs(0, self));
  allow_if(SCMP_SYS(tgkill), IntArgIs(0, self));

  if (rc != 0) return false;
  return seccomp_load(ctx) == 0;  // sets no_new_privs first (libseccomp's default)
}

bool InstallOfficeSeccomp() {
  // LibreOffice makes far more kinds of system call than a worker, and which ones depends on
  // the document: an allow-list would fail documents at random. This filter allows by
  // default and denies what no converter needs and an attacker would: running programs
  // (kills), other processes, the network, namespaces, mounts, modules, BPF, keys, io_uring,
  // identities and clocks. Landlock confines the files, the network namespace the network.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return false;
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> guard(ctx, seccomp_release);
  int rc = 0;
  rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execve), 0);
  rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execveat), 0);
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  constexpr int kOfficeDenied[] = {
      SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
      SCMP_SYS(pidfd_getfd), SCMP_SYS(pidfd_send_signal), SCMP_SYS(kcmp),
      SCMP_SYS(rt_sigqueueinfo), SCMP_SYS(rt_tgsigqueueinfo), SCMP_SYS(tkill),
      SCMP_SYS(connect), SCMP_SYS(sendto), SCMP_SYS(sendmmsg), SCMP_SYS(sendmsg),
      // new processes and sessions: a converter's child could outlive its recycling
      SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(setsid), SCMP_SYS(setpgid),
      // other processes' scheduling and memory (getppid() would name the supervisor)
      SCMP_SYS(setpriority), SCMP_SYS(process_madvise), SCMP_SYS(migrate_pages),
      SCMP_SYS(move_pages), SCMP_SYS(mknod), SCMP_SYS(mknodat),
  };

  for (int s : kNeverSystem) rc |= seccomp_rule_add(ctx, deny, s, 0);
  for (int s : kOfficeDenied) rc |= seccomp_rule_add(ctx, deny, s, 0);
  // Sockets: Unix only (its own connection, and threads' socketpairs).
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, scmp_arg_cmp{0, SCMP_CMP_NE, AF_UNIX, 0});
  // Limits and CPU placement: its own only (0 = itself).
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(prlimit64), 1, scmp_arg_cmp{0, SCMP_CMP_NE, 0, 0});
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(sched_setaffinity), 1,
                         scmp_arg_cmp{0, SCMP_CMP_NE, 0, 0});
  // Threads only: no new processes, no new namespaces.
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
  constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                       CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                       CLONE_NEWNET;
  for (uint64_t flag = 1; flag != 0 && flag <= kNamespaceFlags; flag <<= 1) {
    if ((kNamespaceFlags & flag) == 0) continue;
    rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
  }
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  // Signals to itself only: never the supervisor, which runs as the same user.
  const uint64_t self = static_cast<uint64_t>(getpid());
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(kill), 1,
                         scmp_arg_cmp{0, SCMP_CMP_NE, self, 0});
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(tgkill), 1,
                         scmp_arg_cmp{0, SCMP_CMP_NE, self, 0});
  if (rc != 0) return false;
  return seccomp_load(ctx) == 0;
}

bool InstallUnlockSeccomp() {
  // The decryption helper runs one tool (python3 or 7-Zip), so exec and a child process are
  // allowed; the rest is the converter's filter: no other process (signals, ptrace, memory,
  // a new session that would outlive the helper's process group), no network (no connect
  // or addressed send: not even the service's Unix socket), no namespaces, mounts, modules,
  // BPF, keys, io_uring, identities or clocks.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return false;
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> guard(ctx, seccomp_release);
  int rc = 0;
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  constexpr int kUnlockDenied[] = {
      SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
      SCMP_SYS(pidfd_getfd), SCMP_SYS(pidfd_send_signal), SCMP_SYS(pidfd_open), SCMP_SYS(kcmp),
      SCMP_SYS(rt_sigqueueinfo), SCMP_SYS(rt_tgsigqueueinfo), SCMP_SYS(tkill),
      SCMP_SYS(connect), SCMP_SYS(sendto), SCMP_SYS(sendmmsg), SCMP_SYS(sendmsg),
      SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(setsid), SCMP_SYS(setpgid),
      SCMP_SYS(setpriority), SCMP_SYS(process_madvise), SCMP_SYS(migrate_pages),
      SCMP_SYS(move_pages), SCMP_SYS(mknod), SCMP_SYS(mknodat),
  };
  for (int s : kNeverSystem) rc |= seccomp_rule_add(ctx, deny, s, 0);
  for (int s : kUnlockDenied) rc |= seccomp_rule_add(ctx, deny, s, 0);
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, scmp_arg_cmp{0, SCMP_CMP_NE, AF_UNIX, 0});
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(prlimit64), 1, scmp_arg_cmp{0, SCMP_CMP_NE, 0, 0});
  constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                       CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                       CLONE_NEWNET;
  for (uint64_t flag = 1; flag != 0 && flag <= kNamespaceFlags; flag <<= 1) {
    if ((kNamespaceFlags & flag) == 0) continue;
    rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
  }
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  // Signals to the helper itself only (its tool sends none): never the supervisor or a worker.
  const uint64_t self = static_cast<uint64_t>(getpid());
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(kill), 1, scmp_arg_cmp{0, SCMP_CMP_NE, self, 0});
  rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(tgkill), 1, scmp_arg_cmp{0, SCMP_CMP_NE, self, 0});
  if (rc != 0) return false;
  return seccomp_load(ctx) == 0;
}

}  // namespace mugai
