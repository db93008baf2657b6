// The runner's side of what it and the plugin say to each other (see
// protocol.h; python/pytest_shards_plugin/protocol.py reads what this
// writes and writes what this reads).
#include "run/protocol.h"

#include <algorithm>

#include "data/runs.h"
#include "plan/seed.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<std::string> PytestArgv(const PlanFile& plan, const Entry& entry,
                                    const ShardContext& shard, const fs::path& node_ids_file,
                                    const fs::path& journal) {
  const Settings& settings = plan.settings;
  std::vector<std::string> argv = {settings.python, "-m", "pytest", "-p", "pytest_shards_plugin"};
  if (entry.collection_errors) {
    // The user's ARGS name the whole suite; only the broken modules run
    // here, by path (`--pyargs` IDs are relative to their package).
    for (const std::string& module : entry.node_ids) argv.push_back(ModuleFile(plan, module));
  } else {
    argv.insert(argv.end(), settings.args.begin(), settings.args.end());
  }
  argv.insert(argv.end(), settings.run_args.begin(), settings.run_args.end());
  argv.push_back("--rootdir=" + plan.rootdir);
  argv.push_back(std::string(kBasetempOption) + "=" + (shard.tmpdir / "basetemp").string());
  // Shards never write the same pytest cache at once.
  argv.push_back("-o");
  argv.push_back(std::string(kCacheDirIni) + "=" + (shard.tmpdir / "pytest-cache").string());
  if (plan.xdist) {
    // `addopts = -n auto` must not start xdist workers in every shard.
    for (const char* arg : {"-n", "0", "--dist", "no"}) argv.push_back(arg);
  }
  argv.push_back("--shards-serial-marker=" + settings.serial_marker);
  argv.push_back("--shards-rewrite-cache=" + RewriteCacheDir(settings.suite_dir).string());
  if (entry.collection_errors) {
    argv.push_back(std::string(kCollectionErrorsOption) + "=" + node_ids_file.string());
  } else {
    argv.push_back(std::string(kNodeIdsOption) + "=" + node_ids_file.string());
    argv.push_back(std::string("--shards-imports=") + Name(settings.imports));
  }
  argv.push_back(std::string(kJournalOption) + "=" + journal.string());
  for (std::string& arg : SeedArgs(plan)) argv.push_back(std::move(arg));
  if (!plan.session_outputs.empty())
    argv.push_back("--shards-session-dir=" +
                   RunSessionDir(settings.suite_dir, plan.run_id).string());
  argv.push_back("-v");
  return argv;
}

std::string NodeIdsFileText(const PlanFile& plan, const std::vector<std::string>& ids,
                            const EntryTail* tail) {
  json paths = json::object();
  auto add_path = [&](const std::string& id) {
    auto found = plan.module_paths.find(std::string(ModulePart(id)));
    if (found != plan.module_paths.end()) paths[found->first] = found->second;
  };
  for (const std::string& id : ids) add_path(id);
  json file = {{"node_ids", ids}};
  if (tail) {
    for (const auto& group : tail->groups)
      for (const std::string& id : group) add_path(id);
    file["tail"] = {{"groups", tail->groups},
                    {"claims", tail->claims.string()},
                    {"entry", tail->entry},
                    {"started", tail->started}};
  }
  file["paths"] = paths;
  return file.dump();
}

std::vector<std::string> WarmArgv(const std::vector<std::string>& argv) {
  // {python, "-m", "pytest", ...}: see PytestArgv.
  return std::vector<std::string>(argv.begin() + std::min<size_t>(3, argv.size()), argv.end());
}

json WarmRunMessage(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& cwd) {
  return {{"op", "run"}, {"argv", argv}, {"env", env}, {"cwd", cwd}};
}

json WarmKillMessage(int signal) { return {{"op", "kill"}, {"signal", signal}}; }

WarmEvent ParseWarmEvent(const json& message) {
  WarmEvent event;
  std::string name = message.value("event", "");
  event.why = message.value("why", name);
  if (name == "started" && message.value("pid", 0) > 0) {
    event.kind = WarmEvent::Kind::kStarted;
    event.pid = message.value("pid", 0);
  } else if (name == "exited") {
    event.kind = WarmEvent::Kind::kExited;
    event.exit_code = message.value("exit_code", -1);
    event.signal = message.value("signal", 0);
    event.peak_rss_kb = message.value("peak_rss_kb", 0L);
  } else if (name == "stale") {
    event.kind = WarmEvent::Kind::kStale;
    event.file = message.value("file", "");
  } else if (name == "stopping") {
    event.kind = WarmEvent::Kind::kStopping;
  }
  return event;
}

}  // namespace pytest_shards
