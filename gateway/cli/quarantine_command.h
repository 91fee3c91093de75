// `mugai quarantine …`: list, show, request-release, approve, reject, resubmit, purge,
// reconcile — the release workflow over the quarantine index (docs/QUARANTINE.md).
#pragma once

#include <string>
#include <vector>

#include "gateway/cli/operator_context.h"

namespace mugai {

// `service`: run inside `mugai serve` for that client. Otherwise, with --service PATH (or,
// with no --state, a service listening at service.socket) the command is sent to the
// service; else it works on the state folder directly.
int RunQuarantineCommand(const std::vector<std::string>& args,
                         const ServiceCaller* service = nullptr);

// quarantine_release.cc: the two subcommands that deliver (they run the pipeline).
int ApproveItem(OperatorContext& ctx, const CliArgs& args);
int ResubmitItem(OperatorContext& ctx, const CliArgs& args);
int DownloadItem(OperatorContext& ctx, const CliArgs& args);

// The folder a record's outputs go to: --out, else the one recorded at intake ("" if none).
std::string RecordedDestination(const QuarantineRecord& rec, const CliArgs& args);

extern const char kQuarantineHelp[];

}  // namespace mugai
