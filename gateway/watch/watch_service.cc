// The watch loop: poll() over inotify and a signalfd, a stability sweep, batches of claims.
#include "gateway/watch/watch_service.h"

#include "common/clock.h"
#include "gateway/service/privileges.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <set>

#include "common/file_util.h"
#include "gateway/pipeline/report.h"
#include "scanners/name_check.h"

namespace mugai {

namespace {

constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_Q_OVERFLOW;
constexpr char kWork[] = ".mugai-work";


// Hidden names are skipped: mugai's own work folder, and the temporary files copy tools
// write before renaming into place (rsync ".name.XXXX", Office "~$name" locks).
bool Skipped(const std::string& name) {
  return name.empty() || name[0] == '.' || name.rfind("~$", 0) == 0;
}

std::string Note(const std::string& notice, const std::string& sha256,
                 const std::string& quarantine_id) {
  std::string out = "mugai — 無害化の結果 / sanitisation report\n\n";
  out += notice;
  out += "\nsha256 (original): " + sha256 + "\n";
  if (!quarantine_id.empty()) {
    out += "原本は隔離されています。必要な場合は管理者に連絡してください。\n"
           "The original is kept in quarantine; ask your administrator if you need it.\n";
  }
  return out;
}

std::string StringField(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

std::string SafeComponent(const std::string& name) {
  std::string visible = VisibleName(name);  // escapes as <U+202E> / <0x8C>
  std::string out;
  for (size_t i = 0; i < visible.size(); ++i) {
    if (visible[i] == '<' && (visible.compare(i, 3, "<U+") == 0 || visible.compare(i, 3, "<0x") == 0)) {
      size_t close = visible.find('>', i);
      if (close != std::string::npos) {
        out += '_';
        i = close;
        continue;
      }
    }
    out += visible[i] == '/' || visible[i] == '\\' ? '_' : visible[i];
  }
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  if (out.empty() || out == "." || out == "..") out = "_";
  return out;
}

WatchService::WatchService(WatchOptions options) : options_(std::move(options)) {}

WatchService::~WatchService() {
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (signal_fd_ >= 0) close(signal_fd_);
}

Status WatchService::Load() {
  Config config;
  if (!options_.config_file.empty()) {
    Result<Config> loaded = LoadConfigFile(options_.config_file);
    if (!loaded.ok()) return loaded.status();
    config = loaded.value();
  }
  if (options_.have_signatures_flag) config.signatures = options_.overrides.signatures;
  if (options_.have_state_flag) config.state_dir = options_.overrides.state_dir;
  for (const auto& m : options_.extra_mappings) config.watch_mappings.push_back(m);
  if (config.watch_mappings.empty()) {
    return {StatusCode::kConfig,
            "no folders to watch: give --in DIR --out DIR, or [[watch.mapping]] in the config"};
  }
  for (const auto& m : config.watch_mappings) {
    struct stat st;
    if (stat(m.in.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return {StatusCode::kConfig, "inbox '" + m.in + "' is not a folder"};
    }
    if (m.out.find("{user}") == std::string::npos) {
      if (Status s = MakeDirs(m.out, 0755); !s.ok()) return {StatusCode::kConfig, s.message()};
    }
  }
  // The items go to `mugai serve` (one engine per host), or, when no service listens at
  // service.socket and none was named, to one started in this process for this watcher.
  // A reload (SIGHUP) connects again: an in-process service then compiles the signatures
  // anew (freshclam's update); a running `mugai serve` reloads its own.
  // The new connection (or in-process service) is made first: if it cannot be, the watcher
  // goes on with the one it has (a reload that fails keeps the old configuration).
  Result<std::unique_ptr<ServiceConnection>> conn =
      ServiceConnection::Open(config, options_.service, options_.allow_no_signatures, "watch");
  if (!conn.ok()) return conn.status();
  service_ = std::move(conn.value());
  if (service_->in_process()) {
    if (Status s = MakeDirs(config.state_dir, 0700); !s.ok()) return {StatusCode::kConfig, s.message()};
    if (Status s = log_.Open(config.state_dir + "/mugai.log"); !s.ok()) return s;
  } else {
    log_.UseStderr();  // the state folder is the service's
  }
  config_ = config;
  log_.Write("info", "watch_config_loaded",
             {{"mappings", std::to_string(config.watch_mappings.size())},
              {"config", options_.config_file},
              {"service", service_->in_process() ? "in-process" : "mugai serve"}});
  return Status::Ok();
}

bool WatchService::Destination(size_t m, const std::string& relpath, std::string* out_dir,
                               std::string* out_root) const {
  const WatchMapping& map = config_.watch_mappings[m];
  std::vector<std::string> parts;
  for (size_t b = 0, e; b <= relpath.size(); b = e + 1) {
    e = relpath.find('/', b);
    if (e == std::string::npos) e = relpath.size();
    parts.push_back(relpath.substr(b, e - b));
  }
  parts.pop_back();  // the file name itself
  std::string root = map.out;
  size_t first = 0;
  size_t user = root.find("{user}");
  if (user != std::string::npos) {
    if (parts.empty()) return false;  // a per-user mapping needs the user's folder
    root.replace(user, 6, SafeComponent(parts[0]));
    first = 1;
  }
  std::string dir = root;
  for (size_t i = first; i < parts.size(); ++i) dir += "/" + SafeComponent(parts[i]);
  *out_dir = dir;
  *out_root = root;
  return true;
}

void WatchService::WatchTree(size_t m, const std::string& dir) {
  int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kEvents | IN_ONLYDIR);
  if (wd >= 0) watches_[wd] = {m, dir};
  Scan(m, dir);
}

void WatchService::Scan(size_t m, const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> subdirs;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (Skipped(name)) continue;
    std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      subdirs.push_back(path);
    } else if (S_ISREG(st.st_mode) && !candidates_.count(path)) {
      candidates_[path] = Candidate{m};
    }
  }
  closedir(d);
  for (const auto& sub : subdirs) {
    bool watched = false;
    for (const auto& [wd, w] : watches_) watched = watched || w.second == sub;
    if (!watched) WatchTree(m, sub);
  }
}

void WatchService::HandleInotify() {
  alignas(inotify_event) char buf[64 * 1024];
  while (true) {
    ssize_t n = read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) return;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {  // events were lost: look at everything again
        for (size_t m = 0; m < config_.watch_mappings.size(); ++m) Scan(m, config_.watch_mappings[m].in);
        continue;
      }
      auto w = watches_.find(ev->wd);
      if (w == watches_.end() || ev->len == 0 || Skipped(ev->name)) continue;
      std::string path = w->second.second + "/" + ev->name;
      if (ev->mask & IN_ISDIR) {
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) WatchTree(w->second.first, path);
        continue;
      }
      Candidate& c = candidates_[path];
      c.mapping = w->second.first;
      if (ev->mask & IN_MOVED_TO) c.moved_in = true;  // renamed in whole: ready now
    }
  }
}

