#include "plan/plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "marker_fixtures.h"
#include "plan/shared_tail.h"

namespace pytest_shards {
namespace {

using nlohmann::json;

// "tests/test_a.py::TestX::test_y[1]": file, class and line from the ID.
Item MakeItem(const std::string& node_id, std::vector<Marker> markers = {}, int line = 7) {
  Item item;
  item.node_id = node_id;
  item.file = node_id.substr(0, node_id.find("::"));
  item.path = "/src/" + item.file;
  item.line = line;
  size_t first = node_id.find("::");
  size_t last = node_id.rfind("::");
  if (first != last) item.cls = node_id.substr(first + 2, last - first - 2);
  item.markers = std::move(markers);
  return item;
}

Marker Group(const std::string& name) { return MakeMarker("xdist_group", json::array({name})); }

PlanOptions Options(int shards, Distribution distribution = Distribution::kLoad,
                    Granularity granularity = Granularity::kShard) {
  PlanOptions options;
  options.suite = "suite";
  options.shards = shards;
  options.distribution = distribution;
  options.granularity = granularity;
  options.cores = 2;
  return options;
}

const std::vector<Distribution> kDistributions = {Distribution::kLoad, Distribution::kFile,
                                                  Distribution::kScope, Distribution::kGroup};

// A mixed suite: several modules, classes, groups across modules, serial
// tests with and without lock names, an exclusive test, a parametrized one.
Collection MixedCollection() {
  Collection c;
  c.rootdir = "/src";
  for (int m = 0; m < 6; ++m) {
    std::string file = "tests/test_m" + std::to_string(m) + ".py";
    for (int t = 0; t < 5 + m; ++t) {
      std::vector<Marker> markers;
      if (t == 1) markers.push_back(Group("g" + std::to_string(m % 2)));
      if (m == 2 && t == 3) markers.push_back(MakeMarker("serial"));
      if (m == 3 && t == 0) markers.push_back(MakeMarker("serial", json::array({"db"})));
      if (m == 4 && t == 2)
        markers.push_back(MakeMarker("serial", json::array(), {{"lock", "db"}}));
      if (m == 5 && t == 4)
        markers.push_back(MakeMarker("serial", json::array(), {{"exclusive", true}}));
      std::string node_id = file + (t % 3 == 0 ? "::TestK::test_" : "::test_") + std::to_string(t);
      c.items.push_back(MakeItem(node_id, markers, 10 + t));
    }
  }
  c.items.push_back(MakeItem("tests/test_p.py::test_p[a]", {MakeMarker("parametrize")}));
  c.items.push_back(MakeItem("tests/test_p.py::test_p[b]", {MakeMarker("parametrize")}));
  return c;
}

Durations SkewedDurations(const Collection& c) {
  Durations d;
  for (size_t i = 0; i < c.items.size(); i += 2) d.tests[c.items[i].node_id] = 0.1 + (i % 7) * 1.3;
  d.startup = 0.3;
  return d;
}

// Entry index of every node ID, the shared tail's as plan.entries.size();
// fails on a node ID in two entries, or in an entry and the tail.
std::map<std::string, size_t> EntryOf(const Plan& plan) {
  std::map<std::string, size_t> entry_of;
  for (size_t e = 0; e < plan.entries.size(); ++e) {
    if (plan.entries[e].collection_errors) continue;
    for (const std::string& id : plan.entries[e].node_ids) {
      bool inserted = entry_of.emplace(id, e).second;
      EXPECT_TRUE(inserted) << id << " is in two entries";
    }
  }
  for (const auto& group : plan.shared_tail)
    for (const std::string& id : group) {
      bool inserted = entry_of.emplace(id, plan.entries.size()).second;
      EXPECT_TRUE(inserted) << id << " is in an entry and in the tail, or twice in the tail";
    }
  return entry_of;
}

double TestCost(const Entry& entry, const Durations& d) { return entry.cost - d.startup; }

TEST(Plan, SameInputsGiveByteIdenticalPlanFile) {
  Collection c = MixedCollection();
  Durations d = SkewedDurations(c);
  for (Distribution distribution : kDistributions) {
    for (Granularity granularity : {Granularity::kShard, Granularity::kFile, Granularity::kTest}) {
      PlanOptions options = Options(0, distribution, granularity);
      PlanFile a{"run-1", Settings{}, c.rootdir, false, MakePlan(c, options, d), {}, {}, "",
                 {},      0,          {},        {}};
      // A copy of the durations built in another order must not matter.
      Durations copy;
      for (auto it = d.tests.rbegin(); it != d.tests.rend(); ++it) copy.tests.insert(*it);
      copy.startup = d.startup;
      PlanFile b{"run-1", Settings{}, c.rootdir, false, MakePlan(c, options, copy), {}, {}, "",
                 {},      0,          {},        {}};
      EXPECT_EQ(PlanFileToJson(a).dump(), PlanFileToJson(b).dump());
      EXPECT_FALSE(a.plan.entries.empty());
    }
  }
}

TEST(Plan, EveryItemLandsInExactlyOneEntry) {
  Collection c = MixedCollection();
  c.items.push_back(c.items[3]);  // pytest can report a node ID twice
  Durations d = SkewedDurations(c);
  std::set<std::string> all;
  for (const Item& item : c.items) all.insert(item.node_id);
  for (Distribution distribution : kDistributions)
    for (Granularity granularity : {Granularity::kShard, Granularity::kFile, Granularity::kTest})
      for (int shards : {0, 1, 2, 3, 7, 1000}) {
        Plan plan = MakePlan(c, Options(shards, distribution, granularity), d);
        std::map<std::string, size_t> entry_of = EntryOf(plan);
        std::set<std::string> planned;
        for (const auto& [id, e] : entry_of) planned.insert(id);
        EXPECT_EQ(planned, all) << Name(distribution) << " " << Name(granularity) << " " << shards;
        for (const Entry& entry : plan.entries) EXPECT_FALSE(entry.node_ids.empty());
      }
}

TEST(Plan, NodeIdsKeepCollectionOrderWithinAnEntry) {
  Collection c = MixedCollection();
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < c.items.size(); ++i) position[c.items[i].node_id] = i;
  for (Distribution distribution : kDistributions) {
    Plan plan = MakePlan(c, Options(3, distribution), SkewedDurations(c));
    for (const Entry& entry : plan.entries)
      for (size_t i = 1; i < entry.node_ids.size(); ++i)
        EXPECT_LT(position[entry.node_ids[i - 1]], position[entry.node_ids[i]]) << entry.name;
  }
}

TEST(Plan, SerialTestsGoToEntriesOfTheirLock) {
  Collection c = MixedCollection();
  Plan plan = MakePlan(c, Options(3), SkewedDurations(c));
  std::map<std::string, size_t> entry_of = EntryOf(plan);
  const Entry& bare = plan.entries[entry_of.at("tests/test_m2.py::TestK::test_3")];
  const Entry& db1 = plan.entries[entry_of.at("tests/test_m3.py::TestK::test_0")];
  const Entry& db2 = plan.entries[entry_of.at("tests/test_m4.py::test_2")];
  const Entry& exclusive = plan.entries[entry_of.at("tests/test_m5.py::test_4")];

  EXPECT_EQ(bare.locks, std::vector<std::string>{"serial"});
  EXPECT_EQ(bare.node_ids, std::vector<std::string>{"tests/test_m2.py::TestK::test_3"});
  EXPECT_FALSE(bare.exclusive);
  // serial("db") and serial(lock="db") share one entry holding only them.
  EXPECT_EQ(&db1, &db2);
  EXPECT_EQ(db1.locks, std::vector<std::string>{"db"});
  EXPECT_EQ(db1.node_ids.size(), 2u);
  EXPECT_TRUE(exclusive.exclusive);
  EXPECT_EQ(exclusive.node_ids, std::vector<std::string>{"tests/test_m5.py::test_4"});
  for (const Entry* entry : {&bare, &db1, &exclusive})
    EXPECT_EQ(entry->labels, std::vector<std::string>{"serial"}) << entry->name;

  // Serial entries come after the normal shards, which hold no lock.
  ASSERT_EQ(plan.entries.size(), 3u + 3u);
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_TRUE(plan.entries[e].locks.empty());
    EXPECT_FALSE(plan.entries[e].exclusive);
    EXPECT_TRUE(plan.entries[e].labels.empty());
  }
}

