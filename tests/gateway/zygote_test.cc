// Workers come from the zygote, never from the supervisor: a worker holds no other item's
// bytes and no other item's password. A test-build probe job searches its own worker's whole
// memory for markers; it does find what the zygote really holds, which shows it can fail.
#include "gateway/sandbox/zygote_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/file_util.h"
#include "gateway/sandbox/worker_job.h"
#include "gateway/sandbox/worker_pool.h"
#include "test_support.h"

namespace mugai {
namespace {

std::string Xor(std::string s) {
  for (char& c : s) c = static_cast<char>(c ^ 0x5A);
  return s;
}

SandboxLimits Limits() { return SandboxLimits{1ULL << 30, 20, 20, 64, 64ULL << 20, 64ULL << 20}; }

// Runs `job` through `pool` (zygote mode) on `input` and returns its raw result.
WorkerOutcome RunJob(WorkerPool& pool, WorkerJob job, int input) {
  job.limits = pool.limits();
  job.scratch_root = pool.scratch_root();
  job.user_tasks = pool.user_tasks();
  job.namespaces = pool.namespaces();
  WorkerOutcome out;
  pool.SubmitJob(input, EncodeWorkerJob(job), [&out](WorkerOutcome o) { out = std::move(o); },
                 /*scanner=*/false);
  pool.Run();
  return out;
}

TEST(Zygote, AWorkerHoldsNoOtherItemsBytesOrPassword) {
  testing::TempDir dir;
  ZygoteClient zygote(testing::ZygoteBinary(), nullptr);
  Config config;
  ASSERT_TRUE(zygote.Start(config).ok());
  // Item A: its bytes and its password are in this (the supervisor's) memory, in its input,
  // and in its job, which goes through the zygote to A's worker.
  const std::string a_bytes = Xor(Xor("ITEM-A-CONTENT-7d1c0e9f-市民課"));
  const std::string a_password = Xor(Xor("PASSWORD-OF-A-5b2f61"));
  WorkerPool pool(Limits(), 2, dir.path());
  pool.SetZygote(&zygote);
  int a_input = SealedMemfd(a_bytes + "\n");
  WorkerJob a;
  a.kind = JobKind::kProcess;
  a.name = "a.txt";
  a.password = a_password;
  a.scanning = false;
  WorkerOutcome a_done = RunJob(pool, a, a_input);
  EXPECT_EQ(a_done.kind, WorkerOutcome::Kind::kCompleted) << a_done.detail;
  // Item B's worker, forked from the same zygote afterwards, looks for both.
  WorkerJob probe;
  probe.kind = JobKind::kMemoryProbe;
  probe.name = Xor("ITEM-A-CONTENT-7d1c0e9f") + "\n" + Xor("PASSWORD-OF-A-5b2f61");
  int b_input = SealedMemfd("item b\n");
  WorkerOutcome b = RunJob(pool, probe, b_input);
  ASSERT_EQ(b.kind, WorkerOutcome::Kind::kCompleted) << b.detail;
  EXPECT_EQ(b.untrusted_result, "absent absent ");
  close(a_input);
  close(b_input);
}

std::string Link(const char* path) {
  char buf[64] = {};
  return readlink(path, buf, sizeof buf - 1) < 0 ? "" : buf;
}

TEST(Zygote, WorkersRunInTheZygotesOwnNetworkAndMountNamespaces) {
  // The zygote enters them once; every worker it forks is in them (no interfaces, nothing
  // mounted shared with the host), not in the supervisor's.
  testing::TempDir dir;
  ZygoteClient zygote(testing::ZygoteBinary(), nullptr);
  ASSERT_TRUE(zygote.Start(Config{}).ok());
  WorkerPool pool(Limits(), 1, dir.path());
  pool.SetZygote(&zygote);
  if (!pool.namespaces()) GTEST_SKIP() << "this kernel lets no one enter namespaces";
  WorkerJob probe;
  probe.kind = JobKind::kMemoryProbe;
  probe.name = "namespaces?";
  std::string seen[2];
  for (auto& s : seen) {
    int input = SealedMemfd("x\n");
    WorkerOutcome out = RunJob(pool, probe, input);
    close(input);
    ASSERT_EQ(out.kind, WorkerOutcome::Kind::kCompleted) << out.detail;
    s = out.untrusted_result;
  }
  EXPECT_NE(seen[0].find("net:["), std::string::npos) << seen[0];
  EXPECT_EQ(seen[0].find(Link("/proc/self/ns/net")), std::string::npos) << seen[0];
  EXPECT_EQ(seen[0].find(Link("/proc/self/ns/mnt")), std::string::npos) << seen[0];
  EXPECT_EQ(seen[0], seen[1]) << "each worker entered namespaces of its own again";
}

TEST(Zygote, TheProbeFindsWhatItsWorkerDoesHold) {
  // A string the zygote does hold (its own help text): the probe must find it, or its
  // "absent" above would prove nothing.
  testing::TempDir dir;
  ZygoteClient zygote(testing::ZygoteBinary(), nullptr);
  ASSERT_TRUE(zygote.Start(Config{}).ok());
  WorkerPool pool(Limits(), 1, dir.path());
  pool.SetZygote(&zygote);
  WorkerJob probe;
  probe.kind = JobKind::kMemoryProbe;
  probe.name = Xor("mugai's worker zygote");
  int input = SealedMemfd("x\n");
  WorkerOutcome out = RunJob(pool, probe, input);
  ASSERT_EQ(out.kind, WorkerOutcome::Kind::kCompleted) << out.detail;
  EXPECT_EQ(out.untrusted_result, "found ");
  close(input);
}

TEST(Zygote, AMalformedJobFailsItsWorkerAndNotTheZygote) {
  testing::TempDir dir;
  ZygoteClient zygote(testing::ZygoteBinary(), nullptr);
  ASSERT_TRUE(zygote.Start(Config{}).ok());
  WorkerPool pool(Limits(), 1, dir.path());
  pool.SetZygote(&zygote);
  int input = SealedMemfd("x\n");
  WorkerOutcome bad;
  pool.SubmitJob(input, "MGJ1 not a job", [&bad](WorkerOutcome o) { bad = std::move(o); }, false);
  pool.Run();
  EXPECT_EQ(bad.kind, WorkerOutcome::Kind::kCrashed) << bad.detail;
  // The zygote is still there for the next one.
  WorkerJob ok;
  ok.kind = JobKind::kProcess;
  ok.name = "x.txt";
  ok.scanning = false;
  WorkerOutcome good = RunJob(pool, ok, input);
  EXPECT_EQ(good.kind, WorkerOutcome::Kind::kCompleted) << good.detail;
  close(input);
}

TEST(Zygote, AMissingZygoteIsAClearError) {
  ZygoteClient zygote("/nonexistent/mugai-zygote", nullptr);
  Status s = zygote.Start(Config{});
  EXPECT_EQ(s.code(), StatusCode::kConfig);
  EXPECT_NE(s.message().find("MUGAI_ZYGOTE"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace mugai
