#include "data/outcome.h"

#include <iterator>

namespace pytest_shards {

namespace {

struct OutcomeWord {
  const char* name;
  Outcome outcome;
  bool failure;
  bool measured;  // the duration says how long the test takes
};

// In Outcome's order, which is the display order.
constexpr OutcomeWord kOutcomes[] = {
    {"passed", Outcome::kPassed, false, true},   {"failed", Outcome::kFailed, true, true},
    {"error", Outcome::kError, true, true},      {"crashed", Outcome::kCrashed, true, false},
    {"timeout", Outcome::kTimeout, true, false}, {"missing", Outcome::kMissing, true, false},
    {"skipped", Outcome::kSkipped, false, true}, {"xfailed", Outcome::kXfailed, false, true},
    {"xpassed", Outcome::kXpassed, false, true},
};

constexpr bool InOutcomeOrder() {
  for (int i = 0; i < static_cast<int>(std::size(kOutcomes)); ++i)
    if (static_cast<int>(kOutcomes[i].outcome) != i) return false;
  return true;
}
static_assert(InOutcomeOrder(), "kOutcomes must list every Outcome in its order");

const OutcomeWord& WordOf(Outcome outcome) { return kOutcomes[static_cast<int>(outcome)]; }

}  // namespace

const char* OutcomeName(Outcome outcome) { return WordOf(outcome).name; }

std::optional<Outcome> ParseOutcome(std::string_view word) {
  for (const OutcomeWord& known : kOutcomes)
    if (word == known.name) return known.outcome;
  return std::nullopt;
}

bool IsFailure(Outcome outcome) { return WordOf(outcome).failure; }

bool IsFailure(const std::string& outcome) {
  std::optional<Outcome> known = ParseOutcome(outcome);
  return !known || IsFailure(*known);
}

bool IsMeasured(const std::string& outcome) {
  std::optional<Outcome> known = ParseOutcome(outcome);
  return known && WordOf(*known).measured;
}

std::vector<std::pair<std::string, int>> InDisplayOrder(const std::map<std::string, int>& counts) {
  std::vector<std::pair<std::string, int>> ordered;
  for (const OutcomeWord& known : kOutcomes) {
    auto found = counts.find(known.name);
    if (found != counts.end() && found->second != 0) ordered.push_back(*found);
  }
  for (const auto& [word, count] : counts)
    if (!ParseOutcome(word) && count != 0) ordered.emplace_back(word, count);
  return ordered;
}

}  // namespace pytest_shards
