// The shard runner: what every CTest entry executes (`pytest-shards run`).
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "plan.h"

namespace pytest_shards {

// What makes one running entry private.
struct ShardContext {
  int index = 0;  // PYTEST_SHARD_INDEX
  int count = 1;  // PYTEST_SHARD_COUNT
  std::filesystem::path tmpdir;
  int port_base = 0;
  int port_count = 0;
};

// Replaces {shard} {shards} {tmp} {port_base} {port_count}; other text,
// including unknown {words}, stays as it is.
std::string ExpandPlaceholders(std::string_view text, const ShardContext& shard);

// The environment of the pytest process: `parent` ("K=V" strings) with the
// SPEC's variables and the user's ENVIRONMENT (expanded) set over it.
std::vector<std::string> ShardEnvironment(const Settings& settings, const ShardContext& shard,
                                          const std::vector<std::string>& parent);

// The pytest command line of one run of `entry`: on the node IDs listed in
// `node_ids_file`, or, for the collection-errors entry, directly on its
// modules (then `node_ids_file` is not used).
std::vector<std::string> PytestArgv(const PlanFile& plan, const Entry& entry,
                                    const ShardContext& shard,
                                    const std::filesystem::path& node_ids_file,
                                    const std::filesystem::path& journal);

// The node-ID file the plugin reads (--shards-node-ids): {"node_ids": ids,
// "paths": the plan's module_paths of their modules}.
std::string NodeIdsFileText(const PlanFile& plan, const std::vector<std::string>& ids);

// Runs entry `index` of the plan: prepares the tmp dir and ports, runs
// pytest (again on the rest after a crash or a per-test timeout), writes the
// journal and returns the exit code: 0 exactly when every node ID ran and
// none failed or errored.
int RunEntry(const std::filesystem::path& plan_file, int index, std::ostream& out);

}  // namespace pytest_shards
