// The report as text: the summary `pytest-shards report` and `watch` print
// (a table of the entries, the totals, the failures and what never ran),
// and the pieces of it other views reuse.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "report/report.h"

namespace pytest_shards {

// Human-readable: a per-entry table, a totals line ("N passed, N failed",
// then the other non-zero outcomes), the failing node IDs and the
// accounting problems.
std::string FormatSummary(const Report& report);

// "interrupted by signal 2: 58 of 175 tests did not run": of an
// interrupted run (Report::interrupted), the tests it did not run
// (Report::not_run) of those its ctest selected.
std::string InterruptedLine(const Report& report);

// What the ctest chose to run, "ctest -R ^s/a$ (1 of 20 entries)" (the
// entries it selected or ran); empty when it chose every entry.
std::string DescribeSelection(const Report& report);

// "N passed, N failed", then the other non-zero outcomes.
std::string FormatTotals(const std::map<std::string, int>& totals);

// The lines of `text`, without their "\n" or "\r\n".
std::vector<std::string> SplitLines(const std::string& text);

// The line of a failure message that says what went wrong, at most `limit`
// bytes: pytest's first "E   " line (its long report starts with source
// lines), else the first non-empty line.
std::string KeyLine(const std::string& message, std::size_t limit);

// printf's "%.*f": `value` with `decimals` digits after the point.
std::string Fixed(double value, int decimals);

}  // namespace pytest_shards