TEST(Plan, BundleWithSerialTestTakesUnionOfLocks) {
  Collection c;
  c.items = {MakeItem("a.py::t1", {MakeMarker("serial", json::array({"db"}))}),
             MakeItem("a.py::t2", {MakeMarker("serial", json::array({"net"}))}),
             MakeItem("a.py::t3"), MakeItem("b.py::t1"), MakeItem("b.py::t2")};
  Plan plan = MakePlan(c, Options(2, Distribution::kFile), Durations{});
  std::map<std::string, size_t> entry_of = EntryOf(plan);
  const Entry& serial = plan.entries[entry_of.at("a.py::t3")];
  EXPECT_EQ(serial.locks, (std::vector<std::string>{"db", "net"}));
  EXPECT_EQ(serial.node_ids, (std::vector<std::string>{"a.py::t1", "a.py::t2", "a.py::t3"}));
  EXPECT_TRUE(plan.entries[entry_of.at("b.py::t1")].locks.empty());
}

TEST(Plan, CustomSerialMarker) {
  Collection c;
  c.items = {MakeItem("a.py::t1", {MakeMarker("one_at_a_time")}),
             MakeItem("a.py::t2", {MakeMarker("serial")}), MakeItem("a.py::t3")};
  PlanOptions options = Options(1);
  options.serial_marker = "one_at_a_time";
  Plan plan = MakePlan(c, options, Durations{});
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].node_ids, (std::vector<std::string>{"a.py::t2", "a.py::t3"}));
  EXPECT_EQ(plan.entries[1].node_ids, std::vector<std::string>{"a.py::t1"});
  EXPECT_EQ(plan.entries[1].locks, std::vector<std::string>{"serial"});
}

TEST(Plan, XdistGroupStaysTogetherInEveryDistribution) {
  Collection c;
  for (int m = 0; m < 5; ++m)
    for (int t = 0; t < 6; ++t) {
      std::vector<Marker> markers;
      if (t % 2 == 0) markers.push_back(Group(t == 0 ? "even0" : "even"));
      if (t == 3) markers.push_back(MakeMarker("xdist_group", json::array(), {{"name", "kw"}}));
      std::string id =
          "m" + std::to_string(m) + ".py::C" + std::to_string(t % 2) + "::t" + std::to_string(t);
      c.items.push_back(MakeItem(id, markers));
    }
  Durations d;
  for (const Item& item : c.items) d.tests[item.node_id] = 1.0;
  for (Distribution distribution : kDistributions)
    for (int shards : {0, 2, 4, 30}) {
      Plan plan = MakePlan(c, Options(shards, distribution), d);
      std::map<std::string, size_t> entry_of = EntryOf(plan);
      std::map<std::string, std::set<size_t>> entries_of_group;
      for (const Item& item : c.items) {
        const Marker* group = item.FindMarker("xdist_group");
        if (group == nullptr) continue;
        std::string name = group->args.empty() ? group->kwargs.at("name").get<std::string>()
                                               : group->args[0].get<std::string>();
        entries_of_group[name].insert(entry_of.at(item.node_id));
      }
      ASSERT_EQ(entries_of_group.size(), 3u);
      for (const auto& [name, entries] : entries_of_group)
        EXPECT_EQ(entries.size(), 1u) << name << " split under " << Name(distribution);
      // Under load and group the tests outside groups still spread out.
      bool per_test = distribution == Distribution::kLoad || distribution == Distribution::kGroup;
      if (per_test && shards >= 2) {
        EXPECT_GE(plan.entries.size(), 2u);
      }
    }
}

