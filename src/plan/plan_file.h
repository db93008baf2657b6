// plan.json, the plan file: everything the runner needs for every entry of
// one ctest run, written at ctest start (ctest_start.h) and read by the
// runner (run.h), the report (report.h) and watch (watch.h). Its types are
// the plan's vocabulary: an Entry is one CTest entry.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/collection.h"
#include "data/settings.h"

namespace pytest_shards {

// One CTest entry.
struct Entry {
  std::string name;                   // "<suite>/shard-03", "<suite>/tests/test_a.py", ...
  std::vector<std::string> node_ids;  // in collection order
  std::vector<std::string> locks;     // RESOURCE_LOCK names, sorted, unique
  bool exclusive = false;             // RUN_SERIAL: nothing else runs beside it
  double cost = 0;                    // estimated seconds, becomes COST
  std::vector<std::string> labels;    // beyond pytest/<suite>/user labels: "serial", markers
  std::string source_line;            // GRANULARITY test: "<abs file>:<line>"
  // The entry that re-runs the modules that failed to collect; node_ids
  // then holds those modules' paths relative to rootdir.
  bool collection_errors = false;
  // The entry takes groups of the plan's shared tail when its own tests are
  // done (shared_tail.h).
  bool shares_tail = false;
};

struct Plan {
  std::vector<Entry> entries;
  // Groups of node IDs, in collection order, that the entries with
  // shares_tail take one at a time, each group by one of them, when their
  // own tests are done: the shards then end together (shared_tail.h).
  std::vector<std::vector<std::string>> shared_tail;
};

// The part of a suite one job of a CI matrix runs (slice.h): the k-th of n.
struct Slice {
  int index = 1;  // k: 1-based, as CI matrices count
  int count = 1;  // n
};

// plan.json (format "pytest-shards-plan/1").
struct PlanFile {
  std::string run_id;  // new at each plan; journals carry it
  Settings settings;
  std::string rootdir;  // pytest's rootdir at collection
  bool xdist = false;   // the runner then adds -n 0 to neutralise addopts
  Plan plan;
  // Node-ID module part ("tests/test_a.py") -> the module's absolute path,
  // only where that is not <rootdir>/<part>: with `--pyargs pkg` and a rootdir
  // outside pkg, pytest makes IDs relative to the package instead.
  std::map<std::string, std::string> module_paths;
  // The CI slice the plan holds (1/1: the whole suite) and what chose it
  // (ci_slice.h: "PYTEST_SHARDS_SLICE", "CI_NODE_INDEX/CI_NODE_TOTAL
  // (GitLab)", ...; empty: nothing did), for `report --export`.
  Slice slice;
  std::string slice_source;
  // Collection::session_outputs: when there are any, the entries keep
  // their parts and a session step writes them (session.h).
  std::vector<std::string> session_outputs;
  // The ctest that planned the run (the planner's parent; 0: unknown): its
  // entries' runners are its children while it lives.
  int ctest_pid = 0;
  // That ctest's command line (ctest_invocation.h; empty: unknown): the
  // report tells the entries it did not select from those that did not run.
  std::vector<std::string> ctest_argv;
  // Under --rerun-failed, the names of the entries that ctest reruns, from
  // the LastTestsFailed.log it read (last_tests_failed.h); nullopt otherwise
  // or when unreadable.
  std::optional<std::vector<std::string>> ctest_last_failed;
};

// The module_paths of a plan made from `collection`.
std::map<std::string, std::string> ModulePaths(const Collection& collection);

// The absolute file of a module part ("tests/test_a.py") of `plan`.
std::string ModuleFile(const PlanFile& plan, const std::string& part);

// plan.json's text: one line per entry, written without a JSON DOM.
// `entry_offsets`, when given, gets where each entry's line starts, for
// ReadPlanEntry's `at`.
std::string PlanFileText(const PlanFile& file, std::vector<size_t>* entry_offsets = nullptr);
nlohmann::json PlanFileToJson(const PlanFile& file);
// The one plan-file reader, behind both: PlanFileFromJson (for callers that
// hold a DOM) throws Error ("plan file ... is corrupt; re-run cmake") on a
// malformed document.
PlanFile PlanFileFromJson(const nlohmann::json& json);
// Reads plan.json; every Error names `path`, and says `fix` when the file is
// missing or not JSON.
PlanFile ReadPlanFile(const std::filesystem::path& path, std::string_view fix);

// What the runner of one entry reads of plan.json.
struct PlanEntry {
  PlanFile file;               // file.plan.entries is empty
  size_t count = 0;            // the plan's entries
  std::optional<Entry> entry;  // the one asked for, when it is in the plan
};
// Entry `index` of plan.json, without reading the other entries: a plan of
// GRANULARITY test holds one entry per test, and every entry's runner reads
// it. Only the layout PlanFileText writes (one entry per line, each with its
// index, and the count before them) is read so; any other plan is read
// whole. `at`: where the entry's line starts (PlanFileText's
// entry_offsets), so that the lines before it are not read; a wrong one
// costs only a scan for the line. Errors as ReadPlanFile's.
PlanEntry ReadPlanEntry(const std::filesystem::path& path, size_t index, std::string_view fix,
                        std::optional<size_t> at = std::nullopt);

}  // namespace pytest_shards
