// A GoogleTest fixture for end-to-end tests of `mugai sanitize`: a temporary folder holding
// the state (state/), the outputs (out/) and the JSON report (report.json), read back after
// each run.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.h"

namespace mugai::testing {

class SanitizeFixture : public ::testing::Test {
 protected:
  // Runs `mugai sanitize` on `inputs` with the test signatures, `extra` options first.
  RunResult Sanitize(const std::vector<std::string>& inputs, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {MugaiBinary(), "sanitize", "--quiet",
                                     "--signatures", SignaturesDir(),
                                     "--state", dir_ / "state", "--out", dir_ / "out",
                                     "--report", dir_ / "report.json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), inputs.begin(), inputs.end());
    RunResult r = mugai::testing::Run(argv);
    report_ = nlohmann::json::parse(ReadFile(dir_ / "report.json"));
    return r;
  }
  const nlohmann::json& Item(size_t i = 0) const { return report_["items"][i]; }
  // The item's reason code, "" when it has none.
  std::string Reason(size_t i = 0) const {
    return Item(i)["reason"].is_null() ? "" : Item(i)["reason"]["code"].get<std::string>();
  }

  TempDir dir_;
  nlohmann::json report_;
};

}  // namespace mugai::testing
