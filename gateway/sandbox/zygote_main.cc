// `mugai-zygote`: the executable that holds the format libraries (ARCHITECTURE §3, §9). Its
// modes: `zygote` (forks workers for the supervisor), `scanner-server` (the one ClamAV engine)
// and `office-server` (a LibreOffice converter). The `mugai` program links none of these
// libraries; it starts this one.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "common/wire_format.h"
#include "converters/image/image_sanitizer.h"
#include "converters/mail/mime_unpacker.h"
#include "gateway/cli/office_server_command.h"
#include "gateway/cli/unlock_helper_command.h"
#include "gateway/cli/scanner_server_command.h"
#include "gateway/service/config.h"
#include "gateway/worker/item_processor.h"
#include "gateway/worker/rebuild_worker.h"
#include "gateway/sandbox/worker_job.h"
#include "gateway/sandbox/worker_pool.h"
#include "gateway/sandbox/worker_seccomp.h"
#include "scanners/scanner_client.h"
#include "scanners/type_identifier.h"

namespace mugai {
namespace {

constexpr char kHelp[] = R"(Usage: mugai-zygote zygote | scanner-server ... | office-server ... |
       unlock-helper ...

mugai's worker zygote (ワーカー生成プロセス): started by `mugai serve` (or a one-shot mugai
command) before any item is accepted, it loads libmagic, GMime, libvips, Poppler and libxml2
once, warms them up on built-in samples, and then forks one sandboxed worker per job the
supervisor sends it. It never holds an item's bytes itself: each worker receives its input
as a descriptor. There is no need to run it by hand.
  zygote           the zygote (control socket on descriptor 3, settings on descriptor 4)
  scanner-server   the scanner process (mugai-zygote scanner-server --help)
  office-server    a LibreOffice converter (mugai-zygote office-server --help)
  unlock-helper    decrypts one password-protected item (mugai-zygote unlock-helper --help)
)";

// The libraries, loaded and warmed once; every worker inherits them ready.
struct Warm {
  Config config;
  TypeIdentifier identifier;
  ScannerClient scanner;
};

// Runs the worker code once on built-in constant samples (never on received bytes):
// libmagic, iconv, uchardet and libxml2 initialise lazily on first use.
void WarmUp(Warm& w) {
  static const char* const kSamples[] = {
      "plain ASCII text\n",
      "\xE4\xBA\x88\xE7\xAE\x97\xE8\xA6\x81\xE6\xB1\x82\n",
      "\x97\x5C\x8E\x5A\x97\x76\x8B\x81\x82\xC9\x82\xC2\x82\xA2\x82\xC4\n",
      "\xCD\xBD\xBB\xBB\xCD\xD7\xB5\xE1\n",
      "\x1B$B M;;;MWLa\x1B(B\n",
      "<html><head><title>t</title></head><body><p>x <a href=\"http://a.example/\">a</a>"
      "</p></body></html>\n",
  };
  WorkerContext ctx{&w.config, &w.identifier, &w.scanner, false, ""};
  for (const char* sample : kSamples) {
    int fd = SealedMemfd(sample);
    if (fd < 0) return;
    (void)ProcessNode(ctx, fd, "warmup.txt", "");
    close(fd);
  }
}

// The job's code, run inside the forked and confined worker.
std::string RunJob(Warm& w, const WorkerJob& job, int input_fd, int extra_fd,
                   const std::string& scratch) {
  WorkerContext ctx{&w.config, &w.identifier, &w.scanner, job.scanning, job.password};
  switch (job.kind) {
    case JobKind::kProcess:
      return EncodeWorkerResult(ProcessNode(ctx, input_fd, job.name, scratch, job.as_mail));
    case JobKind::kVerify:
      return EncodeWorkerResult(VerifyNode(ctx, input_fd, job.name,
                                           static_cast<TypeFamily>(job.promised_family), scratch));
    case JobKind::kRebuild:
      return EncodeWorkerResult(RebuildContainer(input_fd, job.max_bytes));
    case JobKind::kOfficeRelay: {
      std::string document, error;
      if (!ReadInput(input_fd, w.config.max_input_bytes, &document, &error)) {
        WorkerResult r;
        r.reason = Reason::kConversionFailed;
        r.reason_detail = error;
        return EncodeWorkerResult(r);
      }
      return EncodeWorkerResult(
          RelayOfficeConversion(extra_fd, document, job.extension, job.password, job.max_bytes,
                                w.config));
    }
    case JobKind::kUnlockRelay: {
      std::string item, error;
      if (!ReadInput(input_fd, w.config.max_input_bytes, &item, &error)) {
        WorkerResult r;
        r.reason = Reason::kConversionFailed;
        r.reason_detail = error;
        return EncodeWorkerResult(r);
      }
      return EncodeWorkerResult(
          RelayUnlock(extra_fd, item, job.extension, job.password, job.max_bytes));
    }
    case JobKind::kMemoryProbe:
      break;
  }
  return "";
}