TEST(Plan, FileAndScopeKeepModulesAndClassesTogether) {
  Collection c;
  for (int m = 0; m < 4; ++m)
    for (int t = 0; t < 8; ++t)
      c.items.push_back(MakeItem("m" + std::to_string(m) +
                                 ".py::" + (t < 4 ? "A" : (t < 6 ? "B" : "")) +
                                 (t < 6 ? "::" : "") + "t" + std::to_string(t)));
  Durations d;
  for (size_t i = 0; i < c.items.size(); ++i) d.tests[c.items[i].node_id] = 1.0 + i % 5;

  Plan by_file = MakePlan(c, Options(3, Distribution::kFile), d);
  std::map<std::string, size_t> entry_of = EntryOf(by_file);
  std::map<std::string, std::set<size_t>> entries_of_module;
  for (const Item& item : c.items) entries_of_module[item.file].insert(entry_of.at(item.node_id));
  for (const auto& [file, entries] : entries_of_module) EXPECT_EQ(entries.size(), 1u) << file;
  EXPECT_EQ(by_file.entries.size(), 3u);

  Plan by_scope = MakePlan(c, Options(8, Distribution::kScope), d);
  entry_of = EntryOf(by_scope);
  std::map<std::string, std::set<size_t>> entries_of_scope;
  std::map<std::string, std::set<size_t>> entries_of_module_scope;
  for (const Item& item : c.items) {
    std::string scope = item.cls.empty() ? item.file : item.file + "::" + item.cls;
    entries_of_scope[scope].insert(entry_of.at(item.node_id));
    entries_of_module_scope[item.file].insert(entry_of.at(item.node_id));
  }
  EXPECT_EQ(entries_of_scope.size(), 12u);
  for (const auto& [scope, entries] : entries_of_scope) EXPECT_EQ(entries.size(), 1u) << scope;
  // Scope is finer than file: some module is spread over entries.
  size_t spread = 0;
  for (const auto& [file, entries] : entries_of_module_scope) spread += entries.size() > 1;
  EXPECT_GT(spread, 0u);
}

TEST(Plan, LongestFirstBeatsRoundRobinOnSkewedDurations) {
  // Long and short tests alternate: round-robin over collection order puts
  // all long ones on the same shards.
  Collection c;
  Durations d;
  d.startup = 0.5;
  for (int i = 0; i < 24; ++i) {
    c.items.push_back(MakeItem("t" + std::to_string(i) + ".py::test"));
    d.tests[c.items.back().node_id] = (i % 3 == 0) ? 10.0 + i : 0.5;
  }
  for (Distribution distribution : {Distribution::kGroup, Distribution::kLoad})
    for (int shards : {2, 3, 4}) {
      std::vector<double> round_robin(shards, 0.0);
      double total = 0;
      for (size_t i = 0; i < c.items.size(); ++i) {
        round_robin[i % shards] += d.tests.at(c.items[i].node_id);
        total += d.tests.at(c.items[i].node_id);
      }
      double round_robin_max = *std::max_element(round_robin.begin(), round_robin.end());

      Plan plan = MakePlan(c, Options(shards, distribution), d);
      ASSERT_EQ(plan.entries.size(), static_cast<size_t>(shards));
      double lpt_max = 0;
      double sum = 0;
      for (const Entry& entry : plan.entries) {
        lpt_max = std::max(lpt_max, TestCost(entry, d));
        sum += TestCost(entry, d);
      }
      EXPECT_NEAR(sum, total, 1e-9);
      EXPECT_LT(lpt_max, round_robin_max) << shards << " shards";
      // Within the largest test of the ideal.
      EXPECT_LE(lpt_max, total / shards + 31.0);
    }
}

TEST(Plan, LoadKeepsModulesWholeWhenBalanceAllows) {
  Collection c;
  Durations d;
  for (int m = 0; m < 8; ++m)
    for (int t = 0; t < 5; ++t) {
      c.items.push_back(MakeItem("m" + std::to_string(m) + ".py::t" + std::to_string(t)));
      d.tests[c.items.back().node_id] = 1.0;
    }
  Plan plan = MakePlan(c, Options(4), d);
  ASSERT_EQ(plan.entries.size(), 4u);
  std::map<std::string, size_t> entry_of = EntryOf(plan);
  std::map<std::string, std::set<size_t>> entries_of_module;
  for (const Item& item : c.items) entries_of_module[item.file].insert(entry_of.at(item.node_id));
  for (const auto& [file, entries] : entries_of_module) EXPECT_EQ(entries.size(), 1u) << file;
  for (const Entry& entry : plan.entries) EXPECT_EQ(entry.node_ids.size(), 10u);
}

TEST(Plan, LoadSplitsOnlyModulesBiggerThanAShard) {
  // One huge module (numpy's test_umath.py) and many small ones.
  Collection c;
  Durations d;
  for (int t = 0; t < 400; ++t) {
    c.items.push_back(MakeItem("test_umath.py::t" + std::to_string(t)));
    d.tests[c.items.back().node_id] = 0.1;
  }
  for (int m = 0; m < 20; ++m)
    for (int t = 0; t < 5; ++t) {
      c.items.push_back(MakeItem("small" + std::to_string(m) + ".py::t" + std::to_string(t)));
      d.tests[c.items.back().node_id] = 0.1 + 0.01 * m;
    }
  double total = 0;
  for (const auto& [id, seconds] : d.tests) total += seconds;
  const int shards = 4;
  PlanOptions options = Options(shards);
  options.shared_tail = false;  // the static packing is under test
  Plan plan = MakePlan(c, options, d);
  ASSERT_EQ(plan.entries.size(), static_cast<size_t>(shards));
  std::map<std::string, size_t> entry_of = EntryOf(plan);
  std::map<std::string, std::set<size_t>> entries_of_module;
  for (const Item& item : c.items) entries_of_module[item.file].insert(entry_of.at(item.node_id));
  EXPECT_GT(entries_of_module.at("test_umath.py").size(), 1u);
  for (const auto& [file, entries] : entries_of_module)
    if (file != "test_umath.py") {
      EXPECT_EQ(entries.size(), 1u) << file;
    }
  for (const Entry& entry : plan.entries)
    EXPECT_LE(TestCost(entry, d), total / shards * 1.05 + 0.2) << entry.name;
  // The big module is cut into runs of neighbouring tests, not scattered:
  // every entry holds one consecutive stretch of it.
  for (const Entry& entry : plan.entries) {
    std::vector<int> numbers;
    for (const std::string& id : entry.node_ids)
      if (id.rfind("test_umath.py::t", 0) == 0) numbers.push_back(std::stoi(id.substr(16)));
    if (numbers.empty()) continue;
    EXPECT_EQ(numbers.back() - numbers.front() + 1, static_cast<int>(numbers.size())) << entry.name;
  }
}

