#include "plan/slice.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

Marker MakeMarker(const std::string& name, nlohmann::json args) {
  Marker marker;
  marker.name = name;
  marker.args = std::move(args);
  return marker;
}

// 120 tests in 9 modules, some in xdist groups, some serial on two locks.
Collection SkewedCollection() {
  Collection c;
  c.rootdir = "/src";
  for (int i = 0; i < 120; ++i) {
    Item item;
    item.node_id = "tests/test_" + std::to_string(i % 9) + ".py::test_" + std::to_string(i);
    item.file = item.node_id.substr(0, item.node_id.find("::"));
    if (i % 11 == 0)
      item.markers.push_back(MakeMarker("xdist_group", {"g" + std::to_string(i % 3)}));
    if (i % 17 == 0) item.markers.push_back(MakeMarker("serial", {i % 2 ? "db" : "net"}));
    c.items.push_back(item);
  }
  return c;
}

// The DURATIONS_FILE: measured for most tests, skewed.
Durations FileDurations(const Collection& c) {
  Durations d;
  for (size_t i = 0; i < c.items.size(); ++i)
    if (i % 7 != 0) d.tests[c.items[i].node_id] = i % 13 == 0 ? 3.0 : 0.05 + 0.1 * (i % 5);
  d.startup = 0.4;
  return d;
}

// A job's local store: other measurements, other failures.
Durations LocalStore(int seed) {
  Durations d;
  for (int i = 0; i < 120; i += seed)
    d.tests["tests/test_" + std::to_string(i % 9) + ".py::test_" + std::to_string(i)] = 9.0 * seed;
  d.failed.insert("tests/test_1.py::test_" + std::to_string(seed * 10 + 1));
  d.startup = seed;
  return d;
}

// What one job of an n-job matrix runs: its slice planned for its machine,
// as at ctest start.
std::set<std::string> JobRuns(const Collection& c, const Durations& file, int cores,
                              const Durations& local, Slice slice) {
  PlanOptions options;
  options.suite = "suite";
  options.cores = cores;
  Plan plan = MakePlan(SelectSlice(c, options, file, slice), options, local);
  std::set<std::string> ran;
  for (const Entry& entry : plan.entries) ran.insert(entry.node_ids.begin(), entry.node_ids.end());
  return ran;
}

TEST(SliceParse, AcceptsKOfN) {
  Slice slice = ParseSlice("2/4");
  EXPECT_EQ(slice.index, 2);
  EXPECT_EQ(slice.count, 4);
  slice = ParseSlice("1/1");
  EXPECT_EQ(slice.index, 1);
  EXPECT_EQ(slice.count, 1);
  slice = ParseSlice("12/12");
  EXPECT_EQ(slice.index, 12);
}

TEST(SliceParse, RejectsAnythingElseWithOneLineNamingTheValue) {
  for (const std::string bad : {"", "2", "2/", "/4", "0/4", "5/4", "1/0", "a/b", "-1/4", "2/4/8",
                                " 2/4", "2/4 ", "+2/4", "2.0/4", "1/99999999999"}) {
    try {
      ParseSlice(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("PYTEST_SHARDS_SLICE='" + bad + "'"), std::string::npos) << what;
      EXPECT_NE(what.find("2/4"), std::string::npos) << "names the fix: " << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

TEST(Slice, MembershipDependsOnlyOnCollectionAndDurationsFile) {
  Collection c = SkewedCollection();
  Durations file = FileDurations(c);
  for (const Durations& base : {file, Durations{}}) {
    std::multiset<std::string> ran;
    for (int k = 1; k <= 3; ++k) {
      // Jobs with cores 1, 2, 4 and different local stores agree on slice k.
      std::set<std::string> first = JobRuns(c, base, 1, LocalStore(2), {k, 3});
      EXPECT_FALSE(first.empty()) << k;
      EXPECT_EQ(JobRuns(c, base, 2, LocalStore(3), {k, 3}), first) << k;
      EXPECT_EQ(JobRuns(c, base, 4, Durations{}, {k, 3}), first) << k;
      ran.insert(first.begin(), first.end());
    }
    EXPECT_EQ(ran.size(), c.items.size());
    for (const Item& item : c.items) EXPECT_EQ(ran.count(item.node_id), 1u) << item.node_id;
  }
}

TEST(Slice, KeepsXdistGroupsAndSerialLocksWhole) {
  Collection c = SkewedCollection();
  Durations file = FileDurations(c);
  PlanOptions options;
  std::map<std::string, std::set<int>> slices_of;  // group or lock -> slices holding it
  for (int k = 1; k <= 4; ++k)
    for (const Item& item : SelectSlice(c, options, file, {k, 4}).items)
      for (const Marker& marker : item.markers)
        slices_of[marker.name + ":" + marker.args[0].get<std::string>()].insert(k);
  EXPECT_EQ(slices_of.size(), 5u);  // g0 g1 g2 db net
  for (const auto& [key, slices] : slices_of) EXPECT_EQ(slices.size(), 1u) << key;
}

TEST(Slice, BalancesByTheDurationsFile) {
  Collection c = SkewedCollection();
  Durations file = FileDurations(c);
  PlanOptions options;
  std::vector<SliceUnit> units = SliceUnits(c, options, file);
  double total = 0, longest_unit = 0;
  for (const SliceUnit& unit : units) {
    total += unit.cost;
    longest_unit = std::max(longest_unit, unit.cost);
  }
  std::vector<double> loads(4, 0);
  std::vector<int> slice_of = AssignSlices(units, 4);
  for (size_t u = 0; u < units.size(); ++u) loads[slice_of[u]] += units[u].cost;
  // LPT: no slice exceeds the mean by more than its largest unit.
  for (double load : loads) EXPECT_LE(load, total / 4 + longest_unit);
  EXPECT_EQ(AssignSlices(units, 4), slice_of);
}

TEST(Slice, CollectionErrorsGoWithTheFirstSlice) {
  Collection c = SkewedCollection();
  c.errors.push_back({});
  PlanOptions options;
  EXPECT_EQ(SelectSlice(c, options, {}, {1, 2}).errors.size(), 1u);
  EXPECT_TRUE(SelectSlice(c, options, {}, {2, 2}).errors.empty());
}

}  // namespace
}  // namespace pytest_shards
