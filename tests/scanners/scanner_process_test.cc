// The scanner process: one engine for every worker of a supervisor, scans of sealed memfds
// over its protocol, restart after a crash (scans it held fail closed), reload beside the
// running engine when the signatures change, and a clear error when there are none.
#include "gateway/sandbox/scanner_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "common/file_util.h"
#include "scanners/scanner_client.h"
#include "scanners/scanner_protocol.h"
#include "scanners/scanner_server.h"
#include "test_support.h"

namespace mugai {
namespace {

using testing::TempDir;

ScannerProcessOptions Options(const TempDir& dir, const std::string& signatures) {
  ScannerProcessOptions o;
  o.executable = testing::ZygoteBinary();
  o.run_dir = dir / "scanner";
  o.signatures = signatures;
  o.limits = ScanLimits{100ULL << 20, 400ULL << 20, 17, 10000, 120000, true, false};
  o.reload_check_seconds = 0;
  return o;
}

ScanResult ScanThrough(ScannerProcess& scanner, const std::string& bytes, ScanOp op = ScanOp::kScan) {
  int conn = scanner.Connect();
  EXPECT_GE(conn, 0);
  int fd = SealedMemfd(bytes);
  ScanReply r = ScannerClient::Ask(conn, op, "sample.txt", fd);
  close(fd);
  close(conn);
  return r.result;
}

TEST(ScannerProtocol, RoundTripsAndRejectsEveryTruncation) {
  ScanReply reply;
  reply.result.outcome = ScanOutcome::kInfected;
  reply.result.threat = "Eicar-Test-Signature";
  reply.engine.engine_version = "ClamAV 1.4.6";
  reply.engine.signature_count = 8620001;
  reply.engine.database_version = 27000;
  std::string bytes = EncodeScanReply(reply);
  Result<ScanReply> back = DecodeScanReply(bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->result.threat, "Eicar-Test-Signature");
  EXPECT_EQ(back->engine.signature_count, 8620001u);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeScanReply(bytes.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeScanReply(bytes + "x").ok());
  std::string request = EncodeScanRequest({ScanOp::kMacros, "memo.doc"});
  ASSERT_TRUE(DecodeScanRequest(request).ok());
  request[4] = 9;  // no such operation
  EXPECT_FALSE(DecodeScanRequest(request).ok());
  // An "infected" verdict must name what was found.
  reply.result.threat.clear();
  EXPECT_FALSE(DecodeScanReply(EncodeScanReply(reply)).ok());
}

TEST(ScannerProcess, ScansForEveryConnectionOnOneEngine) {
  TempDir dir;
  ScannerProcess scanner(Options(dir, testing::SignaturesDir()), nullptr);
  ASSERT_TRUE(scanner.Start().ok());
  EXPECT_GT(scanner.StartInfo().signature_count, 0u);
  EXPECT_EQ(ScanThrough(scanner, "hello\n").outcome, ScanOutcome::kClean);
  ScanResult eicar = ScanThrough(scanner, testing::Eicar());
  EXPECT_EQ(eicar.outcome, ScanOutcome::kInfected);
  EXPECT_NE(eicar.threat.find("EICAR"), std::string::npos) << eicar.threat;
  // Many workers at once, one process.
  std::atomic<int> infected{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) {
        if (ScanThrough(scanner, testing::Eicar()).outcome == ScanOutcome::kInfected) ++infected;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(infected.load(), 40);
  EXPECT_EQ(scanner.CurrentInfo().signature_count, scanner.StartInfo().signature_count);
}

TEST(ScannerProcess, ARequestWithoutADescriptorIsRefused) {
  TempDir dir;
  ScannerProcess scanner(Options(dir, testing::SignaturesDir()), nullptr);
  ASSERT_TRUE(scanner.Start().ok());
  int conn = scanner.Connect();
  ASSERT_GE(conn, 0);
  ScanReply r = ScannerClient::Ask(conn, ScanOp::kScan, "x", -1);
  close(conn);
  EXPECT_EQ(r.result.outcome, ScanOutcome::kError);
}

TEST(ScannerProcess, ACrashFailsTheScansItHeldAndTheNextConnectionRestartsIt) {
  TempDir dir;
  ScannerProcess scanner(Options(dir, testing::SignaturesDir()), nullptr);
  ASSERT_TRUE(scanner.Start().ok());
  pid_t first = scanner.pid();
  int held = scanner.Connect();
  ASSERT_GE(held, 0);
  // One answer first: the scanner has taken this connection (it is not waiting in the
  // backlog, where a restarted scanner would serve it).
  int warm = SealedMemfd("hello\n");
  EXPECT_EQ(ScannerClient::Ask(held, ScanOp::kScan, "a.txt", warm).result.outcome,
            ScanOutcome::kClean);
  close(warm);
  ASSERT_EQ(kill(first, SIGKILL), 0);
  // The connection it held now answers nothing: the scan fails (and the node is blocked).
  int fd = SealedMemfd("hello\n");
  ScanReply lost = ScannerClient::Ask(held, ScanOp::kScan, "a.txt", fd);
  close(fd);
  close(held);
  EXPECT_EQ(lost.result.outcome, ScanOutcome::kError);
  // It is restarted at once, and scans again.
  for (int i = 0; i < 500 && scanner.pid() == first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ScanThrough(scanner, testing::Eicar()).outcome, ScanOutcome::kInfected);
  EXPECT_NE(scanner.pid(), first);
}

TEST(ScannerProcess, NoSignaturesIsAClearConfigError) {
  TempDir dir;
  std::filesystem::create_directories(dir / "empty-db");
  ScannerProcess scanner(Options(dir, dir / "empty-db"), nullptr);
  Status s = scanner.Start();
  EXPECT_EQ(s.code(), StatusCode::kConfig);
  EXPECT_NE(s.message().find("freshclam"), std::string::npos) << s.message();
}

TEST(ScannerProcess, ReloadsWhenTheSignaturesChangeWithoutFailingAScan) {
  TempDir dir;
  std::filesystem::copy(testing::SignaturesDir(), dir / "db");
  ScannerProcessOptions o = Options(dir, dir / "db");
  o.reload_check_seconds = 1;
  ScannerProcess scanner(o, nullptr);
  ASSERT_TRUE(scanner.Start().ok());
  uint32_t before = scanner.StartInfo().signature_count;
  const std::string marker = "mugai reload marker 7f3e2a\n";
  EXPECT_EQ(ScanThrough(scanner, marker).outcome, ScanOutcome::kClean);
  // A new hash signature for the marker, as freshclam would add one.
  testing::WriteFile(dir / "db/marker.hsb",
                     Sha256Hex(marker) + ":" + std::to_string(marker.size()) +
                         ":Mugai.Test.ReloadMarker\n");
  // Scans go on during the reload; none fails, and the new signature takes over.
  bool found = false;
  int errors = 0;
  for (int i = 0; i < 400 && !found; ++i) {
    ScanResult r = ScanThrough(scanner, marker);
    if (r.outcome == ScanOutcome::kError) ++errors;
    found = r.outcome == ScanOutcome::kInfected;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(found) << "the new signature was never loaded";
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(scanner.CurrentInfo().signature_count, before + 1);
}

TEST(SignatureFingerprint, ChangesWithTheFolder) {
  TempDir dir;
  testing::WriteFile(dir / "a.hdb", "x");
  std::string first = SignatureFingerprint(dir.path());
  EXPECT_EQ(first, SignatureFingerprint(dir.path()));
  testing::WriteFile(dir / "b.hdb", "y");
  EXPECT_NE(first, SignatureFingerprint(dir.path()));
  EXPECT_EQ(SignatureFingerprint(dir / "missing"), "");
}

}  // namespace
}  // namespace mugai