TEST(Plan, EqualCostsAreOrderedByNodeId) {
  // Collection order b, a; equal costs: the largest-first order breaks the
  // tie by node ID, so a.py::t lands in the first shard.
  Collection c;
  c.items = {MakeItem("b.py::t"), MakeItem("a.py::t")};
  Plan plan = MakePlan(c, Options(2, Distribution::kGroup), Durations{});
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].node_ids, std::vector<std::string>{"a.py::t"});
  EXPECT_EQ(plan.entries[1].node_ids, std::vector<std::string>{"b.py::t"});
}

TEST(Plan, LoadSplitsWholeModulesThatWouldUnbalance) {
  // Three equal modules on two shards: whole modules give 2:1.
  Collection c;
  Durations d;
  for (int m = 0; m < 3; ++m)
    for (int t = 0; t < 10; ++t) {
      c.items.push_back(MakeItem("m" + std::to_string(m) + ".py::t" + std::to_string(t)));
      d.tests[c.items.back().node_id] = 1.0;
    }
  Plan plan = MakePlan(c, Options(2), d);
  ASSERT_EQ(plan.entries.size(), 2u);
  for (const Entry& entry : plan.entries) EXPECT_EQ(entry.node_ids.size(), 15u) << entry.name;
}

int NormalShards(const Plan& plan) {
  int count = 0;
  for (const Entry& entry : plan.entries) count += entry.locks.empty() && !entry.exclusive;
  return count;
}

Collection Uniform(int tests) {
  Collection c;
  for (int i = 0; i < tests; ++i)
    c.items.push_back(MakeItem("m" + std::to_string(i / 10) + ".py::t" + std::to_string(i)));
  return c;
}

TEST(Plan, AutoShardCountGrowsWithCostAndKeepsCoresBusy) {
  Collection c = Uniform(400);
  int previous = 0;
  for (double seconds : {0.001, 0.01, 0.05, 0.2, 1.0, 10.0}) {
    Durations d;
    d.startup = 0.5;
    for (const Item& item : c.items) d.tests[item.node_id] = seconds;
    for (int cores : {2, 4}) {
      PlanOptions options = Options(0);
      options.cores = cores;
      int shards = NormalShards(MakePlan(c, options, d));
      EXPECT_GE(shards, cores) << seconds;
      EXPECT_LE(shards, 4 * cores) << seconds;
      if (cores == 2) {
        EXPECT_GE(shards, previous) << seconds;
        previous = shards;
      }
    }
  }
  EXPECT_EQ(previous, 8);  // 400 s of tests on 2 cores: the cap

  // A slow start-up means fewer, bigger shards.
  Durations d;
  for (const Item& item : c.items) d.tests[item.node_id] = 0.05;
  PlanOptions options = Options(0);
  options.cores = 2;
  d.startup = 0.1;
  int quick = NormalShards(MakePlan(c, options, d));
  d.startup = 2.0;
  int slow = NormalShards(MakePlan(c, options, d));
  EXPECT_GT(quick, slow);
  EXPECT_GE(slow, 2);
}

TEST(Plan, AutoShardCountIsAMultipleOfTheCores) {
  // Equal shards in a count that is not a multiple of the cores leave a core
  // idle at the end; every measured suite gets c, 2c, 3c or 4c shards.
  Collection c = Uniform(400);
  std::set<int> seen;
  for (double seconds : {0.01, 0.03, 0.1, 0.3, 1.0})
    for (double startup : {0.2, 1.0, 5.0})
      for (int cores : {2, 3, 4}) {
        Durations d;
        d.startup = startup;
        for (const Item& item : c.items) d.tests[item.node_id] = seconds;
        PlanOptions options = Options(0);
        options.cores = cores;
        int shards = NormalShards(MakePlan(c, options, d));
        EXPECT_EQ(shards % cores, 0) << seconds << " s, start-up " << startup << ", " << cores;
        seen.insert(shards / cores);
      }
  EXPECT_GE(seen.size(), 3u) << "the count depends on durations and start-up";
}

TEST(Plan, AutoMakesFewerShardsWhenOneTestOutlastsAShardsShare) {
  // numpy's shape on 2 cores: one test a third of the suite. 8 equal-cost
  // shards would leave one core idle while the long one ends; 2 do not.
  Collection c = Uniform(400);
  Durations d;
  d.startup = 0.5;
  for (const Item& item : c.items) d.tests[item.node_id] = 1.0;
  d.tests[c.items.front().node_id] = 200;
  PlanOptions options = Options(0);
  options.cores = 2;
  EXPECT_EQ(NormalShards(MakePlan(c, options, d)), 2);
  d.tests[c.items.front().node_id] = 1.0;
  EXPECT_GT(NormalShards(MakePlan(c, options, d)), 2) << "without it the count is AutoShards'";
}

TEST(Plan, AutoSplitsFinerWhileCostsAreGuesses) {
  // The same estimated total, once guessed (no durations) and once timed:
  // guesses may be far off, so they get more, smaller shards.
  Collection c = Uniform(400);
  Durations timed;
  for (const Item& item : c.items) timed.tests[item.node_id] = kDefaultTestSeconds;
  timed.startup = kDefaultStartupSeconds;
  PlanOptions options = Options(0);
  int guessed_shards = NormalShards(MakePlan(c, options, Durations{}));
  int timed_shards = NormalShards(MakePlan(c, options, timed));
  EXPECT_GT(guessed_shards, timed_shards);
}

TEST(Plan, AutoNeverMakesMoreShardsThanBundles) {
  Collection c = Uniform(3);
  PlanOptions options = Options(0);
  options.cores = 8;
  EXPECT_EQ(NormalShards(MakePlan(c, options, Durations{})), 3);
  EXPECT_EQ(MakePlan(Collection{}, options, Durations{}).entries.size(), 0u);
  // DISTRIBUTION file: 4 modules are 4 bundles.
  options.distribution = Distribution::kFile;
  EXPECT_EQ(NormalShards(MakePlan(Uniform(40), options, Durations{})), 4);
}