std::vector<std::pair<std::string, WatchService::Candidate>> WatchService::TakeEligible(bool force) {
  std::vector<std::pair<std::string, Candidate>> out;
  int64_t now = MonotonicMs();
  for (auto it = candidates_.begin(); it != candidates_.end() && out.size() < config_.watch_batch;) {
    struct stat st;
    if (lstat(it->first.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      it = candidates_.erase(it);  // gone (or not a plain file: symlinks are never followed)
      continue;
    }
    Candidate& c = it->second;
    int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (st.st_size != c.size || mtime != c.mtime_ns) {
      c.size = st.st_size;
      c.mtime_ns = mtime;
      c.stable_since_ms = now;
    }
    bool stable = now - c.stable_since_ms >= static_cast<int64_t>(config_.watch_stable_ms);
    if (c.moved_in || stable || (force && config_.watch_stable_ms == 0)) {
      out.emplace_back(it->first, c);
      it = candidates_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

void WatchService::Complete(const Claim& claim, const Finished& r) {
  // Outputs and, when something was changed or blocked, the note go through the journal.
  std::vector<Delivery> deliveries;
  std::string first = r.outputs.empty() ? r.name : BaseName(r.outputs.front().second);
  for (const auto& [staged, final_path] : r.outputs) deliveries.emplace_back(staged, final_path);
  if (config_.watch_notes && r.verdict != "clean") {
    std::string note_name = SafeComponent(r.name) + ".mugai.txt";
    std::string staged = claim.staging + "/" + note_name;
    if (MakeDirs(claim.staging, 0700).ok() &&
        WriteFileAtomically(staged, Note(r.notice, r.sha256, r.quarantine_id), 0644, true).ok()) {
      deliveries.emplace_back(staged, claim.out_dir + "/" + FreeName(claim.out_dir, note_name));
    }
  }
  // The original is kept by the service (with its index row) when it was converted or
  // blocked; the watcher keeps no copy of its own.
  if (Status delivered = ClaimStore::Deliver(claim, deliveries); !delivered.ok()) {
    // Leave the claim for the next start; the log says why.
    log_.Write("error", "watch_delivery_failed",
               {{"claim", claim.id}, {"name", r.name}, {"detail", delivered.message()}});
    return;
  }
  CrashPoint("quarantined");
  ClaimStore::Finish(claim);
  log_.Write("info", "watch_delivered",
             {{"claim", claim.id}, {"name", r.name}, {"verdict", r.verdict},
              {"to", claim.out_dir}, {"outputs", std::to_string(deliveries.size())},
              {"first", first}});
}

bool WatchService::RunClaims(const std::vector<Claim>& all) {
  if (all.empty()) return true;
  // Each claimed original is opened here first: one that cannot be (removed from the work
  // folder, unreadable) stays claimed and is logged, and does not hold up the others.
  std::vector<Claim> claims;
  std::vector<ClientItem> items;
  std::vector<int> fds;
  struct Closer {
    std::vector<int>* fds;
    ~Closer() {
      for (int fd : *fds) close(fd);
    }
  } closer{&fds};
  for (const auto& c : all) {
    int fd = open(c.original.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
      log_.Write("error", "watch_retry_later",
                 {{"claim", c.id}, {"detail", c.original + ": " + strerror(errno)}});
      continue;
    }
    fds.push_back(fd);
    ClaimStore::ClearStaging(c);
    MakeDirs(c.staging, 0700);
    ClientItem it;
    it.name = BaseName(c.relpath);
    it.source = c.inbox + "/" + c.relpath;
    it.fd = fd;
    items.push_back(std::move(it));
    claims.push_back(c);
  }
  if (claims.empty()) return true;
  std::vector<std::vector<std::pair<std::string, std::string>>> staged(claims.size());
  // Each output is staged durably beside the outbox under the name it will have there, and
  // that final path is what the service records as delivered: from then on the journal (and
  // a restart's replay) puts it in place.
  std::set<std::string> taken;  // final names given out in this batch (one outbox)
  ClientWriter writer = [&](size_t i, const std::string& name, const std::string&,
                            const std::string& bytes) -> Result<std::string> {
    const std::string safe = SafeComponent(name);
    std::string path = claims[i].staging + "/" + safe;
    for (int n = 1; std::any_of(staged[i].begin(), staged[i].end(),
                                [&](const auto& o) { return o.first == path; }); ++n) {
      path = claims[i].staging + "/" + std::to_string(n) + "-" + safe;
    }
    std::string final_name = FreeName(claims[i].out_dir, safe);
    for (int n = 1; taken.count(final_name) && n < 100000; ++n) {
      final_name = FreeName(claims[i].out_dir, CollisionName(safe, n));
    }
    if (Status s = WriteFileAtomically(path, bytes, 0644, true); !s.ok()) return s;
    taken.insert(final_name);
    staged[i].emplace_back(path, claims[i].out_dir + "/" + final_name);
    return claims[i].out_dir + "/" + final_name;
  };
  Result<ClientOutcome> run =
      service_->Run("watch", items, "", /*deliver=*/true, claims.front().out_dir, writer);
  if (!run.ok() && run.status().code() != StatusCode::kUnavailable) {
    // The service refused the request: the claims stay and are tried again at the next
    // rescan; the other outboxes go on.
    log_.Write("error", "watch_retry_later", {{"detail", run.status().message()}});
    return true;
  }
  if (!run.ok()) {
    // Nothing was decided (or not everything): every claim stays, and is tried again.
    log_.Write("error", "watch_service_unavailable", {{"detail", run.status().message()}});
    Reconnect();  // for the next batch (a restarted `mugai serve`)
    return false;
  }
  CrashPoint("staged");
  const nlohmann::json& list = run->report["items"];
  for (size_t i = 0; i < claims.size(); ++i) {
    if (i >= list.size() || i >= run->failed.size() || run->failed[i]) {
      log_.Write("error", "watch_retry_later", {{"claim", claims[i].id}});
      continue;  // left claimed: retried at the next rescan or start
    }
    const nlohmann::json& j = list[i];
    Finished f;
    f.name = StringField(j, "name");
    f.verdict = StringField(j, "verdict");
    f.sha256 = StringField(j, "sha256");
    f.quarantine_id = StringField(j, "quarantine_id");
    f.notice = run->notices[i];
    if (f.verdict != "blocked") f.outputs = staged[i];  // a blocked item delivers nothing
    Complete(claims[i], f);
  }
  return true;
}

void WatchService::Process(const std::vector<std::pair<std::string, Candidate>>& files) {
  std::map<std::string, std::vector<Claim>> by_outbox;  // a request names one destination
  for (const auto& [path, c] : files) {
    const WatchMapping& map = config_.watch_mappings[c.mapping];
    std::string out_dir, out_root;
    if (!Destination(c.mapping, path.substr(map.in.size() + 1), &out_dir, &out_root)) {
      log_.Write("warning", "watch_no_destination", {{"path", path}});
      continue;  // e.g. a file directly in a per-user inbox root: left where it is
    }
    if (Status s = MakeDirs(out_root + "/.mugai-staging", 0700); !s.ok()) {
      log_.Write("error", "watch_outbox_unusable", {{"detail", s.message()}});
      continue;
    }
    Result<Claim> claim = ClaimStore::Create(map.in, path, out_dir, out_root);
    if (claim.ok()) by_outbox[out_dir].push_back(claim.value());
  }
  for (const auto& [out_dir, claims] : by_outbox) {
    if (!RunClaims(claims)) return;  // the service went away: the rest stay claimed
  }
}

void WatchService::Recover() {
  for (const auto& map : config_.watch_mappings) {
    std::vector<Claim> pending = ClaimStore::Pending(map.in);
    for (const Claim& c : pending) {
      log_.Write("info", "watch_recovering", {{"claim", c.id}, {"relpath", c.relpath}});
      if (ClaimStore::HasJournal(c)) {  // outputs were named: finish delivering them
        if (ClaimStore::Replay(c).ok()) ClaimStore::Finish(c);
        continue;
      }
      // Processed (maybe) but not delivered: do it again.
      if (!RunClaims({c})) return;
    }
  }
}

int WatchService::Run() {
  if (!options_.config_file.empty()) {
    // A root-started watcher becomes process.user before it opens any folder.
    Result<Config> c = LoadConfigFile(options_.config_file);
    if (c.ok()) {
      if (Status s = DropPrivileges(c->process_user); !s.ok()) {
        fprintf(stderr, "mugai watch: %s\n", s.message().c_str());
        return s.code() == StatusCode::kConfig ? 2 : 3;
      }
    }
  }
  if (Status s = Load(); !s.ok()) {
    fprintf(stderr, "mugai watch: %s\n", s.message().c_str());
    return s.code() == StatusCode::kConfig ? 2 : 3;
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, nullptr);  // delivered through signal_fd_ between batches
  signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (signal_fd_ < 0 || inotify_fd_ < 0) {
    fprintf(stderr, "mugai watch: cannot set up inotify/signals: %s\n", strerror(errno));
    return 3;
  }
  Recover();
  for (size_t m = 0; m < config_.watch_mappings.size(); ++m) WatchTree(m, config_.watch_mappings[m].in);
  if (service_->in_process()) {
    fprintf(stderr, "mugai watch: watching %zu folder(s); log: %s/mugai.log\n",
            config_.watch_mappings.size(), config_.state_dir.c_str());
  } else {
    fprintf(stderr, "mugai watch: watching %zu folder(s) for mugai serve; log: here\n",
            config_.watch_mappings.size());
  }
  int64_t next_rescan = MonotonicMs() + static_cast<int64_t>(config_.watch_rescan_seconds) * 1000;
  while (!stop_) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {signal_fd_, POLLIN, 0}};
    int timeout = candidates_.empty() ? 1000 : 100;
    poll(fds, 2, timeout);
    HandleInotify();
    signalfd_siginfo si;
    while (read(signal_fd_, &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGHUP) {
        // Load() replaces the config and pipeline only when the new ones are good.
        if (Status s = Load(); !s.ok()) {
          fprintf(stderr, "mugai watch: reload failed, keeping the old config: %s\n", s.message().c_str());
        } else {
          for (auto& [wd, w] : watches_) inotify_rm_watch(inotify_fd_, wd);
          watches_.clear();
          candidates_.clear();
          for (size_t m = 0; m < config_.watch_mappings.size(); ++m) {
            WatchTree(m, config_.watch_mappings[m].in);
          }
        }
      } else {
        stop_ = true;  // SIGTERM/SIGINT: the batch in hand is finished, then we leave
      }
    }
    if (MonotonicMs() >= next_rescan) {
      // Claims left by a failed delivery or an internal failure are retried here too, not
      // only at the next start: between batches no claim is in flight.
      Recover();
      for (size_t m = 0; m < config_.watch_mappings.size(); ++m) Scan(m, config_.watch_mappings[m].in);
      next_rescan = MonotonicMs() + static_cast<int64_t>(config_.watch_rescan_seconds) * 1000;
    }
    if (!candidates_.empty() && !Admitted()) {
      if (options_.once) {
        fprintf(stderr, "mugai watch: nothing taken: %s\n", held_.c_str());
        exit_code_ = 3;
        break;
      }
      continue;  // the files stay in their inboxes until items are taken again
    }
    auto eligible = TakeEligible(false);
    if (!eligible.empty()) Process(eligible);
    if (options_.once && candidates_.empty()) break;
  }
  log_.Write("info", "watch_stopped", {});
  return exit_code_;
}

bool WatchService::Reconnect() {
  // Never falls back to an engine of its own: the claims wait for the service.
  if (service_->in_process()) return false;
  Result<std::unique_ptr<ServiceConnection>> again = ServiceConnection::Open(
      config_, options_.service.empty() ? config_.service_socket : options_.service, false,
      "watch");
  if (!again.ok()) return false;
  service_ = std::move(again.value());
  return true;
}

bool WatchService::Admitted() {
  int64_t now = MonotonicMs();
  if (admission_checked_ms_ >= 0 && now - admission_checked_ms_ < 1000) return held_.empty();
  admission_checked_ms_ = now;
  Result<std::string> asked = service_->Held();
  // The service dropped an idle connection, or restarted: ask again on a new one.
  if (!asked.ok() && Reconnect()) asked = service_->Held();
  if (!asked.ok()) {
    // Nobody to ask: claim nothing (the files stay in their inboxes), ask again in a second.
    if (held_ != asked.status().message()) {
      log_.Write("error", "watch_service_unavailable", {{"detail", asked.status().message()}});
    }
    held_ = asked.status().message();
    return false;
  }
  std::string held = asked.value();
  if (held != held_) {
    if (held.empty()) {
      log_.Write("info", "watch_taking_again", {});
    } else {
      log_.Write("warning", "watch_held", {{"detail", held}});
      fprintf(stderr, "mugai watch: files stay in their inboxes: %s\n", held.c_str());
    }
  }
  held_ = held;
  return held_.empty();
}

}  // namespace mugai
