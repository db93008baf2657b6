// The planner: groups collected items into CTest entries.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "collection.h"
#include "durations.h"
#include "settings.h"

namespace pytest_shards {

struct PlanOptions {
  std::string suite;  // entry names are "<suite>/..."
  int shards = 0;     // 0: auto
  Granularity granularity = Granularity::kShard;
  Distribution distribution = Distribution::kLoad;
  std::string serial_marker = "serial";
  int cores = 1;  // of the machine ctest runs on
};

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
};

struct Plan {
  std::vector<Entry> entries;
};

// Deterministic: the same collection, options and durations give the same
// plan. Guarantees every item lands in exactly one entry; serial items (the
// serial_marker) only in entries that carry their lock; items sharing an
// xdist_group in one entry. Collection errors become one extra entry named
// "<suite>/collection-errors" at the end. Items in durations.failed go to
// entries "<suite>/last-failed-NN" at the front (GRANULARITY test: their own
// entries, in place), labelled "last-failed".
Plan MakePlan(const Collection& collection, const PlanOptions& options, const Durations& durations);

// Lifts the cost of every entry labelled "last-failed" above all others, so
// that ctest, which starts the highest COST first, starts them first. Applied
// last (after slicing, which balances on the estimates).
void PrioritiseLastFailed(Plan* plan);

// The lock a serial marker names: serial("db") and serial(lock="db") give
// "db"; a bare serial gives "serial". Sets *exclusive for exclusive=True.
std::string SerialLock(const Marker& marker, bool* exclusive);

}  // namespace pytest_shards

namespace pytest_shards {

// plan.json: everything the runner needs for every entry of one ctest run
// (format "pytest-shards-plan/1").
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
};

// The module_paths of a plan made from `collection`.
std::map<std::string, std::string> ModulePaths(const Collection& collection);

// plan.json's text: one line per entry, written without a JSON DOM.
std::string PlanFileText(const PlanFile& file);
nlohmann::json PlanFileToJson(const PlanFile& file);
// Throws Error ("plan file ... is corrupt; re-run cmake") on a malformed document.
PlanFile PlanFileFromJson(const nlohmann::json& json);
// Reads plan.json; every Error names `path`, and says `fix` when the file is
// missing or not JSON.
PlanFile ReadPlanFile(const std::filesystem::path& path, std::string_view fix);

}  // namespace pytest_shards