#ifdef MUGAI_TEST_HOOKS
// Test builds: whether `needle` occurs anywhere in this process's readable memory but at
// `self` (the needle's own copy). What a compromised parser could find in its worker.
bool MemoryHolds(const std::string& needle) {
  FILE* maps = fopen("/proc/self/maps", "r");
  int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  if (!maps || mem < 0) return true;  // cannot tell: say "found", so the test fails
  char line[512];
  bool found = false;
  std::vector<char> chunk(1 << 20);
  const uintptr_t own = reinterpret_cast<uintptr_t>(needle.data());
  while (!found && fgets(line, sizeof line, maps)) {
    unsigned long start = 0, end = 0;
    char perms[8] = {0};
    if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[0] != 'r') continue;
    if (strstr(line, "[vvar]") || strstr(line, "[vsyscall]")) continue;
    // A sanitizer's shadow memory reserves terabytes that no item's bytes could be in
    // unnoticed by the mappings a worker really uses; reading it would take hours.
    if (end - start > (1UL << 32)) continue;
    // pread of /proc/self/mem fails on what cannot be read (a file mapping past its end)
    // where a plain read would raise SIGBUS.
    for (unsigned long at = start; at < end && !found; at += chunk.size() - needle.size()) {
      size_t want = std::min<unsigned long>(chunk.size(), end - at);
      ssize_t got = pread(mem, chunk.data(), want, static_cast<off_t>(at));
      if (got < static_cast<ssize_t>(needle.size())) {
        if (want <= needle.size()) break;
        continue;
      }
      const char* base = chunk.data();
      const char* p = base;
      size_t len = static_cast<size_t>(got);
      while ((p = static_cast<const char*>(
                  memmem(p, len - static_cast<size_t>(p - base), needle.data(), needle.size())))) {
        uintptr_t address = at + static_cast<uintptr_t>(p - base);
        // Not the needle itself, nor the chunk buffer that holds what was just read.
        if (address != own && (address < reinterpret_cast<uintptr_t>(chunk.data()) ||
                               address >= reinterpret_cast<uintptr_t>(chunk.data()) + chunk.size())) {
          found = true;
          break;
        }
        ++p;
        if (static_cast<size_t>(p - base) + needle.size() > len) break;
      }
      if (want < chunk.size()) break;
    }
  }
  fclose(maps);
  close(mem);
  return found;
}
#endif

// The zygote entered its own network and mount namespaces (and, unprivileged, a user
// namespace) at start: every worker it forks is in them already.
bool g_in_namespaces = false;

// In the forked worker: read its job (the zygote never did), then confine and run it.
[[noreturn]] void RunForkedWorker(Warm& w, pid_t zygote, int job_fd, int input_fd,
                                  int result_fd, int scanner_fd, int extra_fd) {
  Result<std::string> bytes = ReadFdLimited(job_fd, 1 << 20, "the worker's job");
  close(job_fd);
  Result<WorkerJob> decoded = bytes.ok() ? DecodeWorkerJob(bytes.value())
                                         : Result<WorkerJob>(bytes.status());
  if (!decoded.ok()) _exit(70);
  static WorkerJob job;
  job = std::move(decoded.value());
  if (g_in_namespaces) job.namespaces = false;  // entered once, by the zygote, for all
  std::string probe;
#ifdef MUGAI_TEST_HOOKS
  if (job.kind == JobKind::kMemoryProbe && job.name == "namespaces?") {
    // Which network and mount namespaces the worker is in (tests compare them with theirs).
    char net[64] = {}, mnt[64] = {};
    if (readlink("/proc/self/ns/net", net, sizeof net - 1) < 0) strcpy(net, "?");
    if (readlink("/proc/self/ns/mnt", mnt, sizeof mnt - 1) < 0) strcpy(mnt, "?");
    probe = std::string(net) + " " + mnt;
  } else if (job.kind == JobKind::kMemoryProbe) {
    // The markers come XOR 0x5A, so that only this copy holds them in the clear.
    std::string result;
    size_t start = 0;
    while (start <= job.name.size()) {
      size_t end = job.name.find('\n', start);
      if (end == std::string::npos) end = job.name.size();
      std::string needle = job.name.substr(start, end - start);
      for (char& c : needle) c = static_cast<char>(c ^ 0x5A);
      if (!needle.empty()) result += MemoryHolds(needle) ? "found " : "absent ";
      start = end + 1;
    }
    probe = result;
  }
#endif
  WorkerFault fault = job.fault <= static_cast<uint8_t>(WorkerFault::kLast)
                          ? static_cast<WorkerFault>(job.fault)
                          : WorkerFault::kNone;
#ifndef MUGAI_TEST_HOOKS
  fault = WorkerFault::kNone;  // fault injection exists in test builds only
#endif
  WorkerChildSetup setup{job.limits, job.scratch_root, input_fd, result_fd, scanner_fd,
                         extra_fd, zygote, job.user_tasks, job.namespaces, fault};
  RunWorkerChild(setup, [&w, extra_fd, probe](int fd, const std::string& scratch) {
    if (job.kind == JobKind::kMemoryProbe) return probe;
    return RunJob(w, job, fd, extra_fd, scratch);
  });
}

