// LibreOffice through LibreOfficeKit, one process serving many documents so that the seconds
// LibreOffice needs to start are paid once per process, not once per document.
#define LOK_USE_UNSTABLE_API
#include "converters/office/office_server.h"

#include <LibreOfficeKit/LibreOfficeKit.hxx>
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/file_util.h"
#include "converters/office/office_protocol.h"

namespace mugai {

namespace {

// The profile's settings: no macro ever runs (security level "very high" with no trusted
// location, and macro execution disabled), links to untrusted places are not followed.
constexpr char kRegistry[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.ucb.Configuration/ContentProviders/Local/SecondaryKeys/Office/ProviderData"><node oor:name="Provider3" oor:op="remove"/></item>
<item oor:path="/org.openoffice.ucb.Configuration/ContentProviders/Local/SecondaryKeys/Office/ProviderData"><node oor:name="Provider4" oor:op="remove"/></item>
<item oor:path="/org.openoffice.ucb.Configuration/ContentProviders/Local/SecondaryKeys/Office/ProviderData"><node oor:name="Provider4a" oor:op="remove"/></item>
<item oor:path="/org.openoffice.ucb.Configuration/ContentProviders/Local/SecondaryKeys/Office/ProviderData"><node oor:name="Provider12" oor:op="remove"/></item>
<item oor:path="/org.openoffice.ucb.Configuration/ContentProviders/Local/SecondaryKeys/Office/ProviderData"><node oor:name="Provider12a" oor:op="remove"/></item>
<item oor:path="/org.openoffice.ucb.Configuration/ContentProviders/Local/SecondaryKeys/Office/ProviderData"><node oor:name="Provider12b" oor:op="remove"/></item>
<item oor:path="/org.openoffice.ucb.Configuration/ContentProviders/Local/SecondaryKeys/Office/ProviderData"><node oor:name="Provider6" oor:op="remove"/></item>
<item oor:path="/org.openoffice.ucb.Configuration/ContentProviders/Local/SecondaryKeys/Office/ProviderData"><node oor:name="Provider43" oor:op="remove"/></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="ShowTipOfTheDay" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
)";

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

// Only letters and digits reach a file name.
std::string SafeExtension(const std::string& untrusted) {
  std::string ext;
  for (char c : untrusted) {
    if (std::isalnum(static_cast<unsigned char>(c)) && ext.size() < 8) ext.push_back(c);
  }
  return ext.empty() ? "bin" : ext;
}

// file:// URL of an absolute path, every byte but unreserved ones and '/' percent-encoded.
std::string FileUrl(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string url = "file://";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      url.push_back(static_cast<char>(c));
    } else {
      url.push_back('%');
      url.push_back(kHex[c >> 4]);
      url.push_back(kHex[c & 15]);
    }
  }
  return url;
}

struct PasswordState {
  lok::Office* office = nullptr;
  std::string url;  // the document being loaded: LibreOfficeKit keys its request by it
  std::string password;
  bool asked = false;
  bool refused = false;  // asked again after the password was given: it is wrong
};

void OnCallback(int type, const char* payload, void* data) {
  auto* s = static_cast<PasswordState*>(data);
  if (type != LOK_CALLBACK_DOCUMENT_PASSWORD && type != LOK_CALLBACK_DOCUMENT_PASSWORD_TO_MODIFY) {
    return;
  }
  if (type == LOK_CALLBACK_DOCUMENT_PASSWORD_TO_MODIFY) {
    // Opening read-only needs no password: decline the one for editing.
    s->office->setDocumentPassword(s->url.c_str(), nullptr);
    return;
  }
  // The payload is not always that URL (Word's filter names the file), and an unknown URL
  // aborts LibreOfficeKit: answer for the document this process is loading.
  (void)payload;
  if (!s->asked && !s->password.empty()) {
    s->asked = true;
    s->office->setDocumentPassword(s->url.c_str(), s->password.c_str());
  } else {
    s->refused = true;
    s->office->setDocumentPassword(s->url.c_str(), nullptr);
  }
}

constexpr int kExitTimedOut = 5;

// Ends the process without LibreOffice's shutdown (seconds, and nothing to save).
[[noreturn]] void Exit(int code) {
  std::fflush(stderr);
  _exit(code);
}

}  // namespace

