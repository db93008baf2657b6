#include "data/outcome.h"

#include <gtest/gtest.h>

namespace pytest_shards {
namespace {

TEST(Outcome, NamesRoundTrip) {
  for (Outcome outcome :
       {Outcome::kPassed, Outcome::kFailed, Outcome::kError, Outcome::kCrashed, Outcome::kTimeout,
        Outcome::kMissing, Outcome::kSkipped, Outcome::kXfailed, Outcome::kXpassed}) {
    std::optional<Outcome> parsed = ParseOutcome(OutcomeName(outcome));
    ASSERT_TRUE(parsed) << OutcomeName(outcome);
    EXPECT_EQ(*parsed, outcome) << OutcomeName(outcome);
  }
  EXPECT_STREQ(OutcomeName(Outcome::kCrashed), "crashed");
}

TEST(Outcome, UnknownWordIsNotAnOutcomeButAFailure) {
  EXPECT_FALSE(ParseOutcome("exploded"));
  EXPECT_TRUE(IsFailure(std::string("exploded")));
  EXPECT_FALSE(IsFailure(Outcome::kXpassed));
  EXPECT_TRUE(IsFailure(Outcome::kTimeout));
}

TEST(Outcome, OnlyFinishedOutcomesMeasureTheTest) {
  EXPECT_TRUE(IsMeasured("failed"));
  EXPECT_TRUE(IsMeasured("xfailed"));
  EXPECT_FALSE(IsMeasured("crashed"));
  EXPECT_FALSE(IsMeasured("timeout"));
  EXPECT_FALSE(IsMeasured("missing"));
  EXPECT_FALSE(IsMeasured("exploded"));
}

TEST(Outcome, DisplayOrderIsPassesFailuresThenTheRestThenUnknownWords) {
  std::map<std::string, int> counts = {{"skipped", 1}, {"passed", 3}, {"zapped", 1},
                                       {"crashed", 2}, {"failed", 0}, {"exploded", 4}};
  std::vector<std::pair<std::string, int>> expected = {
      {"passed", 3}, {"crashed", 2}, {"skipped", 1}, {"exploded", 4}, {"zapped", 1}};
  EXPECT_EQ(InDisplayOrder(counts), expected);
}

}  // namespace
}  // namespace pytest_shards
