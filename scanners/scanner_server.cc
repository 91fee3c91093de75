// The scanner process: one engine, many scanning threads, reload beside the running engine.
#include "scanners/scanner_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "scanners/scanner_protocol.h"

namespace mugai {

namespace {

// The engine in use. Each request takes a reference, so a swap never pulls an engine from
// under a scan in progress: the old one is freed when its last scan ends.
class EngineSlot {
 public:
  std::shared_ptr<const MalwareScanner> Get() {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }
  void Set(std::shared_ptr<const MalwareScanner> engine) {
    std::shared_ptr<const MalwareScanner> old;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      old = std::move(current_);
      current_ = std::move(engine);
    }
    // `old` is released here, outside the lock (freeing ~1 GB takes a moment).
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<const MalwareScanner> current_;
};

Result<std::shared_ptr<const MalwareScanner>> LoadEngine(const ScannerServerOptions& o) {
  auto engine = std::make_shared<MalwareScanner>();
  ScanLimits limits = o.limits;
  limits.clean_cache = true;
  Status s = o.empty ? engine->LoadEmpty(limits) : engine->Load(o.signatures, limits);
  if (!s.ok()) return s;
  if (!o.temp_dir.empty()) engine->UseTempDirInThisProcess(o.temp_dir);
  return std::shared_ptr<const MalwareScanner>(std::move(engine));
}

void WriteLine(int fd, const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\t', ' ');
  return s;
}

// The macro heuristic needs no signatures, and must not meet the main engine's clean cache
// (a document scanned clean before would skip it): it has an empty engine of its own.
const MalwareScanner* g_macros = nullptr;

// Serves one worker's connection until it closes it or breaks the protocol.
void Serve(int conn, EngineSlot* slot) {
  for (;;) {
    std::string bytes;
    int fd = -1;
    if (!RecvScanMessage(conn, &bytes, &fd)) break;
    Result<ScanRequest> request = DecodeScanRequest(bytes);
    bool needs_fd = request.ok() && request->op != ScanOp::kInfo;
    // Only a sealed in-memory file: its bytes cannot change during the scan (or after it, in
    // the clean cache's eyes).
    constexpr int kSeals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
    bool sealed = fd < 0 || (fcntl(fd, F_GET_SEALS) & kSeals) == kSeals;
    if (!request.ok() || needs_fd != (fd >= 0) || !sealed) {
      if (fd >= 0) close(fd);
      break;  // a worker that breaks the protocol gets no answer; its scan fails closed
    }
    std::shared_ptr<const MalwareScanner> engine = slot->Get();
    ScanReply reply;
    reply.engine = engine->info();
    if (request->op == ScanOp::kScan) {
      reply.result = engine->Scan(fd, request->name);
    } else if (request->op == ScanOp::kMacros) {
      std::string found = g_macros ? g_macros->MacroHeuristic(fd, request->name) : "";
      reply.result.outcome = found.empty() ? ScanOutcome::kClean : ScanOutcome::kInfected;
      reply.result.threat = found;
    } else {
      reply.result.outcome = ScanOutcome::kClean;
    }
    if (fd >= 0) close(fd);
    engine.reset();
    if (!SendScanMessage(conn, EncodeScanReply(reply), -1)) break;
  }
  close(conn);
}

// Waits for SIGHUP or the next check; loads a new engine when asked or when the signatures
// changed, at SCHED_IDLE so that scans keep the CPU; swaps it in.
void ReloadLoop(const ScannerServerOptions& o, EngineSlot* slot, std::string fingerprint) {
  sched_param param{};
  pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  uint32_t waited = 0;
  for (;;) {
    // Wakes every second: a scanner whose supervisor is gone ends itself (it may have been
    // started by a thread that has since ended, so no parent-death signal can be relied on).
    timespec second{1, 0};
    int sig = sigtimedwait(&hup, nullptr, &second);
    if (o.parent_pid > 0 && getppid() != o.parent_pid) _exit(0);
    if (sig < 0 && errno == EINTR) continue;
    bool asked = sig == SIGHUP;
    if (!asked && (o.reload_check_seconds == 0 || ++waited < o.reload_check_seconds)) continue;
    waited = 0;
    if (o.empty) continue;
    std::string now = SignatureFingerprint(o.signatures);
    if (!asked && now == fingerprint) continue;
    fprintf(stderr, "mugai scanner: loading signatures from %s (%s)\n", o.signatures.c_str(),
            asked ? "SIGHUP" : "the signature folder changed");
    Result<std::shared_ptr<const MalwareScanner>> fresh = LoadEngine(o);
    if (!fresh.ok()) {
      // Keep scanning with the engine that works; say why the new one does not.
      fprintf(stderr, "mugai scanner: reload failed, still using the previous signatures: %s\n",
              OneLine(fresh.status().message()).c_str());
      fingerprint = now;  // not again until the folder changes again
      continue;
    }
    const EngineInfo& info = fresh.value()->info();
    fprintf(stderr, "mugai scanner: signatures reloaded: %u signatures, database version %u\n",
            info.signature_count, info.database_version);
    slot->Set(std::move(fresh.value()));
    fingerprint = now;
  }
}

}  // namespace

std::string SignatureFingerprint(const std::string& path) {
  std::vector<std::string> entries;
  auto add = [&entries](const std::string& name, const struct stat& st) {
    entries.push_back(name + ":" + std::to_string(st.st_size) + ":" +
                      std::to_string(st.st_mtim.tv_sec) + "." +
                      std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino));
  };
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "";
  if (!S_ISDIR(st.st_mode)) {
    add(path, st);
  } else if (DIR* dir = opendir(path.c_str())) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      struct stat fst;
      std::string file = path + "/" + e->d_name;
      if (stat(file.c_str(), &fst) == 0 && S_ISREG(fst.st_mode)) add(e->d_name, fst);
    }
    closedir(dir);
  }
  std::sort(entries.begin(), entries.end());
  std::string out;
  for (const auto& e : entries) out += e + "\n";
  return out;
}

