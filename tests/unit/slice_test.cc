#include "slice.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "error.h"
#include "plan.h"

namespace pytest_shards {
namespace {

Plan PlanWithCosts(const std::vector<double>& costs) {
  Plan plan;
  for (size_t i = 0; i < costs.size(); ++i) {
    Entry entry;
    entry.name = "suite/shard-" + std::to_string(100 + i);
    entry.node_ids = {"t" + std::to_string(i) + ".py::test"};
    entry.cost = costs[i];
    plan.entries.push_back(entry);
  }
  return plan;
}

// Skewed: a few long entries among many short ones, in no particular order.
std::vector<double> SkewedCosts() {
  std::vector<double> costs;
  for (int i = 0; i < 23; ++i) costs.push_back(i % 5 == 0 ? 20.0 + i : 1.0 + (i * 7) % 4);
  return costs;
}

std::vector<std::string> Names(const Plan& plan) {
  std::vector<std::string> names;
  for (const Entry& entry : plan.entries) names.push_back(entry.name);
  return names;
}

double Cost(const Plan& plan) {
  double cost = 0;
  for (const Entry& entry : plan.entries) cost += entry.cost;
  return cost;
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

TEST(Slice, SlicesPartitionTheEntries) {
  Plan plan = PlanWithCosts(SkewedCosts());
  for (int n = 1; n <= 30; ++n) {
    std::multiset<std::string> seen;
    for (int k = 1; k <= n; ++k)
      for (const std::string& name : Names(SelectSlice(plan, {k, n}))) seen.insert(name);
    std::vector<std::string> all = Names(plan);
    EXPECT_EQ(seen, std::multiset<std::string>(all.begin(), all.end())) << n << " slices";
  }
}

TEST(Slice, AssignmentIsInRangeAndMatchesSelection) {
  Plan plan = PlanWithCosts(SkewedCosts());
  std::vector<int> slice_of = AssignSlices(plan, 4);
  ASSERT_EQ(slice_of.size(), plan.entries.size());
  for (int k = 1; k <= 4; ++k) {
    std::vector<std::string> expected;
    for (size_t e = 0; e < plan.entries.size(); ++e) {
      EXPECT_GE(slice_of[e], 0);
      EXPECT_LT(slice_of[e], 4);
      if (slice_of[e] == k - 1) expected.push_back(plan.entries[e].name);
    }
    // SelectSlice keeps plan order.
    EXPECT_EQ(Names(SelectSlice(plan, {k, 4})), expected);
  }
}

TEST(Slice, SlicesAreBalancedByCost) {
  std::vector<double> costs = SkewedCosts();
  Plan plan = PlanWithCosts(costs);
  double total = Cost(plan);
  double largest = *std::max_element(costs.begin(), costs.end());
  for (int n : {2, 3, 4}) {
    double most = 0;
    double least = total;
    // Contiguous blocks in plan order: what a naive split of the list does.
    std::vector<double> naive(n, 0.0);
    for (size_t e = 0; e < costs.size(); ++e) naive[e * n / costs.size()] += costs[e];
    for (int k = 1; k <= n; ++k) {
      double cost = Cost(SelectSlice(plan, {k, n}));
      most = std::max(most, cost);
      least = std::min(least, cost);
    }
    // LPT's guarantee: no slice exceeds the mean by more than one entry.
    EXPECT_LE(most, total / n + largest) << n;
    EXPECT_LE(most - least, largest) << n;
    EXPECT_LT(most, *std::max_element(naive.begin(), naive.end())) << n;
  }
}

TEST(Slice, EqualCostsSpreadEvenly) {
  Plan plan = PlanWithCosts(std::vector<double>(12, 3.0));
  for (int k = 1; k <= 4; ++k) EXPECT_EQ(SelectSlice(plan, {k, 4}).entries.size(), 3u) << k;
}

TEST(Slice, SameInputSameSlicesWhateverTheEntryOrder) {
  Plan plan = PlanWithCosts(SkewedCosts());
  std::map<std::string, int> first;
  std::vector<int> slice_of = AssignSlices(plan, 3);
  for (size_t e = 0; e < plan.entries.size(); ++e) first[plan.entries[e].name] = slice_of[e];
  EXPECT_EQ(AssignSlices(plan, 3), slice_of);

  Plan reversed = plan;
  std::reverse(reversed.entries.begin(), reversed.entries.end());
  std::vector<int> reversed_of = AssignSlices(reversed, 3);
  for (size_t e = 0; e < reversed.entries.size(); ++e)
    EXPECT_EQ(reversed_of[e], first[reversed.entries[e].name]) << reversed.entries[e].name;
}

TEST(Slice, MoreSlicesThanEntriesLeavesSomeEmpty) {
  Plan plan = PlanWithCosts({5.0, 1.0});
  size_t total = 0;
  for (int k = 1; k <= 5; ++k) total += SelectSlice(plan, {k, 5}).entries.size();
  EXPECT_EQ(total, 2u);
  EXPECT_TRUE(SelectSlice(PlanWithCosts({}), {1, 3}).entries.empty());
}

TEST(Slice, SlicesOfARealPlanHoldEveryNodeIdOnce) {
  Collection c;
  c.rootdir = "/src";
  Durations d;
  for (int i = 0; i < 200; ++i) {
    Item item;
    item.node_id = "tests/test_" + std::to_string(i % 17) + ".py::test_" + std::to_string(i);
    item.file = item.node_id.substr(0, item.node_id.find("::"));
    c.items.push_back(item);
    d.tests[item.node_id] = 0.01 + (i % 13 == 0 ? 3.0 : 0.1 * (i % 5));
  }
  d.startup = 0.4;
  PlanOptions options;
  options.suite = "suite";
  options.cores = 8;
  Plan plan = MakePlan(c, options, d);
  ASSERT_GT(plan.entries.size(), 3u);
  std::multiset<std::string> ran;
  for (int k = 1; k <= 3; ++k)
    for (const Entry& entry : SelectSlice(plan, {k, 3}).entries)
      ran.insert(entry.node_ids.begin(), entry.node_ids.end());
  EXPECT_EQ(ran.size(), c.items.size());
  for (const Item& item : c.items) EXPECT_EQ(ran.count(item.node_id), 1u) << item.node_id;
}

}  // namespace
}  // namespace pytest_shards
