// The console's parts below the web pages: local users (argon2id), log-in throttling and
// lockout, roles with @group names, which items are a recipient's own, and its config keys.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gateway/console/console_auth.h"
#include "gateway/console/users_file.h"
#include "gateway/service/config.h"
#include "gateway/service/roles.h"
#include "test_support.h"

namespace mugai {
namespace {

TEST(ConsoleUsers, Argon2idHashesVerifyOnlyTheirOwnPassword) {
  Result<std::string> h = HashPassword("correct horse");
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=65536,t=3,p=1$", 0), 0u) << *h;
  EXPECT_TRUE(VerifyPassword(*h, "correct horse"));
  EXPECT_FALSE(VerifyPassword(*h, "correct horse "));
  EXPECT_FALSE(VerifyPassword(*h, ""));
  EXPECT_NE(*HashPassword("correct horse"), *h);  // a fresh salt each time
  EXPECT_FALSE(VerifyPassword("plain-text", "plain-text"));  // never a stored password
}

TEST(ConsoleUsers, SavedAndLoadedWithMode0600AndMalformedLinesNamed) {
  testing::TempDir dir;
  UsersFile file(dir / "state/console-users");
  EXPECT_TRUE(file.Load()->empty());  // no file yet: no users
  ASSERT_TRUE(file.Save({{"sato", *HashPassword("pw-sato-1"), false},
                         {"suzuki", *HashPassword("pw-suzuki-1"), true}}).ok());
  struct stat st;
  ASSERT_EQ(stat((dir / "state/console-users").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<std::vector<ConsoleUser>> users = file.Load();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "sato");
  EXPECT_FALSE((*users)[0].disabled);
  EXPECT_TRUE((*users)[1].disabled);
  testing::WriteFile(dir / "state/console-users", "sato:$argon2id$x:enabled\nbroken line\n");
  Result<std::vector<ConsoleUser>> bad = file.Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("console-users:2"), std::string::npos) << bad.status().message();
}

Config LocalConfig(const testing::TempDir& dir) {
  Config c;
  c.state_dir = dir / "state";
  c.console_lockout_failures = 3;
  c.console_lockout_minutes = 15;
  UsersFile(dir / "state/console-users")
      .Save({{"sato", *HashPassword("pw-sato-1"), false}, {"gone", *HashPassword("pw-gone-1"), true}});
  return c;
}

TEST(ConsoleAuth, TheThirdFailureLocksTheAccountAndEvenTheRightPasswordWaits) {
  testing::TempDir dir;
  ConsoleAuth auth(LocalConfig(dir));
  LoginOutcome o = auth.Check("sato", "wrong", "10.0.0.1");
  EXPECT_EQ(o.result, LoginResult::kWrongPassword);
  EXPECT_FALSE(o.locked_now);
  EXPECT_EQ(auth.Check("SATO", "wrong", "10.0.0.2").result, LoginResult::kWrongPassword);
  o = auth.Check("sato", "wrong", "10.0.0.3");
  EXPECT_EQ(o.result, LoginResult::kWrongPassword);
  EXPECT_TRUE(o.locked_now);  // this failure locked it (Sato and SATO are one account)
  int64_t until = 0;
  EXPECT_TRUE(auth.Locked("Sato", &until));
  EXPECT_GT(until, time(nullptr) + 14 * 60);
  EXPECT_LE(until, time(nullptr) + 15 * 60);
  EXPECT_EQ(auth.Check("sato", "pw-sato-1", "10.0.0.4").result, LoginResult::kLocked);
}

TEST(ConsoleAuth, ASuccessClearsTheCountAndDisabledOrUnknownUsersNeverLogIn) {
  testing::TempDir dir;
  ConsoleAuth auth(LocalConfig(dir));
  EXPECT_EQ(auth.Check("sato", "wrong", "10.0.0.1").result, LoginResult::kWrongPassword);
  EXPECT_EQ(auth.Check("sato", "wrong", "10.0.0.1").result, LoginResult::kWrongPassword);
  LoginOutcome ok = auth.Check("sato", "pw-sato-1", "10.0.0.1");
  EXPECT_EQ(ok.result, LoginResult::kOk);
  EXPECT_EQ(ok.user, "sato");
  EXPECT_TRUE(auth.StillValid("sato", ok.local_hash));
  LoginOutcome o = auth.Check("sato", "wrong", "10.0.0.1");
  EXPECT_EQ(o.result, LoginResult::kWrongPassword);
  EXPECT_FALSE(o.locked_now);  // counting starts again after a success
  EXPECT_EQ(auth.Check("gone", "pw-gone-1", "10.0.0.1").result, LoginResult::kWrongPassword);
  EXPECT_EQ(auth.Check("nobody-here", "x", "10.0.0.1").result, LoginResult::kWrongPassword);
  // A new password (mugai user passwd) ends the sessions opened with the old one.
  UsersFile(dir / "state/console-users").Save({{"sato", *HashPassword("pw-sato-2"), false}});
  EXPECT_FALSE(auth.StillValid("sato", ok.local_hash));
  EXPECT_TRUE(auth.StillValid("pam-user", ""));
}

TEST(ConsoleAuth, OneAddressFailingForManyAccountsIsThrottled) {
  testing::TempDir dir;
  ConsoleAuth auth(LocalConfig(dir));  // 3 per account, so 30 per address
  bool throttled_now = false;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(auth.Check("user" + std::to_string(i), "x", "192.0.2.9").result,
              LoginResult::kWrongPassword);
  }
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(auth.Malformed("192.0.2.9", &throttled_now));  // 29
  LoginOutcome last = auth.Check("user-last", "x", "192.0.2.9");
  EXPECT_TRUE(last.throttled_now);
  EXPECT_EQ(auth.Check("sato", "pw-sato-1", "192.0.2.9").result, LoginResult::kThrottled);
  EXPECT_TRUE(auth.Malformed("192.0.2.9", &throttled_now));
  EXPECT_EQ(auth.Check("sato", "pw-sato-1", "192.0.2.10").result, LoginResult::kOk);
}

TEST(Roles, NamesAndGroupsGrantRoles) {
  Config c;
  c.role_operators = {"sato"};
  c.role_approvers = {"@root"};  // root's primary group
  c.role_admins = {"@no-such-group-here"};
  ASSERT_NE(getgrnam("root"), nullptr);
  EXPECT_EQ(RolesOf(c, "sato"), std::vector<Role>{Role::kOperator});
  EXPECT_EQ(RolesOf(c, "root"), std::vector<Role>{Role::kApprover});
  EXPECT_TRUE(RolesOf(c, "suzuki").empty());
  EXPECT_FALSE(IsAdmin(c, "root"));
  EXPECT_FALSE(InRoleList({"@"}, "root"));
}

QuarantineRecord MailFor(std::vector<std::string> recipients) {
  QuarantineRecord r;
  r.entry_point = "milter";
  nlohmann::json envelope = {{"sender", "<a@example.jp>"}, {"recipients", recipients}};
  r.source = nlohmann::json{{"path", envelope.dump()}, {"out_dir", "smtp"}}.dump();
  return r;
}

TEST(Roles, AnItemIsARecipientsOwnByItsEnvelopeOrItsOutbox) {
  Config c;
  c.console_mail_domains = {"town.example.jp"};
  c.console_address_map = {{"soumu@town.example.jp", "tanaka"}};
  QuarantineRecord mail = MailFor({"<Sato@Town.Example.JP>", "<soumu@town.example.jp>"});
  EXPECT_TRUE(AddressedTo(c, mail, "sato"));    // {user}@domain, any case
  EXPECT_TRUE(AddressedTo(c, mail, "tanaka"));  // address_map
  EXPECT_FALSE(AddressedTo(c, mail, "soumu"));  // that address is mapped to tanaka
  EXPECT_FALSE(AddressedTo(c, mail, "suzuki"));
  EXPECT_FALSE(AddressedTo(c, MailFor({"<sato@elsewhere.example>"}), "sato"));  // other domain
  c.console_mail_domains.clear();  // no domain is the town's: only address_map counts
  EXPECT_FALSE(AddressedTo(c, MailFor({"<sato@elsewhere.example>"}), "sato"));
  EXPECT_TRUE(AddressedTo(c, mail, "tanaka"));
  // Watch: the {user} folder of a per-user mapping, whatever sub-folders follow it.
  c.watch_mappings = {{"/srv/in", "/srv/out/{user}"}, {"/srv/shared-in", "/srv/transfer/soumu"}};
  QuarantineRecord file;
  file.entry_point = "watch";
  file.source = R"({"path":"in/sato/a.pdf","out_dir":"/srv/out/sato"})";
  EXPECT_TRUE(AddressedTo(c, file, "sato"));
  EXPECT_FALSE(AddressedTo(c, file, "suzuki"));
  file.source = R"({"path":"in/alice/sato/x.zip","out_dir":"/srv/out/alice/sato"})";
  EXPECT_TRUE(AddressedTo(c, file, "alice"));  // alice's item, in her sub-folder "sato"
  EXPECT_FALSE(AddressedTo(c, file, "sato"));
  file.source = R"({"path":"x.zip","out_dir":"/srv/transfer/soumu"})";
  EXPECT_FALSE(AddressedTo(c, file, "soumu"));  // a shared mapping gives no owner
  file.source = R"({"path":"in/sato/a.pdf","out_dir":"/srv/out/sato"})";
  file.entry_point = "cli";
  EXPECT_FALSE(AddressedTo(c, file, "sato"));  // nobody's own
}

TEST(Config, ConsoleKeysParseAndPrint) {
  Result<Config> c = ParseConfig(R"(
[console]
listen = "0.0.0.0:8443"
tls_cert = "/etc/mugai/c.crt"
tls_key = "/etc/mugai/c.key"
auth = "both"
lockout_failures = 7
mail_domains = ["town.example.jp"]
address_map = { "Soumu@town.example.jp" = "tanaka" }
[roles]
approvers = ["@kacho"]
)", "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->console_listen, "0.0.0.0:8443");
  EXPECT_EQ(c->console_auth, "both");
  EXPECT_EQ(c->console_lockout_failures, 7u);
  EXPECT_EQ(c->console_lockout_minutes, 15u);
  EXPECT_EQ(c->console_address_map.at("soumu@town.example.jp"), "tanaka");
  EXPECT_EQ(c->role_approvers, std::vector<std::string>{"@kacho"});
  std::string toml = ConfigToToml(*c);
  EXPECT_NE(toml.find("auth = 'both'"), std::string::npos) << toml;
  Result<Config> again = ParseConfig(toml, "printed");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->console_address_map, c->console_address_map);
  Result<Config> bad = ParseConfig("[console]\nauth = \"ldap\"\n", "bad.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("console.auth"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(ParseConfig("[console]\naddress_map = { \"nobody\" = \"x\" }\n", "b").ok());
}

}  // namespace
}  // namespace mugai
