// The shared tail: the tests every shard of a suite collects and takes one
// group at a time, each group by one shard, when its own tests are done
// (SHARED_TAIL). A static plan leaves a core idle when a shard's learned
// durations were wrong; the tail absorbs the error, as xdist's queue does,
// while the shards keep one pytest start-up each. The planner chooses the
// tail here; the plugin takes it (python/pytest_shards_plugin/tail.py)
// through a claims file in the run's directory (run/tail_claims.h).
#pragma once

#include <vector>

namespace pytest_shards {

// What the tail may be made of: one bundle of tests that must stay together
// (plan.h's TestBundle) and its estimated seconds.
struct TailCandidate {
  double cost = 0;
  bool movable = true;  // false: serial, or a module skipped as a whole
};

// The positions (ascending) of the candidates, given in collection order,
// that make the tail of `bins` shards: the last ones, back to about
// kTailShare of the total cost or to the first one (from the end) that
// costs more than the candidates after it plus kTailGroupShare of a shard
// (numpy's tests/test_warning_calls, 4.8 s, has 1.2 s of tests after it). A suffix: every shard
// runs its own tests, then the tail's, so that each pytest still runs its tests in collection
// order, as plain pytest and xdist's workers do (numpy's test_dtype.py fails after its
// tests/test_reloading.py, which comes later). Candidates that are not movable are passed over.
// Empty with fewer than 2 bins, or when the last movable candidate is a big one.
std::vector<int> ChooseSharedTail(const std::vector<TailCandidate>& candidates, int bins);

// A fifth: learned durations were off by 5-15 % on a busy machine (issue
// 24's numpy runs; on this session's numpy, whose shards were planned
// equal, one took 306 s and the other 243 s), and a shard's error must fit
// in the tail.
inline constexpr double kTailShare = 0.20;
// The most a shard can end after the others, by a group it took while the
// others ran the rest: 2 % of a shard's time keeps that within the 5 % the
// tail is for.
inline constexpr double kTailGroupShare = 0.02;

}  // namespace pytest_shards
