#include "report/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <pugixml.hpp>
#include <set>
#include <sstream>

#include "data/outcome.h"
#include "emit/ctest_invocation.h"
#include "report/html_markup.h"
#include "report/report_junit.h"
#include "report/report_summary.h"
#include "report/timeline.h"

namespace pytest_shards {

namespace {

constexpr std::size_t kTooltipTests = 50;
constexpr std::size_t kSlowestTests = 20;
constexpr std::size_t kListLimit = 500;

// The SVG's geometry, in pixels.
constexpr double kLabelWidth = 110;  // lane names
constexpr double kPlotWidth = 1040;  // the run's wall time
constexpr double kIdleWidth = 150;   // each lane's idle time
constexpr double kAxisHeight = 22;
constexpr double kLaneHeight = 26;
constexpr double kBarHeight = 20;
constexpr double kCharWidth = 6.6;  // of the 11px labels, about

// Plain CSS without the characters XML would escape (in HTML a <style>
// holds raw text, so an escaped ">" would stay "&gt;").
constexpr const char* kStyle = R"(
body { font: 13px sans-serif; color: #222; margin: 16px; }
h1 { font-size: 18px; margin: 0 0 8px; }
h2 { font-size: 15px; margin: 20px 0 6px; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 2px 12px 2px 0; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.id { font-family: monospace; word-break: break-all; }
ul.facts { list-style: none; padding: 0; margin: 10px 0; }
ul.facts li { display: inline-block; margin-right: 20px; }
p.hint { color: #666; margin: 4px 0; }
p.run code { font-family: monospace; }
div.failure { margin: 10px 0; }
div.failure h3 { font: bold 13px monospace; margin: 0; word-break: break-all; }
div.failure pre { background: #f6f6f6; padding: 6px; margin: 4px 0; overflow-x: auto; }
.key { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 14px; }
.key.passed { background: #6cb26c; }
.key.failed { background: #d9534f; }
.key.killed { background: #f0ad4e; }
.key.startup { background: #3f5f86; }
.key.idle { background: #ececec; border: 1px solid #ccc; }
.key.critical { border: 2px solid #000; }
svg text { font: 11px sans-serif; }
.axis line { stroke: #ddd; }
.axis text { fill: #666; }
.lane-bg { fill: #ececec; }
.lane-label, .idle { fill: #444; }
.critical .lane-label { font-weight: bold; fill: #000; }
.run { fill: #6cb26c; }
.failed .run { fill: #d9534f; }
.killed .run { fill: #f0ad4e; }
.startup { fill: #1f3f66; fill-opacity: 0.55; }
.bar.critical .run { stroke: #000; stroke-width: 1.5; }
.bar text { fill: #fff; pointer-events: none; }
.bar:hover .run { fill-opacity: 0.8; }
)";

std::string Seconds(double value) { return Fixed(value, 2) + " s"; }

std::string Percent(double part, double whole) {
  return whole > 0 ? Fixed(100 * part / whole, 0) + "%" : "-";
}

// ---- The page -----------------------------------------------------------------

void Header(pugi::xml_node body, const std::vector<Report>& reports,
            const std::vector<const Report*>& drawn) {
  TextElement(body, "h1", "pytest-shards timeline");
  pugi::xml_node table = Element(body, "table", "suites");
  Row(table, {"suite", "run", "entries drawn", "results", ""}, {}, "th");
  for (const Report& report : reports) {
    std::size_t placed = 0;
    for (const EntryRow& row : report.entries) placed += Placed(row);
    bool in_run = std::find(drawn.begin(), drawn.end(), &report) != drawn.end();
    std::string note = in_run        ? (report.Ok() ? "OK" : "FAILED")
                       : placed == 0 ? "nothing ran"
                                     : "an earlier ctest run: not drawn";
    if (std::string selection = DescribeSelection(report); in_run && !selection.empty())
      note += "; selection: " + selection;
    Row(table,
        {report.suite, report.run_id,
         std::to_string(in_run ? placed : 0) + " of " + std::to_string(report.entries.size()),
         FormatTotals(report.totals), note},
        {"", "id", "num"});
  }
}

// When the drawn run started, and the ctest command that ran it.
void RunLine(pugi::xml_node body, const Timeline& timeline,
             const std::vector<const Report*>& drawn) {
  pugi::xml_node p = Element(body, "p", "run");
  p.append_child(pugi::node_pcdata).set_value(("Run of " + UtcTime(timeline.span.start)).c_str());
  std::vector<std::string> argv;
  for (const Report* report : drawn)
    if (argv.empty()) argv = report->ctest_argv;
  if (argv.empty()) return;
  p.append_child(pugi::node_pcdata).set_value(" by ");
  TextElement(p, "code", CommandText(argv));
}

// Every failing result of the drawn run with pytest's text: its message
// and traceback. Tests that never ran are the entries not drawn.
void Failures(pugi::xml_node body, const std::vector<const Report*>& drawn) {
  std::vector<const ReportResult*> failures;
  for (const Report* report : drawn) {
    std::set<std::string> never_ran(report->never_ran.begin(), report->never_ran.end());
    for (const ReportResult& result : report->results) {
      const TestResult& test = result.test;
      if (!IsFailure(test.outcome)) continue;
      if (ParseOutcome(test.outcome) == Outcome::kMissing && never_ran.count(test.node_id))
        continue;
      failures.push_back(&result);
    }
  }
  if (failures.empty()) return;
  TextElement(body, "h2", "Failures (" + std::to_string(failures.size()) + ")");
  for (std::size_t i = 0; i < failures.size() && i < kListLimit; ++i) {
    const ReportResult& failure = *failures[i];
    pugi::xml_node div = Element(body, "div", "failure");
    TextElement(div, "h3", failure.test.node_id);
    TextElement(div, "p", failure.test.outcome + " in " + failure.entry, "hint");
    if (!failure.test.message.empty()) TextElement(div, "pre", failure.test.message);
  }
  if (failures.size() > kListLimit)
    TextElement(body, "p", "... and " + std::to_string(failures.size() - kListLimit) + " more");
}

void Facts(pugi::xml_node body, const Timeline& timeline, const std::vector<const Report*>& drawn) {
  std::map<std::string, int> totals;
  for (const Report* report : drawn)
    for (const auto& [outcome, count] : report->totals) totals[outcome] += count;
  int lanes = static_cast<int>(timeline.busy.size());
  double idle = 0;
  for (int lane = 0; lane < lanes; ++lane) idle += timeline.Idle(lane);
  double lane_time = timeline.Wall() * lanes;
  std::size_t critical_entries = 0;
  for (const Bar& bar : timeline.bars) critical_entries += bar.lane == timeline.critical;
  pugi::xml_node facts = Element(body, "ul", "facts");
  TextElement(facts, "li", "results: " + FormatTotals(totals));
  TextElement(facts, "li", "wall time " + Seconds(timeline.Wall()));
  TextElement(facts, "li",
              std::to_string(timeline.bars.size()) + " entries on " + std::to_string(lanes) +
                  " lanes (the most that ran at once)");
  TextElement(facts, "li",
              "idle " + Seconds(idle) + " of " + Seconds(lane_time) + " lane time (" +
                  Percent(idle, lane_time) + ")");
  TextElement(facts, "li",
              "critical path: lane " + std::to_string(timeline.critical + 1) + ", " +
                  std::to_string(critical_entries) + " entries, busy " +
                  Seconds(timeline.busy[timeline.critical]));
}

void Legend(pugi::xml_node body) {
  pugi::xml_node p = Element(body, "p", "legend");
  for (const char* key :
       {EntryStatusName(EntryStatus::kPassed), EntryStatusName(EntryStatus::kFailed),
        EntryStatusName(EntryStatus::kKilled), "startup", "idle", "critical"}) {
    Element(p, "span", std::string("key ") + key);
    std::string text = key;
    if (text == "startup") text = "start-up (pytest start to collected)";
    if (text == EntryStatusName(EntryStatus::kKilled)) text = "killed mid-run";
    if (text == "critical") text = "critical path (the lane that ended last)";
    TextElement(p, "span", text);
  }
  TextElement(body, "p", "Hover over a bar for its entry, times, outcomes and tests.", "hint");
}

// Time ticks 1, 2 or 5 times a power of ten apart, about ten of them.
double TickStep(double wall) {
  double raw = std::max(wall, 1e-3) / 10;
  double magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0})
    if (factor * magnitude >= raw) return factor * magnitude;
  return 10 * magnitude;
}

void Axis(pugi::xml_node svg, double wall, double scale, double height) {
  pugi::xml_node axis = Element(svg, "g", "axis");
  double step = TickStep(wall);
  int decimals = step < 1 ? (step < 0.1 ? 2 : 1) : 0;
  for (double t = 0; t <= wall + step / 1000; t += step) {
    double x = kLabelWidth + t * scale;
    pugi::xml_node line = Element(axis, "line");
    Attr(line, "x1", x);
    Attr(line, "x2", x);
    Attr(line, "y1", kAxisHeight - 4);
    Attr(line, "y2", height);
    pugi::xml_node label = TextElement(axis, "text", Fixed(t, decimals) + " s");
    Attr(label, "x", x + 2);
    Attr(label, "y", kAxisHeight - 8);
  }
}

std::string Tooltip(const Bar& bar, const Timeline& timeline,
                    const std::vector<const TestResult*>& tests) {
  const EntryRow& row = *bar.row;
  std::ostringstream text;
  text << row.name << "\n";
  text << "suite " << bar.report->suite << ", run " << bar.report->run_id << "\n";
  if (row.finished)
    text << EntryStatusName(row.Status()) << ": wall " << Seconds(row.wall) << ", start-up "
         << Seconds(row.startup);
  else
    text << "killed mid-run" << (row.running.empty() ? "" : " while running " + row.running);
  if (row.restarts > 0) text << ", " << row.restarts << " restarts";
  if (row.finished && row.exit_code != 0) text << ", exit " << row.exit_code;
  text << "\nran " << Seconds(row.start - timeline.span.start) << " to "
       << Seconds(row.end - timeline.span.start) << " on lane " << bar.lane + 1
       << (bar.lane == timeline.critical ? " (critical path)" : "") << "\n";
  text << FormatTotals(row.counts) << "\n";
  text << "tests (" << tests.size() << "):";
  for (std::size_t i = 0; i < tests.size() && i < kTooltipTests; ++i)
    text << "\n  " << Seconds(tests[i]->duration) << "  " << tests[i]->outcome << "  "
         << tests[i]->node_id;
  if (tests.size() > kTooltipTests)
    text << "\n  ... and " << tests.size() - kTooltipTests << " more";
  return text.str();
}

void DrawBar(pugi::xml_node lane, const Bar& bar, const Timeline& timeline, double scale,
             const std::vector<const TestResult*>& tests) {
  const EntryRow& row = *bar.row;
  std::string status = EntryStatusName(row.finished ? row.Status() : EntryStatus::kKilled);
  pugi::xml_node g =
      Element(lane, "g", "bar " + status + (bar.lane == timeline.critical ? " critical" : ""));
  Attr(g, "data-entry", row.name);
  Attr(g, "data-suite", bar.report->suite);
  Attr(g, "data-start", Fixed(row.start - timeline.span.start, 3));
  Attr(g, "data-end", Fixed(row.end - timeline.span.start, 3));
  TextElement(g, "title", Tooltip(bar, timeline, tests));
  double x = kLabelWidth + (row.start - timeline.span.start) * scale;
  double y = kAxisHeight + bar.lane * kLaneHeight + (kLaneHeight - kBarHeight) / 2;
  double width = std::max(1.0, (row.end - row.start) * scale);
  pugi::xml_node run = Element(g, "rect", "run");
  Attr(run, "x", x);
  Attr(run, "y", y);
  Attr(run, "width", width);
  Attr(run, "height", kBarHeight);
  if (row.startup > 0) {
    pugi::xml_node startup = Element(g, "rect", "startup");
    Attr(startup, "x", x);
    Attr(startup, "y", y);
    Attr(startup, "width", std::min(width, row.startup * scale));
    Attr(startup, "height", kBarHeight);
  }
  std::size_t chars = static_cast<std::size_t>(std::max(0.0, (width - 6) / kCharWidth));
  if (chars < 4) return;
  pugi::xml_node label = TextElement(g, "text", Fit(row.name, chars));
  Attr(label, "x", x + 3);
  Attr(label, "y", y + kBarHeight / 2 + 4);
}

void Chart(pugi::xml_node body, const Timeline& timeline) {
  int lanes = static_cast<int>(timeline.busy.size());
  double height = kAxisHeight + lanes * kLaneHeight + 4;
  double scale = kPlotWidth / std::max(timeline.Wall(), 1e-3);
  pugi::xml_node svg = Element(body, "svg", "timeline");
  Attr(svg, "width", kLabelWidth + kPlotWidth + kIdleWidth);
  Attr(svg, "height", height);
  Attr(svg, "role", "img");
  Axis(svg, timeline.Wall(), scale, height);
  // The tests of each entry, in journal order, for the tooltips.
  std::map<std::pair<const Report*, std::string>, std::vector<const TestResult*>> tests;
  std::set<const Report*> read;
  for (const Bar& bar : timeline.bars) {
    if (!read.insert(bar.report).second) continue;
    for (const ReportResult& result : bar.report->results)
      tests[{bar.report, result.entry}].push_back(&result.test);
  }
  std::vector<pugi::xml_node> lane_nodes;
  for (int lane = 0; lane < lanes; ++lane) {
    pugi::xml_node g = Element(svg, "g", lane == timeline.critical ? "lane critical" : "lane");
    double y = kAxisHeight + lane * kLaneHeight;
    pugi::xml_node background = Element(g, "rect", "lane-bg");
    Attr(background, "x", kLabelWidth);
    Attr(background, "y", y + (kLaneHeight - kBarHeight) / 2);
    Attr(background, "width", kPlotWidth);
    Attr(background, "height", kBarHeight);
    pugi::xml_node label = TextElement(
        g, "text",
        "lane " + std::to_string(lane + 1) + (lane == timeline.critical ? " (critical)" : ""),
        "lane-label");
    Attr(label, "x", 4);
    Attr(label, "y", y + kLaneHeight / 2 + 4);
    pugi::xml_node idle = TextElement(g, "text",
                                      "idle " + Seconds(timeline.Idle(lane)) + " (" +
                                          Percent(timeline.Idle(lane), timeline.Wall()) + ")",
                                      "idle");
    Attr(idle, "x", kLabelWidth + kPlotWidth + 8);
    Attr(idle, "y", y + kLaneHeight / 2 + 4);
    lane_nodes.push_back(g);
  }
  for (const Bar& bar : timeline.bars)
    DrawBar(lane_nodes[bar.lane], bar, timeline, scale, tests[{bar.report, bar.row->name}]);
}

void Slowest(pugi::xml_node body, const std::vector<const Report*>& drawn) {
  std::vector<const ReportResult*> results;
  for (const Report* report : drawn)
    for (const ReportResult& result : report->results) results.push_back(&result);
  std::size_t count = std::min(results.size(), kSlowestTests);
  std::partial_sort(results.begin(), results.begin() + count, results.end(),
                    [](const ReportResult* a, const ReportResult* b) {
                      return a->test.duration > b->test.duration;
                    });
  TextElement(body, "h2", "Slowest tests");
  pugi::xml_node table = Element(body, "table", "slowest");
  Row(table, {"duration", "outcome", "test", "entry"}, {}, "th");
  for (std::size_t i = 0; i < count; ++i)
    Row(table,
        {Seconds(results[i]->test.duration), results[i]->test.outcome, results[i]->test.node_id,
         results[i]->entry},
        {"num", "", "id", "id"});
}

// The entries of the run's suites without a bar.
void NotDrawn(pugi::xml_node body, const std::vector<const Report*>& reports) {
  std::vector<std::vector<std::string>> rows;
  for (const Report* report : reports) {
    for (const EntryRow& row : report->entries) {
      if (Placed(row)) continue;
      std::string why = row.ran        ? "its journal has no times"
                        : row.selected ? "did not run in this ctest run"
                                       : "not selected by this ctest run";
      rows.push_back({row.name, std::to_string(row.tests), why});
    }
  }
  if (rows.empty()) return;
  TextElement(body, "h2", "Entries not drawn (" + std::to_string(rows.size()) + ")");
  pugi::xml_node table = Element(body, "table", "not-drawn");
  Row(table, {"entry", "tests", "why"}, {}, "th");
  for (std::size_t i = 0; i < rows.size() && i < kListLimit; ++i)
    Row(table, rows[i], {"id", "num"});
  if (rows.size() > kListLimit)
    TextElement(body, "p", "... and " + std::to_string(rows.size() - kListLimit) + " more");
}

}  // namespace

std::string TimelineHtml(const std::vector<Report>& reports) {
  std::vector<const Report*> drawn = LastRunReports(reports);
  Timeline timeline = PlaceOnLanes(drawn);
  // The suites the page is about: those of the drawn run and those that
  // have not run; not those of an earlier run.
  std::vector<const Report*> shown;
  std::string suites;
  for (const Report& report : reports) {
    if (RunSpan(report).end > 0 && std::find(drawn.begin(), drawn.end(), &report) == drawn.end())
      continue;
    shown.push_back(&report);
    suites += (suites.empty() ? "" : ", ") + report.suite;
  }

  pugi::xml_document document;
  document.append_child(pugi::node_doctype).set_value("html");
  document.append_child(pugi::node_comment)
      .set_value(
          " The timeline of the last ctest run, by pytest-shards report. One lane per "
          "entry running at once; each bar is one CTest entry from its journal's first to "
          "last record, its start-up (pytest start to collected) darker. The critical path "
          "is the lane of the entry that ended last: each entry on it started when the one "
          "before it ended. ");
  pugi::xml_node html = document.append_child("html");
  Attr(html, "lang", "en");
  pugi::xml_node head = Element(html, "head");
  Attr(Element(head, "meta"), "charset", "utf-8");
  TextElement(head, "title", "pytest-shards timeline: " + suites);
  TextElement(head, "style", kStyle);
  pugi::xml_node body = Element(html, "body");
  Header(body, reports, drawn);
  if (timeline.bars.empty()) {
    TextElement(body, "p", "No entry of these suites has run yet; run ctest first.");
  } else {
    RunLine(body, timeline, drawn);
    Facts(body, timeline, drawn);
    Legend(body);
    Chart(body, timeline);
    Failures(body, drawn);
    Slowest(body, drawn);
  }
  NotDrawn(body, shown);
  std::ostringstream out;
  document.save(
      out, " ",
      pugi::format_indent | pugi::format_no_declaration | pugi::format_no_empty_element_tags,
      pugi::encoding_utf8);
  return EscapeGreaterInValues(out.str());
}

}  // namespace pytest_shards
