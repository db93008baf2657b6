// What the ctest that plans a run was asked to do, read from its command
// line: `pytest-shards plan` runs in ctest's execute_process, so its parent
// is that ctest. An IDE lists the tests (`ctest -N`, `--show-only`) and runs
// the one clicked (`ctest -R '^<name>$'`); both pay CTest's reading of every
// entry's set_tests_properties(), which looks each name up among all tests
// (quadratic in the entries). Knowing what this ctest does, the emitter
// (emit.h) leaves out what it will not use.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace pytest_shards {

// `argv` as one line: words joined by spaces, a word that is empty or holds
// a space or a quote in single quotes ("ctest -R 'a b'").
std::string CommandText(const std::vector<std::string>& argv);

class CtestInvocation {
 public:
  // What it does when its command line is unknown: everything may run and
  // be listed.
  CtestInvocation() = default;
  // From ctest's argv (argv[0] included). Any option not known to leave the
  // selection to -R, -E, -L and -LE alone (-U, -I, --preset, ...), or -R
  // twice, makes the selection unknown: every entry may run.
  // --rerun-failed selects the entries named in `rerun` (those whose numbers
  // its ctest read from LastTestsFailed.log, last_tests_failed.h) and nothing
  // else: CTest then ignores -R, -E, -L, -LE, -I and -U. Without `rerun` it
  // is unknown.
  static CtestInvocation FromArguments(
      const std::vector<std::string>& argv,
      const std::optional<std::vector<std::string>>& rerun = std::nullopt);

  // -N or --show-only: nothing runs, the entries are listed.
  bool listing() const { return listing_; }
  // Whether the command line was read and understood.
  bool known() const { return known_; }
  // False only when this ctest surely does not run the entry `name`: its
  // -R does not match it, read as CTest reads it. A pattern whose meaning
  // could differ here (\d, {m,n}, [:alpha:], ...) matches every name.
  bool MayRun(const std::string& name) const;
  // Whether -R decided anything (MayRun is not always true). Not
  // --rerun-failed, which picks tests by their number (see Selects).
  bool selects() const { return regex_.has_value() || literals_.has_value(); }
  // False only when this ctest surely does not run the entry `name` with
  // `labels` (nullopt: unknown): -R as MayRun, and -E, -L, -LE read as CTest
  // reads them. What a pattern read otherwise (see MayRun) or an option given
  // twice (whose reading differs by CTest version) would decide is left out.
  // Under --rerun-failed: whether `name` is among the entries it reruns.
  bool Selects(const std::string& name,
               const std::optional<std::vector<std::string>>& labels) const;
  // The selecting options as given ("-L last-failed -R ^a$"), or empty: the
  // ctest ran every entry, or its command line is unknown.
  std::string SelectionText() const;

 private:
  // One -E, -L or -LE pattern; nullopt when it may read otherwise here.
  using Pattern = std::optional<std::regex>;
  // What a ctest given --rerun-failed selects (see FromArguments).
  static CtestInvocation RerunFailed(bool listing,
                                     const std::optional<std::vector<std::string>>& rerun);
  // Where -E, -L or -LE (`option`) keeps its patterns; null for others.
  std::vector<Pattern>* Filter(const std::string& option);

  bool known_ = false;
  bool listing_ = false;
  // -R as whole names (^a$, ^(a|b)$), compared exactly, or as a regex.
  std::optional<std::vector<std::string>> literals_;
  std::optional<std::regex> regex_;
  std::vector<Pattern> excludes_;        // -E
  std::vector<Pattern> labels_;          // -L
  std::vector<Pattern> label_excludes_;  // -LE
  std::vector<std::string> selecting_;   // -R, -E, -L, -LE and their values
  // --rerun-failed: the names of the entries it reruns, sorted.
  std::optional<std::vector<std::string>> rerun_;
};

}  // namespace pytest_shards
