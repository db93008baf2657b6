#include "report/timeline.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace pytest_shards {
namespace {

constexpr double kT0 = 1.7e9;

EntryRow Row(const std::string& name, double start, double end) {
  EntryRow row;
  row.name = name;
  row.ran = true;
  row.finished = true;
  row.start = kT0 + start;
  row.end = kT0 + end;
  return row;
}

Report MakeReport(std::vector<EntryRow> rows, const std::string& suite = "suite") {
  Report report;
  report.suite = suite;
  report.entries = std::move(rows);
  return report;
}

// The lane of every bar, by entry name.
std::map<std::string, int> Lanes(const Timeline& timeline) {
  std::map<std::string, int> lanes;
  for (const Bar& bar : timeline.bars) lanes[bar.row->name] = bar.lane;
  return lanes;
}

TEST(Timeline, AnEntryTakesTheLaneFreedLast) {
  // a and b run at once; a ends at 4, b at 5; c starts at 6 and takes b's
  // lane, which was freed last.
  Report report = MakeReport({Row("a", 0, 4), Row("b", 0, 5), Row("c", 6, 8)});
  Timeline timeline = PlaceOnLanes({&report});
  ASSERT_EQ(timeline.busy.size(), 2u);
  std::map<std::string, int> lanes = Lanes(timeline);
  EXPECT_NE(lanes["a"], lanes["b"]);
  EXPECT_EQ(lanes["c"], lanes["b"]);
  EXPECT_EQ(timeline.critical, lanes["c"]);
  EXPECT_DOUBLE_EQ(timeline.Wall(), 8);
  EXPECT_DOUBLE_EQ(timeline.busy[lanes["a"]], 4);
  EXPECT_DOUBLE_EQ(timeline.Idle(lanes["a"]), 4);
  EXPECT_DOUBLE_EQ(timeline.Idle(lanes["b"]), 1);
}

TEST(Timeline, OnlyEntriesThatRanWithTimesArePlaced) {
  EntryRow not_run = Row("not-run", 0, 1);
  not_run.ran = false;
  EntryRow no_times = Row("no-times", 0, 1);
  no_times.start = 0;
  EntryRow killed = Row("killed", 1, 3);
  killed.finished = false;  // drawn up to its last record
  EXPECT_FALSE(Placed(not_run));
  EXPECT_FALSE(Placed(no_times));
  EXPECT_TRUE(Placed(killed));
  Report report = MakeReport({not_run, no_times, killed});
  Timeline timeline = PlaceOnLanes({&report});
  ASSERT_EQ(timeline.bars.size(), 1u);
  EXPECT_EQ(timeline.bars[0].row->name, "killed");
  EXPECT_DOUBLE_EQ(RunSpan(report).start, kT0 + 1);
  EXPECT_DOUBLE_EQ(RunSpan(report).end, kT0 + 3);
  EXPECT_DOUBLE_EQ(RunSpan(MakeReport({not_run})).end, 0);
}

TEST(Timeline, TheLastRunIsTheSuitesThatRanWithinAMinuteOfEachOther) {
  std::vector<Report> reports = {
      MakeReport({Row("old", -1000, -900)}, "earlier"),
      MakeReport({Row("a", 0, 10)}, "one"),
      MakeReport({Row("b", 50, 60)}, "two"),
      MakeReport({}, "nothing-ran"),
  };
  std::vector<const Report*> last = LastRunReports(reports);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0]->suite, "one");
  EXPECT_EQ(last[1]->suite, "two");
  // The suites of one run share the lanes.
  Timeline timeline = PlaceOnLanes(last);
  EXPECT_EQ(timeline.busy.size(), 1u);
  EXPECT_DOUBLE_EQ(timeline.Wall(), 60);
}

}  // namespace
}  // namespace pytest_shards