TEST(Plan, ShardNamesAreZeroPaddedAndStable) {
  Collection c = MixedCollection();
  Plan plan = MakePlan(c, Options(3), SkewedDurations(c));
  ASSERT_EQ(plan.entries.size(), 6u);
  for (size_t i = 0; i < plan.entries.size(); ++i)
    EXPECT_EQ(plan.entries[i].name, "suite/shard-0" + std::to_string(i));
  EXPECT_EQ(plan.entries.back().labels, std::vector<std::string>{"serial"});

  Plan many = MakePlan(Uniform(150), Options(120), Durations{});
  ASSERT_EQ(many.entries.size(), 120u);
  EXPECT_EQ(many.entries.front().name, "suite/shard-000");
  EXPECT_EQ(many.entries[7].name, "suite/shard-007");
  EXPECT_EQ(many.entries.back().name, "suite/shard-119");
  std::set<std::string> names;
  for (const Entry& entry : many.entries) names.insert(entry.name);
  EXPECT_EQ(names.size(), many.entries.size());
}

TEST(Plan, EntryCostIsEstimatesPlusStartup) {
  Collection c;
  c.items = {MakeItem("a.py::t1"), MakeItem("a.py::t2"), MakeItem("b.py::t1")};
  Durations d;
  d.tests = {{"a.py::t1", 2.0}};  // a.py::t2 takes a.py's mean, b.py the suite's
  d.startup = 0.25;
  Plan plan = MakePlan(c, Options(1), d);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_DOUBLE_EQ(plan.entries[0].cost, 2.0 + 2.0 + 2.0 + 0.25);
  Plan fresh = MakePlan(c, Options(1), Durations{});
  EXPECT_DOUBLE_EQ(fresh.entries[0].cost, 3 * kDefaultTestSeconds + kDefaultStartupSeconds);
}

TEST(Plan, GranularityFileNamesEntriesAfterModules) {
  Collection c = MixedCollection();
  Plan plan = MakePlan(c, Options(0, Distribution::kLoad, Granularity::kFile), Durations{});
  std::vector<std::string> names;
  for (const Entry& entry : plan.entries) names.push_back(entry.name);
  // g0 and g1 join modules 0+2+4 and 1+3+5 (groups across modules).
  EXPECT_EQ(names,
            (std::vector<std::string>{"suite/tests/test_m0.py+tests/test_m2.py+tests/test_m4.py",
                                      "suite/tests/test_m1.py+tests/test_m3.py+tests/test_m5.py",
                                      "suite/tests/test_p.py"}));
  EXPECT_EQ(plan.entries[0].locks, (std::vector<std::string>{"db", "serial"}));
  EXPECT_EQ(plan.entries[0].labels, std::vector<std::string>{"serial"});
  EXPECT_TRUE(plan.entries[1].exclusive);
  EXPECT_TRUE(plan.entries[2].locks.empty());
  EXPECT_TRUE(plan.entries[2].labels.empty());

  Collection simple;
  simple.items = {MakeItem("tests/a.py::t1"), MakeItem("tests/b.py::t1"),
                  MakeItem("tests/a.py::t2", {MakeMarker("serial", json::array({"db"}))})};
  Plan files = MakePlan(simple, Options(0, Distribution::kLoad, Granularity::kFile), Durations{});
  ASSERT_EQ(files.entries.size(), 2u);
  EXPECT_EQ(files.entries[0].name, "suite/tests/a.py");
  EXPECT_EQ(files.entries[0].node_ids,
            (std::vector<std::string>{"tests/a.py::t1", "tests/a.py::t2"}));
  EXPECT_EQ(files.entries[0].locks, std::vector<std::string>{"db"});
  EXPECT_EQ(files.entries[0].labels, std::vector<std::string>{"serial"});
  EXPECT_EQ(files.entries[1].name, "suite/tests/b.py");
}

TEST(Plan, GranularityTestGivesOneEntryPerNodeId) {
  Collection c;
  c.items = {
      MakeItem("tests/a.py::test_z", {MakeMarker("slow"), MakeMarker("filterwarnings")}, 30),
      MakeItem("tests/a.py::T::test_p[1]",
               {MakeMarker("parametrize"), MakeMarker("usefixtures"), MakeMarker("network")}, 12),
      MakeItem("tests/b.py::test_s", {MakeMarker("serial", json::array({"db"}))}, 4),
      MakeItem("tests/b.py::test_g", {Group("pair")}, 0),
  };
  Plan plan = MakePlan(c, Options(2, Distribution::kLoad, Granularity::kTest), Durations{});
  ASSERT_EQ(plan.entries.size(), 4u);
  for (size_t i = 0; i < c.items.size(); ++i) {
    EXPECT_EQ(plan.entries[i].name, "suite/" + c.items[i].node_id);
    EXPECT_EQ(plan.entries[i].node_ids, std::vector<std::string>{c.items[i].node_id});
  }
  EXPECT_EQ(plan.entries[0].source_line, "/src/tests/a.py:30");
  EXPECT_EQ(plan.entries[0].labels, std::vector<std::string>{"slow"});
  EXPECT_EQ(plan.entries[1].source_line, "/src/tests/a.py:12");
  EXPECT_EQ(plan.entries[1].labels, std::vector<std::string>{"network"});
  EXPECT_EQ(plan.entries[2].labels, std::vector<std::string>{"serial"});
  EXPECT_EQ(plan.entries[2].locks, std::vector<std::string>{"db"});
  EXPECT_EQ(plan.entries[3].source_line, "/src/tests/b.py");  // line unknown
  EXPECT_EQ(plan.entries[3].labels, std::vector<std::string>{"xdist_group"});
  EXPECT_EQ(plan.entries[3].locks, std::vector<std::string>{"xdist_group:pair"});
}

