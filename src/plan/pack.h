// Packing: placing pieces of work, each with an estimated cost, into bins
// that take about equally long. The planner (plan.h) packs tests into
// shards; CI slices (slice.h) pack a plan's entries into the jobs of a
// matrix. Only costs and positions are known here, never what they are.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace pytest_shards {

// What packing places as one: positions in the caller's list, and their
// estimated seconds. A packed bin (a shard or a slice being filled) is a
// Piece too.
struct Piece {
  std::vector<int> items;  // positions, ascending
  double cost = 0;
};

// The name of the item at a position: it orders pieces of equal cost, so
// that a packing depends on nothing but its inputs.
using ItemName = std::function<const std::string&(int item)>;

// Longest processing time first: the largest piece goes to the least loaded
// bin (lowest index on a tie); equal costs are ordered by the name of their
// first item. Returns `bins` bins, each with its items ascending.
std::vector<Piece> PackLpt(std::vector<Piece> pieces, int bins, const ItemName& name);

// The longest bin's cost.
double Makespan(const std::vector<Piece>& bins);

// The pieces LPT places for DISTRIBUTION load at `threshold`: each module
// (its pieces in collection order) whole when it costs at most `threshold`,
// else cut into consecutive runs of its pieces costing at most `threshold`
// (a single piece costing more stays whole).
std::vector<Piece> CutModules(const std::vector<std::vector<Piece>>& modules, double threshold);

// DISTRIBUTION load: keeps a module's pieces in one bin unless that hurts
// balance.
//   1. The finest packing (every piece alone) is the reference balance: its
//      LPT makespan M.
//   2. Modules are packed whole, except that a module costing more than a
//      threshold is cut, in collection order, into consecutive runs costing
//      at most the threshold (numpy's test_umath.py becomes a few runs of
//      neighbouring tests, not 4406 scattered ones). LPT then places the
//      big pieces first and fills up with the small ones.
//   3. The threshold starts at the per-bin target T/N. If the makespan is
//      within 5% of M, that packing wins; else the threshold halves and big
//      modules are cut finer, down to the finest packing.
std::vector<Piece> PackLoad(const std::vector<std::vector<Piece>>& modules, int bins,
                            const ItemName& name);

// SHARDS auto: how many shards for `total` estimated seconds of tests, a
// pytest start-up of `startup` seconds, on `cores` cores, when the costs
// were measured (`timed`) or are guesses; never more than `pieces`, at
// least 1. See pack.cc for the rule and why.
int AutoShards(double total, double startup, bool timed, int cores, std::size_t pieces);

// When ctest ends `bins` on `cores` slots: it starts the costliest waiting
// entry (COST, descending) whenever a slot is free, and each entry also pays
// `startup` seconds.
double ScheduleMakespan(const std::vector<Piece>& bins, int cores, double startup);

// SHARDS auto, second look. AutoShards' count assumes LPT can make the
// shards about equally long; one test longer than a shard's share breaks
// that, and ctest's schedule then leaves a core idle at the end. `pack(n)`
// packs into n bins; this tries n = `cores`, 2 `cores`, ... up to `shards`
// and keeps the most bins whose schedule ends within 2% of the earliest.
std::vector<Piece> PackForCores(const std::function<std::vector<Piece>(int bins)>& pack, int shards,
                                int cores, double startup);

}  // namespace pytest_shards
