// The timeline page: parsed back as XML, its lanes and bars checked against
// the times of the journals it was made from.
#include "report/report_html.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <set>
#include <string>
#include <vector>

namespace pytest_shards {
namespace {

// One entry of a made-up run: when its runner began and ended (seconds after
// kT0; start < 0: it did not run), and its results.
struct Ran {
  std::string name;
  double start = 0, end = 0;
  std::vector<TestResult> results;
  bool finished = true;
};

constexpr double kT0 = 1.7e9;

// The report BuildReport makes of those entries' journals.
Report MakeRun(const std::vector<Ran>& ran, const std::string& suite = "suite", double t0 = kT0) {
  PlanFile plan;
  plan.run_id = suite + "-run";
  plan.settings.suite = suite;
  std::vector<ShardJournal> journals;
  for (const Ran& entry : ran) {
    Entry planned;
    planned.name = entry.name;
    for (const TestResult& result : entry.results) planned.node_ids.push_back(result.node_id);
    plan.plan.entries.push_back(planned);
    if (entry.start < 0) continue;
    ShardJournal journal;
    journal.run_id = plan.run_id;
    journal.entry = entry.name;
    journal.index = static_cast<int>(plan.plan.entries.size()) - 1;
    journal.results = entry.results;
    journal.finished = entry.finished;
    journal.start = t0 + entry.start;
    journal.end = t0 + entry.end;
    if (entry.finished) {
      journal.wall = entry.end - entry.start;
      journal.startup = 0.5;
    }
    journals.push_back(journal);
  }
  return BuildReport(plan, journals);
}

std::vector<TestResult> Tests(const std::string& prefix, int count, double duration = 0.1) {
  std::vector<TestResult> tests;
  for (int i = 0; i < count; ++i)
    tests.push_back({prefix + std::to_string(i), "passed", duration + i * 0.01, ""});
  return tests;
}

// The page parsed as XML; fails the test when it is not well-formed.
struct Page {
  explicit Page(const std::vector<Report>& reports) : html(TimelineHtml(reports)) {
    pugi::xml_parse_result parsed = document.load_string(html.c_str());
    EXPECT_TRUE(parsed) << parsed.description() << " at byte " << parsed.offset;
  }

  pugi::xpath_node_set All(const std::string& xpath) const {
    return document.select_nodes(xpath.c_str());
  }
  pugi::xpath_node_set Bars() const { return All("//g[contains(@class, 'bar')]"); }
  pugi::xpath_node_set Lanes() const { return All("//g[contains(@class, 'lane')]"); }
  pugi::xml_node Bar(const std::string& entry) const {
    for (const pugi::xpath_node& bar : Bars())
      if (entry == bar.node().attribute("data-entry").value()) return bar.node();
    return {};
  }
  // The 0-based lane a bar is drawn in.
  int LaneOf(const std::string& entry) const {
    pugi::xpath_node_set lanes = Lanes();
    for (std::size_t i = 0; i < lanes.size(); ++i)
      if (lanes[i].node() == Bar(entry).parent()) return static_cast<int>(i);
    return -1;
  }
  bool Has(const std::string& part) const { return html.find(part) != std::string::npos; }

