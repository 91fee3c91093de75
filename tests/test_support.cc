// Test helpers.
#include "test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

#include "quarantine/sql_conn.h"

namespace mugai::testing {

namespace {
std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace

std::string CpuBombPdf() {
  if (access("/usr/bin/python3", X_OK) != 0) return "";
  RunResult r = Run({"/usr/bin/python3", "-c", R"(
import sys, zlib
comp = zlib.compress(b"0 0 m 600 800 l 5 w S\n" * 1000000, 9)
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(comp) + comp + b"\nendstream"]
out = b"%PDF-1.4\n"
offs = []
for i, o in enumerate(objs):
    offs.append(len(out))
    out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
sys.stdout.buffer.write(out)
)"});
  return r.exit_code == 0 ? r.out : "";
}

std::string Eicar() {
  return std::string("X5O!P%@AP[4\\PZX54(P^)7CC)7}$") + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
}

std::string FixturesDir() { return Env("MUGAI_FIXTURES", MUGAI_FIXTURES); }
std::string SignaturesDir() { return Env("MUGAI_TEST_SIGNATURES", MUGAI_TEST_SIGNATURES); }
std::string CorporaDir() { return Env("MUGAI_CORPORA", MUGAI_CORPORA); }
std::string MugaiBinary() { return Env("MUGAI_BINARY", MUGAI_BINARY); }
std::string ZygoteBinary() { return Env("MUGAI_ZYGOTE_BINARY", MUGAI_ZYGOTE_BINARY); }

std::string PostgresDir() { return Env("MUGAI_TEST_PG_DIR", MUGAI_TEST_PG_DIR); }

std::string WithDatabase(const std::string& dsn, const std::string& dbname) {
  std::string out;
  std::istringstream words(dsn);
  for (std::string w; words >> w;) {
    if (w.rfind("dbname=", 0) == 0) continue;
    out += w + " ";
  }
  return out + "dbname=" + dbname;
}

std::string FreshPostgresDatabase(std::string* why) {
  std::ifstream in(PostgresDir() + "/dsn");
  std::string dsn;
  if (!in || !std::getline(in, dsn) || dsn.empty()) {
    *why = "no PostgreSQL test server (" + PostgresDir() +
           "/dsn missing: is Debian's postgresql installed? tests/pg/pg-server.sh says why)";
    return "";
  }
  // A server that was started but does not answer is a failure, not a skip.
  Result<std::unique_ptr<SqlConn>> admin = OpenPostgres(dsn);
  if (!admin.ok()) throw std::runtime_error("the test PostgreSQL server: " + admin.status().message());
  static int counter = 0;
  std::string name = "t_" + std::to_string(getpid()) + "_" + std::to_string(++counter) + "_" +
                     std::to_string(time(nullptr) % 100000);
  if (Status s = (*admin)->Script("CREATE DATABASE " + name); !s.ok()) {
    throw std::runtime_error("the test PostgreSQL server: " + s.message());
  }
  return WithDatabase(dsn, name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

TempDir::TempDir() {
  char templ[] = "/tmp/mugai-test-XXXXXX";
  if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunResult Run(const std::vector<std::string>& argv) { return Run(argv, "/dev/null"); }

RunResult Run(const std::vector<std::string>& argv, const std::string& stdin_path) {
  TempDir io;
  std::string out_path = io / "stdout", err_path = io / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT, 0600);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  RunResult r;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return r;
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace mugai::testing
