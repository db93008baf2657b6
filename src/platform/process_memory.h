// The resident memory of a process group: what one shard's pytest and every
// process it started (servers, subprocesses, xdist-like helpers) hold at
// once. The runner samples it while pytest runs and keeps the peak.
#pragma once

namespace pytest_shards {

// Sum of the resident set sizes, in KiB, of the live processes whose process
// group is `group`; 0 when none is found. Reads /proc on Linux; elsewhere
// returns 0 (the runner then has only wait4's peak of pytest itself).
// Pages shared between the processes are counted once per process, as `ps`
// and `top` do.
long ProcessGroupRssKb(int group);

}  // namespace pytest_shards
