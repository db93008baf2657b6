// What makes one running CTest entry private: its tmp dir, its range of
// ports, and the environment that tells its pytest about them (the SPEC's
// PYTEST_SHARD_* variables and the user's ENVIRONMENT with {placeholders}).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/settings.h"
#include "platform/file_lock.h"
#include "run/ports.h"

namespace pytest_shards {

struct ShardContext {
  int index = 0;  // PYTEST_SHARD_INDEX
  int count = 1;  // PYTEST_SHARD_COUNT
  std::filesystem::path tmpdir;
  int port_base = 0;
  int port_count = 0;
};

// Replaces {shard} {shards} {tmp} {port_base} {port_count}; other text,
// including unknown {words}, stays as it is.
std::string ExpandPlaceholders(std::string_view text, const ShardContext& shard);

// The environment of the pytest process: `parent` ("K=V" strings) with the
// SPEC's variables and the user's ENVIRONMENT (expanded) set over it.
std::vector<std::string> ShardEnvironment(const Settings& settings, const ShardContext& shard,
                                          const std::vector<std::string>& parent);

// Holds, for its lifetime, entry `index` of `count`'s tmp dir, emptied:
// tmp/<index>, or tmp/<index>-<n> while another ctest on this build tree
// runs the same index (each is ours while we hold its .lock); and a range of
// ports, private on the machine (PortLease).
class ShardLease {
 public:
  // Throws Error naming what is in use or cannot be written, and the fix.
  // `machine_port_locks`: PortLocks::machine_file.
  ShardLease(const Settings& settings, int index, int count,
             const std::filesystem::path& machine_port_locks = MachinePortLockFile());
  ShardLease(const ShardLease&) = delete;
  ShardLease& operator=(const ShardLease&) = delete;
  ~ShardLease();

  const ShardContext& shard() const { return shard_; }
  // ShardEnvironment over this process's environment.
  const std::vector<std::string>& environment() const { return environment_; }
  // PortLease::note(): a line for the entry's output, or empty.
  const std::string& note() const { return ports_->note(); }

 private:
  ShardContext shard_;
  std::optional<FileLock> tmp_lock_;
  std::unique_ptr<PortLease> ports_;
  std::vector<std::string> environment_;
};

}  // namespace pytest_shards
