// What the planner (plan.h) knows about each collected test: what it costs,
// which serial locks it holds, its xdist group, whether pytest-order keeps
// its module whole, and whether it failed last time. The markers are read
// here, once per item; plan.cc groups and packs the result.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/collection.h"
#include "data/durations.h"

namespace pytest_shards {

// What the planner knows about one test (one collected item): what it
// costs, which locks it holds, its xdist group, whether it failed last time.
struct PlannedTest {
  const Item* item = nullptr;
  double cost = 0;  // estimated seconds
  bool serial = false;
  bool exclusive = false;
  // Sorted, unique: the serial locks, and the group's lock when a failed
  // member runs apart from the rest of its group.
  std::vector<std::string> locks;
  std::optional<std::string> group;
  // The module, when pytest-order orders its tests by their marks: they
  // share an entry, where one pytest session runs them in that order.
  std::optional<std::string> ordered_module;
  bool failed = false;  // in the last run: goes to a last-failed entry
};

// The items of `collection` in collection order, one per node ID: pytest
// runs every item of a node ID it is given, so a duplicate ID must not land
// in two entries. Costs come from `durations` (estimates for the unmeasured),
// locks from the markers named `serial_marker` (SERIAL_MARKER).
std::vector<PlannedTest> ReadPlannedTests(const Collection& collection,
                                          const std::string& serial_marker,
                                          const Durations& durations);

// The lock a serial marker names: serial("db") and serial(lock="db") give
// "db"; a bare serial gives "serial". Sets *exclusive for exclusive=True.
std::string SerialLock(const Marker& marker, bool* exclusive);

// The module part of a node ID; Item::file when the collector gave it.
std::string_view FileKey(const Item& item);

// Sorts `words` and drops repeats (locks, labels).
void SortUnique(std::vector<std::string>* words);

}  // namespace pytest_shards
