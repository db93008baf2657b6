#include "plan/seed.h"

#include <gtest/gtest.h>

namespace pytest_shards {
namespace {

PlanFile Plan(const std::string& run_id, std::vector<std::string> outputs) {
  PlanFile plan;
  plan.run_id = run_id;
  plan.session_outputs = std::move(outputs);
  return plan;
}

TEST(SeedArgs, OneSeedPerRunWhenTheSuiteHasASessionSeed) {
  std::vector<std::string> args = SeedArgs(Plan("1700000000000000-42", {"junitxml", "seed"}));
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0], "--shards-seed=" + std::to_string(RunSeed("1700000000000000-42")));
  // Every entry and the session step read the same plan: the same seed.
  EXPECT_EQ(SeedArgs(Plan("1700000000000000-42", {"seed"})), args);
}

TEST(SeedArgs, NothingWithoutASessionSeed) {
  EXPECT_TRUE(SeedArgs(Plan("1700000000000000-42", {"junitxml", "coverage"})).empty());
}

TEST(RunSeed, DiffersBetweenRuns) {
  EXPECT_NE(RunSeed("1700000000000000-42"), RunSeed("1700000000000001-42"));
  EXPECT_NE(RunSeed("1700000000000000-42"), RunSeed("1700000000000000-43"));
}

}  // namespace
}  // namespace pytest_shards
