// Which slice of a suite this CI job runs (see slice.h): PYTEST_SHARDS_SLICE
// when set, else the CI system's own parallel-job variables, so that a
// GitLab `parallel:` job or a CircleCI, Buildkite or Azure Pipelines matrix
// needs no configuration.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plan/slice.h"

namespace pytest_shards {

using Environment = std::map<std::string, std::string>;

// "K=V" strings (as CurrentEnvironment() gives them) as a map.
Environment EnvironmentMap(const std::vector<std::string>& variables);

struct SliceChoice {
  Slice slice;         // 1/1 (the whole suite) when nothing chose one
  std::string source;  // "PYTEST_SHARDS_SLICE", "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)"; empty: none
};

// The first that is set, in this order:
//   PYTEST_SHARDS_SLICE=k/n                              1-based
//   CI_NODE_INDEX, CI_NODE_TOTAL (GitLab)                1-based
//   CIRCLE_NODE_INDEX, CIRCLE_NODE_TOTAL (CircleCI)      0-based
//   BUILDKITE_PARALLEL_JOB, BUILDKITE_PARALLEL_JOB_COUNT 0-based
//   SYSTEM_JOBPOSITIONINPHASE, SYSTEM_TOTALJOBSINPHASE   1-based (Azure)
// An empty variable counts as unset; a CI pair counts only when both are
// set (GitLab sets CI_NODE_TOTAL=1 alone in a job without `parallel:`).
// Throws Error (one line naming the variables, their values and the fix)
// for a value that is not a slice.
SliceChoice ChooseSlice(const Environment& environment);

// "slice 2/3 from CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)"; empty without a source.
std::string DescribeSlice(const SliceChoice& choice);

// CMake code for the run's tests.cmake that prints, once per ctest start,
// "pytest-shards: <suite>: slice 2/3 from ..." (ctest shows message()
// output of its test files); empty without a source.
std::string SliceMessage(const std::string& suite, const SliceChoice& choice);

}  // namespace pytest_shards
