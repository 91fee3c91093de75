// The release state machine and role table as pure functions, every cell checked.
#include "quarantine/release_rules.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace mugai {
namespace {

struct Allowed {
  QuarantineState from;
  Transition via;
  QuarantineState to;
};

// Written out independently of release_rules.cc: the spec, not a copy of the code.
constexpr Allowed kAllowed[] = {
    {QuarantineState::kQuarantined, Transition::kRequestRelease, QuarantineState::kReleaseRequested},
    {QuarantineState::kReleaseRequested, Transition::kApprove, QuarantineState::kApproved},
    {QuarantineState::kReleaseRequested, Transition::kReject, QuarantineState::kRejected},
    {QuarantineState::kApproved, Transition::kMarkReleased, QuarantineState::kReleased},
    {QuarantineState::kQuarantined, Transition::kPurge, QuarantineState::kPurged},
    {QuarantineState::kRejected, Transition::kPurge, QuarantineState::kPurged},
    {QuarantineState::kReleased, Transition::kPurge, QuarantineState::kPurged},
};

std::optional<QuarantineState> Expected(QuarantineState from, Transition via) {
  for (const Allowed& a : kAllowed) {
    if (a.from == from && a.via == via) return a.to;
  }
  return std::nullopt;
}

TEST(QuarantineReleaseRules, EveryTransitionOfEveryState) {
  for (QuarantineState from : kAllQuarantineStates) {
    for (Transition via : kAllTransitions) {
      SCOPED_TRACE(std::string(StateName(from)) + " --" + std::string(TransitionName(via)));
      Result<QuarantineState> next = NextState(from, via);
      std::optional<QuarantineState> expected = Expected(from, via);
      ASSERT_EQ(next.ok(), expected.has_value()) << next.status().message();
      if (expected) {
        EXPECT_EQ(next.value(), *expected);
      } else {
        EXPECT_EQ(next.status().code(), StatusCode::kInvalidArgument);
        EXPECT_NE(next.status().message().find("the item is " + std::string(StateName(from))),
                  std::string::npos)
            << next.status().message();
        EXPECT_NE(next.status().message().find("allowed from"), std::string::npos);
      }
    }
  }
}

TEST(QuarantineReleaseRules, RefusalSaysWhatIsAllowed) {
  Result<QuarantineState> next = NextState(QuarantineState::kApproved, Transition::kPurge);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().message(),
            "cannot purge: the item is approved; allowed from approved: mark-released");
  next = NextState(QuarantineState::kPurged, Transition::kRequestRelease);
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("nothing (final state)"), std::string::npos);
}

TEST(QuarantineReleaseRules, NamesRoundTrip) {
  for (QuarantineState s : kAllQuarantineStates) EXPECT_EQ(ParseState(StateName(s)), s);
  for (Role r : kAllRoles) EXPECT_EQ(ParseRole(RoleName(r)), r);
  EXPECT_FALSE(ParseState("deleted").has_value());
  EXPECT_FALSE(ParseRole("admin").has_value());
}

TEST(QuarantineRoles, TableOfWhoMayDoWhat) {
  struct Row {
    Operation op;
    bool operator_may, approver_may, auditor_may;
  };
  const Row kTable[] = {
      {Operation::kList, true, true, true},
      {Operation::kShow, true, true, true},
      {Operation::kRequestRelease, true, false, false},
      {Operation::kResubmit, true, false, false},
      {Operation::kPurge, true, false, false},
      {Operation::kApprove, false, true, false},
      {Operation::kReject, false, true, false},
      {Operation::kAuditVerify, false, false, true},
      {Operation::kAuditExport, false, false, true},
  };
  ASSERT_EQ(std::size(kTable), std::size(kAllOperations));
  for (const Row& row : kTable) {
    const bool may[] = {row.operator_may, row.approver_may, row.auditor_may};
    for (size_t i = 0; i < std::size(kAllRoles); ++i) {
      SCOPED_TRACE(std::string(RoleName(kAllRoles[i])) + " " + std::string(OperationName(row.op)));
      Status s = Authorize(kAllRoles[i], row.op);
      EXPECT_EQ(s.ok(), may[i]) << s.message();
      if (!s.ok()) {
        EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      }
    }
  }
}

TEST(QuarantineRoles, RefusalNamesTheRoleAndWhatItMayDo) {
  Status s = Authorize(Role::kAuditor, Operation::kApprove);
  EXPECT_EQ(s.message(),
            "the auditor role may not approve (it may: list, show, audit-verify, audit-export)");
}

// Issue 16: one person is one person, whatever names root gives.
TEST(QuarantineIdentity, SamePersonOnTheClaimedNameOrTheRealIdentity) {
  EXPECT_EQ(RootActor("", "sato"), "root as sato");
  EXPECT_EQ(RootActor("tanaka", "sato"), "root (tanaka) as sato");
  EXPECT_EQ(RootActor("tanaka", ""), "root (tanaka)");
  EXPECT_EQ(ClaimedName("root (tanaka) as sato"), "sato");
  EXPECT_EQ(RealIdentity("root (tanaka) as sato"), "tanaka");
  EXPECT_EQ(ClaimedName("root (tanaka)"), "root");
  EXPECT_EQ(RealIdentity("root (tanaka)"), "tanaka");
  EXPECT_EQ(RealIdentity("root as sato"), "root");
  EXPECT_EQ(ClaimedName("eve as bob"), "eve as bob");  // only root's forms are parsed
  EXPECT_TRUE(SamePerson("root as sato", "root as suzuki"));   // root behind both
  EXPECT_TRUE(SamePerson("sato", "root as sato"));             // the same name
  EXPECT_TRUE(SamePerson("tanaka", "root (tanaka) as suzuki"));  // sudo by tanaka
  EXPECT_TRUE(SamePerson("root", "root as suzuki"));
  EXPECT_FALSE(SamePerson("sato", "suzuki"));
  EXPECT_FALSE(SamePerson("sato", "root as suzuki"));
  EXPECT_FALSE(SamePerson("root (tanaka) as sato", "root (yamada) as suzuki"));
  EXPECT_TRUE(ValidUserName("sato@city.example.lg.jp"));
  EXPECT_FALSE(ValidUserName("a b"));
  EXPECT_FALSE(ValidUserName("bob) as (x"));
  EXPECT_FALSE(ValidUserName(""));
}

}  // namespace
}  // namespace mugai
