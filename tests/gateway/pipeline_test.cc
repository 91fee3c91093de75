// The pipeline in-process, with faults injected into its workers: every failure blocks the
// item, keeps the original in quarantine, writes nothing to the output folder, and the
// supervisor goes on to the next item.
#include "gateway/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_support.h"

namespace mugai {
namespace {

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.signatures = testing::SignaturesDir();
    config_.state_dir = state_ / "state";
    config_.worker_wall_seconds = 3;
    config_.worker_memory_bytes = 256u << 20;
    config_.jobs = 2;
    auto p = Pipeline::Create(config_, PipelineOptions{});
    ASSERT_TRUE(p.ok()) << p.status().message();
    pipeline_ = std::move(p.value());
    testing::WriteFile(in_ / "memo.txt", "予算要求の件\n");
  }
  void TearDown() override { SetWorkerFaultForTesting(WorkerFault::kNone); }

  NodeReport SanitizeOne(const std::string& name) {
    auto reports = pipeline_->Sanitize({ItemInput{in_ / name, name, "", "", "", false, -1, "", ""}}, out_.path());
    EXPECT_EQ(reports.size(), 1u);
    return reports.at(0);
  }

  testing::TempDir state_, in_, out_;
  Config config_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, CleanTextIsDeliveredByteIdentical) {
  NodeReport r = SanitizeOne("memo.txt");
  EXPECT_EQ(r.verdict, Verdict::kClean);
  EXPECT_EQ(testing::ReadFile(out_ / "memo.txt"), "予算要求の件\n");
  EXPECT_TRUE(r.quarantine_id.empty());
}

struct FaultCase {
  WorkerFault fault;
  Reason reason;
};

class PipelineFaultTest : public PipelineTest, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(PipelineFaultTest, BlocksQuarantinesAndSurvives) {
  SetWorkerFaultForTesting(GetParam().fault);
  NodeReport r = SanitizeOne("memo.txt");
  EXPECT_EQ(r.verdict, Verdict::kBlocked);
  EXPECT_EQ(r.reason, GetParam().reason) << ReasonCode(r.reason) << ": " << r.reason_detail;
  EXPECT_FALSE(r.reason_detail.empty());
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());
  // The original is in the blob store under its sha256, and indexed under the report's id.
  ASSERT_EQ(r.quarantine_id.rfind("q-", 0), 0u) << r.quarantine_id;
  std::string sha = Sha256Hex("予算要求の件\n");
  EXPECT_EQ(testing::ReadFile(config_.state_dir + "/quarantine/blobs/" + sha.substr(0, 2) + "/" +
                              sha),
            "予算要求の件\n");
  Result<QuarantineRecord> rec = pipeline_->index().Get(r.quarantine_id);
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  EXPECT_EQ(rec->sha256, sha);
  EXPECT_EQ(rec->verdict, "blocked");
  EXPECT_EQ(rec->entry_point, "cli");
  // The supervisor is fine: the next item goes through.
  SetWorkerFaultForTesting(WorkerFault::kNone);
  EXPECT_EQ(SanitizeOne("memo.txt").verdict, Verdict::kClean);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, PipelineFaultTest,
    ::testing::Values(FaultCase{WorkerFault::kCrash, Reason::kWorkerCrashed},
#if !defined(__SANITIZE_ADDRESS__)
                      FaultCase{WorkerFault::kExhaustMemory, Reason::kWorkerMemory},
#endif
                      FaultCase{WorkerFault::kHang, Reason::kWorkerTimeout},
                      FaultCase{WorkerFault::kGarbage, Reason::kWorkerProtocol}));

TEST_F(PipelineTest, FailedVerifyBlocksTheConvertedOutput) {
  // HTML whose text is itself EICAR: the converter produces it, the verifier must stop it.
  // (EICAR inside HTML is already caught by the first scan, so split it with a tag that the
  // converter removes; libclamav normalises HTML too, so this checks whichever catches it.)
  std::string eicar = testing::Eicar();
  testing::WriteFile(in_ / "split.html", "<html><body><p>" + eicar.substr(0, 20) +
                                             "<script>x</script>" + eicar.substr(20) +
                                             "</p></body></html>");
  NodeReport r = SanitizeOne("split.html");
  EXPECT_EQ(r.verdict, Verdict::kBlocked);
  EXPECT_TRUE(r.reason == Reason::kVerifyFailed || r.reason == Reason::kMalware)
      << ReasonCode(r.reason);
  EXPECT_FALSE(r.threats.empty());
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());
}