int RunOfficeServer(const OfficeServerOptions& o, const std::function<bool()>& confine) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string work_dir = fs::absolute(o.work_dir, ec).string();
  const std::string profile = work_dir + "/profile";
  const std::string tmp = work_dir + "/tmp";
  fs::create_directories(profile + "/user", ec);
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (!WriteText(profile + "/user/registrymodifications.xcu", kRegistry)) {
    std::fprintf(stderr, "mugai office-server: cannot write the profile in %s\n", profile.c_str());
    return 4;
  }
  setenv("HOME", work_dir.c_str(), 1);
  setenv("TMPDIR", tmp.c_str(), 1);
  setenv("SAL_DISABLE_OPENCL", "1", 1);
  setenv("SAL_DISABLE_CUPS", "1", 1);  // no printer lookup on localhost:631
  if (!confine()) {
    std::fprintf(stderr, "mugai office-server: the sandbox could not be set up\n");
    return 4;
  }
  std::unique_ptr<lok::Office> office(
      lok::lok_cpp_init(o.program_dir.c_str(), FileUrl(profile).c_str()));
  if (!office) {
    std::fprintf(stderr, "mugai office-server: LibreOfficeKit did not start from %s\n",
                 o.program_dir.c_str());
    return 4;
  }
  // LibreOffice installs its own handlers (a crash or SIGALRM becomes "exit 1"/"exit 255"):
  // the per-document deadline gets a handler of its own, and "ready" tells the pool that this
  // process did start, so that a later exit is a document's fault, not LibreOffice's.
  signal(SIGALRM, [](int) { _exit(kExitTimedOut); });
  WriteText(work_dir + "/ready", "");
  PasswordState passwords;
  passwords.office = office.get();
  office->setOptionalFeatures(LOK_FEATURE_DOCUMENT_PASSWORD |
                              LOK_FEATURE_DOCUMENT_PASSWORD_TO_MODIFY);
  office->registerCallback(OnCallback, &passwords);

  for (uint32_t done = 0; done < o.max_documents; ++done) {
    int conn = accept4(o.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR) {
        --done;
        continue;
      }
      std::fprintf(stderr, "mugai office-server: accept failed: %s\n", strerror(errno));
      Exit(3);
    }
    alarm(o.timeout_seconds);  // SIGALRM's default action ends this process
    OfficeResponse resp;
    Result<OfficeRequest> req = ReadOfficeRequest(conn, o.max_document_bytes);
    bool failed = true;
    if (!req.ok() && req.status().code() == StatusCode::kNotFound) {
      // A relay that gave up while waiting in the queue: no document, nothing to recycle for.
      close(conn);
      alarm(0);
      --done;
      continue;
    }
    if (!req.ok()) {
      resp.body = "bad request: " + req.status().message();
    } else {
      // Fault injection for the tests of the failure paths (MUGAI_OFFICE_FAULTS=1 and a
      // marker in the document): a crash, and a document that never finishes.
#ifdef MUGAI_TEST_HOOKS  // fault injection exists in test builds only
      if (getenv("MUGAI_OFFICE_FAULTS")) {
        if (req->document.find("MUGAI-OFFICE-FAULT-CRASH") != std::string::npos) abort();
        if (req->document.find("MUGAI-OFFICE-FAULT-HANG") != std::string::npos) {
          for (;;) pause();
        }
      }
#endif
      const std::string in = tmp + "/document." + SafeExtension(req->extension);
      const std::string out = tmp + "/document.pdf";
      fs::remove(out, ec);
      passwords.password = req->password;
      passwords.asked = passwords.refused = false;
      passwords.url = FileUrl(in);
      if (!WriteText(in, req->document)) {
        resp.body = "cannot write the document to " + tmp;
      } else {
        std::unique_ptr<lok::Document> doc(office->documentLoad(passwords.url.c_str(), "Batch=1"));
        if (!doc) {
          const char* err = office->getError();
          if (passwords.refused || passwords.asked) {
            resp.status = OfficeStatus::kPassword;
            resp.body = req->password.empty() ? "the document is encrypted"
                                              : "the password does not open the document";
          } else {
            resp.body = std::string("LibreOffice could not open it: ") + (err ? err : "");
          }
        } else if (!doc->saveAs(out.c_str(), "pdf", nullptr)) {
          const char* err = office->getError();
          resp.body = std::string("LibreOffice could not export it as PDF: ") + (err ? err : "");
        } else {
          Result<std::string> read = ReadFileLimited(out, o.max_pdf_bytes);
          if (!read.ok()) {
            bool too_big = read.status().code() == StatusCode::kLimit;
            if (too_big) resp.status = OfficeStatus::kLimit;
            resp.body = too_big ? "LibreOffice's PDF is larger than limits.max_output_bytes"
                                : "LibreOffice wrote no PDF";
          } else if (read->rfind("%PDF-", 0) != 0) {
            resp.body = "LibreOffice's output is not a PDF";
          } else {
            resp.status = OfficeStatus::kPdf;
            resp.body = std::move(read.value());
            failed = false;
          }
        }
      }
      fs::remove(in, ec);
      fs::remove(out, ec);
    }
    // A password refusal or a PDF over the limit is an answer, not a fault of this process.
    if (resp.status == OfficeStatus::kPassword || resp.status == OfficeStatus::kLimit) {
      failed = false;
    }
    (void)WriteAllTo(conn, EncodeOfficeResponse(resp));
    close(conn);
    alarm(0);
    if (failed) Exit(3);  // recycled after any failure
  }
  Exit(0);
}

}  // namespace mugai
