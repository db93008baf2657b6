#include "plan/shared_tail.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pytest_shards {
namespace {

double CostOf(const std::vector<TailCandidate>& candidates, const std::vector<int>& chosen) {
  double cost = 0;
  for (int i : chosen) cost += candidates[i].cost;
  return cost;
}

TEST(ChooseSharedTail, TakesATenthFromTheModuleWithTheMostSmallTests) {
  // 100 s of big tests, then two modules of small ones: 20 s in "many.py",
  // 5 s in "few.py". The tail is 12.5 s: all from many.py.
  std::vector<TailCandidate> candidates;
  for (int i = 0; i < 10; ++i) candidates.push_back({10.0, "big.py"});
  for (int i = 0; i < 50; ++i) candidates.push_back({0.1, "few.py"});
  for (int i = 0; i < 200; ++i) candidates.push_back({0.1, "many.py"});
  std::vector<int> chosen = ChooseSharedTail(candidates, 2);
  ASSERT_FALSE(chosen.empty());
  EXPECT_NEAR(CostOf(candidates, chosen), 125 * kTailShare, 0.11);
  for (int i : chosen) EXPECT_EQ(candidates[i].module, "many.py") << i;
  EXPECT_TRUE(std::is_sorted(chosen.begin(), chosen.end()));
  // The first small tests of the module, in collection order.
  EXPECT_EQ(chosen.front(), 60);
  EXPECT_EQ(chosen.back() - chosen.front() + 1, static_cast<int>(chosen.size()));
}

TEST(ChooseSharedTail, NeverTakesABigOrImmovableCandidate) {
  std::vector<TailCandidate> candidates;
  for (int i = 0; i < 100; ++i) candidates.push_back({1.0, "a.py"});  // 1 s > 1 % of 50 s
  for (int i = 0; i < 20; ++i) candidates.push_back({0.01, "b.py", /*movable=*/false});
  EXPECT_TRUE(ChooseSharedTail(candidates, 2).empty());
  candidates.push_back({0.01, "c.py"});
  EXPECT_EQ(ChooseSharedTail(candidates, 2), std::vector<int>{120});
}

TEST(ChooseSharedTail, NoTailForOneShard) {
  std::vector<TailCandidate> candidates(1000, TailCandidate{0.01, "a.py"});
  EXPECT_TRUE(ChooseSharedTail(candidates, 1).empty());
  EXPECT_FALSE(ChooseSharedTail(candidates, 2).empty());
}

}  // namespace
}  // namespace pytest_shards
