// The timeline of the last run, computed from the reports' entries (their
// journals' start and end, report.h): which entries ran in one ctest run,
// on which lane each ran, each lane's idle time and the critical path.
// report_html.h draws it.
//
// The last run: the suites of one ctest run share its cores, so their
// entries share the lanes. Suites whose entries ran more than a minute
// apart from those of the newest run came from an earlier ctest.
//
// Lanes: the entries in start order, each on the free lane that was freed
// last (where CTest put it when an entry ended), a new lane when none is
// free; so there are as many lanes as entries ever ran at once, the run's
// observed parallelism. Idle time of a lane: the run's wall time (first
// start to last end) minus the time its entries ran.
//
// Critical path: the lane of the entry that ended last. Each entry on it
// started when the one before it ended, so that chain of entries (and the
// idle gaps between them) is what the run's wall time was made of.
#pragma once

#include <algorithm>
#include <vector>

#include "report/report.h"

namespace pytest_shards {

// Seconds since the epoch.
struct Span {
  double start = 0, end = 0;
};

// One entry that ran, on its lane.
struct Bar {
  const Report* report;
  const EntryRow* row;
  int lane = 0;
};

struct Timeline {
  Span span;
  std::vector<Bar> bars;     // in start order
  std::vector<double> busy;  // per lane: seconds its entries ran
  int critical = -1;         // the lane of the entry that ended last

  double Wall() const { return span.end - span.start; }
  double Idle(int lane) const { return std::max(0.0, Wall() - busy[lane]); }
};

// Drawn: it ran and its journal has its times.
bool Placed(const EntryRow& row);

// Of the report's drawn entries; {0, 0} when none.
Span RunSpan(const Report& report);

// The reports of the newest ctest run: the ones whose spans chain within a
// minute to the one that ended last.
std::vector<const Report*> LastRunReports(const std::vector<Report>& reports);

// The drawn entries of `reports` on their lanes. The bars point into
// `reports`, which must outlive the timeline.
Timeline PlaceOnLanes(const std::vector<const Report*>& reports);

}  // namespace pytest_shards
