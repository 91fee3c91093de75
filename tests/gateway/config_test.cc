// TOML configuration: defaults, overrides, and errors that name the file and line.
#include "gateway/service/config.h"
#include "gateway/service/metrics.h"
#include "quarantine/syslog_sender.h"

#include <unistd.h>

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

namespace mugai {
namespace {

// Issue 18's keys: parsed, checked, printed back.
TEST(Config, OperationsKeys) {
  Result<Config> c = ParseConfig(
      "[scan]\nmax_signature_age_hours = 24\nstale_action = \"hold\"\n"
      "[service]\nmetrics_listen = \"\"\n"
      "[audit]\nsyslog_facility = \"local3\"\nsyslog_target = \"udp:192.0.2.1:514\"\n"
      "[roles]\nadmins = [\"kanri\"]\n",
      "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->scan_max_signature_age_hours, 24u);
  EXPECT_TRUE(c->scan_stale_hold);
  EXPECT_EQ(c->service_metrics_listen, "");
  EXPECT_EQ(c->audit_syslog_facility, "local3");
  EXPECT_EQ(c->role_admins, std::vector<std::string>{"kanri"});
  Config defaults;
  EXPECT_EQ(defaults.scan_max_signature_age_hours, 48u);
  EXPECT_FALSE(defaults.scan_stale_hold);
  EXPECT_EQ(defaults.service_metrics_listen, "127.0.0.1:9470");
  EXPECT_EQ(defaults.audit_syslog_facility, "");
  for (const char* bad : {"[audit]\nsyslog_facility = \"local9\"\n",
                          "[audit]\nsyslog_target = \"tcp:host:514\"\n",
                          "[scan]\nstale_action = \"block\"\n",
                          "[scan]\nmax_signature_age_hours = 0\n"}) {
    Result<Config> b = ParseConfig(bad, "bad.toml");
    EXPECT_FALSE(b.ok()) << bad;
    if (!b.ok()) EXPECT_NE(b.status().message().find("bad.toml:"), std::string::npos);
  }
}

TEST(SyslogSender, FormatsRfc5424WithTheRecordAsItsMessage) {
  EXPECT_EQ(SyslogFacilityCode("local0"), 16);
  EXPECT_EQ(SyslogFacilityCode("authpriv"), 10);
  EXPECT_EQ(SyslogFacilityCode("local8"), -1);
  Result<std::shared_ptr<SyslogSender>> s = SyslogSender::Open("auth", "unix:/nonexistent/log");
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::string line = s.value()->Format(6, "item processed", "{\"seq\":1}", 1796653000123);
  // auth (4) × 8 + 6 = 38; the MSGID loses its space; UTC with milliseconds; BOM; the record.
  EXPECT_EQ(line.rfind("<38>1 2026-12-07T14:16:40.123Z ", 0), 0u) << line;
  EXPECT_NE(line.find(" mugai " + std::to_string(getpid()) + " itemprocessed - \xEF\xBB\xBF{\"seq\":1}"),
            std::string::npos)
      << line;
  // A socket that is not there: counted, never blocking, never thrown.
  EXPECT_FALSE(s.value()->Send(6, "x", "y"));
  EXPECT_EQ(s.value()->failures(), 1u);
  // A log host that does not resolve is not a configuration error (DNS may be down during an
  // incident): its messages are counted as failures.
  Result<std::shared_ptr<SyslogSender>> unresolved =
      SyslogSender::Open("local0", "udp:no-such-host.invalid:514");
  ASSERT_TRUE(unresolved.ok());
  EXPECT_FALSE(unresolved.value()->Send(6, "x", "y"));
  EXPECT_EQ(unresolved.value()->failures(), 1u);
  EXPECT_FALSE(SyslogSender::Open("local0", "udp:loghost:syslog").ok());  // a port number
}

TEST(Metrics, RendersPrometheusTextWithEscapedLabels) {
  Metrics m;
  m.Declare("x_total", Metrics::Type::kCounter, "Things\nseen");
  m.Declare("d_seconds", Metrics::Type::kHistogram, "Durations");
  m.Add("x_total", {{"name", "a\"b\\c\nd"}}, 2);
  m.Observe("d_seconds", {}, 0.3);
  m.Observe("d_seconds", {}, 1000);
  std::string text = m.Render();
  EXPECT_NE(text.find("# HELP x_total Things\\nseen\n# TYPE x_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_total{name=\"a\\\"b\\\\c\\nd\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"0.25\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"0.5\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"120\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_count 2\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace mugai