TEST_F(PipelineTest, InputOverTheLimitIsBlockedWithoutReading) {
  config_.max_input_bytes = 4;
  auto p = Pipeline::Create(config_, PipelineOptions{});
  ASSERT_TRUE(p.ok());
  auto reports = p.value()->Sanitize({ItemInput{in_ / "memo.txt", "memo.txt", "", "", "", false, -1, "", ""}}, out_.path());
  EXPECT_EQ(reports[0].verdict, Verdict::kBlocked);
  EXPECT_EQ(reports[0].reason, Reason::kInputTooLarge);
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());
}

TEST_F(PipelineTest, UnwritableQuarantineFailsClosed) {
  config_.state_dir = state_ / "state2";
  auto p = Pipeline::Create(config_, PipelineOptions{});
  ASSERT_TRUE(p.ok());
  // Make the blob folder impossible to create: a file where the folder should be.
  testing::WriteFile(config_.state_dir + "/quarantine/blobs", "not a folder");
  testing::WriteFile(in_ / "page.html", "<html><body><p>hello</p></body></html>");
  auto reports = p.value()->Sanitize({ItemInput{in_ / "page.html", "page.html", "", "", "", false, -1, "", ""}}, out_.path());
  EXPECT_EQ(reports[0].verdict, Verdict::kBlocked);
  EXPECT_EQ(reports[0].reason, Reason::kQuarantineFailed);
  EXPECT_TRUE(reports[0].internal_failure);
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());  // nothing delivered unkept
}

TEST_F(PipelineTest, OutputNameCollisionsKeepBoth) {
  testing::WriteFile(out_ / "memo.txt", "already here");
  NodeReport r = SanitizeOne("memo.txt");
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].name, "memo (1).txt");
  EXPECT_EQ(testing::ReadFile(out_ / "memo.txt"), "already here");
}

TEST_F(PipelineTest, RefusesToStartWithoutSignatures) {
  testing::TempDir empty;
  config_.signatures = empty.path();
  auto p = Pipeline::Create(config_, PipelineOptions{});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kConfig);
  PipelineOptions allow;
  allow.allow_no_signatures = true;
  auto demo = Pipeline::Create(config_, allow);
  ASSERT_TRUE(demo.ok());
  EXPECT_FALSE(demo.value()->scanning_enabled());
}

}  // namespace
}  // namespace mugai

#include "gateway/cli/sanitize_command.h"

namespace mugai {
namespace {

// The contract's exit status for an injected worker failure, through the real command.
class SanitizeCommandFaultTest : public ::testing::TestWithParam<WorkerFault> {};

TEST_P(SanitizeCommandFaultTest, WorkerFailureExitsOneAndDeliversNothing) {
  testing::TempDir dir;
  testing::WriteFile(dir / "memo.txt", "hello\n");
  testing::WriteFile(dir / "page.html", "<p>hello</p>");
  SetWorkerFaultForTesting(GetParam());
  std::vector<std::string> args = {"--quiet", "--signatures", testing::SignaturesDir(),
                                   "--state", dir / "state", "--out", dir / "out",
                                   "--config", dir / "fast.toml",
                                   dir / "memo.txt", dir / "page.html"};
  testing::WriteFile(dir / "fast.toml", "[worker]\nwall_seconds = 2\nmemory_bytes = 268435456\n");
  int rc = RunSanitizeCommand(args);
  SetWorkerFaultForTesting(WorkerFault::kNone);
  EXPECT_EQ(rc, kExitBlocked);
  EXPECT_TRUE(testing::ListFiles(dir / "out").empty());
  // The supervisor is still usable in the same process.
  EXPECT_EQ(RunSanitizeCommand(args), kExitDelivered);
}

INSTANTIATE_TEST_SUITE_P(Faults, SanitizeCommandFaultTest,
                         ::testing::Values(WorkerFault::kCrash,
#if !defined(__SANITIZE_ADDRESS__)
                                           WorkerFault::kExhaustMemory,
#endif
                                           WorkerFault::kHang, WorkerFault::kGarbage));

}  // namespace
}  // namespace mugai