TEST(Plan, CollectionErrorsGetTheirOwnLastEntry) {
  Collection c = Uniform(20);
  c.errors = {{"tests/test_broken.py", "/src/tests/test_broken.py", "ImportError: no"},
              {"tests/test_other.py", "/src/tests/test_other.py", "SyntaxError"}};
  for (Granularity granularity : {Granularity::kShard, Granularity::kFile, Granularity::kTest}) {
    Plan plan = MakePlan(c, Options(2, Distribution::kLoad, granularity), Durations{});
    ASSERT_FALSE(plan.entries.empty());
    const Entry& last = plan.entries.back();
    EXPECT_EQ(last.name, "suite/collection-errors");
    EXPECT_TRUE(last.collection_errors);
    EXPECT_EQ(last.node_ids,
              (std::vector<std::string>{"tests/test_broken.py", "tests/test_other.py"}));
    for (size_t i = 0; i + 1 < plan.entries.size(); ++i)
      EXPECT_FALSE(plan.entries[i].collection_errors);
  }
  Plan clean = MakePlan(Uniform(20), Options(2), Durations{});
  for (const Entry& entry : clean.entries) EXPECT_FALSE(entry.collection_errors);

  // Only errors, no items: the suite still has a failing entry.
  Collection broken;
  broken.errors = c.errors;
  Plan only = MakePlan(broken, Options(0), Durations{});
  ASSERT_EQ(only.entries.size(), 1u);
  EXPECT_TRUE(only.entries[0].collection_errors);
}

bool HasLabel(const Entry& entry, const std::string& label) {
  return std::find(entry.labels.begin(), entry.labels.end(), label) != entry.labels.end();
}

// A normal test, a serial("db") test and one member of group g1 failed.
Durations WithFailures(const Collection& c) {
  Durations d = SkewedDurations(c);
  d.failed = {"tests/test_m0.py::test_2", "tests/test_m3.py::TestK::test_0",
              "tests/test_m1.py::test_1", "tests/gone.py::test_x"};
  return d;
}

// --- the shared tail ----------------------------------------------------------

// 10 tests of 5 s in big.py; 100 small tests of 0.05 s in each of small0-3.py,
// of which small3's first two are serial and small2's last two an xdist
// group; a module skipped as a whole.
Collection TailCollection(Durations* d) {
  Collection c;
  c.rootdir = "/src";
  auto add = [&](const std::string& id, double seconds, std::vector<Marker> markers = {}) {
    c.items.push_back(MakeItem(id, std::move(markers)));
    d->tests[id] = seconds;
  };
  for (int t = 0; t < 10; ++t) add("big.py::t" + std::to_string(t), 5);
  for (int m = 0; m < 4; ++m)
    for (int t = 0; t < 100; ++t) {
      std::vector<Marker> markers;
      if (m == 3 && t < 2) markers.push_back(MakeMarker("serial"));
      if (m == 2 && t >= 98) markers.push_back(Group("pair"));
      add("small" + std::to_string(m) + ".py::t" + std::to_string(t), 0.05, markers);
    }
  add("skipped.py", 0.001);
  d->startup = 0.5;
  return c;
}

TEST(PlanSharedTail, TheLastTenthOfMovableTestsThatEveryShardShares) {
  Durations d;
  Collection c = TailCollection(&d);
  Plan plan = MakePlan(c, Options(2), d);
  ASSERT_FALSE(plan.shared_tail.empty());
  std::map<std::string, size_t> entry_of = EntryOf(plan);  // each ID once, in an entry or the tail
  EXPECT_EQ(entry_of.size(), c.items.size());
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < c.items.size(); ++i) position[c.items[i].node_id] = i;
  double tail = 0;
  size_t first = c.items.size();
  for (const auto& group : plan.shared_tail)
    for (const std::string& id : group) {
      EXPECT_TRUE(id != "small3.py::t0" && id != "small3.py::t1") << "serial tests stay apart";
      EXPECT_NE(id, "skipped.py");
      tail += d.tests.at(id);
      first = std::min(first, position[id]);
    }
  EXPECT_NEAR(tail, kTailShare * (50 + 20 + 0.001), 0.06);
  // A suffix: every test a shard runs of its own comes before the tail's.
  for (const Entry& entry : plan.entries)
    if (entry.shares_tail) {
      for (const std::string& id : entry.node_ids) {
        if (id == "skipped.py") continue;
        EXPECT_LT(position[id], first) << id;
      }
    }
  // In collection order; the xdist pair is one group.
  std::vector<std::string> flat;
  for (const auto& group : plan.shared_tail) {
    flat.insert(flat.end(), group.begin(), group.end());
    bool pair = std::find(group.begin(), group.end(), "small2.py::t98") != group.end();
    EXPECT_EQ(pair, std::find(group.begin(), group.end(), "small2.py::t99") != group.end());
  }
  EXPECT_EQ(entry_of.at("small2.py::t98"), plan.entries.size()) << "the pair is in the tail";
  EXPECT_TRUE(std::is_sorted(flat.begin(), flat.end(), [&](const auto& a, const auto& b) {
    return position[a] < position[b];
  }));
  // The shards share it; the serial entry does not.
  size_t sharing = 0;
  for (const Entry& entry : plan.entries) {
    bool serial = HasLabel(entry, "serial");
    EXPECT_EQ(entry.shares_tail, !serial) << entry.name;
    sharing += entry.shares_tail;
  }
  EXPECT_EQ(sharing, 2u);
}

TEST(PlanSharedTail, FilesMoveWholeOrNotAtAll) {
  Durations d;
  Collection c = TailCollection(&d);
  for (int m = 4; m < 40; ++m)  // small modules that a tail of whole files can take
    for (int t = 0; t < 3; ++t) {
      std::string id = "tiny" + std::to_string(m) + ".py::t" + std::to_string(t);
      c.items.push_back(MakeItem(id));
      d.tests[id] = 0.01;
    }
  Plan plan = MakePlan(c, Options(2, Distribution::kFile), d);
  ASSERT_FALSE(plan.shared_tail.empty());
  for (const auto& group : plan.shared_tail) {
    std::string module = group.front().substr(0, group.front().find("::"));
    for (int t = 0; t < 3; ++t)
      EXPECT_NE(std::find(group.begin(), group.end(), module + "::t" + std::to_string(t)),
                group.end())
          << module << " is one group";
  }
  EntryOf(plan);
}

