// The cores this process may use: what "all cores" means for the planner
// (SHARDS auto) and for the parallel preset's cap. A container limited to 2
// CPUs on a 64-core host, or `taskset -c 0`, must not start 64 shards: the
// CPU affinity mask counts first, then a cgroup CPU quota (v2 cpu.max, v1
// cpu.cfs_quota_us / cpu.cfs_period_us) rounded up, and PYTEST_SHARDS_CORES=N
// overrides both.
#pragma once

#include <filesystem>
#include <string>

namespace pytest_shards {

// Cores the CPU quota of this process's cgroup allows, rounded up: 150000
// 100000 gives 2. `root` stands for "/" (tests give a fake tree): the
// cgroup comes from <root>/proc/self/cgroup, its files from
// <root>/sys/fs/cgroup; the smallest quota on the path from the cgroup to
// the hierarchy's root counts. 0 when there is no quota ("max", -1, no file).
int CgroupQuotaCores(const std::filesystem::path& root);

// min(affinity (AffinityCores, platform.h), quota), ignoring an unknown (0) one; `fallback` when
// both are unknown; at least 1.
int UsableCores(int affinity, int quota, int fallback);

// PYTEST_SHARDS_CORES: `value` as a positive whole number, or `detected`
// when it is empty. Throws Error (one line naming the value and the fix)
// for anything else.
int CoresOverride(const std::string& value, int detected);

// What "all cores" means here: UsableCores of this process, overridden by
// the PYTEST_SHARDS_CORES environment variable (Error when malformed).
int DetectCores();
// The same without the override.
int DetectedCores();

}  // namespace pytest_shards
