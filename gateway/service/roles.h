// Who holds which role (config [roles]: user names or "@group" names), and which quarantined
// items are a member of staff's own (the recipients of a mail, the owner of a watch outbox).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/service/config.h"
#include "quarantine/quarantine_index.h"
#include "quarantine/release_rules.h"

namespace mugai {

// Whether `name` is in `list`: named, or a member of a "@group" listed there (the Unix
// group's members, or its gid as the user's primary group; with sssd, AD groups too).
bool InRoleList(const std::vector<std::string>& list, std::string_view name);

// The roles `name` holds (operators, approvers, auditors), and whether it is an admin.
std::vector<Role> RolesOf(const Config& config, std::string_view name);
bool IsAdmin(const Config& config, std::string_view name);

// The envelope recipients of a mail item (lower case), or none.
std::vector<std::string> RecipientsOf(const QuarantineRecord& record);

// The user an envelope address belongs to: console.address_map, else the local part when
// the domain is one of console.mail_domains (none when that list is empty). "" if none.
std::string UserForAddress(const Config& config, std::string_view address);

// Whether the item is addressed to `user`: a mail whose envelope names them, or a watch item
// delivered into their own outbox of a per-user mapping (an `out` with {user}).
bool AddressedTo(const Config& config, const QuarantineRecord& record, std::string_view user);

// Whether `user` acts on the item as its recipient: a member of staff in no role (nor admin)
// to whom it is addressed. A role's holder acts by the role alone, even on their own mail.
bool ActsAsRecipient(const Config& config, const QuarantineRecord& record, std::string_view user);

}  // namespace mugai
