#include "report/report_summary.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "data/outcome.h"

namespace pytest_shards {

namespace {

// Cuts to at most `limit` bytes on a UTF-8 character boundary.
std::string Shorten(std::string line, std::size_t limit) {
  if (line.size() <= limit) return line;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return line.substr(0, cut) + "...";
}

}  // namespace

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string KeyLine(const std::string& message, std::size_t limit) {
  std::string first;
  for (const std::string& line : SplitLines(message)) {
    std::size_t begin = line.find_first_not_of(" \t");
    if (begin == std::string::npos) continue;
    if (line.compare(0, 2, "E ") == 0)
      return Shorten(line.substr(line.find_first_not_of(" ", 1)), limit);
    if (first.empty()) first = line.substr(begin);
  }
  return Shorten(first, limit);
}

std::string FormatTotals(const std::map<std::string, int>& totals) {
  // Passes and failures always, even at zero; the rest in display order.
  std::string line;
  for (Outcome always : {Outcome::kPassed, Outcome::kFailed}) {
    auto found = totals.find(OutcomeName(always));
    line += (line.empty() ? "" : ", ") + std::to_string(found == totals.end() ? 0 : found->second) +
            " " + OutcomeName(always);
  }
  for (const auto& [outcome, count] : InDisplayOrder(totals)) {
    std::optional<Outcome> known = ParseOutcome(outcome);
    if (known == Outcome::kPassed || known == Outcome::kFailed) continue;
    line += ", " + std::to_string(count) + " " + outcome;
  }
  return line;
}

namespace {

std::string Pad(const std::string& text, std::size_t width, bool right) {
  if (text.size() >= width) return text;
  std::string fill(width - text.size(), ' ');
  return right ? fill + text : text + fill;
}

std::string Table(const Report& report) {
  std::size_t width = 5;
  for (const EntryRow& row : report.entries) width = std::max(width, row.name.size());
  std::ostringstream out;
  out << Pad("entry", width, false) << "  tests  wall s  start-up s  peak RSS MiB  result\n";
  for (const EntryRow& row : report.entries) {
    auto number = [&](double value, int decimals) {
      return row.finished ? Fixed(value, decimals) : std::string("-");
    };
    out << Pad(row.name, width, false) << "  " << Pad(std::to_string(row.tests), 5, true) << "  "
        << Pad(number(row.wall, 2), 6, true) << "  " << Pad(number(row.startup, 2), 10, true)
        << "  " << Pad(number(row.peak_rss_kb / 1024.0, 1), 12, true) << "  "
        << EntryStatusName(row.Status());
    // The exit status only when no failing result explains it.
    if (row.finished && row.exit_code != 0 && !row.HasFailingResult())
      out << " (exit " << row.exit_code << ")";
    if (row.restarts > 0)
      out << " (" << row.restarts << (row.restarts == 1 ? " restart)" : " restarts)");
    if (row.interrupted != 0) out << " (interrupted)";
    out << "\n";
  }
  return out.str();
}

// At most this many node IDs per list; the JUnit file has them all.
constexpr std::size_t kListLimit = 100;

// "<title> (<count>):" and the lines, indented; nothing when there are none.
void PrintList(std::ostream& out, const std::string& title, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  out << title << " (" << lines.size() << "):\n";
  for (std::size_t i = 0; i < lines.size() && i < kListLimit; ++i) out << "  " << lines[i] << "\n";
  if (lines.size() > kListLimit) out << "  ... and " << lines.size() - kListLimit << " more\n";
}

// The heading a failing outcome is listed under.
std::string FailureTitle(const std::string& outcome) {
  std::optional<Outcome> known = ParseOutcome(outcome);
  if (known == Outcome::kFailed || known == Outcome::kError) return OutcomeName(Outcome::kFailed);
  if (known == Outcome::kTimeout) return "timed out";
  if (known == Outcome::kMissing) return "missing (not collected at run time)";
  return outcome;
}

void Failures(std::ostream& out, const Report& report) {
  std::set<std::string> never_ran(report.never_ran.begin(), report.never_ran.end());
  std::set<std::string> collection_entries = CollectionErrorEntries(report);
  std::vector<std::string> titles;
  std::map<std::string, std::vector<std::string>> lists;
  for (const ReportResult& result : report.results) {
    const TestResult& test = result.test;
    if (!IsFailure(test.outcome) || test.NotRun()) continue;
    // Listed with the accounting problems instead.
    if (ParseOutcome(test.outcome) == Outcome::kMissing && never_ran.count(test.node_id)) continue;
    if (collection_entries.count(result.entry)) continue;
    std::string title = FailureTitle(test.outcome);
    if (!lists.count(title)) titles.push_back(title);
    std::string line = test.node_id + "  [" + result.entry + "]";
    std::string message = KeyLine(test.message, 160);
    if (!message.empty()) line += "  " + message;
    lists[title].push_back(line);
  }
  for (const std::string& title : titles) PrintList(out, title, lists[title]);
}

void EntryProblems(std::ostream& out, const Report& report) {
  std::vector<std::string> killed, not_run;
  for (const EntryRow& row : report.entries) {
    if (row.Status() == EntryStatus::kNotSelected) continue;
    if (!row.ran) {
      // In an interrupted run, its tests are among those it did not run.
      if (report.interrupted == 0) not_run.push_back(row.name);
    } else if (!row.finished) {
      killed.push_back(row.name + "  (no closing record: killed mid-run" +
                       (row.running.empty() ? "" : " while running " + row.running) + ")");
    }
  }
  PrintList(out, "entries that did not finish", killed);
  PrintList(out, "entries that did not run", not_run);
}

// Entries that would have forked from the warm interpreter but started
// pytest cold (each a whole pytest start-up), under each reason.
void ColdEntries(std::ostream& out, const Report& report) {
  std::vector<std::string> reasons;
  std::map<std::string, std::vector<std::string>> entries;
  for (const EntryRow& row : report.entries) {
    if (row.cold.empty()) continue;
    if (!entries.count(row.cold)) reasons.push_back(row.cold);
    entries[row.cold].push_back(row.name);
  }
  for (const std::string& reason : reasons)
    PrintList(out, "entries that started pytest cold: " + KeyLine(reason, 300), entries[reason]);
}

}  // namespace

std::string InterruptedLine(const Report& report) {
  return "interrupted by signal " + std::to_string(report.interrupted) + ": " +
         std::to_string(report.not_run) + " of " + std::to_string(report.results.size()) +
         " tests did not run";
}

std::string DescribeSelection(const Report& report) {
  if (report.selection.empty()) return "";
  std::size_t selected =
      std::count_if(report.entries.begin(), report.entries.end(),
                    [](const EntryRow& row) { return row.Status() != EntryStatus::kNotSelected; });
  return "ctest " + report.selection + " (" + std::to_string(selected) + " of " +
         std::to_string(report.entries.size()) + " entries)";
}

std::string FormatSummary(const Report& report) {
  std::ostringstream out;
  out << "pytest-shards report: " << report.suite << " (run " << report.run_id << ")\n";
  if (std::string selection = DescribeSelection(report); !selection.empty())
    out << "selection: " << selection << "\n";
  out << Table(report);
  out << FormatTotals(report.totals) << "\n";
  if (report.interrupted != 0) out << InterruptedLine(report) << "\n";
  Failures(out, report);
  std::set<std::string> collection_entries = CollectionErrorEntries(report);
  std::vector<std::string> collection_errors;
  for (const ReportResult& result : report.results) {
    if (!collection_entries.count(result.entry)) continue;
    std::string message = KeyLine(result.test.message, 160);
    collection_errors.push_back(result.test.node_id + (message.empty() ? "" : "  " + message));
  }
  PrintList(out, "modules that failed to collect", collection_errors);
  PrintList(out, "never ran", report.never_ran);
  PrintList(out, "ran more than once", report.ran_twice);
  EntryProblems(out, report);
  ColdEntries(out, report);
  out << (report.Ok() ? "OK" : report.interrupted != 0 ? "INTERRUPTED" : "FAILED") << "\n";
  return out.str();
}

}  // namespace pytest_shards
