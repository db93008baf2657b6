// A synthetic suite for the benchmarks: the same deterministic collection
// and durations in every run (fixed seeds), shaped like a real one: modules
// of 50 tests, classes, parametrized tests, serial and xdist_group markers,
// and durations with a long tail.
#pragma once

#include <filesystem>

#include "data/collection.h"
#include "data/durations.h"

namespace pytest_shards {

Collection SyntheticCollection(int items, const std::filesystem::path& rootdir);
// Most tests measured, with a long tail: a few take seconds, most take ms.
Durations SyntheticDurations(const Collection& c);

}  // namespace pytest_shards
