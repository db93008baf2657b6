// The shard runner: what every CTest entry executes (`pytest-shards run`);
// the pytest command line it runs is in protocol.h.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <ostream>

#include "run/supervisor.h"

namespace pytest_shards {

// Runs entry `index` of the plan: leases the tmp dir and ports, runs
// pytest under a Supervisor (again on the rest after a crash or a per-test
// timeout), writes the journal and returns the exit code: 0 exactly when
// every node ID ran and none failed or errored. `processes` starts pytest
// (RealProcessRunner, real_process_runner.h), directly or, when the entry
// forks from the warm interpreter, after that is unavailable. `cold`: the
// ctest runs only a few entries (emit.h), which start pytest cold unless
// PYTEST_SHARDS_WARM=1. `at`: where the entry's line starts in plan.json,
// which its add_test() passes (plan_file.h: ReadPlanEntry).
int RunEntry(const std::filesystem::path& plan_file, int index, ProcessRunner& processes,
             std::ostream& out, bool cold = false, std::optional<size_t> at = std::nullopt);

}  // namespace pytest_shards
