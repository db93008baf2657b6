#include "plan/ctest_start.h"

#include <chrono>
#include <cstdio>

#include "collect/collect.h"
#include "collect/depends.h"
#include "data/runs.h"
#include "emit/directory_labels.h"
#include "emit/emit.h"
#include "plan/learn.h"
#include "plan/plan.h"
#include "plan/slice.h"
#include "platform/platform.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// A run planned this recently may be a ctest that has not started an entry
// yet: its plan stays even when another ctest plans meanwhile.
constexpr std::chrono::hours kRecentRun{1};

// CTest lists a test's custom properties (DEF_SOURCE_LINE) in its
// --show-only=json-v1 since 3.30; before, no IDE sees them. Unknown: yes.
bool ListsCustomProperties(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return true;
  return major > 3 || (major == 3 && minor >= 30);
}

EmitOptions EmitOptionsFor(const Settings& s, const CtestStartOptions& options,
                           const PlanFile& file, const Durations& durations) {
  const std::string& run_id = file.run_id;
  bool session = !file.session_outputs.empty();
  EmitOptions emit;
  static_cast<Settings&>(emit) = s;
  emit.tool = options.tool.string();
  emit.plan_file = RunPlanFile(s.suite_dir, run_id).string();
  emit.cores_resource = options.cores_resource;
  emit.memory_budget_mib = options.memory_budget_mib;
  if (options.memory_budget_mib > 0) emit.peak_rss_kb = durations.peak_rss_kb;
  emit.session = session;
  emit.ctest = CtestInvocation::FromArguments(options.ctest_argv, file.ctest_last_failed);
  emit.cores = options.cores;
  emit.source_lines = ListsCustomProperties(options.ctest_version);
  emit.first_in_directory = SuiteTestsComeFirst(s.suite_dir);
  return emit;
}

Collection CurrentCollection(const Settings& s, Collector& collector, std::string* stale,
                             std::ostream& out) {
  if (s.discovery_mode == DiscoveryMode::kPreTest) return RefreshCollection(s, collector, out);
  Collection collection = ReadCollection(s.CollectionFile());
  std::string why;
  if (!CollectionIsStale(s, collection, &why)) return collection;
  // Most edits change a test's body, not the tests: collect again to see.
  // Only a change in node IDs or markers makes the configured plan wrong.
  Collection fresh = collector.Collect(s, out);
  std::string change = DescribeChange(collection, fresh);
  if (change.empty()) {
    WriteCollection(s, fresh);
    return fresh;
  }
  // With DEPENDS the build collects (once they are built), not configure.
  *stale = s.depends.empty() ? "the tests changed since cmake collected them (" + change +
                                   "); re-run cmake, or use DISCOVERY_MODE PRE_TEST"
                             : "the tests changed since the build collected them (" + change +
                                   "); build again (cmake --build <build dir>), or use "
                                   "DISCOVERY_MODE PRE_TEST";
  return collection;
}

// DURATIONS_FILE, or no durations when it is unset. A missing file is one
// warning: a fresh CI cache has none yet, and planning works without it.
Durations ReadDurationsFile(const Settings& s, std::ostream& out) {
  if (s.durations_file.empty()) return {};
  std::error_code ec;
  if (!fs::exists(s.durations_file, ec)) {
    out << "pytest-shards: " << s.suite << ": warning: DURATIONS_FILE " << s.durations_file.string()
        << " does not exist; planning without it\n";
    return {};
  }
  try {
    return ReadDurations(s.durations_file);
  } catch (const Error&) {
    throw Error("DURATIONS_FILE " + s.durations_file.string() +
                " is corrupt; write it again with pytest-shards merge --durations-out");
  }
}

// The local store, with the file's duration for every test it never timed.
Durations Seeded(Durations local, const Durations& file) {
  local.tests.insert(file.tests.begin(), file.tests.end());
  if (local.startup <= 0) local.startup = file.startup;
  return local;
}

