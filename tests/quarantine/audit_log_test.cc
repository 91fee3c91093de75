// Audit log: record format and chain, tamper detection (table-driven, each naming the first
// bad record), fail-closed appends, retention with checkpoints, two writers, export.
#include "quarantine/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "test_support.h"

namespace mugai {
namespace {

constexpr int64_t kNow = 1780000000;  // 2026-05-28T20:26:40Z

struct FakeClock {
  int64_t now = kNow;
  Clock fn() {
    return [this] { return now; };
  }
};

AuditEntry Entry(int i, const std::string& actor = "mugai") {
  AuditEntry e;
  e.event = AuditEvent::kQuarantined;
  e.actor = actor;
  e.item_id = "q-" + std::string(15, '0') + std::to_string(i % 10);
  e.details = {{"name", "請求書" + std::to_string(i) + ".pdf"},
               {"from", "taro.yamada@example.jp"},
               {"subject", "会議資料"},
               {"n", i}};
  return e;
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(testing::ReadFile(path));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  testing::WriteFile(path, text);
}

void AppendN(AuditLog& log, int n, const std::string& actor = "mugai") {
  for (int i = 0; i < n; ++i) {
    Result<uint64_t> seq = log.Append(Entry(i, actor));
    ASSERT_TRUE(seq.ok()) << seq.status().message();
  }
}

AuditVerifyResult VerifyOk(const AuditLog& log, bool with_archives = false) {
  Result<AuditVerifyResult> v = log.Verify(with_archives);
  EXPECT_TRUE(v.ok()) << v.status().message();
  if (!v.ok()) return {};
  EXPECT_TRUE(v->ok()) << v->problem->file << ":" << v->problem->line << " seq " << v->problem->seq
                       << ": " << v->problem->what;
  return v.value();
}

TEST(AuditLog, RecordsAreChainedJsonLines) {
  testing::TempDir dir;
  FakeClock clock;
  AuditLog log(dir.path(), clock.fn());
  AppendN(log, 3);
  std::vector<std::string> lines = Lines(log.log_path());
  ASSERT_EQ(lines.size(), 3u);
  nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(lines[0].rfind(R"({"seq":1,"time":"2026-05-28T20:26:40Z","event":"quarantined",)", 0),
            0u)
      << lines[0];
  EXPECT_EQ(first["actor"], "mugai");
  EXPECT_EQ(first["item_id"], "q-0000000000000000");
  EXPECT_EQ(first["details"]["name"], "請求書0.pdf");  // UTF-8 kept as is
  EXPECT_EQ(first["prev"], std::string(kAuditGenesisHash));
  for (size_t i = 1; i < lines.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j["seq"], i + 1);
    EXPECT_EQ(j["prev"], Sha256Hex(lines[i - 1]));
  }
  nlohmann::json head = nlohmann::json::parse(testing::ReadFile(log.head_path()));
  EXPECT_EQ(head["seq"], 3);
  EXPECT_EQ(head["hash"], Sha256Hex(lines[2]));
  for (const std::string& path : {log.log_path(), log.head_path()}) {
    struct stat st;
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  AuditVerifyResult v = VerifyOk(log);
  EXPECT_EQ(v.records, 3u);
  EXPECT_EQ(v.first_seq, 1u);
  EXPECT_EQ(v.last_seq, 3u);
  EXPECT_EQ(v.last_hash, Sha256Hex(lines[2]));
}

TEST(AuditLog, VerifyOnAnEmptyStateIsGreen) {
  testing::TempDir dir;
  AuditVerifyResult v = VerifyOk(AuditLog(dir.path()));
  EXPECT_EQ(v.records, 0u);
}

TEST(AuditLog, AppendRefusesBadEntries) {
  testing::TempDir dir;
  AuditLog log(dir.path());
  AuditEntry e = Entry(1);
  e.details = nlohmann::json::array();
  EXPECT_EQ(log.Append(e).status().code(), StatusCode::kInvalidArgument);
  e = Entry(1);
  e.event = AuditEvent::kCheckpoint;
  EXPECT_EQ(log.Append(e).status().code(), StatusCode::kInvalidArgument);
  e = Entry(1);
  e.details = {{"blob", std::string(kAuditMaxRecordBytes, 'x')}};
  EXPECT_EQ(log.Append(e).status().code(), StatusCode::kLimit);
  e = Entry(1);
  e.actor = "bad\xff utf-8";  // replaced, never thrown on
  EXPECT_TRUE(log.Append(e).ok());
  VerifyOk(log);
}

TEST(AuditLog, AppendFailsWhenTheStateCannotBeWritten) {
  AuditLog log("/proc/mugai-cannot-write-here");
  EXPECT_FALSE(log.Append(Entry(1)).ok());
}

// Six records, then one change to the files; Verify must name the first bad record.
struct Tamper {
  const char* name;
  std::function<void(std::vector<std::string>&)> edit;
  uint64_t line;
  uint64_t seq;
  const char* says;
};

void Replace(std::string& s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
}

TEST(AuditLog, VerifyNamesTheFirstBadRecord) {
  using L = std::vector<std::string>;
  const Tamper kCases[] = {
      {"edited middle record", [](L& l) { Replace(l[2], "taro.yamada", "jiro.yamada"); }, 3, 3,
       "edited"},
      {"edited first record", [](L& l) { Replace(l[0], "\"mugai\"", "\"admin\""); }, 1, 1,
       "edited"},
      {"edited last record", [](L& l) { Replace(l[5], "会議資料", "議事録"); }, 6, 6, "audit.head"},
      {"deleted middle record", [](L& l) { l.erase(l.begin() + 2); }, 3, 4, "deleted"},
      {"deleted last record", [](L& l) { l.pop_back(); }, 6, 6, "end was removed"},
      {"deleted two last records", [](L& l) { l.resize(4); }, 5, 5, "end was removed"},
      {"deleted first record", [](L& l) { l.erase(l.begin()); }, 1, 2, "removed from the start"},
      {"inserted copy", [](L& l) { l.insert(l.begin() + 2, l[1]); }, 3, 2, "inserted"},
      {"reordered pair", [](L& l) { std::swap(l[2], l[3]); }, 3, 4, "seq 4 where 3"},
      {"bad JSON", [](L& l) { l[3].resize(l[3].size() / 2); }, 4, 4, "bad JSON"},
      {"missing field", [](L& l) { Replace(l[3], "\"actor\"", "\"actr\""); }, 4, 4, "'actor'"},
  };
  for (const Tamper& c : kCases) {
    SCOPED_TRACE(c.name);
    testing::TempDir dir;
    AuditLog log(dir.path());
    AppendN(log, 6);
    std::vector<std::string> lines = Lines(log.log_path());
    c.edit(lines);
    WriteLines(log.log_path(), lines);
    Result<AuditVerifyResult> v = log.Verify();
    ASSERT_TRUE(v.ok()) << v.status().message();
    ASSERT_FALSE(v->ok());
    const AuditProblem& p = *v->problem;
    EXPECT_EQ(p.file, log.log_path());
    EXPECT_EQ(p.line, c.line) << p.what;
    EXPECT_EQ(p.seq, c.seq) << p.what;
    EXPECT_NE(p.what.find(c.says), std::string::npos) << p.what;
  }
}

TEST(AuditLog, VerifyReportsACutShortRecordAndAMissingHead) {
  testing::TempDir dir;
  AuditLog log(dir.path());
  AppendN(log, 3);
  std::string text = testing::ReadFile(log.log_path());
  testing::WriteFile(log.log_path(), text.substr(0, text.size() - 10));
  Result<AuditVerifyResult> v = log.Verify();
  ASSERT_TRUE(v.ok());
  ASSERT_FALSE(v->ok());
  EXPECT_EQ(v->problem->line, 3u);
  EXPECT_NE(v->problem->what.find("cut short"), std::string::npos);

  testing::WriteFile(log.log_path(), text);
  VerifyOk(log);
  ASSERT_EQ(unlink(log.head_path().c_str()), 0);
  v = log.Verify();
  ASSERT_TRUE(v.ok());
  ASSERT_FALSE(v->ok());
  EXPECT_EQ(v->problem->file, log.head_path());
  EXPECT_NE(v->problem->what.find("audit.head is missing"), std::string::npos);
}

TEST(AuditLog, AppendRefusesToSealATamperedEnd) {
  struct Case {
    const char* name;
    std::function<void(const AuditLog&)> tamper;
  };
  const Case kCases[] = {
      {"last record edited",
       [](const AuditLog& log) {
         std::vector<std::string> l = Lines(log.log_path());
         Replace(l.back(), "taro", "hanako");
         WriteLines(log.log_path(), l);
       }},
      {"last record deleted",
       [](const AuditLog& log) {
         std::vector<std::string> l = Lines(log.log_path());
         l.pop_back();
         WriteLines(log.log_path(), l);
       }},
      {"log emptied", [](const AuditLog& log) { testing::WriteFile(log.log_path(), ""); }},
      {"last record cut short",
       [](const AuditLog& log) {
         std::string t = testing::ReadFile(log.log_path());
         testing::WriteFile(log.log_path(), t.substr(0, t.size() - 5));
       }},
      {"head removed", [](const AuditLog& log) { unlink(log.head_path().c_str()); }},
      {"head garbled", [](const AuditLog& log) { testing::WriteFile(log.head_path(), "{"); }},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    testing::TempDir dir;
    AuditLog log(dir.path());
    AppendN(log, 4);
    c.tamper(log);
    std::string before = testing::ReadFile(log.log_path());
    Result<uint64_t> seq = log.Append(Entry(5));
    ASSERT_FALSE(seq.ok());
    EXPECT_NE(seq.status().message().find("run audit verify"), std::string::npos)
        << seq.status().message();
    EXPECT_EQ(testing::ReadFile(log.log_path()), before);
  }
}

TEST(AuditLog, HeadOneBehindAfterACrashIsTolerated) {
  testing::TempDir dir;
  AuditLog log(dir.path());
  AppendN(log, 3);
  std::string head_after_two;
  {
    std::vector<std::string> l = Lines(log.log_path());
    head_after_two = nlohmann::json{{"seq", 2}, {"hash", Sha256Hex(l[1])}}.dump();
  }
  // Killed after the record was written and fsync'd, before audit.head was replaced.
  testing::WriteFile(log.head_path(), head_after_two);
  VerifyOk(log);
  ASSERT_TRUE(log.Append(Entry(4)).ok());
  EXPECT_EQ(VerifyOk(log).last_seq, 4u);
}

TEST(AuditLog, RetentionPurgeKeepsVerifyGreen) {
  testing::TempDir dir;
  FakeClock clock;
  clock.now = kNow - 4 * 365 * 86400;
  AuditLog log(dir.path(), clock.fn());
  AppendN(log, 5);  // four years old
  clock.now = kNow - 86400;
  AppendN(log, 3);  // yesterday
  clock.now = kNow;
  Result<AuditPurgeResult> purge = log.Purge(kAuditRetentionDays, "ops-admin");
  ASSERT_TRUE(purge.ok()) << purge.status().message();
  EXPECT_EQ(purge->removed, 5u);
  EXPECT_EQ(purge->kept, 4u);  // three records and the checkpoint
  EXPECT_EQ(purge->archive, "audit-20220529-1-5.log.archived");
  EXPECT_EQ(Lines(dir / purge->archive).size(), 5u);

  std::vector<std::string> lines = Lines(log.log_path());
  ASSERT_EQ(lines.size(), 4u);
  nlohmann::json checkpoint = nlohmann::json::parse(lines.back());
  EXPECT_EQ(checkpoint["event"], "checkpoint");
  EXPECT_EQ(checkpoint["seq"], 9);
  EXPECT_EQ(checkpoint["actor"], "ops-admin");
  EXPECT_EQ(checkpoint["details"]["removed_last_seq"], 5);
  EXPECT_EQ(checkpoint["details"]["removed_count"], 5);
  EXPECT_EQ(checkpoint["details"]["removed_last_hash"], nlohmann::json::parse(lines[0])["prev"]);

  AuditVerifyResult v = VerifyOk(log);
  EXPECT_EQ(v.first_seq, 6u);
  EXPECT_EQ(v.last_seq, 9u);
  AuditVerifyResult all = VerifyOk(log, /*with_archives=*/true);
  EXPECT_EQ(all.first_seq, 1u);
  EXPECT_EQ(all.records, 9u);

  ASSERT_TRUE(log.Append(Entry(10)).ok());
  EXPECT_EQ(VerifyOk(log).last_seq, 10u);

  // A second purge, years later, removes everything including the first checkpoint.
  clock.now = kNow + 4 * 365 * 86400;
  purge = log.Purge(kAuditRetentionDays, "ops-admin");
  ASSERT_TRUE(purge.ok()) << purge.status().message();
  EXPECT_EQ(purge->removed, 5u);
  EXPECT_EQ(Lines(log.log_path()).size(), 1u);
  EXPECT_EQ(VerifyOk(log).first_seq, 11u);
  EXPECT_EQ(VerifyOk(log, true).records, 11u);
  // Dropping the oldest archive is allowed (the next segment starts at a checkpoint)...
  ASSERT_EQ(unlink((dir / "audit-20220529-1-5.log.archived").c_str()), 0);
  EXPECT_EQ(VerifyOk(log, true).first_seq, 6u);
  // ...but removing the checkpoint that covers the log's start is detected.
  testing::WriteFile(log.log_path(), "");
  Result<AuditVerifyResult> gone = log.Verify();
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->ok());
}

TEST(AuditLog, PurgeWithNothingOldIsANoOpAndRefusesATamperedLog) {
  testing::TempDir dir;
  FakeClock clock;
  AuditLog log(dir.path(), clock.fn());
  AppendN(log, 3);
  std::string before = testing::ReadFile(log.log_path());
  Result<AuditPurgeResult> purge = log.Purge(kAuditRetentionDays, "ops-admin");
  ASSERT_TRUE(purge.ok());
  EXPECT_EQ(purge->removed, 0u);
  EXPECT_EQ(purge->archive, "");
  EXPECT_EQ(testing::ReadFile(log.log_path()), before);

  std::vector<std::string> l = Lines(log.log_path());
  Replace(l[0], "taro", "hanako");
  WriteLines(log.log_path(), l);
  clock.now += 4 * 365 * 86400;
  purge = log.Purge(kAuditRetentionDays, "ops-admin");
  ASSERT_FALSE(purge.ok());
  EXPECT_NE(purge.status().message().find("line 1 (seq 1)"), std::string::npos)
      << purge.status().message();
}

TEST(AuditLog, TwoProcessesAppendingAtOnceKeepTheChain) {
  testing::TempDir dir;
  constexpr int kEach = 500;
  std::vector<pid_t> pids;
  for (int child = 0; child < 2; ++child) {
    pid_t pid = fork();
    if (pid == 0) {
      AuditLog log(dir.path());
      for (int i = 0; i < kEach; ++i) {
        if (!log.Append(Entry(i, "child-" + std::to_string(child))).ok()) _exit(1);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  AuditLog log(dir.path());
  AuditVerifyResult v = VerifyOk(log);
  EXPECT_EQ(v.records, 2u * kEach);
  EXPECT_EQ(v.last_seq, 2u * kEach);
  int child0 = 0;
  for (const std::string& line : Lines(log.log_path())) {
    child0 += nlohmann::json::parse(line)["actor"] == "child-0" ? 1 : 0;
  }
  EXPECT_EQ(child0, kEach);
}

TEST(AuditLog, ExportsJsonAndCsv) {
  testing::TempDir dir;
  FakeClock clock;
  AuditLog log(dir.path(), clock.fn());
  AppendN(log, 2);
  AuditEntry formula = Entry(3);
  formula.details["name"] = "=HYPERLINK(\"http://x\").csv";
  ASSERT_TRUE(log.Append(formula).ok());

  Result<std::string> json = log.Export(AuditExportFormat::kJson, /*redact=*/false);
  ASSERT_TRUE(json.ok()) << json.status().message();
  nlohmann::json array = nlohmann::json::parse(json.value());
  ASSERT_EQ(array.size(), 3u);
  EXPECT_EQ(array[0]["details"]["name"], "請求書0.pdf");
  EXPECT_EQ(array[1]["prev"], Sha256Hex(Lines(log.log_path())[0]));
  EXPECT_EQ(json->rfind(R"([{"seq":1,"time":)", 0), 0u);

  Result<std::string> csv = log.Export(AuditExportFormat::kCsv, /*redact=*/false);
  ASSERT_TRUE(csv.ok());
  std::vector<std::string> rows;
  std::istringstream in(csv.value());
  for (std::string row; std::getline(in, row);) rows.push_back(row);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], "seq,time,event,actor,item_id,details,prev\r");
  EXPECT_EQ(rows[1].rfind("1,\"2026-05-28T20:26:40Z\",\"quarantined\",\"mugai\",", 0), 0u);
  EXPECT_NE(rows[1].find("\"\"name\"\":\"\"請求書0.pdf\"\""), std::string::npos) << rows[1];

  Result<std::string> redacted = log.Export(AuditExportFormat::kJson, /*redact=*/true);
  ASSERT_TRUE(redacted.ok());
  nlohmann::json r = nlohmann::json::parse(redacted.value());
  EXPECT_EQ(r[0]["details"]["name"], "***.pdf");
  EXPECT_EQ(r[0]["details"]["from"], "***@example.jp");
  EXPECT_EQ(r[0]["details"]["subject"], "***");
  EXPECT_EQ(r[0]["details"]["n"], 0);
  EXPECT_EQ(r[0]["actor"], "mugai");
  EXPECT_EQ(redacted->find("taro"), std::string::npos);
  EXPECT_EQ(redacted->find("請求書"), std::string::npos);
  EXPECT_EQ(redacted->find("会議資料"), std::string::npos);
}

TEST(AuditLog, CsvCellsCannotRunAsFormulas) {
  testing::TempDir dir;
  AuditLog log(dir.path());
  AuditEntry e = Entry(1);
  e.actor = "=cmd|' /C calc'!A0";
  ASSERT_TRUE(log.Append(e).ok());
  Result<std::string> csv = log.Export(AuditExportFormat::kCsv, false);
  ASSERT_TRUE(csv.ok());
  EXPECT_NE(csv->find(",\"'=cmd|' /C calc'!A0\","), std::string::npos) << csv.value();
}

TEST(AuditLog, RedactionMasksMailAddressesSubjectsAndFileNames) {
  nlohmann::json details = {
      {"from", "Taro Yamada <taro.yamada+lg@example.jp>"},
      {"recipients", {"soumu@city.example.lg.jp", "kikaku@city.example.lg.jp"}},
      {"Subject", "令和8年度 予算案"},
      {"note", "contact hanako_s@example.co.jp or x@y"},
      {"file_name", "議事録/2026/会議資料.docx"},
      {"attachments", {{{"name", "README"}}, {{"name", "photo.JPG"}}}},
      {"path", "/srv/in/見積書.tar.gz"},
      {"size", 123},
  };
  nlohmann::json r = RedactAuditDetails(details);
  EXPECT_EQ(r["from"], "Taro Yamada <***@example.jp>");
  EXPECT_EQ(r["recipients"][0], "***@city.example.lg.jp");
  EXPECT_EQ(r["recipients"][1], "***@city.example.lg.jp");
  EXPECT_EQ(r["Subject"], "***");
  EXPECT_EQ(r["note"], "contact ***@example.co.jp or ***@y");
  EXPECT_EQ(r["file_name"], "***.docx");
  EXPECT_EQ(r["attachments"][0]["name"], "***");
  EXPECT_EQ(r["attachments"][1]["name"], "***.JPG");
  EXPECT_EQ(r["path"], "***.gz");
  EXPECT_EQ(r["size"], 123);
}

}  // namespace
}  // namespace mugai
