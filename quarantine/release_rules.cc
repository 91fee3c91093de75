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

bool ValidUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) return false;
  }
  return true;
}

std::string RootActor(std::string_view login, std::string_view claimed) {
  std::string out = "root";
  if (!login.empty()) out += " (" + std::string(login) + ")";
  if (!claimed.empty()) out += " as " + std::string(claimed);
  return out;
}

namespace {

// "root as C", "root (L) as C", "root (L)" → {real, claimed}; anything else is one name. Only
// these root forms are parsed, and their parts are ValidUserName (no spaces, no parentheses).
std::pair<std::string_view, std::string_view> Split(std::string_view actor) {
  constexpr std::string_view kRootAs = "root as ", kRootLogin = "root (";
  if (actor.substr(0, kRootAs.size()) == kRootAs) return {"root", actor.substr(kRootAs.size())};
  if (actor.substr(0, kRootLogin.size()) == kRootLogin) {
    size_t close = actor.find(')', kRootLogin.size());
    if (close != std::string_view::npos) {
      std::string_view login = actor.substr(kRootLogin.size(), close - kRootLogin.size());
      std::string_view rest = actor.substr(close + 1);
      if (rest.empty()) return {login, "root"};
      if (rest.substr(0, 4) == " as ") return {login, rest.substr(4)};
    }
  }
  return {actor, actor};
}

}  // namespace

std::string_view ClaimedName(std::string_view actor) { return Split(actor).second; }
std::string_view RealIdentity(std::string_view actor) { return Split(actor).first; }

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
