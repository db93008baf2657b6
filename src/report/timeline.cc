#include "report/timeline.h"

#include <algorithm>

namespace pytest_shards {

namespace {

// Suites whose entries ran further apart than this came from different
// ctest runs.
constexpr double kSameRunGapSeconds = 60;

}  // namespace

bool Placed(const EntryRow& row) { return row.ran && row.start > 0 && row.end >= row.start; }

Span RunSpan(const Report& report) {
  Span span;
  for (const EntryRow& row : report.entries) {
    if (!Placed(row)) continue;
    span.start = span.start == 0 ? row.start : std::min(span.start, row.start);
    span.end = std::max(span.end, row.end);
  }
  return span;
}

std::vector<const Report*> LastRunReports(const std::vector<Report>& reports) {
  std::vector<const Report*> ran;
  for (const Report& report : reports)
    if (RunSpan(report).end > 0) ran.push_back(&report);
  std::sort(ran.begin(), ran.end(),
            [](const Report* a, const Report* b) { return RunSpan(*a).start < RunSpan(*b).start; });
  std::vector<const Report*> group;
  double group_end = 0;
  for (const Report* report : ran) {
    Span span = RunSpan(*report);
    if (!group.empty() && span.start > group_end + kSameRunGapSeconds) group.clear();
    group.push_back(report);
    group_end = std::max(group_end, span.end);
  }
  return group;
}

Timeline PlaceOnLanes(const std::vector<const Report*>& reports) {
  Timeline timeline;
  for (const Report* report : reports) {
    for (const EntryRow& row : report->entries)
      if (Placed(row)) timeline.bars.push_back({report, &row});
  }
  std::sort(timeline.bars.begin(), timeline.bars.end(), [](const Bar& a, const Bar& b) {
    if (a.row->start != b.row->start) return a.row->start < b.row->start;
    if (a.row->end != b.row->end) return a.row->end < b.row->end;
    return a.row->name < b.row->name;
  });
  std::vector<double> lane_end;
  double last_end = -1;
  for (Bar& bar : timeline.bars) {
    int lane = -1;
    for (int i = 0; i < static_cast<int>(lane_end.size()); ++i)
      if (lane_end[i] <= bar.row->start && (lane < 0 || lane_end[i] > lane_end[lane])) lane = i;
    if (lane < 0) {
      lane = static_cast<int>(lane_end.size());
      lane_end.push_back(0);
      timeline.busy.push_back(0);
    }
    bar.lane = lane;
    lane_end[lane] = bar.row->end;
    timeline.busy[lane] += bar.row->end - bar.row->start;
    if (bar.row->end > last_end) {
      last_end = bar.row->end;
      timeline.critical = lane;
    }
    timeline.span.start = timeline.span.start == 0 ? bar.row->start : timeline.span.start;
    timeline.span.end = std::max(timeline.span.end, bar.row->end);
  }
  return timeline;
}

}  // namespace pytest_shards
