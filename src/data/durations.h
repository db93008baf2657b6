// The durations store: what earlier runs measured, read by the planner.
// Stored as durations.json (format "pytest-shards-durations/1") in the suite
// directory; folded in from the run journals (see journal.h).
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "data/collection.h"

namespace pytest_shards {

struct Durations {
  // node ID -> seconds of setup + call + teardown in its latest run.
  std::map<std::string, double> tests;
  // Seconds from starting the interpreter to its first test (start-up and
  // collection), averaged over the latest shards; 0 when never measured.
  double startup = 0;
  // CTest entry name -> wall seconds of its latest run.
  std::map<std::string, double> entries;
  // CTest entry name -> peak RSS (KiB) of its process tree in its latest run.
  std::map<std::string, long> peak_rss_kb;
  // Node IDs whose latest run failed (failed, error, crashed, timeout,
  // missing), as pytest's cache/lastfailed: a later pass removes one, a run
  // that does not include it keeps it. The planner puts them first.
  std::set<std::string> failed;
  // The run whose journals were folded in last, with a stamp of them (see
  // FoldJournalsIntoDurations): a ctest start finding them unchanged since
  // does not fold them again. Empty when none.
  std::string folded;

  // Measured seconds for the item, or an estimate: the mean of measured
  // tests of the same file, else of the whole suite, else a default.
  double Estimate(const Item& item) const;
  bool empty() const { return tests.empty(); }
};

// The estimate for a test nobody has timed, when nothing else is known.
constexpr double kDefaultTestSeconds = 0.05;
// The start-up estimate before any shard was measured.
constexpr double kDefaultStartupSeconds = 0.5;

nlohmann::json DurationsToJson(const Durations& durations);
// Throws Error on a malformed document.
Durations DurationsFromJson(const nlohmann::json& json);
// Empty Durations when the file does not exist; Error when it is corrupt.
Durations ReadDurations(const std::filesystem::path& file);

}  // namespace pytest_shards
