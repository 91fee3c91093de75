// Worker processes: results come back; crashes, memory exhaustion, hangs and oversized
// results are reported as such and the supervisor survives.
#include "gateway/worker_pool.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstring>

namespace mugai {
namespace {

SandboxLimits Limits() { return SandboxLimits{256u << 20, 10, 2, 64, 16u << 20, 1u << 20}; }

WorkerOutcome RunOne(WorkerFunction fn, SandboxLimits limits = Limits()) {
  WorkerPool pool(limits, 1);
  WorkerOutcome out;
  pool.Submit(0, std::move(fn), [&out](WorkerOutcome o) { out = std::move(o); });
  pool.Run();
  return out;
}

TEST(WorkerPool, ReturnsTheResultBytes) {
  WorkerOutcome o = RunOne([](int) { return std::string("result bytes"); });
  EXPECT_EQ(o.kind, WorkerOutcome::Kind::kCompleted);
  EXPECT_EQ(o.untrusted_result, "result bytes");
}

TEST(WorkerPool, WorkerRunsInAnotherProcess) {
  pid_t parent = getpid();
  WorkerOutcome o = RunOne([](int) { return std::to_string(getpid()); });
  EXPECT_NE(o.untrusted_result, std::to_string(parent));
}

TEST(WorkerPool, CrashIsReported) {
  WorkerOutcome o = RunOne([](int) -> std::string {
    raise(SIGSEGV);
    return "";
  });
  EXPECT_EQ(o.kind, WorkerOutcome::Kind::kCrashed);
  EXPECT_EQ(o.signal, SIGSEGV);
}

TEST(WorkerPool, MemoryLimitIsEnforced) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS is not applied under AddressSanitizer";
#endif
  WorkerOutcome o = RunOne([](int) -> std::string {
    std::string hog;
    for (;;) hog.append(std::string(16u << 20, 'x'));
  });
  EXPECT_EQ(o.kind, WorkerOutcome::Kind::kOutOfMemory) << o.detail;
}

TEST(WorkerPool, DeadlineKillsAHang) {
  WorkerOutcome o = RunOne([](int) -> std::string {
    for (;;) pause();
  });
  EXPECT_EQ(o.kind, WorkerOutcome::Kind::kTimedOut);
  EXPECT_NE(o.detail.find("deadline"), std::string::npos);
}

TEST(WorkerPool, CpuLimitKillsASpin) {
  SandboxLimits l = Limits();
  l.cpu_seconds = 1;
  l.wall_seconds = 30;
  WorkerOutcome o = RunOne([](int) -> std::string {
    volatile unsigned long x = 0;
    for (;;) x = x + 1;
  }, l);
  EXPECT_EQ(o.kind, WorkerOutcome::Kind::kTimedOut) << o.detail;
}

TEST(WorkerPool, OversizedResultIsRejected) {
  WorkerOutcome o = RunOne([](int) { return std::string(4u << 20, 'x'); });
  EXPECT_EQ(o.kind, WorkerOutcome::Kind::kResultTooLarge);
}

TEST(WorkerPool, NonZeroExitIsACrash) {
  WorkerOutcome o = RunOne([](int) -> std::string { _exit(9); });
  EXPECT_EQ(o.kind, WorkerOutcome::Kind::kCrashed);
  EXPECT_EQ(o.exit_code, 9);
}

TEST(WorkerPool, RunsManyJobsInParallelAndCallbacksMaySubmit) {
  WorkerPool pool(Limits(), 2);
  int done = 0, chained = 0;
  for (int i = 0; i < 20; ++i) {
    pool.Submit(0, [i](int) { return std::to_string(i); },
                [&, i](WorkerOutcome o) {
                  EXPECT_EQ(o.untrusted_result, std::to_string(i));
                  ++done;
                  pool.Submit(0, [](int) { return std::string("c"); },
                              [&](WorkerOutcome) { ++chained; });
                });
  }
  pool.Run();
  EXPECT_EQ(done, 20);
  EXPECT_EQ(chained, 20);
}

TEST(WorkerPool, WorkerCannotSeeOtherDescriptors) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int probe = fds[0];
  WorkerOutcome o = RunOne([probe](int) {
    return std::string(fcntl(probe, F_GETFD) < 0 ? "closed" : "open");
  });
  EXPECT_EQ(o.untrusted_result, "closed");
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace mugai
