// What the runner and the pytest plugin say to each other, the runner's
// side (python/pytest_shards_plugin/protocol.py is the plugin's): the
// pytest command line of a run and its node-ID file, and the messages of
// the warm interpreter's protocol. tests/protocol/golden.json holds one
// example of each, which both sides' tests check, so that neither changes a
// message alone.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "run/lease.h"

namespace pytest_shards {

// The pytest options that differ between the runs of one suite: a warm
// server takes them from each entry and requires the rest to be its own.
inline constexpr char kBasetempOption[] = "--basetemp";
inline constexpr char kCacheDirIni[] = "cache_dir";  // after -o
inline constexpr char kNodeIdsOption[] = "--shards-node-ids";
inline constexpr char kJournalOption[] = "--shards-journal";
// The collection-errors entry's instead of kNodeIdsOption (it never runs
// warm): a file of the same format, of its modules.
inline constexpr char kCollectionErrorsOption[] = "--shards-collection-errors";

// The pytest command line of one run of `entry`: on the node IDs listed in
// `node_ids_file`, or, for the collection-errors entry, directly on the
// files of its modules, with `node_ids_file` listing those modules (pytest
// names a file outside the rootdir "": the plugin names it back).
std::vector<std::string> PytestArgv(const PlanFile& plan, const Entry& entry,
                                    const ShardContext& shard,
                                    const std::filesystem::path& node_ids_file,
                                    const std::filesystem::path& journal);

// What an entry that shares the plan's tail (plan/shared_tail.h) adds to
// its node-ID file, as "tail": {"groups": the plan's shared_tail, "claims":
// the run's claims file (run/tail_claims.h), "entry": the entry's index,
// "started": the tail's node IDs that earlier pytest runs of the entry
// started}. The plugin first finishes the groups the entry took, but for
// those, then takes more.
struct EntryTail {
  std::vector<std::vector<std::string>> groups;
  std::filesystem::path claims;
  int entry = 0;
  std::vector<std::string> started;
};

// The node-ID file the plugin reads (--shards-node-ids): {"node_ids": ids,
// "paths": the plan's module_paths of their modules and the tail's}, and
// "tail" when `tail` is given.
std::string NodeIdsFileText(const PlanFile& plan, const std::vector<std::string>& ids,
                            const EntryTail* tail = nullptr);

// The pytest command line of `argv` (python -m pytest ...) as the warm
// server takes it: after `-m pytest`.
std::vector<std::string> WarmArgv(const std::vector<std::string>& argv);

// The warm interpreter's protocol: the runner's requests...
inline constexpr char kWarmFormat[] = "pytest-shards-warm/1";
// Run `argv` (WarmArgv) in `cwd` with the environment `env` ("K=V"); the
// frame carries the entry's stdin, stdout and stderr.
nlohmann::json WarmRunMessage(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, const std::string& cwd);
// Send `signal` to the forked child's process group.
nlohmann::json WarmKillMessage(int signal);

// ...and the server's answers.
struct WarmEvent {
  enum class Kind { kStarted, kExited, kStale, kStopping, kRefused };
  Kind kind = Kind::kRefused;
  int pid = 0;           // kStarted: the child, which leads its own process group
  int exit_code = -1;    // kExited
  int signal = 0;        // kExited: the signal that ended the child, or 0
  long peak_rss_kb = 0;  // kExited
  std::string file;      // kStale: the module file that changed
  // kRefused (an event this side does not know is one): the server's
  // reason, else the event's name.
  std::string why;
};
WarmEvent ParseWarmEvent(const nlohmann::json& message);

}  // namespace pytest_shards
