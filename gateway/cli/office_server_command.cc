// `mugai office-server`: sets up the converter's sandbox, then hands over to
// converters/office/office_server.cc.
#include "gateway/cli/office_server_command.h"

#include <cstdio>
#include <cstdlib>

#include "converters/office/office_server.h"
#include "gateway/cli/cli_args.h"
#include "gateway/cli/sanitize_command.h"
#include "gateway/sandbox/worker_seccomp.h"

namespace mugai {

namespace {

constexpr char kHelp[] = R"(Usage: mugai office-server --work-dir DIR --program-dir DIR [OPTIONS]

One LibreOffice converter process of mugai's warm pool (LibreOffice の変換プロセス).
The gateway starts these itself (office.pool_size of them) when a .doc/.xls/.ppt, RTF or
ODF file arrives; there is no need to run it by hand. It accepts connections on the
listening socket it inherits as descriptor 3, converts one document per connection to PDF
with LibreOfficeKit, and exits after --max-documents documents or after any failure; a
document that takes longer than --timeout-seconds ends it (SIGALRM). Before LibreOffice is
loaded it confines itself: Landlock (writes only in --work-dir), a seccomp filter (no exec,
no network, no signals to other processes); the gateway has already put it in its own
network namespace.

Options:
  --work-dir DIR            its profile and scratch folder
  --program-dir DIR         LibreOffice's program folder (office.libreoffice_dir)
  --max-documents N         documents before it exits (office.max_documents)
  --timeout-seconds N       per document (office.timeout_seconds)
  --max-document-bytes N    largest document accepted
  --max-pdf-bytes N         largest PDF returned
  --no-sandbox              skip Landlock and seccomp (debugging only)
  -h, --help                show this help
)";

}  // namespace

int RunOfficeServerCommand(const std::vector<std::string>& args) {
  OfficeServerOptions o;
  o.max_document_bytes = 100ULL << 20;
  o.max_pdf_bytes = 200ULL << 20;
  bool sandbox = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return kExitDelivered;
    }
    if (a == "--no-sandbox") {
      sandbox = false;
      continue;
    }
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "mugai office-server: %s needs a value\n%s", a.c_str(), kHelp);
      return kExitUsage;
    }
    const std::string& v = args[++i];
    uint64_t n = 0;
    bool ok = true;
    if (a == "--work-dir") {
      o.work_dir = v;
    } else if (a == "--program-dir") {
      o.program_dir = v;
    } else if (a == "--max-documents") {
      ok = ParseU64(v, &n) && n >= 1 && n <= 1000000;
      o.max_documents = static_cast<uint32_t>(n);
    } else if (a == "--timeout-seconds") {
      ok = ParseU64(v, &n) && n >= 1 && n <= 86400;
      o.timeout_seconds = static_cast<uint32_t>(n);
    } else if (a == "--max-document-bytes") {
      ok = ParseU64(v, &o.max_document_bytes);
    } else if (a == "--max-pdf-bytes") {
      ok = ParseU64(v, &o.max_pdf_bytes);
    } else {
      std::fprintf(stderr, "mugai office-server: unknown option %s\n%s", a.c_str(), kHelp);
      return kExitUsage;
    }
    if (!ok) {
      std::fprintf(stderr, "mugai office-server: bad value for %s: %s\n", a.c_str(), v.c_str());
      return kExitUsage;
    }
  }
  if (o.work_dir.empty() || o.program_dir.empty()) {
    std::fprintf(stderr, "mugai office-server: --work-dir and --program-dir are required\n%s",
                 kHelp);
    return kExitUsage;
  }
  if (std::string missing = LibreOfficeMissing(o.program_dir); !missing.empty()) {
    std::fprintf(stderr, "mugai office-server: %s\n", missing.c_str());
    return 4;
  }
  return RunOfficeServer(o, [&] {
    if (!sandbox) return true;
    // Both are required: without Landlock, LibreOffice would have every file of the mugai
    // user (the pool refuses to start converters on such a kernel, too).
    if (!InstallOfficeLandlock(o.work_dir, o.program_dir)) {
      std::fprintf(stderr, "mugai office-server: Landlock rules could not be installed\n");
      return false;
    }
    return InstallOfficeSeccomp();
  });
}

}  // namespace mugai