// The last run's warm interpreter could not start, and its entries started
// pytest cold, each paying the suite's whole start-up: one line in ctest's
// normal output says so (the entries' own output says it only under -V).
std::string WarmUnavailableMessage(const Settings& s) {
  std::string run_id = LastRun(s.suite_dir);
  std::optional<std::string> reason;
  if (run_id.empty() || !(reason = WarmUnavailable(WarmDir(s.suite_dir, run_id)))) return "";
  return "message(" +
         BracketArgument("pytest-shards: " + s.suite +
                         ": warning: the warm interpreter of the last run did not start (" +
                         *reason +
                         "), so its entries started pytest cold; pytest-shards report lists "
                         "them") +
         ")\n";
}

}  // namespace

fs::path PlanAtCtestStart(const fs::path& suite_dir, const CtestStartOptions& options,
                          Collector& collector, std::ostream& out) {
  Settings settings =
      SettingsFromJson(ReadJsonFile(SettingsFile(suite_dir), "settings", "re-run cmake"));
  std::string run_id = NewRunId();
  std::string tests;
  try {
    // First, so that a bad value writes no plan.json, only the failing entry.
    Environment environment = options.environment;
    if (!options.slice.empty()) environment["PYTEST_SHARDS_SLICE"] = options.slice;
    SliceChoice choice = ChooseSlice(environment);
    Slice slice = choice.slice;
    // Before the build, one line and one failing entry say so, and nothing
    // is collected from modules that are not there.
    if (std::string not_built = NotBuiltYet(settings); !not_built.empty()) {
      tests = "message(" + BracketArgument("pytest-shards: " + settings.suite + ": " + not_built) +
              ")\n" +
              EmitFailingEntry(options.tool.string(), settings.suite, "build-first", not_built);
      fs::path tests_file = RunTestsFile(settings.suite_dir, run_id);
      WriteFileAtomic(tests_file, tests);
      return tests_file;
    }
    Durations file_durations = ReadDurationsFile(settings, out);
    Durations durations = Seeded(FoldJournalsIntoDurations(suite_dir), file_durations);
    std::string warm_unavailable = WarmUnavailableMessage(settings);
    std::string stale;
    Collection collection = CurrentCollection(settings, collector, &stale, out);
    PlanOptions plan_options{settings, options.cores};
    // MEMORY_BUDGET reserves each entry's peak of the last run: tests that
    // move between shards at run time would take their memory elsewhere.
    if (options.memory_budget_mib > 0) plan_options.shared_tail = false;
    PlanFile file;
    file.run_id = run_id;
    file.settings = settings;
    file.rootdir = collection.rootdir;
    file.xdist = collection.xdist;
    file.session_outputs = collection.session_outputs;
    file.ctest_pid = ParentProcessId();  // `plan` runs in ctest's execute_process
    file.ctest_argv = options.ctest_argv;
    file.module_paths = ModulePaths(collection);
    file.slice = slice;
    file.slice_source = choice.source;
    // A CI slice is cut from the collection and DURATIONS_FILE alone, then
    // planned for this machine (its cores, local store, last-failed).
    file.plan = MakePlan(
        slice.count > 1 ? SelectSlice(collection, plan_options, file_durations, slice) : collection,
        plan_options, durations);
    PrioritiseLastFailed(&file.plan);
    if (const auto& log = options.ctest_last_failed) {
      std::optional<PlanFile> before = PlanBefore(suite_dir, run_id, log->written);
      file.plan = PlanForRerun(*log, before, file);
      file.ctest_last_failed = RerunEntries(*log, EntryNames(before), file.plan);
    }
    std::vector<size_t> offsets;
    WriteFileAtomic(RunPlanFile(settings.suite_dir, file.run_id), PlanFileText(file, &offsets));
    PruneRuns(settings.suite_dir, file.run_id, kRecentRun);
    EmitOptions emit = EmitOptionsFor(settings, options, file, durations);
    emit.entry_offsets = std::move(offsets);
    tests = EmitTests(file.plan, emit);
    tests += SliceMessage(settings.suite, choice) + warm_unavailable;
    // A stale collection still runs what it has, and one more entry says why
    // the run cannot be trusted to be complete.
    if (!stale.empty())
      tests += EmitFailingEntry(options.tool.string(), settings.suite, "stale-collection", stale);
  } catch (const Error& e) {
    tests = EmitFailingEntry(options.tool.string(), settings.suite, "plan-error", e.what());
  }
  fs::path tests_file = RunTestsFile(settings.suite_dir, run_id);
  WriteFileAtomic(tests_file, tests);
  return tests_file;
}

}  // namespace pytest_shards
