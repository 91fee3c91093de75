// Pure rules of the quarantine release workflow: the item state machine and the role table.
// No I/O; QuarantineIndex applies NextState inside a transaction, the CLI calls Authorize.
#pragma once

#include <optional>
#include <string_view>

#include "common/status.h"

namespace mugai {

// Life of a quarantined item (stored as the lower-case names of StateName).
//
//   quarantined --request-release--> release_requested --approve--> approved --mark-released-->
//   released;  release_requested --reject--> rejected;
//   quarantined | rejected | released --purge--> purged (final).
enum class QuarantineState {
  kQuarantined,
  kReleaseRequested,
  kApproved,
  kRejected,
  kReleased,
  kPurged
};

enum class Transition { kRequestRelease, kApprove, kReject, kMarkReleased, kPurge };

inline constexpr QuarantineState kAllQuarantineStates[] = {
    QuarantineState::kQuarantined, QuarantineState::kReleaseRequested, QuarantineState::kApproved,
    QuarantineState::kRejected,    QuarantineState::kReleased,         QuarantineState::kPurged};
inline constexpr Transition kAllTransitions[] = {Transition::kRequestRelease, Transition::kApprove,
                                                 Transition::kReject, Transition::kMarkReleased,
                                                 Transition::kPurge};

// "quarantined", "release_requested", "approved", "rejected", "released", "purged".
std::string_view StateName(QuarantineState state);
std::optional<QuarantineState> ParseState(std::string_view name);

// "request-release", "approve", "reject", "mark-released", "purge".
std::string_view TransitionName(Transition transition);

// The state `transition` leads to from `from`. A transition the table does not allow returns
// kInvalidArgument naming the current state and the transitions allowed from it.
Result<QuarantineState> NextState(QuarantineState from, Transition transition);

// Who may do what. Everyone may list and show; nothing else is shared:
//
//   operation          operator  approver  auditor
//   list, show            yes       yes       yes
//   request-release       yes        -         -
//   resubmit              yes        -         -
//   purge                 yes        -         -
//   approve, reject        -        yes        -
//   audit-verify           -         -        yes
//   audit-export           -         -        yes
//
// The auditor is read-only. Recording a delivery (mark-released) is done by mugai itself as
// part of an approved release, so it is not a user operation.
enum class Role { kOperator, kApprover, kAuditor };
enum class Operation {
  kList,
  kShow,
  kRequestRelease,
  kResubmit,
  kPurge,
  kApprove,
  kReject,
  kAuditVerify,
  kAuditExport
};

inline constexpr Role kAllRoles[] = {Role::kOperator, Role::kApprover, Role::kAuditor};
inline constexpr Operation kAllOperations[] = {
    Operation::kList,     Operation::kShow,        Operation::kRequestRelease,
    Operation::kResubmit, Operation::kPurge,       Operation::kApprove,
    Operation::kReject,   Operation::kAuditVerify, Operation::kAuditExport};

std::string_view RoleName(Role role);                  // "operator", "approver", "auditor"
std::optional<Role> ParseRole(std::string_view name);  // nullopt for an unknown name
std::string_view OperationName(Operation op);          // "list", "request-release", ...

// Ok when `role` may perform `op`; otherwise kInvalidArgument saying what the role may do.
Status Authorize(Role role, Operation op);

// Who acted, as recorded (requested_by, approved_by, the audit's actor):
//   "sato"                  the Unix user sato, as the kernel names them;
//   "root as sato"          root, acting for the name it gave with --user;
//   "root (tanaka) as sato" the same, where root's session was opened by tanaka's log-in
//                           (sudo, su: the kernel's loginuid), who is the real person;
//   "root (tanaka)"         tanaka, as root, acting for nobody else.
// A name on root's command line is a claim; the real identity is the log-in behind root, or
// root itself when there is none. Names are ValidUserName, so the forms cannot be confused.
bool ValidUserName(std::string_view name);  // 1-64 of letters, digits, '.', '_', '-', '@'
std::string RootActor(std::string_view login, std::string_view claimed);
std::string_view ClaimedName(std::string_view actor);   // "sato"
std::string_view RealIdentity(std::string_view actor);  // "sato", "root" or "tanaka"
// One person: the same claimed name, or the same real identity behind two claims. Root acting
// as sato cannot approve what root acting as suzuki requested, nor sato what root as sato did.
bool SamePerson(std::string_view a, std::string_view b);

}  // namespace mugai
