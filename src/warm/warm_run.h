// The runner's use of warm interpreters: which entries fork their pytest
// from the run's warm interpreter, how that interpreter is started (the
// pytest command line a shard of every planned node ID would run, in a
// private directory of the suite), and a ProcessRunner whose pytest
// processes are its children.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "run/supervisor.h"
#include "warm/warm.h"

namespace pytest_shards {

// Which of an entry's pytest runs fork from the run's warm interpreter.
enum class WarmUse {
  kNever,     // WARM off, PYTEST_SHARDS_WARM=0, the collection-errors entry,
              // a ctest that runs few entries under WARM auto,
              // IMPORTS own (the server imports the whole suite, which is
              // what that option opts out of)
  kRestarts,  // shard entries under WARM auto: the first run starts cold;
              // after a crash the rest forks instead of paying a start-up
  kAlways,    // GRANULARITY file and test under WARM auto, WARM on, or
              // PYTEST_SHARDS_WARM=1 in `env` (for every entry not kNever)
};
// `few`: the ctest runs only a few entries (`run --cold`, see emit.h); under
// WARM auto they start cold, since the warm interpreter imports the suite.
WarmUse UseWarm(const Settings& settings, const Entry& entry, const std::vector<std::string>& env,
                bool few = false);

// Whether the ctest that planned the run (`planned`, 0: unknown) has ended
// and is not the runner's `parent`: the runner started as ctest was killed
// (and init adopted it) or by hand after ctest ended. Its entry then runs
// cold: a warm interpreter would watch a parent that never ends.
bool CtestOfRunGone(int planned, int parent);

// Whether a child of the warm interpreter runs the next entry after its own
// (WARM_REUSE, or PYTEST_SHARDS_WARM_REUSE=0 or 1 in `env`): the server
// starts with --no-reuse otherwise.
bool ReuseWarmChildren(const Settings& settings, const std::vector<std::string>& env);

// The warm server of the run of `plan` (read from `plan_file` by
// ReadPlanEntry, with `entry`), watching `ctest` (the runner's parent): it
// exits when that process does. Starting it reads the whole plan file for
// every planned node ID. `plan` must outlive the spec.
WarmServerSpec WarmSpec(const PlanEntry& plan, const std::filesystem::path& plan_file, int ctest);

// The server's environment: `parent` with what every entry shares (the
// plugin's PYTHONPATH, ENVIRONMENT entries without placeholders) and TMPDIR
// in its own directory, but none of the per-entry variables (PYTEST_SHARD_*,
// PYTEST_XDIST_*, ENVIRONMENT entries with placeholders): each child gets
// its entry's before its tests run.
std::vector<std::string> WarmServerEnvironment(const Settings& settings,
                                               const std::filesystem::path& tmpdir,
                                               const std::vector<std::string>& parent);

// Starts pytest as a child of the run's warm interpreter (starting that
// first when none runs), and through `cold` when it is unavailable: then it
// says why on `out`, once, and the entry's later runs go cold at once. With
// WarmUse::kRestarts the first run goes cold too. `make_spec` (WarmSpec) is
// called at the first run that forks, so an entry that never does never
// builds the server's command line and environment.
// Interrupted() also reports SIGHUP once `ctest` is gone (kill -9): an
// entry whose ctest died starts nothing more.
class WarmProcessRunner : public ProcessRunner {
 public:
  WarmProcessRunner(ProcessRunner& cold, std::function<WarmServerSpec()> make_spec, WarmUse use,
                    int ctest, std::ostream& out)
      : cold_(cold),
        make_spec_(std::move(make_spec)),
        cold_runs_(use == WarmUse::kRestarts ? 1 : 0),
        ctest_(ctest),
        out_(out) {}

  std::unique_ptr<PytestProcess> Start(const SpawnOptions& options) override;
  int Interrupted() override;
  // Why a run started cold although it would have forked (the warm
  // interpreter is unavailable); empty when none did.
  const std::string& cold_reason() const { return cold_reason_; }
  double WallTime() override { return cold_.WallTime(); }
  double SteadyTime() override { return cold_.SteadyTime(); }

 private:
  std::unique_ptr<WarmChild> StartWarm(const SpawnOptions& options);

  ProcessRunner& cold_;
  std::function<WarmServerSpec()> make_spec_;  // until the first run that forks
  std::optional<WarmServerSpec> spec_;         // reset once the warm interpreter failed us
  int cold_runs_;                              // the first runs that start cold
  int ctest_;
  std::ostream& out_;
  std::string cold_reason_;
};

}  // namespace pytest_shards
