#include "plan/pack.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pytest_shards {
namespace {

// Pieces of one item each, item i costing costs[i].
std::vector<Piece> Singles(const std::vector<double>& costs) {
  std::vector<Piece> pieces;
  for (size_t i = 0; i < costs.size(); ++i) pieces.push_back({{static_cast<int>(i)}, costs[i]});
  return pieces;
}

// Item names "item-00", "item-01", ...: their order is the items' order.
struct Names {
  std::vector<std::string> names;
  explicit Names(size_t count) {
    for (size_t i = 0; i < count; ++i)
      names.push_back("item-" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  }
  ItemName Get() const {
    return [this](int i) -> const std::string& { return names[i]; };
  }
};

// The bin of every item.
std::vector<int> BinOf(const std::vector<Piece>& bins, size_t items) {
  std::vector<int> bin_of(items, -1);
  for (size_t b = 0; b < bins.size(); ++b)
    for (int i : bins[b].items) bin_of[i] = static_cast<int>(b);
  return bin_of;
}

TEST(PackLpt, LargestFirstToTheLeastLoadedBin) {
  Names names(6);
  std::vector<Piece> bins = PackLpt(Singles({1, 5, 3, 4, 2, 3}), 2, names.Get());
  ASSERT_EQ(bins.size(), 2u);
  // 5 -> 0, 4 -> 1, 3 -> 1 (7), 3 -> 0 (8), 2 -> 1 (9), 1 -> 0 (9).
  EXPECT_EQ(bins[0].items, (std::vector<int>{0, 1, 5}));
  EXPECT_EQ(bins[1].items, (std::vector<int>{2, 3, 4}));
  EXPECT_DOUBLE_EQ(bins[0].cost, 9);
  EXPECT_DOUBLE_EQ(bins[1].cost, 9);
  EXPECT_DOUBLE_EQ(Makespan(bins), 9);
}

TEST(PackLpt, EqualCostsAreOrderedByTheNameOfTheFirstItem) {
  std::vector<std::string> names = {"b", "a", "c"};
  ItemName name = [&](int i) -> const std::string& { return names[i]; };
  std::vector<Piece> bins = PackLpt(Singles({1, 1, 1}), 3, name);
  EXPECT_EQ(bins[0].items, std::vector<int>{1});  // "a"
  EXPECT_EQ(bins[1].items, std::vector<int>{0});  // "b"
  EXPECT_EQ(bins[2].items, std::vector<int>{2});  // "c"
  // The input order does not matter.
  std::vector<Piece> reversed = Singles({1, 1, 1});
  std::swap(reversed[0], reversed[2]);
  EXPECT_EQ(BinOf(PackLpt(reversed, 3, name), 3), BinOf(bins, 3));
}

TEST(PackLpt, MoreBinsThanPiecesLeavesSomeEmpty) {
  Names names(2);
  std::vector<Piece> bins = PackLpt(Singles({2, 1}), 4, names.Get());
  ASSERT_EQ(bins.size(), 4u);
  EXPECT_TRUE(bins[2].items.empty());
  EXPECT_TRUE(bins[3].items.empty());
  EXPECT_DOUBLE_EQ(bins[3].cost, 0);
}

TEST(CutModules, CutsOnlyModulesAboveTheThresholdIntoConsecutiveRuns) {
  // Module 0: items 0..5 costing 1 each; module 1: items 6, 7; module 2: one
  // item costing more than the threshold.
  std::vector<Piece> all = Singles({1, 1, 1, 1, 1, 1, 1, 1, 9});
  std::vector<std::vector<Piece>> modules = {
      {all.begin(), all.begin() + 6}, {all[6], all[7]}, {all[8]}};
  std::vector<Piece> pieces = CutModules(modules, 2.5);
  ASSERT_EQ(pieces.size(), 5u);
  EXPECT_EQ(pieces[0].items, (std::vector<int>{0, 1}));
  EXPECT_EQ(pieces[1].items, (std::vector<int>{2, 3}));
  EXPECT_EQ(pieces[2].items, (std::vector<int>{4, 5}));
  EXPECT_EQ(pieces[3].items, (std::vector<int>{6, 7}));  // 2 <= 2.5: whole
  EXPECT_EQ(pieces[4].items, std::vector<int>{8});       // one piece stays whole
  EXPECT_DOUBLE_EQ(pieces[4].cost, 9);
  // Above every module's cost: every module whole.
  EXPECT_EQ(CutModules(modules, 100).size(), 3u);
}

std::vector<std::vector<Piece>> Modules(int modules, int items_each, double cost) {
  std::vector<std::vector<Piece>> result(modules);
  int item = 0;
  for (auto& module : result)
    for (int i = 0; i < items_each; ++i) module.push_back({{item++}, cost});
  return result;
}

TEST(PackLoad, KeepsModulesWholeWhenBalanceAllows) {
  Names names(40);
  std::vector<Piece> bins = PackLoad(Modules(8, 5, 1.0), 4, names.Get());
  ASSERT_EQ(bins.size(), 4u);
  std::vector<int> bin_of = BinOf(bins, 40);
  for (int module = 0; module < 8; ++module)
    for (int i = 1; i < 5; ++i) EXPECT_EQ(bin_of[module * 5 + i], bin_of[module * 5]) << module;
  for (const Piece& bin : bins) EXPECT_EQ(bin.items.size(), 10u);
}

TEST(PackLoad, CutsModulesThatWouldUnbalance) {
  // Three equal modules on two bins: whole modules would give 20:10.
  Names names(30);
  std::vector<Piece> bins = PackLoad(Modules(3, 10, 1.0), 2, names.Get());
  ASSERT_EQ(bins.size(), 2u);
  EXPECT_DOUBLE_EQ(bins[0].cost, 15);
  EXPECT_DOUBLE_EQ(bins[1].cost, 15);
}

TEST(PackLoad, CutsABigModuleIntoRunsOfNeighbours) {
  // One module of 40 items and 8 small ones of 1 item each, on 4 bins.
  std::vector<std::vector<Piece>> modules = Modules(1, 40, 1.0);
  for (int m = 0; m < 8; ++m) modules.push_back({{{40 + m}, 1.0}});
  Names names(48);
  std::vector<Piece> bins = PackLoad(modules, 4, names.Get());
  for (const Piece& bin : bins) {
    EXPECT_DOUBLE_EQ(bin.cost, 12);
    std::vector<int> big;
    for (int i : bin.items)
      if (i < 40) big.push_back(i);
    if (big.empty()) continue;
    EXPECT_EQ(big.back() - big.front() + 1, static_cast<int>(big.size()));
  }
}

TEST(AutoShards, AMultipleOfTheCoresBetweenOneAndFourPerCore) {
  for (int cores : {1, 2, 3, 8})
    for (double total : {0.0, 1.0, 10.0, 100.0, 10000.0}) {
      int shards = AutoShards(total, 0.5, /*timed=*/true, cores, 100000);
      EXPECT_EQ(shards % cores, 0) << total << " s on " << cores;
      EXPECT_GE(shards, cores);
      EXPECT_LE(shards, 4 * cores);
    }
  // k = sqrt(0.1 * 200 / (2 * 0.5)) = 4.5, capped at 4 per core.
  EXPECT_EQ(AutoShards(200, 0.5, true, 2, 1000), 8);
  // k = sqrt(0.1 * 20 / (2 * 0.5)) = 1.4: 1 per core.
  EXPECT_EQ(AutoShards(20, 0.5, true, 2, 1000), 2);
}

TEST(AutoShards, GuessedCostsGiveMoreShardsAndPiecesCapTheCount) {
  EXPECT_GT(AutoShards(20, 0.5, /*timed=*/false, 2, 1000), AutoShards(20, 0.5, true, 2, 1000));
  EXPECT_EQ(AutoShards(10000, 0.5, true, 8, 3), 3);
  EXPECT_EQ(AutoShards(10000, 0.5, true, 8, 0), 1);
}

TEST(ScheduleMakespan, CostliestFirstOnTheFirstFreeSlot) {
  // 180 | 120, then 120 on the second slot (240), the last 120 on the first.
  EXPECT_DOUBLE_EQ(ScheduleMakespan(Singles({120, 180, 120, 120}), 2, 0), 300);
  EXPECT_DOUBLE_EQ(ScheduleMakespan(Singles({120, 180, 120, 120}), 2, 1), 302);
  EXPECT_DOUBLE_EQ(ScheduleMakespan(Singles({5, 5}), 4, 0), 5);
  EXPECT_DOUBLE_EQ(ScheduleMakespan({Piece{}, Piece{}}, 2, 3), 0) << "empty bins start nothing";
}

TEST(PackForCores, FewerShardsWhenOneTestOutlastsAShardsShare) {
  // numpy's shape: one 180 s test and 360 s of small ones, 4 shards asked
  // for on 2 cores. LPT's 4 bins are 180 and three of 120 (300 s on 2
  // cores); 2 bins are 180 + 90 and 270.
  std::vector<double> costs{180};
  for (int i = 0; i < 36; ++i) costs.push_back(10);
  Names names(costs.size());
  auto pack = [&](int bins) { return PackLpt(Singles(costs), bins, names.Get()); };
  ASSERT_DOUBLE_EQ(ScheduleMakespan(pack(4), 2, 2), 304);
  std::vector<Piece> chosen = PackForCores(pack, 4, 2, 2);
  EXPECT_EQ(chosen.size(), 2u);
  EXPECT_DOUBLE_EQ(ScheduleMakespan(chosen, 2, 2), 272);
}

TEST(PackForCores, KeepsTheShardsWhenTheyBalance) {
  Names names(40);
  auto pack = [&](int bins) {
    return PackLpt(Singles(std::vector<double>(40, 10)), bins, names.Get());
  };
  EXPECT_EQ(PackForCores(pack, 8, 2, 1).size(), 8u) << "3 start-ups more are within 2%";
  EXPECT_EQ(PackForCores(pack, 8, 2, 10).size(), 2u) << "start-ups this long are not";
  EXPECT_EQ(PackForCores(pack, 3, 2, 1).size(), 3u) << "not a multiple of the cores: as asked";
}

}  // namespace
}  // namespace pytest_shards