TEST(PlanSharedTail, NoneWhenOffForOneShardOrOtherEntries) {
  Durations d;
  Collection c = TailCollection(&d);
  PlanOptions off = Options(2);
  off.shared_tail = false;
  EXPECT_TRUE(MakePlan(c, off, d).shared_tail.empty());
  EXPECT_TRUE(MakePlan(c, Options(1), d).shared_tail.empty());
  EXPECT_TRUE(
      MakePlan(c, Options(0, Distribution::kLoad, Granularity::kFile), d).shared_tail.empty());
  EXPECT_TRUE(
      MakePlan(c, Options(0, Distribution::kLoad, Granularity::kTest), d).shared_tail.empty());
  for (const Entry& entry : MakePlan(c, off, d).entries) EXPECT_FALSE(entry.shares_tail);
}

TEST(PlanLastFailed, FailedTestsGetEntriesOfTheirOwnFirstWithHighestCost) {
  Collection c = MixedCollection();
  Durations d = WithFailures(c);
  std::set<std::string> failed = {"tests/test_m0.py::test_2", "tests/test_m3.py::TestK::test_0",
                                  "tests/test_m1.py::test_1"};
  for (Distribution distribution : kDistributions)
    for (Granularity granularity : {Granularity::kShard, Granularity::kFile})
      for (int shards : {0, 1, 3}) {
        Plan plan = MakePlan(c, Options(shards, distribution, granularity), d);
        PrioritiseLastFailed(&plan);
        std::set<std::string> in_last_failed;
        size_t last_failed_entries = 0;
        double lowest_last_failed = 1e300, highest_other = 0;
        for (size_t e = 0; e < plan.entries.size(); ++e) {
          const Entry& entry = plan.entries[e];
          bool last_failed = HasLabel(entry, "last-failed");
          EXPECT_EQ(last_failed, entry.name.rfind("suite/last-failed-", 0) == 0) << entry.name;
          if (!last_failed) {
            highest_other = std::max(highest_other, entry.cost);
            for (const std::string& id : entry.node_ids) EXPECT_EQ(failed.count(id), 0u) << id;
            continue;
          }
          EXPECT_EQ(e, last_failed_entries++) << "last-failed entries come first";
          lowest_last_failed = std::min(lowest_last_failed, entry.cost);
          for (const std::string& id : entry.node_ids) {
            EXPECT_EQ(failed.count(id), 1u) << id << " in " << entry.name;
            in_last_failed.insert(id);
          }
        }
        EXPECT_EQ(in_last_failed, failed) << Name(distribution) << " " << Name(granularity);
        EXPECT_GT(lowest_last_failed, highest_other);
        EXPECT_EQ(EntryOf(plan).size(), c.items.size()) << "every item is planned";
      }
}

TEST(PlanLastFailed, FailedSerialTestKeepsItsLockAndSplitGroupsShareALock) {
  Collection c = MixedCollection();
  Plan plan = MakePlan(c, Options(3), WithFailures(c));
  std::map<std::string, size_t> entry_of = EntryOf(plan);
  const Entry& db = plan.entries[entry_of.at("tests/test_m3.py::TestK::test_0")];
  EXPECT_TRUE(HasLabel(db, "last-failed"));
  EXPECT_TRUE(HasLabel(db, "serial"));
  EXPECT_EQ(db.locks, std::vector<std::string>{"db"});
  // The other serial("db") test stays in a normal entry with the same lock.
  const Entry& db_rest = plan.entries[entry_of.at("tests/test_m4.py::test_2")];
  EXPECT_FALSE(HasLabel(db_rest, "last-failed"));
  EXPECT_EQ(db_rest.locks, std::vector<std::string>{"db"});
  // g1 (test_1 of modules 1, 3, 5) lost test_m1's member to last-failed:
  // both sides hold the group's lock, so they never run at the same time.
  const Entry& split = plan.entries[entry_of.at("tests/test_m1.py::test_1")];
  const Entry& rest = plan.entries[entry_of.at("tests/test_m3.py::test_1")];
  EXPECT_NE(&split, &rest);
  EXPECT_EQ(&rest, &plan.entries[entry_of.at("tests/test_m5.py::test_1")]);
  for (const Entry* entry : {&split, &rest})
    EXPECT_NE(std::find(entry->locks.begin(), entry->locks.end(), "xdist_group:g1"),
              entry->locks.end())
        << entry->name;
  // g0 lost nobody: no lock.
  const Entry& g0 = plan.entries[entry_of.at("tests/test_m0.py::test_1")];
  EXPECT_EQ(std::find(g0.locks.begin(), g0.locks.end(), "xdist_group:g0"), g0.locks.end());
}

TEST(PlanLastFailed, FileGranularityKeepsFileNamesForTheRest) {
  Collection simple;
  simple.items = {MakeItem("tests/a.py::t1"), MakeItem("tests/b.py::t1"),
                  MakeItem("tests/a.py::t2")};
  Durations d;
  d.failed = {"tests/a.py::t2", "tests/b.py::t1"};
  Plan plan = MakePlan(simple, Options(0, Distribution::kLoad, Granularity::kFile), d);
  std::vector<std::string> names;
  for (const Entry& entry : plan.entries) names.push_back(entry.name);
  // Two failed tests on 2 cores: two last-failed entries, then what is left of a.py.
  EXPECT_EQ(names, (std::vector<std::string>{"suite/last-failed-00", "suite/last-failed-01",
                                             "suite/tests/a.py"}));
  EXPECT_EQ(plan.entries[2].node_ids, std::vector<std::string>{"tests/a.py::t1"});
  // Short entries keep collection order (PlanOrder below); only
  // PrioritiseLastFailed lifts the last-failed entries above the others.
  double rest = plan.entries[2].cost;
  PrioritiseLastFailed(&plan);
  EXPECT_DOUBLE_EQ(plan.entries[2].cost, rest);
  EXPECT_GT(plan.entries[1].cost, 2 * rest);
  EXPECT_GT(plan.entries[0].cost, plan.entries[1].cost);
}

