// Claim records are "key=hex(value)" lines, so no file name can break their format.
#include "gateway/watch/claim_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/file_util.h"

namespace mugai {

namespace {

std::string Hex(const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool Unhex(const std::string& h, std::string* out) {
  if (h.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < h.size(); i += 2) {
    char buf[3] = {h[i], h[i + 1], 0};
    char* end = nullptr;
    long v = strtol(buf, &end, 16);
    if (*end) return false;
    out->push_back(static_cast<char>(v));
  }
  return true;
}

std::map<std::string, std::string> ReadRecord(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    std::string v;
    if (eq != std::string::npos && Unhex(line.substr(eq + 1), &v)) out[line.substr(0, eq)] = v;
  }
  return out;
}

bool Exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

std::string NewId() {
  static std::atomic<unsigned> counter{0};
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char buf[64];
  snprintf(buf, sizeof buf, "%lld%03ld-%d-%u", static_cast<long long>(ts.tv_sec),
           ts.tv_nsec / 1000000, getpid(), counter++);
  return buf;
}

// Renames `from` to `to` without replacing anything; on a clash, the next free name.
Status RenameNoReplace(const std::string& from, std::string to) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      return Status::Ok();
    }
    if (errno != EEXIST) {
      return {StatusCode::kIo, "cannot deliver into '" + to + "': " + strerror(errno)};
    }
    size_t slash = to.rfind('/');
    to = to.substr(0, slash + 1) + FreeName(to.substr(0, slash), to.substr(slash + 1));
  }
  return {StatusCode::kIo, "no free name for '" + to + "'"};
}

}  // namespace

void CrashPoint([[maybe_unused]] const char* step) {
#ifdef MUGAI_TEST_HOOKS  // fault injection exists in test builds only
  const char* at = getenv("MUGAI_WATCH_CRASH_AT");
  if (at && strcmp(at, step) == 0) raise(SIGKILL);
#endif
}

std::string FreeName(const std::string& dir, const std::string& name) {
  if (!Exists(dir + "/" + name)) return name;
  size_t dot = name.rfind('.');
  std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
  std::string ext = dot == std::string::npos || dot == 0 ? "" : name.substr(dot);
  for (int n = 1; n < 100000; ++n) {
    std::string candidate = stem + " (" + std::to_string(n) + ")" + ext;
    if (!Exists(dir + "/" + candidate)) return candidate;
  }
  return name;
}

Result<Claim> ClaimStore::Create(const std::string& inbox, const std::string& path,
                                 const std::string& out_dir, const std::string& out_root) {
  Claim c;
  c.id = NewId();
  c.inbox = inbox;
  c.relpath = path.substr(inbox.size() + 1);
  c.out_dir = out_dir;
  c.staging = out_root + "/.mugai-staging/" + c.id;
  std::string work = WorkDir(inbox);
  c.original = work + "/" + c.id + ".orig";
  if (Status s = MakeDirs(work, 0700); !s.ok()) return s;
  std::string record = "relpath=" + Hex(c.relpath) + "\nout_dir=" + Hex(c.out_dir) +
                       "\nstaging=" + Hex(c.staging) + "\n";
  if (Status s = WriteFileAtomically(work + "/" + c.id + ".meta", record, 0600, false); !s.ok()) {
    return s;
  }
  CrashPoint("recorded");
  if (rename(path.c_str(), c.original.c_str()) != 0) {
    int saved = errno;
    unlink((work + "/" + c.id + ".meta").c_str());
    return Status{StatusCode::kIo, "cannot claim '" + path + "': " + strerror(saved)};
  }
  CrashPoint("claimed");
  return c;
}

std::vector<Claim> ClaimStore::Pending(const std::string& inbox) {
  std::vector<Claim> out;
  std::string work = WorkDir(inbox);
  std::error_code ec;
  std::vector<std::string> metas;
  for (const auto& e : std::filesystem::directory_iterator(work, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > 5 && name.substr(name.size() - 5) == ".meta") metas.push_back(name);
  }
  std::sort(metas.begin(), metas.end());
  for (const auto& meta : metas) {
    Claim c;
    c.id = meta.substr(0, meta.size() - 5);
    c.inbox = inbox;
    c.original = work + "/" + c.id + ".orig";
    auto record = ReadRecord(work + "/" + meta);
    c.relpath = record["relpath"];
    c.out_dir = record["out_dir"];
    c.staging = record["staging"];
    if (!Exists(c.original)) {  // died before the claim: the file is still in the inbox
      unlink((work + "/" + meta).c_str());
      continue;
    }
    if (c.relpath.empty() || c.out_dir.empty() || c.staging.empty()) continue;  // never guess
    out.push_back(c);
  }
  return out;
}

bool ClaimStore::HasJournal(const Claim& c) {
  return Exists(WorkDir(c.inbox) + "/" + c.id + ".deliver");
}

Status ClaimStore::Deliver(const Claim& c, const std::vector<Delivery>& deliveries) {
  std::string journal;
  for (const auto& [staged, final_path] : deliveries) {
    journal += "file=" + Hex(staged + '\0' + final_path) + "\n";
  }
  std::string path = WorkDir(c.inbox) + "/" + c.id + ".deliver";
  if (Status s = WriteFileAtomically(path, journal, 0600, true); !s.ok()) return s;
  CrashPoint("journaled");
  return Replay(c);
}

Status ClaimStore::Replay(const Claim& c) {
  std::ifstream in(WorkDir(c.inbox) + "/" + c.id + ".deliver");
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    std::string pair;
    if (line.rfind("file=", 0) != 0 || !Unhex(line.substr(5), &pair)) continue;
    size_t nul = pair.find('\0');
    std::string staged = pair.substr(0, nul), final_path = pair.substr(nul + 1);
    if (!Exists(staged)) continue;  // already delivered before a crash
    std::string dir = final_path.substr(0, final_path.rfind('/'));
    if (Status s = MakeDirs(dir, 0755); !s.ok()) return s;
    if (Status s = RenameNoReplace(staged, final_path); !s.ok()) return s;
    if (first) CrashPoint("delivering");
    first = false;
  }
  CrashPoint("delivered");
  return Status::Ok();
}

void ClaimStore::ClearStaging(const Claim& c) {
  std::error_code ec;
  std::filesystem::remove_all(c.staging, ec);
}

void ClaimStore::Finish(const Claim& c) {
  std::string work = WorkDir(c.inbox);
  unlink(c.original.c_str());
  unlink((work + "/" + c.id + ".deliver").c_str());
  ClearStaging(c);
  unlink((work + "/" + c.id + ".meta").c_str());  // last: the record outlives everything else
}

}  // namespace mugai
