// What DEPENDS of pytest_shard_tests() means to collection: the suite imports
// modules that targets of the build make (extension modules), so a build
// step collects it once they exist. Before that, ctest says to build first;
// a module pytest cannot import is named with the target that builds it.
#pragma once

#include <string>

#include "data/settings.h"

namespace pytest_shards {

// One line for ctest when the suite's DEPENDS are not built yet (it has no
// collection, or a target's file is missing); empty when they are, or the
// suite has none.
std::string NotBuiltYet(const Settings& settings);

// When pytest's collection output says "No module named 'X'": one line that
// names X, the DEPENDS target building it (or that none does) and the fix;
// empty for any other failure.
std::string ExplainMissingImport(const Settings& settings, const std::string& output);

}  // namespace pytest_shards
