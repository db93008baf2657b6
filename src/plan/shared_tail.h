// The shared tail: the tests every shard of a suite collects and takes one
// group at a time, each group by one shard, when its own tests are done
// (SHARED_TAIL). A static plan leaves a core idle when a shard's learned
// durations were wrong; the tail absorbs the error, as xdist's queue does,
// while the shards keep one pytest start-up each. The planner chooses the
// tail here; the plugin takes it (python/pytest_shards_plugin/tail.py)
// through a claims file in the run's directory (run/tail_claims.h).
#pragma once

#include <string_view>
#include <vector>

namespace pytest_shards {

// What the tail may be made of: one bundle of tests that must stay together
// (plan.h's TestBundle), its estimated seconds and its module.
struct TailCandidate {
  double cost = 0;
  std::string_view module;
  bool movable = true;  // false: serial, or a module skipped as a whole
};

// The positions (ascending) of the candidates that make the tail of
// `bins` shards: about kTailShare of the total cost, from candidates no
// longer than kTailGroupShare of a shard's cost, taken whole module by
// module, the modules with the most such cost first (every shard imports
// a tail module: few modules keep that cost low). Empty with fewer than 2
// bins or nothing small enough.
std::vector<int> ChooseSharedTail(const std::vector<TailCandidate>& candidates, int bins);

// A tenth: learned durations were off by 5-15 % on a busy machine (issue
// 24's numpy runs), and a shard's error must fit in the tail.
inline constexpr double kTailShare = 0.10;
// The last group a shard takes is the most it can end after the others:
// 1 % of a shard's time keeps that within the 5 % the tail is for.
inline constexpr double kTailGroupShare = 0.01;

}  // namespace pytest_shards
