#include "plan/pack.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <utility>

namespace pytest_shards {

std::vector<Piece> PackLpt(std::vector<Piece> pieces, int bins, const ItemName& name) {
  std::stable_sort(pieces.begin(), pieces.end(), [&](const Piece& a, const Piece& b) {
    if (a.cost != b.cost) return a.cost > b.cost;
    return name(a.items.front()) < name(b.items.front());
  });
  std::vector<Piece> result(bins);
  using Load = std::pair<double, int>;
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> least;
  for (int i = 0; i < bins; ++i) least.push({0.0, i});
  for (const Piece& piece : pieces) {
    auto [load, index] = least.top();
    least.pop();
    Piece& bin = result[index];
    bin.items.insert(bin.items.end(), piece.items.begin(), piece.items.end());
    bin.cost = load + piece.cost;
    least.push({bin.cost, index});
  }
  for (Piece& bin : result) std::sort(bin.items.begin(), bin.items.end());
  return result;
}

double Makespan(const std::vector<Piece>& bins) {
  double most = 0;
  for (const Piece& bin : bins) most = std::max(most, bin.cost);
  return most;
}

std::vector<Piece> CutModules(const std::vector<std::vector<Piece>>& modules, double threshold) {
  std::vector<Piece> pieces;
  for (const auto& module : modules) {
    double cost = 0;
    for (const Piece& piece : module) cost += piece.cost;
    bool whole = cost <= threshold;
    Piece run;
    for (const Piece& piece : module) {
      if (!whole && !run.items.empty() && run.cost + piece.cost > threshold)
        pieces.push_back(std::exchange(run, Piece{}));
      run.items.insert(run.items.end(), piece.items.begin(), piece.items.end());
      run.cost += piece.cost;
    }
    if (!run.items.empty()) pieces.push_back(std::move(run));
  }
  for (Piece& piece : pieces) std::sort(piece.items.begin(), piece.items.end());
  return pieces;
}

namespace {

// PackLoad's rule (pack.h): a packing within this of the finest one's
// makespan wins; the threshold halves at most this often.
constexpr double kBalanceTolerance = 1.05;
constexpr int kMaxCutRounds = 40;

}  // namespace

std::vector<Piece> PackLoad(const std::vector<std::vector<Piece>>& modules, int bins,
                            const ItemName& name) {
  double total = 0;
  std::vector<Piece> atoms;
  for (const auto& module : modules) {
    for (const Piece& piece : module) {
      total += piece.cost;
      atoms.push_back(piece);
    }
  }
  size_t atom_count = atoms.size();
  std::vector<Piece> finest = PackLpt(std::move(atoms), bins, name);
  double best = Makespan(finest);
  double threshold = total / bins;
  for (int round = 0; round < kMaxCutRounds; ++round, threshold /= 2) {
    std::vector<Piece> pieces = CutModules(modules, threshold);
    if (pieces.size() == atom_count) break;  // as fine as it gets
    std::vector<Piece> packed = PackLpt(std::move(pieces), bins, name);
    if (Makespan(packed) <= best * kBalanceTolerance) return packed;
  }
  return finest;
}

// SHARDS auto: N = c k shards for c cores, k per core. With T the estimated
// seconds of tests and s the start-up of one pytest process (interpreter,
// imports, collecting its share; measured, averaged over the last shards),
// each core runs about T/c of tests plus k s of start-ups, and the run ends
// late by about e T/(c k) when the estimate of the last shard is off by a
// fraction e. k s + e T/(c k) is least at k = sqrt(e T / (c s)).
//   - e is kTimedError once the suite's tests were timed, kGuessedError
//     while the costs are guesses: then more, smaller shards absorb them.
//   - k is rounded and kept in [1, kShardsPerCore]; N is a whole multiple of
//     c because LPT makes the shards equally long: 7 equal shards on 2 cores
//     take 4 rounds, 4/7 T instead of T/2.
//   - no more shards than pieces, and at least 1.
// Why: the first rule, N = clamp(T / (4 s), c, 4 c), gave networkx (5221
// tests on 2 cores; a shard's start-up, mostly importing numpy, scipy and
// pandas and collecting, measured at 6-9% of T/c) 5 to 7 shards: up to 7
// start-ups more than needed, in odd counts that leave a core idle at the
// end. This rule gives it 2. tools/bench/bench.py measures it against
// pytest -n 2.
namespace {

constexpr double kTimedError = 0.1;
constexpr double kGuessedError = 1.0;
constexpr int kShardsPerCore = 4;

}  // namespace

int AutoShards(double total, double startup, bool timed, int cores, std::size_t pieces) {
  double error = timed ? kTimedError : kGuessedError;
  double per_core = std::sqrt(error * total / (cores * startup));
  int k = std::clamp(static_cast<int>(std::lround(per_core)), 1, kShardsPerCore);
  std::size_t shards = std::min<std::size_t>(static_cast<std::size_t>(k) * cores, pieces);
  return static_cast<int>(std::max<std::size_t>(shards, 1));
}

double ScheduleMakespan(const std::vector<Piece>& bins, int cores, double startup) {
  std::vector<double> costs;
  for (const Piece& bin : bins)
    if (!bin.items.empty()) costs.push_back(bin.cost + startup);
  std::sort(costs.begin(), costs.end(), std::greater<>());
  std::priority_queue<double, std::vector<double>, std::greater<>> slots;
  for (int i = 0; i < std::max(cores, 1); ++i) slots.push(0.0);
  double end = 0;
  for (double cost : costs) {
    double start = slots.top();
    slots.pop();
    slots.push(start + cost);
    end = std::max(end, start + cost);
  }
  return end;
}

// Why numpy needs it: test_new_policy runs 180 s of a suite's 540 s, so 4
// shards on 2 cores run 180 + 120 against 240 (300 s); 2 shards run 180 + 90
// against 270. The 2% keeps more shards when all they cost is start-ups.
namespace {

constexpr double kScheduleTolerance = 1.02;

}  // namespace

std::vector<Piece> PackForCores(const std::function<std::vector<Piece>(int bins)>& pack, int shards,
                                int cores, double startup) {
  if (cores < 1 || shards <= cores || shards % cores != 0) return pack(shards);
  struct Tried {
    std::vector<Piece> bins;
    double makespan;
  };
  std::vector<Tried> tried;  // most bins first
  double best = 0;
  for (int bins = shards; bins >= cores; bins -= cores) {
    std::vector<Piece> packed = pack(bins);
    double makespan = ScheduleMakespan(packed, cores, startup);
    best = tried.empty() ? makespan : std::min(best, makespan);
    tried.push_back({std::move(packed), makespan});
  }
  for (Tried& t : tried)
    if (t.makespan <= best * kScheduleTolerance) return std::move(t.bins);
  return std::move(tried.back().bins);
}

}  // namespace pytest_shards
