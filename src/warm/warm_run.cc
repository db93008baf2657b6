#include "warm/warm_run.h"

#include <algorithm>
#include <csignal>
#include <optional>
#include <set>
#include <system_error>

#include "data/environment.h"
#include "platform/platform.h"
#include "platform/process_memory.h"
#include "platform/subprocess.h"
#include "run/lease.h"
#include "run/protocol.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// Seconds without a child after which the server exits although its ctest
// still runs (entries of other suites can take long; the next one that
// needs a server starts another).
constexpr int kIdleSeconds = 60;
// How long the warm interpreter may take to fork a child.
constexpr double kAnswerSeconds = 30;

// A child of the warm interpreter, as the supervisor sees pytest.
class WarmPytest : public PytestProcess {
 public:
  explicit WarmPytest(std::unique_ptr<WarmChild> child) : child_(std::move(child)) {}
  bool Wait(double seconds) override { return child_->Wait(seconds); }
  void Interrupt(int signal) override { child_->Kill(signal); }
  void Kill() override { child_->Kill(SIGKILL); }
  // The child leads its own process group, as a cold pytest does.
  long MemoryKb() override { return ProcessGroupRssKb(child_->pid()); }
  int exit_code() const override { return child_->exit_code(); }
  int signal() const override { return child_->signal(); }
  long peak_rss_kb() const override { return child_->peak_rss_kb(); }

 private:
  std::unique_ptr<WarmChild> child_;
};

// PYTEST_SHARDS_WARM and PYTEST_SHARDS_WARM_REUSE: 0/off or 1/on in ctest's
// environment override the suite's setting; anything else leaves it.
std::optional<bool> Forced(const std::vector<std::string>& env, const std::string& name) {
  std::string value = GetVariable(env, name);
  if (value == "0" || value == "off" || value == "OFF") return false;
  if (value == "1" || value == "on" || value == "ON") return true;
  return std::nullopt;
}

std::string NameOf(const std::string& assignment) {
  return assignment.substr(0, assignment.find('='));
}

}  // namespace

WarmUse UseWarm(const Settings& settings, const Entry& entry, const std::vector<std::string>& env,
                bool few) {
  if (entry.collection_errors || settings.imports == Imports::kOwn) return WarmUse::kNever;
  if (std::optional<bool> forced = Forced(env, "PYTEST_SHARDS_WARM"))
    return *forced ? WarmUse::kAlways : WarmUse::kNever;
  if (settings.warm != Warm::kAuto)
    return settings.warm == Warm::kOn ? WarmUse::kAlways : WarmUse::kNever;
  if (few) return WarmUse::kNever;
  // A shard's one start-up costs about what forking saves (measured on the
  // demo suite), but each restart after a crash is one more start-up.
  return settings.granularity == Granularity::kShard ? WarmUse::kRestarts : WarmUse::kAlways;
}

bool CtestOfRunGone(int planned, int parent) {
  return planned > 0 && parent != planned && !ProcessExists(planned);
}

bool ReuseWarmChildren(const Settings& settings, const std::vector<std::string>& env) {
  return Forced(env, "PYTEST_SHARDS_WARM_REUSE").value_or(settings.warm_reuse);
}

std::vector<std::string> WarmServerEnvironment(const Settings& settings, const fs::path& tmpdir,
                                               const std::vector<std::string>& parent) {
  ShardContext server;
  server.tmpdir = tmpdir;
  std::vector<std::string> shared = ShardEnvironment(settings, server, parent);
  // What ShardEnvironment sets per entry, and ENVIRONMENT entries whose
  // value depends on the entry: the parent's value, or none.
  std::set<std::string> per_entry = {"PYTEST_SHARD_TMPDIR",      "PYTEST_SHARD_INDEX",
                                     "PYTEST_SHARD_COUNT",       "PYTEST_SHARD_PORT_BASE",
                                     "PYTEST_SHARD_PORT_COUNT",  "PYTEST_XDIST_WORKER",
                                     "PYTEST_XDIST_WORKER_COUNT"};
  ShardContext other = server;
  other.index = 1;
  other.count = 2;
  other.tmpdir = tmpdir / "other";
  other.port_base = 1;
  for (const std::string& assignment : settings.environment) {
    std::string value = assignment.substr(assignment.find('=') + 1);
    if (ExpandPlaceholders(value, server) != ExpandPlaceholders(value, other))
      per_entry.insert(NameOf(assignment));
  }
  std::vector<std::string> env;
  for (const std::string& assignment : shared) {
    std::string name = NameOf(assignment);
    if (!per_entry.count(name)) {
      env.push_back(assignment);
      continue;
    }
    std::string prefix = name + "=";
    auto inherited = std::find_if(parent.begin(), parent.end(), [&](const std::string& p) {
      return p.compare(0, prefix.size(), prefix) == 0;
    });
    if (inherited != parent.end() && name.rfind("PYTEST_SHARD", 0) != 0 &&
        name.rfind("PYTEST_XDIST", 0) != 0)
      env.push_back(*inherited);
  }
  return env;
}