void SendPacket(int sock, const std::string& bytes) {
  while (send(sock, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

int RunZygote() {
  // Settings from descriptor 4 (the supervisor's effective configuration, as TOML).
  Result<std::string> text = ReadFdLimited(4, 1 << 20, "the zygote's settings");
  close(4);
  if (!text.ok()) {
    fprintf(stderr, "mugai-zygote: %s\n", text.status().message().c_str());
    return 2;
  }
  Result<Config> config = ParseConfig(text.value(), "the supervisor's settings");
  if (!config.ok()) {
    fprintf(stderr, "mugai-zygote: %s\n", config.status().message().c_str());
    return 2;
  }
  static Warm w;
  w.config = config.value();
  if (Status s = w.identifier.Load(); !s.ok()) {
    fprintf(stderr, "mugai-zygote: %s\n", s.message().c_str());
    return 2;
  }
  if (Status s = InitImageLibrary(); !s.ok()) {
    fprintf(stderr, "mugai-zygote: %s\n", s.message().c_str());
    return 2;
  }
  InitMailLibrary();
  WarmUp(w);
  // Once for every worker: a network namespace with no interfaces and a private mount
  // namespace. Entering them per worker cost ~1 ms of kernel time each, plus the network
  // namespace's teardown in a kernel thread afterwards. Workers share these namespaces, but
  // their seccomp filter denies bind, connect and listen, so they cannot reach one another
  // through them (abstract Unix sockets are per network namespace). If this fails, each
  // worker tries on its own and fails closed as before.
  g_in_namespaces = EnterWorkerNamespaces();
  // Children are reaped here and reported; SIGCHLD arrives through a signalfd, so this
  // process stays single-threaded and never runs code in a signal handler.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    fprintf(stderr, "mugai-zygote: signalfd: %s\n", strerror(errno));
    return 3;
  }
  const pid_t zygote = getpid();
  const int control = 3;
  fcntl(control, F_SETFD, FD_CLOEXEC);
  SendPacket(control, "R");
  std::vector<pid_t> children;
  for (;;) {
    pollfd p[2] = {{control, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {
      }
      int status = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        std::string m = "X";
        wire::PutU32(&m, static_cast<uint32_t>(pid));
        wire::PutU32(&m, static_cast<uint32_t>(status));
        SendPacket(control, m);
      }
    }
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[16384];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 4)];
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    ssize_t n = recvmsg(control, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the supervisor is gone: so are we, and our workers with us
    std::vector<int> fds;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k; ++i) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        fds.push_back(fd);
      }
    }
    auto close_all = [&fds] {
      for (int fd : fds) close(fd);
    };
    wire::Reader in(std::string_view(buf, static_cast<size_t>(n)));
    uint8_t type = 0, has_scanner = 0, has_extra = 0;
    uint32_t lo = 0, hi = 0;
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || !in.U8(&type) || type != 'J' ||
        !in.U32(&lo) || !in.U32(&hi) || !in.U8(&has_scanner) || !in.U8(&has_extra) ||
        !in.AtEnd() || has_scanner > 1 || has_extra > 1 ||
        fds.size() != 3u + has_scanner + has_extra) {
      close_all();
      fprintf(stderr, "mugai-zygote: a malformed request from the supervisor; ending\n");
      break;
    }
    const int job_fd = fds[0], input_fd = fds[1], result_fd = fds[2];
    const int scanner_fd = has_scanner ? fds[3] : -1;
    const int extra_fd = has_extra ? fds[3 + has_scanner] : -1;
    pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);  // its own group, so that whatever it starts is killed with it
      sigprocmask(SIG_UNBLOCK, &chld, nullptr);
      close(sfd);
      close(control);
      RunForkedWorker(w, zygote, job_fd, input_fd, result_fd, scanner_fd, extra_fd);
    }
    int err = errno;
    if (pid > 0) setpgid(pid, pid);
    close_all();  // the worker has its own copies; the zygote keeps none of an item's
    std::string reply = "S";
    wire::PutU32(&reply, lo);
    wire::PutU32(&reply, hi);
    wire::PutU32(&reply, static_cast<uint32_t>(pid > 0 ? pid : -err));
    SendPacket(control, reply);
  }
  // Ending: every worker goes with us (their parent-death signal).
  return 0;
}

}  // namespace
}  // namespace mugai

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string mode = args.empty() ? "" : args[0];
  if (!args.empty()) args.erase(args.begin());
  if (mode == "zygote") return mugai::RunZygote();
  if (mode == "scanner-server") return mugai::RunScannerServerCommand(args);
  if (mode == "office-server") return mugai::RunOfficeServerCommand(args);
  if (mode == "unlock-helper") return mugai::RunUnlockHelperCommand(args);
  std::fputs(mugai::kHelp, mode == "-h" || mode == "--help" ? stdout : stderr);
  return mode == "-h" || mode == "--help" ? 0 : 2;
}
