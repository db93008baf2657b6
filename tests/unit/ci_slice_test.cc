#include "plan/ci_slice.h"

#include <gtest/gtest.h>

#include <string>

#include "util/error.h"

namespace pytest_shards {
namespace {

void ExpectSlice(const Environment& environment, int index, int count,
                 const std::string& description) {
  SliceChoice choice = ChooseSlice(environment);
  EXPECT_EQ(choice.slice.index, index);
  EXPECT_EQ(choice.slice.count, count);
  EXPECT_EQ(DescribeSlice(choice), description);
}

// The one-line error for `environment`, or "" when it chose a slice.
std::string ErrorOf(const Environment& environment) {
  try {
    ChooseSlice(environment);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ChooseSlice, NothingSetIsTheWholeSuite) {
  ExpectSlice({}, 1, 1, "");
  ExpectSlice({{"PYTEST_SHARDS_SLICE", ""}, {"CI_NODE_INDEX", ""}}, 1, 1, "");
}

TEST(ChooseSlice, EachCiSystemWithItsIndexBase) {
  ExpectSlice({{"CI_NODE_INDEX", "2"}, {"CI_NODE_TOTAL", "3"}}, 2, 3,
              "slice 2/3 from CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)");
  ExpectSlice({{"CIRCLE_NODE_INDEX", "0"}, {"CIRCLE_NODE_TOTAL", "4"}}, 1, 4,
              "slice 1/4 from CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL (CircleCI)");
  ExpectSlice({{"BUILDKITE_PARALLEL_JOB", "4"}, {"BUILDKITE_PARALLEL_JOB_COUNT", "5"}}, 5, 5,
              "slice 5/5 from BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT (Buildkite)");
  ExpectSlice({{"SYSTEM_JOBPOSITIONINPHASE", "1"}, {"SYSTEM_TOTALJOBSINPHASE", "2"}}, 1, 2,
              "slice 1/2 from SYSTEM_JOBPOSITIONINPHASE/SYSTEM_TOTALJOBSINPHASE (Azure Pipelines)");
}

TEST(ChooseSlice, PytestShardsSliceWins) {
  ExpectSlice({{"PYTEST_SHARDS_SLICE", "3/4"}, {"CI_NODE_INDEX", "1"}, {"CI_NODE_TOTAL", "2"}}, 3,
              4, "slice 3/4 from PYTEST_SHARDS_SLICE");
}

TEST(ChooseSlice, APairCountsOnlyWhole) {
  // GitLab sets CI_NODE_TOTAL=1 in every job, CI_NODE_INDEX only under `parallel:`.
  ExpectSlice({{"CI_NODE_TOTAL", "1"}}, 1, 1, "");
  ExpectSlice({{"CI_NODE_TOTAL", "1"}, {"CIRCLE_NODE_INDEX", "1"}, {"CIRCLE_NODE_TOTAL", "2"}}, 2,
              2, "slice 2/2 from CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL (CircleCI)");
}

TEST(ChooseSlice, BadValuesAreOneLineNamingThem) {
  std::string gitlab = ErrorOf({{"CI_NODE_INDEX", "0"}, {"CI_NODE_TOTAL", "3"}});
  EXPECT_NE(gitlab.find("CI_NODE_INDEX='0' CI_NODE_TOTAL='3' (GitLab) is not a slice"),
            std::string::npos)
      << gitlab;
  EXPECT_NE(gitlab.find("from 1 to total"), std::string::npos) << gitlab;
  std::string circle = ErrorOf({{"CIRCLE_NODE_INDEX", "3"}, {"CIRCLE_NODE_TOTAL", "3"}});
  EXPECT_NE(circle.find("from 0 to total-1"), std::string::npos) << circle;
  for (const Environment& bad : std::initializer_list<Environment>{
           {{"CI_NODE_INDEX", "x"}, {"CI_NODE_TOTAL", "3"}},
           {{"BUILDKITE_PARALLEL_JOB", "-1"}, {"BUILDKITE_PARALLEL_JOB_COUNT", "2"}},
           {{"SYSTEM_JOBPOSITIONINPHASE", "1"}, {"SYSTEM_TOTALJOBSINPHASE", "0"}},
           {{"PYTEST_SHARDS_SLICE", "4/3"}}}) {
    std::string what = ErrorOf(bad);
    EXPECT_FALSE(what.empty()) << bad.begin()->first;
    EXPECT_NE(what.find(bad.begin()->first + "='"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(SliceMessage, PrintsTheChoiceFromTheTestsFile) {
  EXPECT_EQ(SliceMessage("app", ChooseSlice({})), "");
  EXPECT_EQ(
      SliceMessage("app", ChooseSlice({{"CI_NODE_INDEX", "2"}, {"CI_NODE_TOTAL", "3"}})),
      "message(\"pytest-shards: app: slice 2/3 from CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)\")\n");
}

TEST(EnvironmentMap, SplitsAtTheFirstEquals) {
  Environment environment = EnvironmentMap({"A=1", "B=x=y", "C=", "=bad", "novalue"});
  EXPECT_EQ(environment, (Environment{{"A", "1"}, {"B", "x=y"}, {"C", ""}}));
}

}  // namespace
}  // namespace pytest_shards