  std::string html;
  pugi::xml_document document;
};

bool HasClass(pugi::xml_node node, const std::string& name) {
  std::string classes = std::string(" ") + node.attribute("class").value() + " ";
  return classes.find(" " + name + " ") != std::string::npos;
}

// a: 0-10, b: 1-4 beside it, c: 5-9 after b, d: 10.5-12 after a; e never ran.
Report Overlapping() {
  return MakeRun({{"suite/a", 0, 10, Tests("t.py::a", 2)},
                  {"suite/b", 1, 4, Tests("t.py::b", 1)},
                  {"suite/c", 5, 9, Tests("t.py::c", 1)},
                  {"suite/d", 10.5, 12, Tests("t.py::d", 1)},
                  {"suite/e", -1, 0, Tests("t.py::e", 3)}});
}

TEST(TimelineHtml, OneLanePerEntryRunningAtOnceAndOneBarPerEntryThatRan) {
  Page page({Overlapping()});
  EXPECT_EQ(page.Lanes().size(), 2u);
  ASSERT_EQ(page.Bars().size(), 4u);
  for (const char* entry : {"suite/a", "suite/b", "suite/c", "suite/d"})
    EXPECT_TRUE(page.Bar(entry)) << entry;
  EXPECT_FALSE(page.Bar("suite/e"));
  // Entries that ran at once are on different lanes; d took the lane a freed.
  EXPECT_NE(page.LaneOf("suite/a"), page.LaneOf("suite/b"));
  EXPECT_EQ(page.LaneOf("suite/b"), page.LaneOf("suite/c"));
  EXPECT_EQ(page.LaneOf("suite/a"), page.LaneOf("suite/d"));
  EXPECT_STREQ(page.Bar("suite/b").attribute("data-start").value(), "1.000");
  EXPECT_STREQ(page.Bar("suite/b").attribute("data-end").value(), "4.000");
}

TEST(TimelineHtml, AnEntryTakesTheLaneFreedLast) {
  // When c starts both lanes are free; ctest started it in the slot b freed.
  Page page({MakeRun({{"suite/a", 0, 3, Tests("a", 1)},
                      {"suite/b", 0, 5, Tests("b", 1)},
                      {"suite/c", 6, 8, Tests("c", 1)}})});
  EXPECT_NE(page.LaneOf("suite/a"), page.LaneOf("suite/b"));
  EXPECT_EQ(page.LaneOf("suite/c"), page.LaneOf("suite/b"));
}

TEST(TimelineHtml, BarsOfOneLaneNeverOverlap) {
  std::vector<Ran> ran;
  for (int i = 0; i < 12; ++i) {
    double start = (i * 7) % 5;  // a tangle of overlaps
    ran.push_back({"suite/shard-" + std::to_string(i), start, start + 1 + i % 4, Tests("t", 1)});
  }
  Page page({MakeRun(ran)});
  ASSERT_EQ(page.Bars().size(), 12u);
  for (const pugi::xpath_node& lane : page.Lanes()) {
    std::vector<std::pair<double, double>> spans;
    for (pugi::xml_node bar : lane.node().children("g"))
      spans.push_back(
          {bar.attribute("data-start").as_double(), bar.attribute("data-end").as_double()});
    for (std::size_t i = 0; i < spans.size(); ++i)
      for (std::size_t j = i + 1; j < spans.size(); ++j)
        EXPECT_TRUE(spans[i].second <= spans[j].first || spans[j].second <= spans[i].first);
  }
  // As many lanes as entries ever ran at once.
  int most = 0;
  for (double t = 0; t < 10; t += 0.25) {
    int at_once = 0;
    for (const Ran& entry : ran) at_once += entry.start <= t && t < entry.end;
    most = std::max(most, at_once);
  }
  EXPECT_EQ(page.Lanes().size(), static_cast<std::size_t>(most));
}

TEST(TimelineHtml, CriticalPathIsTheLaneThatEndedLast) {
  Page page({Overlapping()});
  EXPECT_TRUE(HasClass(page.Bar("suite/a"), "critical"));
  EXPECT_TRUE(HasClass(page.Bar("suite/d"), "critical"));
  EXPECT_FALSE(HasClass(page.Bar("suite/b"), "critical"));
  EXPECT_FALSE(HasClass(page.Bar("suite/c"), "critical"));
  EXPECT_TRUE(HasClass(page.Bar("suite/d").parent(), "critical"));
  // Not the first lane's by default: here the second lane ends last.
  Page second({MakeRun({{"suite/a", 0, 10, Tests("a", 1)},
                        {"suite/b", 1, 4, Tests("b", 1)},
                        {"suite/c", 5, 13, Tests("c", 1)}})});
  EXPECT_EQ(second.LaneOf("suite/c"), 1);
  EXPECT_TRUE(HasClass(second.Bar("suite/b"), "critical"));
  EXPECT_TRUE(HasClass(second.Bar("suite/c"), "critical"));
  EXPECT_FALSE(HasClass(second.Bar("suite/a"), "critical"));
}

TEST(TimelineHtml, IdleTimePerLaneAndInTotal) {
  Page page({Overlapping()});
  // Wall time 12 s; a+d ran 11.5 s of it, b+c 7 s.
  EXPECT_TRUE(page.Has("idle 0.50 s (4%)"));
  EXPECT_TRUE(page.Has("idle 5.00 s (42%)"));
  EXPECT_TRUE(page.Has("idle 5.50 s of 24.00 s lane time (23%)"));
  EXPECT_TRUE(page.Has("wall time 12.00 s"));
}

TEST(TimelineHtml, StartupIsItsOwnPartOfTheBar) {
  Page page({Overlapping()});
  pugi::xml_node bar = page.Bar("suite/a");
  pugi::xml_node run = bar.find_child_by_attribute("rect", "class", "run");
  pugi::xml_node startup = bar.find_child_by_attribute("rect", "class", "startup");
  ASSERT_TRUE(run);
  ASSERT_TRUE(startup);
  EXPECT_DOUBLE_EQ(startup.attribute("x").as_double(), run.attribute("x").as_double());
  // 0.5 s of a 10 s bar.
  EXPECT_NEAR(startup.attribute("width").as_double() / run.attribute("width").as_double(), 0.05,
              0.001);
}

TEST(TimelineHtml, TooltipNamesTheEntryItsTimesOutcomesAndTests) {
  std::vector<TestResult> tests = Tests("t.py::test_", 60);
  tests[3].outcome = "failed";
  Page page({MakeRun({{"suite/big", 0, 30, tests}})});
  std::string title = page.Bar("suite/big").child("title").text().get();
  EXPECT_NE(title.find("suite/big"), std::string::npos) << title;
  EXPECT_NE(title.find("wall 30.00 s, start-up 0.50 s"), std::string::npos) << title;
  EXPECT_NE(title.find("59 passed, 1 failed"), std::string::npos) << title;
  EXPECT_NE(title.find("tests (60):"), std::string::npos) << title;
  // The first 50, then how many more.
  EXPECT_NE(title.find("t.py::test_49\n"), std::string::npos) << title;
  EXPECT_EQ(title.find("t.py::test_50"), std::string::npos) << title;
  EXPECT_NE(title.find("... and 10 more"), std::string::npos) << title;
}

TEST(TimelineHtml, SlowestTwentyTestsWithTheirEntry) {
  Page page({MakeRun(
      {{"suite/a", 0, 5, Tests("t.py::a", 15)}, {"suite/b", 0, 5, Tests("t.py::b", 15, 1)}})});
  pugi::xpath_node_set rows = page.All("//table[@class='slowest']/tr[td]");
  ASSERT_EQ(rows.size(), 20u);
  pugi::xml_node first = rows[0].node();
  EXPECT_STREQ(first.child("td").text().get(), "1.14 s");
  EXPECT_STREQ(first.last_child().text().get(), "suite/b");
  EXPECT_STREQ(rows[19].node().child("td").next_sibling().next_sibling().text().get(), "t.py::a10");
}

TEST(TimelineHtml, EntriesThatNeverRanAreListedNotDrawn) {
  Page page({Overlapping()});
  pugi::xpath_node_set rows = page.All("//table[@class='not-drawn']/tr[td]");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_STREQ(rows[0].node().child("td").text().get(), "suite/e");
}

TEST(TimelineHtml, ASubsetRunNamesItsSelectionAndWhatItDidNotSelect) {
  Report report = MakeRun({{"suite/a", 0, 3, Tests("a", 1)}, {"suite/b", -1, 0, Tests("b", 2)}});
  report.selection = "-R ^suite/a$";
  report.entries[1].selected = false;
  Page page({report});
  EXPECT_TRUE(page.Has("selection: ctest -R ^suite/a$ (1 of 2 entries)"));
  pugi::xpath_node_set rows = page.All("//table[@class='not-drawn']/tr[td]");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_STREQ(rows[0].node().last_child().text().get(), "not selected by this ctest run");
}

TEST(TimelineHtml, KilledEntryIsDrawnUpToItsLastRecord) {
  Page page({MakeRun({{"suite/a", 0, 3, Tests("t", 1), /*finished=*/false}})});
  pugi::xml_node bar = page.Bar("suite/a");
  ASSERT_TRUE(bar);
  EXPECT_TRUE(HasClass(bar, "killed"));
  EXPECT_STREQ(bar.attribute("data-end").value(), "3.000");
}

TEST(TimelineHtml, HeaderHasSuiteRunAndTotals) {
  Page page({Overlapping()});
  pugi::xml_node row = page.All("//table[@class='suites']/tr[td]").first().node();
  ASSERT_TRUE(row);
  EXPECT_STREQ(row.child("td").text().get(), "suite");
  EXPECT_STREQ(row.child("td").next_sibling().text().get(), "suite-run");
  EXPECT_STREQ(row.child("td").next_sibling().next_sibling().text().get(), "4 of 5");
  EXPECT_TRUE(page.Has("results: 5 passed, 0 failed, 3 missing"));
}

TEST(TimelineHtml, SuitesOfOneRunShareLanesAnEarlierRunIsNotDrawn) {
  Report first = MakeRun({{"one/a", 0, 4, Tests("a", 1)}}, "one");
  Report second = MakeRun({{"two/a", 1, 5, Tests("b", 1)}}, "two");
  Report earlier = MakeRun({{"old/a", 0, 4, Tests("c", 1)}}, "old", kT0 - 3600);
  Page page({earlier, first, second});
  EXPECT_EQ(page.Bars().size(), 2u);
  EXPECT_EQ(page.Lanes().size(), 2u);
  EXPECT_FALSE(page.Bar("old/a"));
  EXPECT_TRUE(page.Has("an earlier ctest run: not drawn"));
}

TEST(TimelineHtml, NothingRanGivesAPageWithoutBars) {
  Page page({MakeRun({{"suite/a", -1, 0, Tests("t", 2)}})});
  EXPECT_EQ(page.Bars().size(), 0u);
  EXPECT_TRUE(page.Has("run ctest first"));
  EXPECT_EQ(page.All("//table[@class='not-drawn']/tr[td]").size(), 1u);
}

TEST(TimelineHtml, HostileNodeIdsAreEscaped) {
  const std::vector<std::string> hostile = {"t.py::test[<script>alert(1)</script>]",
                                            "t.py::test[a&b&amp;]",
                                            "t.py::test[\"q'\"]",
                                            "t.py::test[]]>]",
                                            "t.py::test[<!--x-->]",
                                            "t.py::test[a\nb\tc]"};
  std::vector<TestResult> tests;
  for (const std::string& id : hostile) tests.push_back({id, "failed", 2, "<b>boom</b>"});
  Page page({MakeRun({{"suite/" + hostile[0], 0, 1, tests},
                      {"suite/" + hostile[3], 0, 2, {}},
                      {"suite/" + hostile[5], 1, 2, {}}},
                     "s<&\"]]>")});
  EXPECT_FALSE(page.Has("<script")) << page.html;
  EXPECT_FALSE(page.Has("]]>")) << page.html;
  EXPECT_FALSE(page.Has("<!--x")) << page.html;
  EXPECT_FALSE(page.Has("<b>")) << page.html;
  // What a reader sees is the node ID itself.
  EXPECT_TRUE(page.Bar("suite/" + hostile[0]));
  EXPECT_TRUE(page.Bar("suite/" + hostile[3]));
  EXPECT_TRUE(page.Bar("suite/" + hostile[5]));
  EXPECT_STREQ(page.Bar("suite/" + hostile[0]).attribute("data-suite").value(), "s<&\"]]>");
  std::string title = page.Bar("suite/" + hostile[0]).child("title").text().get();
  for (const std::string& id : hostile) EXPECT_NE(title.find(id), std::string::npos) << id;
  std::set<std::string> slowest;
  for (const pugi::xpath_node& cell : page.All("//table[@class='slowest']/tr/td[3]"))
    slowest.insert(cell.node().text().get());
  EXPECT_EQ(slowest, std::set<std::string>(hostile.begin(), hostile.end()));
}

TEST(TimelineHtml, TheRunsDateAndCommand) {
  Report report = MakeRun({{"suite/a", 0, 3, Tests("a", 1)}});
  report.ctest_argv = {"ctest", "-j", "2", "-R", "<a b>"};
  Page page({report});
  pugi::xml_node run = page.All("//p[@class='run']").first().node();
  ASSERT_TRUE(run);
  EXPECT_EQ(std::string(run.text().get()), "Run of 2023-11-14 22:13:20 UTC by ");
  EXPECT_STREQ(run.child("code").text().get(), "ctest -j 2 -R '<a b>'");
  EXPECT_FALSE(page.Has("<a b>"));
  // No command line recorded: the date alone.
  Page unknown({MakeRun({{"suite/a", 0, 3, Tests("a", 1)}})});
  EXPECT_FALSE(unknown.All("//p[@class='run']/code").first());
}

TEST(TimelineHtml, FailuresWithTheirMessagesAndTracebacks) {
  const std::string traceback =
      "def test_x():\n>       assert f(\"<b>\") == 2\nE       assert 1 == 2\n\nt.py:3: "
      "AssertionError & more";
  std::vector<TestResult> tests = Tests("t.py::ok", 2);
  tests.push_back({"t.py::test_x[<i>]", "failed", 0.2, traceback});
  tests.push_back({"t.py::test_y", "error", 0.1, "E   fixture 'db' not found"});
  Page page({MakeRun({{"suite/a", 0, 3, tests}})});
  pugi::xpath_node_set failures = page.All("//div[@class='failure']");
  ASSERT_EQ(failures.size(), 2u);
  pugi::xml_node first = failures[0].node();
  EXPECT_STREQ(first.child("h3").text().get(), "t.py::test_x[<i>]");
  EXPECT_STREQ(first.child("p").text().get(), "failed in suite/a");
  EXPECT_EQ(std::string(first.child("pre").text().get()), traceback);
  EXPECT_STREQ(failures[1].node().child("pre").text().get(), "E   fixture 'db' not found");
  EXPECT_TRUE(page.Has("Failures (2)"));
  EXPECT_FALSE(page.Has("<b>")) << page.html;
  EXPECT_FALSE(page.Has("<i>")) << page.html;
  // A run without failures has no such section.
  EXPECT_FALSE(Page({Overlapping()}).Has("Failures ("));
}

TEST(TimelineHtml, SelfContained) {
  Page page({Overlapping()});
  EXPECT_FALSE(page.Has("http://"));
  EXPECT_FALSE(page.Has("https://"));
  EXPECT_EQ(page.All("//script[@src] | //link | //img | //*[@href]").size(), 0u);
  EXPECT_TRUE(page.All("//svg").first());
}

}  // namespace
}  // namespace pytest_shards
