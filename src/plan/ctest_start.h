// What runs at every ctest start for one suite (`pytest-shards plan`): fold
// the last run's journals into the durations store, refresh or check the
// collection, plan, and write the run's plan.json and tests.cmake.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "collect/collect.h"
#include "plan/ci_slice.h"
#include "plan/last_tests_failed.h"

namespace pytest_shards {

struct CtestStartOptions {
  std::filesystem::path tool;  // the pytest-shards executable entries run
  int cores = 1;               // of the machine ctest runs on
  // MEMORY_BUDGET in MiB as resolved at ctest start (auto: the available
  // memory), or 0: entries then ask for RESOURCE_GROUPS memory:<MiB>.
  long memory_budget_mib = 0;
  // Under the parallel preset (see presets/): every entry asks for one slot
  // of the "cores" resource, so that at most `cores` entries run at once.
  bool cores_resource = false;
  // PYTEST_SHARDS_SLICE of ctest's environment ("k/n"), or empty: the whole
  // suite. See slice.h.
  std::string slice;
  // ctest's environment: without `slice`, the CI system's variables choose
  // the slice (ci_slice.h).
  Environment environment;
  // CMAKE_VERSION of the ctest (its include script passes it), or empty.
  std::string ctest_version;
  // The ctest's command line (ctest_invocation.h), or empty: unknown.
  std::vector<std::string> ctest_argv;
  // Its LastTestsFailed.log under --rerun-failed (last_tests_failed.h).
  std::optional<LastTestsFailedLog> ctest_last_failed;
};

// Plans a new run of the suite in `suite_dir` (see runs.h): writes its
// plan.json and tests.cmake and returns the path of tests.cmake, which the
// calling ctest includes (its own: another ctest planning at the same time
// writes another run). Problems the user must fix become failing CTest
// entries in tests.cmake rather than exceptions, so that ctest reports them;
// Error is thrown only when settings.json is unusable. `collector` runs
// pytest's collection when DISCOVERY_MODE PRE_TEST or a stale collection
// needs it (PytestCollector). Diagnostics go to `out`.
std::filesystem::path PlanAtCtestStart(const std::filesystem::path& suite_dir,
                                       const CtestStartOptions& options, Collector& collector,
                                       std::ostream& out);

}  // namespace pytest_shards
