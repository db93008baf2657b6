#include "plan/planned_test.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace pytest_shards {

using nlohmann::json;

void SortUnique(std::vector<std::string>* words) {
  std::sort(words->begin(), words->end());
  words->erase(std::unique(words->begin(), words->end()), words->end());
}

std::string_view FileKey(const Item& item) {
  if (!item.file.empty()) return item.file;
  return ModulePart(item.node_id);
}

namespace {

// Marker truthiness as Python would see it; values that were not JSON
// serialisable arrive as their repr().
bool Truthy(const json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0;
  if (value.is_string()) return value.get<std::string>() == "True";
  return false;
}

// A marker argument as the name it gives (a lock, a group): a string as it
// is, anything else as its JSON text.
std::string MarkerArgument(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

}  // namespace

std::string SerialLock(const Marker& marker, bool* exclusive) {
  json name;
  if (marker.args.is_array() && !marker.args.empty()) name = marker.args[0];
  if (marker.kwargs.is_object() && marker.kwargs.contains("lock")) name = marker.kwargs["lock"];
  if (exclusive != nullptr)
    *exclusive = marker.kwargs.is_object() && marker.kwargs.contains("exclusive") &&
                 Truthy(marker.kwargs["exclusive"]);
  std::string lock = MarkerArgument(name);
  return lock.empty() ? "serial" : lock;
}

namespace {

// xdist's group name: xdist_group("name") or xdist_group(name="name");
// a bare marker is xdist's "default" group.
std::optional<std::string> GroupName(const Item& item) {
  const Marker* marker = item.FindMarker("xdist_group");
  if (marker == nullptr) return std::nullopt;
  json name;
  if (marker->args.is_array() && !marker->args.empty()) name = marker->args[0];
  if (marker->kwargs.is_object() && marker->kwargs.contains("name")) name = marker->kwargs["name"];
  std::string group = MarkerArgument(name);
  return group.empty() ? "default" : group;
}

// Every marker with the serial name counts (class and function marks
// accumulate), so a test marked twice holds both locks.
void ReadSerial(const Item& item, const std::string& serial_marker, PlannedTest* test) {
  for (const Marker& marker : item.markers) {
    if (marker.name != serial_marker) continue;
    bool exclusive = false;
    test->locks.push_back(SerialLock(marker, &exclusive));
    test->serial = true;
    test->exclusive = test->exclusive || exclusive;
  }
  SortUnique(&test->locks);
}

std::string GroupLock(const std::string& group) { return "xdist_group:" + group; }

// A failed test leaves its xdist group for a last-failed entry; a lock on
// every member keeps it from running beside the rest of the group, which is
// what xdist's one-worker-per-group guarantees.
void LockSplitGroups(std::vector<PlannedTest>* tests) {
  std::set<std::string> split;
  for (const PlannedTest& test : *tests)
    if (test.failed && test.group) split.insert(*test.group);
  for (PlannedTest& test : *tests) {
    if (!test.group || !split.count(*test.group)) continue;
    test.locks.push_back(GroupLock(*test.group));
    SortUnique(&test.locks);
  }
}

// Under pytest-order, a module with an `order` mark is kept whole: its
// tests share a bundle, and when one of them failed last time, all of them
// go to the last-failed entry, so that they still run in one session.
void KeepOrderedModules(const Collection& collection, std::vector<PlannedTest>* tests) {
  if (!collection.pytest_order) return;
  std::set<std::string> ordered, failed;
  for (const PlannedTest& test : *tests)
    if (test.item->FindMarker("order") != nullptr) ordered.emplace(FileKey(*test.item));
  for (PlannedTest& test : *tests) {
    std::string module(FileKey(*test.item));
    if (!ordered.count(module)) continue;
    test.ordered_module = module;
    if (test.failed) failed.insert(module);
  }
  for (PlannedTest& test : *tests)
    if (test.ordered_module && failed.count(*test.ordered_module)) test.failed = true;
}

}  // namespace

std::vector<PlannedTest> ReadPlannedTests(const Collection& collection,
                                          const std::string& serial_marker,
                                          const Durations& durations) {
  std::vector<PlannedTest> tests;
  tests.reserve(collection.items.size());
  // Views into the collection, which outlives them.
  std::unordered_set<std::string_view> seen(collection.items.size());
  // An unmeasured item's estimate depends only on its module: compute it
  // once per module, not once per item (Estimate scans the store).
  std::unordered_map<std::string_view, double> module_estimates;
  for (const Item& item : collection.items) {
    if (!seen.insert(item.node_id).second) continue;
    PlannedTest test;
    test.item = &item;
    auto measured = durations.tests.find(item.node_id);
    if (measured != durations.tests.end()) {
      test.cost = measured->second;
    } else {
      auto [it, inserted] = module_estimates.emplace(ModulePart(item.node_id), 0.0);
      if (inserted) it->second = durations.Estimate(item);
      test.cost = it->second;
    }
    ReadSerial(item, serial_marker, &test);
    test.group = GroupName(item);
    test.failed = durations.failed.count(item.node_id) > 0;
    tests.push_back(std::move(test));
  }
  KeepOrderedModules(collection, &tests);
  LockSplitGroups(&tests);
  return tests;
}

}  // namespace pytest_shards