TEST(PlanLastFailed, TestGranularityKeepsNamesAndOrder) {
  Collection c = MixedCollection();
  Durations d = WithFailures(c);
  Durations clean = d;
  clean.failed.clear();
  PlanOptions options = Options(0, Distribution::kLoad, Granularity::kTest);
  Plan plan = MakePlan(c, options, d);
  PrioritiseLastFailed(&plan);
  Plan before = MakePlan(c, options, clean);
  ASSERT_EQ(plan.entries.size(), before.entries.size());
  double highest_other = 0, lowest_failed = 1e300;
  for (size_t e = 0; e < plan.entries.size(); ++e) {
    const Entry& entry = plan.entries[e];
    EXPECT_EQ(entry.name, before.entries[e].name);
    bool failed = d.failed.count(entry.node_ids.at(0)) > 0;
    EXPECT_EQ(HasLabel(entry, "last-failed"), failed) << entry.name;
    EXPECT_FALSE(HasLabel(before.entries[e], "last-failed"));
    if (failed)
      lowest_failed = std::min(lowest_failed, entry.cost);
    else
      highest_other = std::max(highest_other, entry.cost);
  }
  EXPECT_GT(lowest_failed, highest_other);
}

// CTest starts the highest COST first. A warm worker takes a next entry only
// later in collection order, so per-test and per-file entries shorter than a
// second start in collection order; longer ones still start first.
TEST(PlanOrder, PerTestEntriesStartInCollectionOrderAfterLongOnes) {
  Collection c;
  c.items = {MakeItem("tests/a.py::t0"), MakeItem("tests/a.py::t1"), MakeItem("tests/b.py::t2"),
             MakeItem("tests/b.py::t3"), MakeItem("tests/c.py::t4")};
  Durations d;
  d.startup = 0.5;
  d.tests = {{"tests/a.py::t0", 0.2},
             {"tests/a.py::t1", 3.0},
             {"tests/b.py::t2", 0.01},
             {"tests/b.py::t3", 0.9},
             {"tests/c.py::t4", 1.5}};
  Plan plan = MakePlan(c, Options(0, Distribution::kLoad, Granularity::kTest), d);
  ASSERT_EQ(plan.entries.size(), 5u);
  std::vector<double> cost;
  for (const Entry& entry : plan.entries) cost.push_back(entry.cost);
  EXPECT_DOUBLE_EQ(cost[1], 3.5);  // long: its estimate, first
  EXPECT_DOUBLE_EQ(cost[4], 2.0);
  EXPECT_GT(cost[0], cost[2]);  // short: by place, below a second
  EXPECT_GT(cost[2], cost[3]);
  EXPECT_GT(cost[3], 0);
  EXPECT_LT(cost[0], 1.0);
}

TEST(PlanOrder, ShardEntriesKeepTheirEstimates) {
  Collection c;
  c.items = {MakeItem("tests/a.py::t0"), MakeItem("tests/b.py::t1")};
  Durations d;
  d.startup = 0.5;
  d.tests = {{"tests/a.py::t0", 0.2}, {"tests/b.py::t1", 0.1}};
  Plan plan = MakePlan(c, Options(2), d);
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_DOUBLE_EQ(plan.entries[0].cost + plan.entries[1].cost, 1.3);
}

// pytest-order orders a module's tests by their marks in one session: a
// module with an order mark stays in one entry, also when one of its tests
// failed last time (then all of it goes to the last-failed entry).
TEST(PlanPytestOrder, AModuleWithOrderMarksStaysInOneEntry) {
  Collection c;
  c.pytest_order = true;
  for (int t = 0; t < 6; ++t) {
    std::vector<Marker> markers;
    if (t == 4) markers.push_back(MakeMarker("order", json::array({1})));
    c.items.push_back(MakeItem("tests/test_o.py::test_" + std::to_string(t), markers));
    c.items.push_back(MakeItem("tests/test_u.py::test_" + std::to_string(t)));
  }
  Durations d;
  for (const Item& item : c.items) d.tests[item.node_id] = 1.0;
  auto entries_of = [](const Plan& plan, const std::string& module) {
    std::set<std::string> names;
    for (const Entry& entry : plan.entries)
      for (const std::string& id : entry.node_ids)
        if (id.rfind(module, 0) == 0) names.insert(entry.name);
    return names;
  };
  Plan plan = MakePlan(c, Options(4), d);
  EXPECT_EQ(entries_of(plan, "tests/test_o.py").size(), 1u);
  EXPECT_GT(entries_of(plan, "tests/test_u.py").size(), 1u) << "unmarked modules still split";
  d.failed = {"tests/test_o.py::test_2"};
  for (Granularity granularity : {Granularity::kShard, Granularity::kFile}) {
    Plan failed = MakePlan(c, Options(4, Distribution::kLoad, granularity), d);
    std::set<std::string> entries = entries_of(failed, "tests/test_o.py");
    ASSERT_EQ(entries.size(), 1u) << Name(granularity);
    EXPECT_EQ(entries.begin()->rfind("suite/last-failed-", 0), 0u) << *entries.begin();
  }
  c.pytest_order = false;  // without the plugin the marks order nothing
  d.failed.clear();
  EXPECT_GT(entries_of(MakePlan(c, Options(4), d), "tests/test_o.py").size(), 1u);
}

TEST(PlanLastFailed, NoFailedTestsOrOnlyUnknownOnesChangeNothing) {
  Collection c = MixedCollection();
  Durations d = SkewedDurations(c);
  Durations unknown = d;
  unknown.failed = {"tests/gone.py::test_x"};
  for (Granularity granularity : {Granularity::kShard, Granularity::kFile, Granularity::kTest}) {
    PlanOptions options = Options(0, Distribution::kLoad, granularity);
    PlanFile a{"run", Settings{}, c.rootdir, false, MakePlan(c, options, d), {}, {}, "",
               {},    0,          {},        {}};
    PlanFile b{"run", Settings{}, c.rootdir, false, MakePlan(c, options, unknown), {}, {}, "",
               {},    0,          {},        {}};
    EXPECT_EQ(PlanFileToJson(a).dump(), PlanFileToJson(b).dump());
    for (const Entry& entry : a.plan.entries) EXPECT_FALSE(HasLabel(entry, "last-failed"));
  }
}

}  // namespace
}  // namespace pytest_shards
