// The release workflow as data: one table of allowed transitions, one table of permissions.
#include "quarantine/release_rules.h"

#include <string>

namespace mugai {

namespace {
struct Rule {
  QuarantineState from;
  Transition via;
  QuarantineState to;
};

constexpr Rule kRules[] = {
    {QuarantineState::kQuarantined, Transition::kRequestRelease, QuarantineState::kReleaseRequested},
    {QuarantineState::kReleaseRequested, Transition::kApprove, QuarantineState::kApproved},
    {QuarantineState::kReleaseRequested, Transition::kReject, QuarantineState::kRejected},
    {QuarantineState::kApproved, Transition::kMarkReleased, QuarantineState::kReleased},
    {QuarantineState::kQuarantined, Transition::kPurge, QuarantineState::kPurged},
    {QuarantineState::kRejected, Transition::kPurge, QuarantineState::kPurged},
    {QuarantineState::kReleased, Transition::kPurge, QuarantineState::kPurged},
};

struct Permission {
  Role role;
  Operation op;
};

constexpr Permission kPermissions[] = {
    {Role::kOperator, Operation::kList},
    {Role::kOperator, Operation::kShow},
    {Role::kOperator, Operation::kRequestRelease},
    {Role::kOperator, Operation::kResubmit},
    {Role::kOperator, Operation::kPurge},
    {Role::kApprover, Operation::kList},
    {Role::kApprover, Operation::kShow},
    {Role::kApprover, Operation::kApprove},
    {Role::kApprover, Operation::kReject},
    {Role::kAuditor, Operation::kList},
    {Role::kAuditor, Operation::kShow},
    {Role::kAuditor, Operation::kAuditVerify},
    {Role::kAuditor, Operation::kAuditExport},
};

bool Permitted(Role role, Operation op) {
  for (const Permission& p : kPermissions) {
    if (p.role == role && p.op == op) return true;
  }
  return false;
}
}  // namespace

std::string_view StateName(QuarantineState state) {
  switch (state) {
    case QuarantineState::kQuarantined:
      return "quarantined";
    case QuarantineState::kReleaseRequested:
      return "release_requested";
    case QuarantineState::kApproved:
      return "approved";
    case QuarantineState::kRejected:
      return "rejected";
    case QuarantineState::kReleased:
      return "released";
    case QuarantineState::kPurged:
      return "purged";
  }
  return "unknown";
}

std::optional<QuarantineState> ParseState(std::string_view name) {
  for (QuarantineState s : kAllQuarantineStates) {
    if (StateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view TransitionName(Transition transition) {
  switch (transition) {
    case Transition::kRequestRelease:
      return "request-release";
    case Transition::kApprove:
      return "approve";
    case Transition::kReject:
      return "reject";
    case Transition::kMarkReleased:
      return "mark-released";
    case Transition::kPurge:
      return "purge";
  }
  return "unknown";
}

Result<QuarantineState> NextState(QuarantineState from, Transition transition) {
  std::string allowed;
  for (const Rule& r : kRules) {
    if (r.from != from) continue;
    if (r.via == transition) return r.to;
    allowed += (allowed.empty() ? "" : ", ") + std::string(TransitionName(r.via));
  }
  return Status{StatusCode::kInvalidArgument,
                "cannot " + std::string(TransitionName(transition)) + ": the item is " +
                    std::string(StateName(from)) + "; allowed from " +
                    std::string(StateName(from)) + ": " +
                    (allowed.empty() ? "nothing (final state)" : allowed)};
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOperator:
      return "operator";
    case Role::kApprover:
      return "approver";
    case Role::kAuditor:
      return "auditor";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

namespace {
constexpr std::string_view kAs = " as ";
}  // namespace

std::string_view ClaimedName(std::string_view actor) {
  size_t at = actor.find(kAs);
  return at == std::string_view::npos ? actor : actor.substr(at + kAs.size());
}

std::string_view RealIdentity(std::string_view actor) {
  size_t at = actor.find(kAs);
  return at == std::string_view::npos ? actor : actor.substr(0, at);
}

bool SamePerson(std::string_view a, std::string_view b) {
  return ClaimedName(a) == ClaimedName(b) || RealIdentity(a) == RealIdentity(b);
}

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kList:
      return "list";
    case Operation::kShow:
      return "show";
    case Operation::kRequestRelease:
      return "request-release";
    case Operation::kResubmit:
      return "resubmit";
    case Operation::kPurge:
      return "purge";
    case Operation::kApprove:
      return "approve";
    case Operation::kReject:
      return "reject";
    case Operation::kAuditVerify:
      return "audit-verify";
    case Operation::kAuditExport:
      return "audit-export";
  }
  return "unknown";
}

Status Authorize(Role role, Operation op) {
  if (Permitted(role, op)) return Status::Ok();
  std::string may;
  for (const Permission& p : kPermissions) {
    if (p.role == role) may += (may.empty() ? "" : ", ") + std::string(OperationName(p.op));
  }
  return {StatusCode::kInvalidArgument, "the " + std::string(RoleName(role)) + " role may not " +
                                            std::string(OperationName(op)) + " (it may: " + may +
                                            ")"};
}

}  // namespace mugai
