// The outcome of one test in a journal: pytest's six (the plugin writes
// them) and the runner's three (what became of a test pytest could not
// finish). One name table and one display order for every summary.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pytest_shards {

// In the order summaries list them: passes, then failures, then the rest.
enum class Outcome {
  kPassed,
  kFailed,
  kError,
  kCrashed,  // the interpreter died while the test ran
  kTimeout,  // killed: TEST_TIMEOUT, or the entry's TIMEOUT ran out
  kMissing,  // never ran (not collected, pytest broken, interrupted)
  kSkipped,
  kXfailed,
  kXpassed,
};

// The journal's word for an outcome ("passed", "crashed").
const char* OutcomeName(Outcome outcome);
// nullopt for a word this version does not know (a newer plugin's).
std::optional<Outcome> ParseOutcome(std::string_view word);

// Outcomes that make an entry fail: failed error crashed timeout missing,
// and any outcome this version does not know. xpassed is not a failure
// (strict xfail already reports as failed).
bool IsFailure(Outcome outcome);
bool IsFailure(const std::string& outcome);

// Whether a result's duration is a real measurement of the test, as the
// durations store wants it: a crash, a timeout or a missing test says
// nothing about how long the test takes, nor does an unknown outcome.
bool IsMeasured(const std::string& outcome);

// Counts by outcome word in display order: the known outcomes first in
// Outcome's order, then unknown words alphabetically; zero counts left out.
std::vector<std::pair<std::string, int>> InDisplayOrder(const std::map<std::string, int>& counts);

}  // namespace pytest_shards
