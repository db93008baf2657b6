#include "plan/shared_tail.h"

#include <gtest/gtest.h>

#include <vector>

namespace pytest_shards {
namespace {

double CostOf(const std::vector<TailCandidate>& candidates, const std::vector<int>& chosen) {
  double cost = 0;
  for (int i : chosen) cost += candidates[i].cost;
  return cost;
}

TEST(ChooseSharedTail, TakesTheLastTenthInCollectionOrder) {
  // 100 s of big tests first, then 250 small ones: the tail is the last
  // 12.5 s, a suffix, whatever comes before it.
  std::vector<TailCandidate> candidates;
  for (int i = 0; i < 10; ++i) candidates.push_back({10.0});
  for (int i = 0; i < 250; ++i) candidates.push_back({0.1});
  std::vector<int> chosen = ChooseSharedTail(candidates, 2);
  ASSERT_FALSE(chosen.empty());
  EXPECT_NEAR(CostOf(candidates, chosen), 125 * kTailShare, 0.11);
  EXPECT_EQ(chosen.back(), 259);
  EXPECT_EQ(chosen.back() - chosen.front() + 1, static_cast<int>(chosen.size()));
}

TEST(ChooseSharedTail, StopsAtABigCandidateAndPassesOverImmovableOnes) {
  std::vector<TailCandidate> candidates(1000, TailCandidate{0.01});
  candidates[990] = {1.0};          // more than 1 % of a shard (5.5 s)
  candidates[995] = {0.01, false};  // a module skipped as a whole
  std::vector<int> chosen = ChooseSharedTail(candidates, 2);
  EXPECT_EQ(chosen, (std::vector<int>{991, 992, 993, 994, 996, 997, 998, 999}));
  candidates[999] = {1.0};
  EXPECT_TRUE(ChooseSharedTail(candidates, 2).empty());
}

TEST(ChooseSharedTail, ABigCandidateWithEnoughAfterItIsInTheTail) {
  // 2,000 tests of 5 ms and one of 1 s: 11 s, 2 % of a shard is 0.11 s.
  // Near the end (45 ms after it) the big one stops the tail; 299 tests
  // from the end (1.5 s after it) another shard runs those meanwhile.
  std::vector<TailCandidate> candidates(2000, TailCandidate{0.005});
  candidates[1990] = {1.0};
  EXPECT_EQ(ChooseSharedTail(candidates, 2).front(), 1991);
  candidates[1990] = {0.005};
  candidates[1700] = {1.0};
  std::vector<int> chosen = ChooseSharedTail(candidates, 2);
  EXPECT_EQ(chosen.front(), 1700);
  EXPECT_GE(CostOf(candidates, chosen), 10.995 * kTailShare);
}

TEST(ChooseSharedTail, NoTailForOneShard) {
  std::vector<TailCandidate> candidates(1000, TailCandidate{0.01});
  EXPECT_TRUE(ChooseSharedTail(candidates, 1).empty());
  EXPECT_FALSE(ChooseSharedTail(candidates, 2).empty());
}

}  // namespace
}  // namespace pytest_shards
