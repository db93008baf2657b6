#include "run/lease.h"

#include <system_error>
#include <utility>

#include "data/environment.h"
#include "platform/subprocess.h"
#include "util/error.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// tmp/<index>, or the first tmp/<index>-<n> whose lock is free.
fs::path LeaseTmpDir(const fs::path& root, int index, std::optional<FileLock>* lock) {
  std::error_code ec;
  fs::create_directories(root, ec);
  for (int n = 0; n < 1000; ++n) {
    std::string name = std::to_string(index) + (n == 0 ? "" : "-" + std::to_string(n));
    *lock = FileLock::TryLock(root / (name + ".lock"), FileLock::Mode::kExclusive);
    if (*lock) return root / name;
  }
  throw Error("every shard directory " + (root / std::to_string(index)).string() +
              "-<n> is in use; stop the other ctest runs on this build tree");
}

}  // namespace

std::string ExpandPlaceholders(std::string_view text, const ShardContext& shard) {
  const std::pair<const char*, std::string> values[] = {
      {"{shard}", std::to_string(shard.index)},
      {"{shards}", std::to_string(shard.count)},
      {"{tmp}", shard.tmpdir.string()},
      {"{port_base}", std::to_string(shard.port_base)},
      {"{port_count}", std::to_string(shard.port_count)},
  };
  std::string result;
  size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : values) {
        std::string_view placeholder(name);
        if (text.substr(i, placeholder.size()) == placeholder) {
          result += value;
          i += placeholder.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) result += text[i++];
  }
  return result;
}

std::vector<std::string> ShardEnvironment(const Settings& settings, const ShardContext& shard,
                                          const std::vector<std::string>& parent) {
  std::vector<std::string> env = parent;
  // `ctest --preset test` sets this for its own include files; a ctest that a
  // test starts must not inherit it, or it would cap its tests to the cores.
  UnsetVariable(env, "PYTEST_SHARDS_PRESET_JOBS");
  std::string tmp = shard.tmpdir.string();
  SetVariable(env, "TMPDIR", tmp);
  SetVariable(env, "PYTEST_SHARD_TMPDIR", tmp);
  SetVariable(env, "PYTEST_SHARD_INDEX", std::to_string(shard.index));
  SetVariable(env, "PYTEST_SHARD_COUNT", std::to_string(shard.count));
  SetVariable(env, "PYTEST_SHARD_PORT_BASE", std::to_string(shard.port_base));
  SetVariable(env, "PYTEST_SHARD_PORT_COUNT", std::to_string(shard.port_count));
  SetVariable(env, "PYTEST_XDIST_WORKER", "gw" + std::to_string(shard.index));
  SetVariable(env, "PYTEST_XDIST_WORKER_COUNT", std::to_string(shard.count));
  // The user's ENVIRONMENT wins over everything above.
  for (const std::string& assignment : settings.environment) {
    auto [name, value] = SplitAssignment(assignment);
    SetVariable(env, name, ExpandPlaceholders(value, shard));
  }
  PrependPythonPath(env, settings.plugin_dir);
  return env;
}

ShardLease::ShardLease(const Settings& settings, int index, int count,
                       const fs::path& machine_port_locks) {
  shard_.index = index;
  shard_.count = count;
  shard_.tmpdir = LeaseTmpDir(settings.TmpRoot(), index, &tmp_lock_);
  std::error_code ec;
  fs::remove_all(shard_.tmpdir, ec);
  if (!ec) fs::create_directories(shard_.tmpdir, ec);
  if (ec) {
    throw Error("cannot empty shard directory " + shard_.tmpdir.string() + ": " + ec.message() +
                "; make the build tree writable");
  }
  ports_ = std::make_unique<PortLease>(PortLocks{settings.PortLockFile(), machine_port_locks},
                                       settings.port_base, settings.ports_per_shard);
  shard_.port_base = ports_->base();
  shard_.port_count = ports_->count();
  environment_ = ShardEnvironment(settings, shard_, CurrentEnvironment());
}

ShardLease::~ShardLease() = default;

}  // namespace pytest_shards
