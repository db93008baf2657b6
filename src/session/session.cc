#include "session/session.h"

#include <set>

#include "data/environment.h"
#include "data/runs.h"
#include "plan/seed.h"
#include "platform/subprocess.h"
#include "run/supervisor.h"
#include "session/session_merge.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "pytest-shards-session/1";

// The journals of the plan's entries that ran in this run.
std::vector<ShardJournal> RanEntries(const PlanFile& plan) {
  std::vector<ShardJournal> ran;
  for (size_t i = 0; i < plan.plan.entries.size(); ++i) {
    fs::path file = JournalFile(plan.settings.suite_dir, plan.run_id, i);
    std::error_code ec;
    if (!fs::exists(file, ec)) continue;
    ran.push_back(ReadJournal(file));
    ran.back().index = static_cast<int>(i);
  }
  return ran;
}

// What becomes of a pytest that the session step waits for: Ctrl-C or
// ctest's kill reach it too.
int WaitFor(Subprocess& pytest) {
  InterruptHandlers handlers;
  while (!pytest.Wait(0.1)) {
    if (int signal = InterruptHandlers::Received()) pytest.Kill(signal);
  }
  return pytest.signal() ? 128 + pytest.signal() : pytest.exit_code();
}

// Runs the session step's pytest on `session_dir` (its run.json written).
int RunSessionStep(const PlanFile& plan, const fs::path& session_dir, std::ostream& out) {
  const Settings& settings = plan.settings;
  SpawnOptions options;
  options.argv = SessionArgv(plan, session_dir);
  options.env = CurrentEnvironment();
  PrependPythonPath(options.env, settings.plugin_dir);
  options.cwd = settings.workdir.string();
  out.flush();
  Subprocess pytest(options);
  int status = WaitFor(pytest);
  // pytest's 5 (nothing collected): the step collects nothing by design.
  if (status == 0 || status == 5) return 0;
  PrintLine(out, settings.suite + "/session: the session outputs failed (pytest exit status " +
                     std::to_string(status) + "); the tests' verdicts are their entries'");
  return 1;
}

}  // namespace

json SessionInput(const PlanFile& plan, const Collection& collection,
                  const std::vector<ShardJournal>& journals) {
  std::set<std::string> ran_ids;
  json entries = json::array();
  json results = json::object();
  double start = 0;
  for (const ShardJournal& journal : journals) {
    const Entry& entry = plan.plan.entries.at(static_cast<size_t>(journal.index));
    ran_ids.insert(entry.node_ids.begin(), entry.node_ids.end());
    if (entry.shares_tail)  // the shared tail's tests ran in one of these
      for (const auto& group : plan.plan.shared_tail) ran_ids.insert(group.begin(), group.end());
    json pids = json::array();
    for (const Session& session : journal.sessions)
      if (session.pid > 0) pids.push_back(session.pid);
    // The collection-errors entry runs without the user's ARGS (so without
    // --cov): no coverage part is due from it.
    entries.push_back({{"name", entry.name},
                       {"index", journal.index},
                       {"pids", pids},
                       {"collection_errors", entry.collection_errors}});
    if (journal.start > 0 && (start == 0 || journal.start < start)) start = journal.start;
    for (const TestResult& result : journal.results) {
      std::optional<Outcome> outcome = ParseOutcome(result.outcome);
      if (outcome == Outcome::kCrashed || outcome == Outcome::kTimeout ||
          outcome == Outcome::kMissing)
        results[result.node_id] = {result.outcome, result.message, result.duration};
    }
  }
  json order = json::array();
  json pytest_ids = json::object();
  std::set<std::string> ordered;
  auto add = [&](const std::string& id) {
    if (ran_ids.count(id) && ordered.insert(id).second) order.push_back(id);
  };
  for (const CollectionError& error : collection.errors) add(error.node_id);
  for (const Item& item : collection.items) {
    add(item.node_id);
    if (!item.pytest_node_id.empty()) pytest_ids[item.node_id] = item.pytest_node_id;
  }
  for (const Entry& entry : plan.plan.entries)
    for (const std::string& id : entry.node_ids) add(id);
  return {{"format", kFormat},        {"start", start},     {"order", order},
          {"pytest_ids", pytest_ids}, {"entries", entries}, {"results", results}};
}

std::vector<std::string> SessionArgv(const PlanFile& plan, const fs::path& session_dir) {
  const Settings& settings = plan.settings;
  std::vector<std::string> argv = {settings.python, "-m", "pytest", "-p", "pytest_shards_plugin"};
  argv.insert(argv.end(), settings.args.begin(), settings.args.end());
  argv.insert(argv.end(), settings.run_args.begin(), settings.run_args.end());
  argv.push_back("--rootdir=" + plan.rootdir);
  if (plan.xdist) {
    // `addopts = -n auto` must not start workers for a session that runs nothing.
    for (const char* arg : {"-n", "0", "--dist", "no"}) argv.push_back(arg);
  }
  argv.push_back("--shards-serial-marker=" + settings.serial_marker);
  for (std::string& arg : SeedArgs(plan)) argv.push_back(std::move(arg));
  argv.push_back("--shards-session=" + session_dir.string());
  return argv;
}

int RunSession(const fs::path& plan_file, std::ostream& out) {
  PlanFile plan = ReadPlanFile(plan_file, "re-run ctest, which plans again");
  const Settings& settings = plan.settings;
  std::vector<ShardJournal> ran = RanEntries(plan);
  std::string label = settings.suite + "/session";
  if (ran.empty()) {
    PrintLine(out, label + ": no entry of this run ran; the session outputs stay as they were");
    return 0;
  }
  Collection collection;
  try {
    collection = ReadCollection(settings.CollectionFile());
  } catch (const Error&) {
    // The plan's own order then: each entry's tests in collection order.
  }
  fs::path session_dir = RunSessionDir(settings.suite_dir, plan.run_id);
  WriteFileAtomic(session_dir / "run.json", SessionInput(plan, collection, ran).dump());
  return RunSessionStep(plan, session_dir, out);
}

int MergeSession(const fs::path& plan_file, const std::vector<fs::path>& part_dirs,
                 std::ostream& out) {
  PlanFile plan = ReadPlanFile(plan_file, "re-run ctest -N, which plans again");
  std::vector<SessionParts> jobs;
  for (const fs::path& dir : part_dirs) jobs.push_back(ReadSessionParts(dir));
  Collection collection;
  try {
    collection = ReadCollection(plan.settings.CollectionFile());
  } catch (const Error&) {
    // The jobs' own orders then.
  }
  // A fresh directory: the plan's run may be one that ran.
  fs::path session_dir = RunDir(plan.settings.suite_dir, plan.run_id) / "merged-session";
  fs::remove_all(session_dir);
  fs::create_directories(session_dir);
  WriteFileAtomic(session_dir / "run.json",
                  MergeSessionParts(jobs, collection, session_dir).dump());
  return RunSessionStep(plan, session_dir, out);
}

}  // namespace pytest_shards