int RunScannerServer(const ScannerServerOptions& o) {
  // SIGHUP is taken by the reload thread only (sigtimedwait); every thread inherits the mask.
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hup, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::string fingerprint = o.empty ? "" : SignatureFingerprint(o.signatures);
  Result<std::shared_ptr<const MalwareScanner>> first = LoadEngine(o);
  if (!first.ok()) {
    WriteLine(o.ready_fd, "error\t" + OneLine(first.status().message()) + "\n");
    close(o.ready_fd);
    return 2;
  }
  static MalwareScanner macros;
  if (Status m = macros.LoadEmpty(o.limits); m.ok()) {
    if (!o.temp_dir.empty()) macros.UseTempDirInThisProcess(o.temp_dir);
    g_macros = &macros;
  } else {
    fprintf(stderr, "mugai scanner: no macro heuristic engine (macros go unreported): %s\n",
            m.message().c_str());
  }
  EngineSlot slot;
  const EngineInfo info = first.value()->info();
  slot.Set(std::move(first.value()));
  WriteLine(o.ready_fd, "ready\t" + OneLine(info.engine_version) + "\t" +
                            std::to_string(info.signature_count) + "\t" +
                            std::to_string(info.database_version) + "\t" +
                            std::to_string(info.database_time) + "\n");
  close(o.ready_fd);
  std::thread(ReloadLoop, o, &slot, fingerprint).detach();
  for (;;) {
    int conn = accept4(o.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
        if (errno == EMFILE || errno == ENFILE) usleep(10000);
        continue;
      }
      fprintf(stderr, "mugai scanner: accept: %s\n", strerror(errno));
      return 3;
    }
    std::thread(Serve, conn, &slot).detach();
  }
}

}  // namespace mugai
