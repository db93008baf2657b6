// The shard runner: what every CTest entry executes (`pytest-shards run`).
// It puts the parts together: the entry's lease (lease.h), its journal
// (JournalWriter), and a Supervisor (supervisor.h) over the processes the
// caller gives it (real_process_runner.h), or over children of the run's
// warm interpreter (warm_run.h), then prints the entry's one-line summary.
#include "run/run.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "data/journal.h"
#include "data/outcome.h"
#include "data/runs.h"
#include "platform/file_lock.h"
#include "platform/platform.h"
#include "platform/subprocess.h"
#include "run/lease.h"
#include "run/protocol.h"
#include "run/supervisor.h"
#include "run/tail_claims.h"
#include "util/error.h"
#include "util/file_util.h"
#include "warm/warm_run.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

std::string FormatSeconds(double seconds) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << seconds << " s";
  return s.str();
}

bool MeasuresCoverage(const PlanFile& plan) {
  const auto& outputs = plan.session_outputs;
  return std::find(outputs.begin(), outputs.end(), "coverage") != outputs.end();
}

// "shard-3" of "demo/shard-3": the suite is in every line's context.
std::string Label(const Settings& settings, const Entry& entry) {
  std::string prefix = settings.suite + "/";
  return entry.name.compare(0, prefix.size(), prefix) == 0 ? entry.name.substr(prefix.size())
                                                           : entry.name;
}

// "shard-0: 3 passed, 1 crashed in 2.5 s"
void PrintSummary(std::ostream& out, const std::string& label, const JournalTail& tail,
                  double seconds) {
  std::map<std::string, int> counts;
  for (const auto& [id, outcome] : tail.LatestOutcomes()) ++counts[outcome];
  std::string parts;
  for (const auto& [outcome, n] : InDisplayOrder(counts))
    parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + outcome;
  if (parts.empty()) parts = "no tests ran";
  PrintLine(out, label + ": " + parts + " in " + FormatSeconds(seconds));
}

SpawnOptions PytestCommand(std::vector<std::string> argv, const ShardLease& lease,
                           const Settings& settings) {
  SpawnOptions options;
  options.argv = std::move(argv);
  options.env = lease.environment();
  options.cwd = settings.workdir.string();
  return options;
}

// The shared tail (plan/shared_tail.h) of entry `index`, when it takes
// part in it.
std::optional<EntryTail> TailOf(const PlanEntry& read, int index) {
  const PlanFile& plan = read.file;
  if (!read.entry->shares_tail || plan.plan.shared_tail.empty()) return std::nullopt;
  EntryTail tail;
  tail.groups = plan.plan.shared_tail;
  tail.claims = TailClaimsFile(plan.settings.suite_dir, plan.run_id);
  tail.entry = index;
  return tail;
}

// The node IDs of the groups the entry took, by `claims`.
std::vector<std::string> TakenIds(const EntryTail& tail, const TailClaims& claims) {
  std::vector<std::string> ids;
  for (std::size_t g = 0; g < tail.groups.size(); ++g)
    if (claims.TakenBy(g, tail.entry))
      ids.insert(ids.end(), tail.groups[g].begin(), tail.groups[g].end());
  return ids;
}

// The tail's node IDs that the entry's pytest runs started.
std::vector<std::string> TailStarted(const EntryTail& tail, const JournalTail& journal) {
  std::set<std::string> started(journal.started().begin(), journal.started().end());
  std::vector<std::string> ids;
  for (const auto& group : tail.groups)
    for (const std::string& id : group)
      if (started.count(id)) ids.push_back(id);
  return ids;
}

// Whether a new pytest would find work in the tail: a group nobody took,
// or one the entry took with a test its runs did not start.
bool TailLeft(const EntryTail& tail, const JournalTail& journal) {
  TailClaims claims = ReadTailClaims(tail.claims, tail.groups.size());
  if (claims.AnyLeft()) return true;
  std::set<std::string> started(journal.started().begin(), journal.started().end());
  for (const std::string& id : TakenIds(tail, claims))
    if (!started.count(id)) return true;
  return false;
}

// Runs entry `index` of the plan in `plan_file` (read has the entry).
// Whether `run --cold` makes this entry a click (emit.h): the warm
// interpreter, which WARM AUTO would use, imports the whole suite; the click
// runs as `pytest <file>::<test>` does instead, on its own modules. Not when
// session outputs (coverage) are measured: they stay the whole suite's.
bool RunsAsAClick(const PlanFile& plan, const Entry& entry, bool few) {
  std::vector<std::string> env = CurrentEnvironment();
  return few && plan.session_outputs.empty() &&
         UseWarm(plan.settings, entry, env, true) == WarmUse::kNever &&
         UseWarm(plan.settings, entry, env) != WarmUse::kNever;
}

