// The LibreOffice converter process (`mugai office-server`, started by the supervisor's
// OfficePool): LibreOfficeKit loaded once, then one document per accepted connection on an
// inherited listening socket, converted to PDF. It exits after `max_documents` documents or
// after the first document that fails, and is killed by SIGALRM when one takes longer than
// `timeout_seconds`; the pool starts a fresh one either way, and the listening socket (held
// by the supervisor) keeps the connections that are still waiting.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace mugai {

struct OfficeServerOptions {
  int listen_fd = 3;
  std::string work_dir;     // private: LibreOffice's profile and the document being converted
  std::string program_dir;  // LibreOffice's program folder (holds libmergedlo.so)
  uint32_t max_documents = 200;
  uint32_t timeout_seconds = 60;
  uint64_t max_document_bytes = 0;
  uint64_t max_pdf_bytes = 0;
};

// "" when `program_dir` holds a LibreOffice that LibreOfficeKit can load, else what is
// missing and what to install.
std::string LibreOfficeMissing(const std::string& program_dir);

// Runs the server until it has converted max_documents documents (the process exits 0) or one
// failed (exits 3); once LibreOffice is loaded the process ends with _exit, never returning.
// `confine` runs after the profile is prepared and before LibreOffice is loaded (the caller's
// sandbox); false from it, or LibreOffice failing to load, returns 4.
int RunOfficeServer(const OfficeServerOptions& options, const std::function<bool()>& confine);

}  // namespace mugai
