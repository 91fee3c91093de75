// TOML configuration: defaults, overrides, and errors that name the file and line.
#include "gateway/service/config.h"

#include <gtest/gtest.h>

#include "gateway/service/limits.h"
#include "test_support.h"

namespace mugai {
namespace {

TEST(Config, DefaultsAreTheNamedConstants) {
  Config c;
  EXPECT_EQ(c.signatures, "/var/lib/clamav");
  EXPECT_EQ(c.max_input_bytes, limits::kMaxInputBytes);
  EXPECT_EQ(c.worker_wall_seconds, limits::kWorkerWallSeconds);
  EXPECT_EQ(c.html_links, LinkStyle::kDefang);
}

TEST(Config, OverridesKnownKeys) {
  Result<Config> c = ParseConfig(R"(
[paths]
signatures = "/srv/clamav"
state = "/var/lib/mugai"
[worker]
jobs = 4
wall_seconds = 30
[html]
links = "drop"
)", "test.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->signatures, "/srv/clamav");
  EXPECT_EQ(c->state_dir, "/var/lib/mugai");
  EXPECT_EQ(c->jobs, 4u);
  EXPECT_EQ(c->worker_wall_seconds, 30u);
  EXPECT_EQ(c->html_links, LinkStyle::kDrop);
  EXPECT_EQ(c->worker_cpu_seconds, limits::kWorkerCpuSeconds);  // untouched keys keep defaults
}

struct BadConfig {
  const char* toml;
  const char* message_part;
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, IsAnErrorNamingFileAndLine) {
  Result<Config> c = ParseConfig(GetParam().toml, "mugai.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kConfig);
  EXPECT_NE(c.status().message().find("mugai.toml:"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find(GetParam().message_part), std::string::npos)
      << c.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadConfigTest,
    ::testing::Values(BadConfig{"[paths]\nsignatrues = \"/x\"\n", "unknown key 'paths.signatrues'"},
                      BadConfig{"[nosuch]\nx = 1\n", "unknown table or key 'nosuch'"},
                      BadConfig{"[worker]\njobs = \"four\"\n", "expected an integer"},
                      BadConfig{"[worker]\nwall_seconds = 0\n", "out of range"},
                      BadConfig{"[worker]\njobs = 2.1e205\n", "expected an integer"},
                      BadConfig{"[watch]\nnotes = 1\n", "expected true or false"},
                      BadConfig{"[html]\nlinks = \"clickable\"\n", "\"defang\""},
                      BadConfig{"[paths\n", "mugai.toml:1"},
                      BadConfig{"paths = 3\n", "must be a table"}));

TEST(Config, MissingFileSaysSo) {
  Result<Config> c = LoadConfigFile("/nonexistent/mugai.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/mugai.toml"), std::string::npos);
}

TEST(Config, PrintedConfigParsesBackTheSame) {
  Config c;
  c.state_dir = "/var/lib/mugai \"quoted\"";
  c.jobs = 3;
  Result<Config> back = ParseConfig(ConfigToToml(c), "printed");
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << ConfigToToml(c);
  EXPECT_EQ(back->state_dir, c.state_dir);
  EXPECT_EQ(back->jobs, 3u);
}

TEST(Config, ExampleConfigIsValid) {
  Result<Config> c = LoadConfigFile(testing::FixturesDir() + "/../docs/mugai.example.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->state_dir, "/var/lib/mugai");
}

}  // namespace
}  // namespace mugai

namespace mugai {
namespace {

TEST(Config, ScratchDefaultsUnderTheState) {
  Config c;
  c.state_dir = "/var/lib/mugai";
  Result<Config> back = ParseConfig(ConfigToToml(c), "printed");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->scratch_dir, "/var/lib/mugai/tmp");
}

}  // namespace
}  // namespace mugai