int RunEntryOf(const PlanEntry& read, const fs::path& plan_file, int index, ProcessRunner& cold,
               std::ostream& out, bool few) {
  PlanFile plan = read.file;
  bool click = RunsAsAClick(plan, *read.entry, few);
  if (click) plan.settings.imports = Imports::kOwn;
  const Settings& settings = plan.settings;
  const Entry& entry = *read.entry;
  int count = static_cast<int>(read.count);
  // GRANULARITY file and test: pytest forked from the run's warm interpreter.
  std::optional<WarmProcessRunner> warm;
  int ctest = ParentProcessId();
  WarmUse use = click ? WarmUse::kNever : UseWarm(settings, entry, CurrentEnvironment());
  // Coverage would miss what the warm interpreter ran before the fork (the
  // suite's import-time lines): entries that measure it start cold.
  if (MeasuresCoverage(plan)) use = WarmUse::kNever;
  if (CtestOfRunGone(plan.ctest_pid, ctest)) use = WarmUse::kNever;
  if (use != WarmUse::kNever)
    warm.emplace(
        cold, [&read, &plan_file, ctest] { return WarmSpec(read, plan_file, ctest); }, use, ctest,
        out);
  ProcessRunner& processes = warm ? static_cast<ProcessRunner&>(*warm) : cold;
  JournalWriter journal(JournalFile(settings.suite_dir, plan.run_id, static_cast<size_t>(index)),
                        [&processes] { return processes.WallTime(); });
  Supervisor supervisor(processes, journal, out, settings.test_timeout, settings.timeout);
  journal.WriteRun(plan.run_id, entry.name, index);
  std::vector<std::string> node_ids;  // each once
  std::set<std::string> seen;
  for (const std::string& id : entry.node_ids)
    if (seen.insert(id).second) node_ids.push_back(id);
  std::optional<ShardLease> lease;  // held until the entry's last line
  int exit = 1;
  try {
    ValidateSettings(settings);
    lease.emplace(settings, index, count);
    if (!lease->note().empty()) PrintLine(out, lease->note());
    fs::path node_ids_file = lease->shard().tmpdir / "pytest-shards-node-ids.json";
    if (entry.collection_errors) {
      WriteFileAtomic(node_ids_file, NodeIdsFileText(plan, entry.node_ids));
      exit = supervisor.RunModules(
          entry.node_ids,
          PytestCommand(PytestArgv(plan, entry, lease->shard(), node_ids_file, journal.path()),
                        *lease, settings));
    } else {
      std::optional<EntryTail> tail = TailOf(read, index);
      exit = supervisor.RunNodeIds(
          node_ids,
          [&](const std::vector<std::string>& todo) {
            if (tail) tail->started = TailStarted(*tail, journal.tail());
            WriteFileAtomic(node_ids_file, NodeIdsFileText(plan, todo, tail ? &*tail : nullptr));
            return PytestCommand(
                PytestArgv(plan, entry, lease->shard(), node_ids_file, journal.path()), *lease,
                settings);
          },
          [&] { return tail && TailLeft(*tail, journal.tail()); });
      // A group taken and not run (the entry was killed after taking it)
      // is this entry's to report.
      if (tail)
        supervisor.WriteMissing(TakenIds(*tail, ReadTailClaims(tail->claims, tail->groups.size())));
    }
  } catch (const Error& e) {
    // The journal still says what became of every node ID.
    PrintLine(out, e.what());
    if (!entry.collection_errors) supervisor.WriteMissing(node_ids);
  }
  ShardJournal summary;
  summary.entry = entry.name;
  summary.wall = supervisor.SecondsSinceStart();
  summary.startup = supervisor.startup();
  summary.peak_rss_kb = supervisor.peak_rss_kb();
  summary.exit_code = exit;
  summary.restarts = supervisor.restarts();
  if (warm) summary.cold = warm->cold_reason();
  summary.interrupted = processes.Interrupted();
  journal.WriteShard(summary);
  PrintSummary(out, Label(settings, entry), journal.tail(), supervisor.SecondsSinceStart());
  return exit;
}

}  // namespace

int RunEntry(const fs::path& plan_file, int index, ProcessRunner& processes, std::ostream& out,
             bool cold, std::optional<size_t> at) {
  const char* fix = "re-run ctest, which plans again, or cmake";
  // A negative index reads entry 0, for the count in the message below.
  PlanEntry plan = ReadPlanEntry(plan_file, static_cast<size_t>(std::max(index, 0)), fix, at);
  // Held while the entry runs: a later ctest start prunes only runs whose
  // lock it can take.
  std::optional<FileLock> run_lock;
  try {
    run_lock = FileLock::TryLock(RunLockFile(plan.file.settings.suite_dir, plan.file.run_id),
                                 FileLock::Mode::kShared);
  } catch (const Error&) {
    // A plan outside its run directory (copied, or written by hand) runs too.
  }
  int count = static_cast<int>(plan.count);
  if (index < 0 || !plan.entry) {
    throw Error("entry " + std::to_string(index) + " is not in plan " + plan_file.string() +
                " (it has " + std::to_string(count) +
                " entries); re-run ctest so that the test list and the plan agree");
  }
  return RunEntryOf(plan, plan_file, index, processes, out, cold);
}

}  // namespace pytest_shards
