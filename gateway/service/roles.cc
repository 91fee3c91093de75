#include "gateway/service/roles.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace mugai {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool InGroup(const std::string& group, const std::string& user) {
  std::vector<char> buf(65536);
  struct group gr{};
  struct group* found = nullptr;
  if (getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) return false;
  for (char** m = found->gr_mem; m && *m; ++m) {
    if (user == *m) return true;
  }
  std::vector<char> pbuf(16384);
  passwd pw{};
  passwd* p = nullptr;
  return getpwnam_r(user.c_str(), &pw, pbuf.data(), pbuf.size(), &p) == 0 && p &&
         p->pw_gid == found->gr_gid;
}

// The source JSON of a record: {"path": "<envelope JSON>"} for mail, {"out_dir": …} for
// folders.
nlohmann::json SourceOf(const QuarantineRecord& r) {
  nlohmann::json j = nlohmann::json::parse(r.source, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

}  // namespace

bool InRoleList(const std::vector<std::string>& list, std::string_view name) {
  const std::string user(name);
  if (user.empty()) return false;
  for (const std::string& entry : list) {
    if (entry == user) return true;
    if (entry.size() > 1 && entry[0] == '@' && InGroup(entry.substr(1), user)) return true;
  }
  return false;
}

std::vector<Role> RolesOf(const Config& config, std::string_view name) {
  std::vector<Role> roles;
  if (InRoleList(config.role_operators, name)) roles.push_back(Role::kOperator);
  if (InRoleList(config.role_approvers, name)) roles.push_back(Role::kApprover);
  if (InRoleList(config.role_auditors, name)) roles.push_back(Role::kAuditor);
  return roles;
}

bool IsAdmin(const Config& config, std::string_view name) {
  return InRoleList(config.role_admins, name);
}

std::vector<std::string> RecipientsOf(const QuarantineRecord& record) {
  std::vector<std::string> out;
  if (record.entry_point != "milter") return out;
  nlohmann::json source = SourceOf(record);
  nlohmann::json envelope =
      source.contains("path") && source["path"].is_string()
          ? nlohmann::json::parse(source["path"].get<std::string>(), nullptr, false)
          : source;
  if (!envelope.is_object() || !envelope.contains("recipients") ||
      !envelope["recipients"].is_array()) {
    return out;
  }
  for (const auto& r : envelope["recipients"]) {
    if (!r.is_string()) continue;
    std::string a = r.get<std::string>();
    // "<sato@town.example.jp>" as the MTA gave it.
    if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
    out.push_back(Lower(a));
  }
  return out;
}

std::string UserForAddress(const Config& config, std::string_view address) {
  const std::string a = Lower(address);
  if (auto it = config.console_address_map.find(a); it != config.console_address_map.end()) {
    return it->second;
  }
  size_t at = a.rfind('@');
  if (at == std::string::npos || at == 0) return "";
  const std::string domain = a.substr(at + 1);
  // Only the town's own domains: a mail to tanaka@partner.example is not user tanaka's.
  if (std::none_of(config.console_mail_domains.begin(), config.console_mail_domains.end(),
                   [&](const std::string& d) { return Lower(d) == domain; })) {
    return "";
  }
  std::string local = a.substr(0, at);
  return ValidUserName(local) ? local : "";
}

bool ActsAsRecipient(const Config& config, const QuarantineRecord& record, std::string_view user) {
  return RolesOf(config, user).empty() && !IsAdmin(config, user) && AddressedTo(config, record, user);
}

bool AddressedTo(const Config& config, const QuarantineRecord& record, std::string_view user) {
  if (user.empty()) return false;
  if (record.entry_point == "milter") {
    for (const auto& r : RecipientsOf(record)) {
      if (UserForAddress(config, r) == user) return true;
    }
    return false;
  }
  if (record.entry_point == "watch") {
    // Only a per-user mapping (an `out` with {user}) gives items an owner: the folder that
    // stands for {user} in the outbox the item went to (sub-folders below it are kept).
    nlohmann::json source = SourceOf(record);
    if (!source.contains("out_dir") || !source["out_dir"].is_string()) return false;
    const std::string dir = source["out_dir"].get<std::string>() + "/";
    for (const WatchMapping& m : config.watch_mappings) {
      const size_t at = m.out.find("{user}");
      if (at == std::string::npos) continue;
      const std::string prefix = m.out.substr(0, at);
      const std::string suffix = m.out.substr(at + 6);
      if (dir.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string rest = dir.substr(prefix.size());
      const std::string want = std::string(user) + suffix + "/";
      if (rest.compare(0, want.size(), want) == 0) return true;
    }
    return false;
  }
  return false;
}

}  // namespace mugai
