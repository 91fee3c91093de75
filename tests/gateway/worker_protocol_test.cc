// The supervisor's decoder treats worker bytes as hostile.
#include "gateway/sandbox/worker_protocol.h"

#include <gtest/gtest.h>

namespace mugai {
namespace {

WorkerResult Sample() {
  WorkerResult r;
  r.verdict = Verdict::kSanitized;
  r.family = TypeFamily::kHtml;
  r.detected_type = "text/html";
  r.charset = "UTF-8";
  r.actions = {{"converted", "HTML to text"}, {"removed", "script: 2"}};
  r.has_output = true;
  r.output_type = "text/plain; charset=utf-8";
  r.output = "hello\n";
  return r;
}

TEST(WorkerProtocol, RoundTrips) {
  Result<WorkerResult> d = DecodeWorkerResult(EncodeWorkerResult(Sample()), 1 << 20);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->verdict, Verdict::kSanitized);
  EXPECT_EQ(d->family, TypeFamily::kHtml);
  EXPECT_EQ(d->actions.size(), 2u);
  EXPECT_EQ(d->actions[1].detail, "script: 2");
  EXPECT_EQ(d->output, "hello\n");
}

TEST(WorkerProtocol, EveryTruncationIsRejected) {
  std::string bytes = EncodeWorkerResult(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeWorkerResult(bytes.substr(0, n), 1 << 20).ok()) << "length " << n;
  }
}

TEST(WorkerProtocol, TrailingBytesAreRejected) {
  EXPECT_FALSE(DecodeWorkerResult(EncodeWorkerResult(Sample()) + "x", 1 << 20).ok());
}

TEST(WorkerProtocol, OutputOverTheLimitIsRejected) {
  EXPECT_FALSE(DecodeWorkerResult(EncodeWorkerResult(Sample()), 3).ok());
}

TEST(WorkerProtocol, OutOfRangeEnumsAreRejected) {
  std::string bytes = EncodeWorkerResult(Sample());
  std::string bad = bytes;
  bad[4] = 9;  // verdict
  EXPECT_FALSE(DecodeWorkerResult(bad, 1 << 20).ok());
  bad = bytes;
  bad[5] = 99;  // family
  EXPECT_FALSE(DecodeWorkerResult(bad, 1 << 20).ok());
  bad = bytes;
  bad[6] = static_cast<char>(Reason::kWorkerCrashed);  // a supervisor-only reason
  EXPECT_FALSE(DecodeWorkerResult(bad, 1 << 20).ok());
}

TEST(WorkerProtocol, InconsistentVerdictsAreRejected) {
  WorkerResult infected_but_clean;
  infected_but_clean.verdict = Verdict::kClean;
  infected_but_clean.threats = {{"clamav", "Eicar"}};
  EXPECT_FALSE(DecodeWorkerResult(EncodeWorkerResult(infected_but_clean), 100).ok());

  WorkerResult blocked_without_reason;
  blocked_without_reason.verdict = Verdict::kBlocked;
  EXPECT_FALSE(DecodeWorkerResult(EncodeWorkerResult(blocked_without_reason), 100).ok());

  WorkerResult clean_with_output;
  clean_with_output.verdict = Verdict::kClean;
  clean_with_output.has_output = true;
  EXPECT_FALSE(DecodeWorkerResult(EncodeWorkerResult(clean_with_output), 100).ok());

  WorkerResult sanitized_without_output;
  sanitized_without_output.verdict = Verdict::kSanitized;
  EXPECT_FALSE(DecodeWorkerResult(EncodeWorkerResult(sanitized_without_output), 100).ok());
}

TEST(WorkerProtocol, HugeDeclaredLengthIsRejected) {
  std::string bytes = "MGW1";
  bytes += '\x01';
  bytes += '\x02';
  bytes += '\x00';
  bytes += std::string("\xff\xff\xff\xff", 4);  // detected_type length 4 GiB
  EXPECT_FALSE(DecodeWorkerResult(bytes, 1 << 20).ok());
}

}  // namespace
}  // namespace mugai