WarmServerSpec WarmSpec(const PlanEntry& plan, const fs::path& plan_file, int ctest) {
  const Settings& settings = plan.file.settings;
  WarmServerSpec spec;
  spec.dir = WarmDir(settings.suite_dir, plan.file.run_id);
  ShardContext server;
  server.index = 0;
  server.count = static_cast<int>(plan.count);
  server.tmpdir = spec.dir / "tmp";
  // The server collects every node ID the run's warm entries may ask for.
  fs::path node_ids_file = spec.dir / "node-ids.json";
  fs::path journal = spec.dir / "journal.jsonl";
  spec.argv = {settings.python,
               "-m",
               "pytest_shards_plugin.warm",
               "--dir",
               spec.dir.string(),
               "--watch-pid",
               std::to_string(ctest),
               "--idle-timeout",
               std::to_string(kIdleSeconds)};
  std::vector<std::string> env = CurrentEnvironment();
  if (!ReuseWarmChildren(settings, env)) spec.argv.push_back("--no-reuse");
  spec.argv.push_back("--");
  std::vector<std::string> pytest =
      WarmArgv(PytestArgv(plan.file, *plan.entry, server, node_ids_file, journal));
  spec.argv.insert(spec.argv.end(), pytest.begin(), pytest.end());
  spec.env = WarmServerEnvironment(settings, server.tmpdir, env);
  spec.cwd = settings.workdir.string();
  spec.start_timeout = settings.discovery_timeout;
  spec.before_start = [plan_file, node_ids_file, tmpdir = server.tmpdir] {
    PlanFile whole = ReadPlanFile(plan_file, "re-run ctest, which plans again, or cmake");
    std::vector<std::string> ids;
    for (const Entry& e : whole.plan.entries)
      if (!e.collection_errors) ids.insert(ids.end(), e.node_ids.begin(), e.node_ids.end());
    // The shared tail's tests are every sharing entry's to take: the
    // server collects them as tests of its own.
    for (const auto& group : whole.plan.shared_tail)
      ids.insert(ids.end(), group.begin(), group.end());
    WriteFileAtomic(node_ids_file, NodeIdsFileText(whole, ids));
    std::error_code ec;
    fs::remove_all(tmpdir, ec);
    fs::create_directories(tmpdir, ec);
    if (ec)
      throw Error("cannot create " + tmpdir.string() + ": " + ec.message() +
                  "; make the build tree writable");
  };
  return spec;
}

std::unique_ptr<PytestProcess> WarmProcessRunner::Start(const SpawnOptions& options) {
  if (cold_runs_ > 0) {
    --cold_runs_;
    return cold_.Start(options);
  }
  if (std::unique_ptr<WarmChild> child = StartWarm(options))
    return std::make_unique<WarmPytest>(std::move(child));
  return cold_.Start(options);
}

int WarmProcessRunner::Interrupted() {
  if (int signal = cold_.Interrupted()) return signal;
  // Killed ctest: what the entry started now would outlive it.
  return ParentProcessId() == ctest_ ? 0 : SIGHUP;
}

std::unique_ptr<WarmChild> WarmProcessRunner::StartWarm(const SpawnOptions& options) {
  if (make_spec_) {
    spec_ = make_spec_();
    make_spec_ = nullptr;
  }
  if (!spec_) return nullptr;
  WarmRequest request;
  request.argv = WarmArgv(options.argv);
  request.env = options.env;
  request.cwd = options.cwd;
  std::string why;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<WarmSocket> socket = ConnectWarmServer(*spec_, &why);
    if (!socket) break;
    bool stale = false;
    std::unique_ptr<WarmChild> child =
        WarmChild::Start(std::move(*socket), request, kAnswerSeconds, &why, &stale);
    if (child) return child;
    // Stale, or it stopped (idle) as we came: the next attempt starts one.
    if (stale) PrintLine(out_, why + "; starting it again");
  }
  PrintLine(out_, why + "; pytest starts cold");
  cold_reason_ = why;
  spec_.reset();
  return nullptr;
}

}  // namespace pytest_shards
