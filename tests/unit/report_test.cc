#include "report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>

#include "error.h"
#include "file_util.h"
#include "runs.h"
#include "test_dir.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Entry MakeEntry(const std::string& name, std::vector<std::string> node_ids) {
  Entry entry;
  entry.name = name;
  entry.node_ids = std::move(node_ids);
  return entry;
}

PlanFile MakePlan(std::vector<Entry> entries, const std::string& run_id = "2000-1") {
  PlanFile plan;
  plan.run_id = run_id;
  plan.settings.suite = "suite";
  plan.plan.entries = std::move(entries);
  return plan;
}

ShardJournal MakeJournal(int index, const std::string& entry, std::vector<TestResult> results,
                         bool finished = true, const std::string& run_id = "2000-1") {
  ShardJournal journal;
  journal.run_id = run_id;
  journal.entry = entry;
  journal.index = index;
  for (const TestResult& result : results) journal.started.push_back(result.node_id);
  journal.results = std::move(results);
  journal.finished = finished;
  if (finished) {
    journal.wall = 2.5;
    journal.startup = 0.5;
    journal.peak_rss_kb = 40960;
  }
  return journal;
}

TestResult Passed(const std::string& node_id, double duration = 0.1) {
  return {node_id, "passed", duration, ""};
}

int Count(const Report& report, const std::string& outcome) {
  auto found = report.totals.find(outcome);
  return found == report.totals.end() ? 0 : found->second;
}

const ReportResult* FindResult(const Report& report, const std::string& node_id) {
  for (const ReportResult& result : report.results)
    if (result.test.node_id == node_id) return &result;
  return nullptr;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- Accounting ---------------------------------------------------------------

TEST(BuildReport, CleanRunIsOk) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"}),
                            MakeEntry("suite/shard-01", {"t.py::c"})});
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), Passed("t.py::b")}),
                         MakeJournal(1, "suite/shard-01", {Passed("t.py::c")})});
  EXPECT_TRUE(report.Ok());
  EXPECT_EQ(report.run_id, "2000-1");
  EXPECT_EQ(Count(report, "passed"), 3);
  EXPECT_TRUE(report.never_ran.empty());
  EXPECT_TRUE(report.ran_twice.empty());
  ASSERT_EQ(report.entries.size(), 2u);
  EXPECT_EQ(report.entries[0].tests, 2u);
  EXPECT_EQ(report.entries[0].Status(), "passed");
  EXPECT_EQ(report.entries[0].peak_rss_kb, 40960);
  EXPECT_EQ(report.results.size(), 3u);
  EXPECT_EQ(FindResult(report, "t.py::c")->entry, "suite/shard-01");
}

TEST(BuildReport, TestWithoutResultNeverRan) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"})});
  Report report = BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")})});
  EXPECT_EQ(report.never_ran, (std::vector<std::string>{"t.py::b", "t.py::c"}));
  EXPECT_FALSE(report.Ok());
  // They are reported as missing so that JUnit and the totals show them.
  EXPECT_EQ(Count(report, "missing"), 2);
  ASSERT_NE(FindResult(report, "t.py::b"), nullptr);
  EXPECT_EQ(FindResult(report, "t.py::b")->test.outcome, "missing");
  EXPECT_EQ(report.entries[0].Status(), "failed");
}

TEST(BuildReport, ResultInTwoJournalsRanTwice) {
  PlanFile plan = MakePlan(
      {MakeEntry("suite/shard-00", {"t.py::a"}), MakeEntry("suite/shard-01", {"t.py::b"})});
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}),
                         MakeJournal(1, "suite/shard-01", {Passed("t.py::b"), Passed("t.py::a")})});
  EXPECT_EQ(report.ran_twice, std::vector<std::string>{"t.py::a"});
  EXPECT_TRUE(report.never_ran.empty());
  EXPECT_FALSE(report.Ok());
  EXPECT_EQ(Count(report, "passed"), 3);
}

TEST(BuildReport, ResultTwiceInOneJournalRanTwice) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})});
  Report report = BuildReport(
      plan,
      {MakeJournal(0, "suite/shard-00",
                   {Passed("t.py::a"), Passed("t.py::a"), Passed("t.py::a"), Passed("t.py::b")})});
  EXPECT_EQ(report.ran_twice, std::vector<std::string>{"t.py::a"});
  EXPECT_FALSE(report.Ok());
}

TEST(BuildReport, EntryKeepsItsJournalsStartAndEnd) {
  PlanFile plan = MakePlan(
      {MakeEntry("suite/shard-00", {"t.py::a"}), MakeEntry("suite/shard-01", {"t.py::b"})});
  ShardJournal journal = MakeJournal(0, "suite/shard-00", {Passed("t.py::a")});
  journal.start = 1000.5;
  journal.end = 1003;
  Report report = BuildReport(plan, {journal});
  EXPECT_EQ(report.entries[0].start, 1000.5);
  EXPECT_EQ(report.entries[0].end, 1003);
  EXPECT_EQ(report.entries[1].start, 0);  // did not run
  EXPECT_EQ(report.entries[1].end, 0);
}

TEST(BuildReport, KilledJournalKeepsItsResults) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"}),
                            MakeEntry("suite/shard-01", {"t.py::c"})});
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}, /*finished=*/false),
                         MakeJournal(1, "suite/shard-01", {Passed("t.py::c")})});
  const EntryRow& killed = report.entries[0];
  EXPECT_TRUE(killed.ran);
  EXPECT_FALSE(killed.finished);
  EXPECT_EQ(killed.Status(), "killed");
  EXPECT_EQ(killed.counts.at("passed"), 1);
  ASSERT_NE(FindResult(report, "t.py::a"), nullptr);
  EXPECT_EQ(FindResult(report, "t.py::a")->test.outcome, "passed");
  EXPECT_EQ(report.never_ran, std::vector<std::string>{"t.py::b"});
  EXPECT_EQ(report.entries[1].Status(), "passed");
  EXPECT_FALSE(report.Ok());
}

TEST(BuildReport, KilledAfterLastTestStillFails) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})});
  Report report = BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}, false)});
  EXPECT_TRUE(report.never_ran.empty());
  EXPECT_FALSE(report.Ok());
}

TEST(BuildReport, StaleJournalsAreIgnored) {
  PlanFile plan = MakePlan(
      {MakeEntry("suite/shard-00", {"t.py::a"}), MakeEntry("suite/shard-01", {"t.py::b"})});
  Report report = BuildReport(
      plan,
      {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}),
       MakeJournal(1, "suite/shard-01", {Passed("t.py::b"), Passed("t.py::a")}, true, "1000-1")});
  EXPECT_EQ(report.never_ran, std::vector<std::string>{"t.py::b"});
  EXPECT_TRUE(report.ran_twice.empty());
  EXPECT_FALSE(report.entries[1].ran);
  EXPECT_EQ(report.entries[1].Status(), "not run");
  EXPECT_EQ(Count(report, "passed"), 1);
}

TEST(BuildReport, FailingOutcomesAndExitCodeFail) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})});
  Report crashed =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00",
                                     {Passed("t.py::a"), {"t.py::b", "crashed", 0, "signal 11"}})});
  EXPECT_TRUE(crashed.never_ran.empty());
  EXPECT_EQ(Count(crashed, "crashed"), 1);
  EXPECT_EQ(crashed.entries[0].Status(), "failed");
  EXPECT_FALSE(crashed.Ok());

  ShardJournal journal = MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), Passed("t.py::b")});
  journal.exit_code = 3;
  journal.restarts = 1;
  Report bad_exit = BuildReport(plan, {journal});
  EXPECT_EQ(bad_exit.entries[0].Status(), "failed");
  EXPECT_FALSE(bad_exit.Ok());
  // The exit status is shown when no failing result explains it.
  EXPECT_TRUE(Contains(FormatSummary(bad_exit), "  failed (exit 3) (1 restart)\n"))
      << FormatSummary(bad_exit);
  EXPECT_TRUE(Contains(FormatSummary(crashed), "  failed\n")) << FormatSummary(crashed);
}

TEST(BuildReport, SkipsAndXfailsPass) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"})});
  Report report = BuildReport(plan, {MakeJournal(0, "suite/shard-00",
                                                 {{"t.py::a", "skipped", 0, "no db"},
                                                  {"t.py::b", "xfailed", 0.1, "bug"},
                                                  {"t.py::c", "xpassed", 0.1, ""}})});
  EXPECT_TRUE(report.Ok());
}

TEST(BuildReport, CollectionErrorEntryFailsWithoutCountingAsNeverRan) {
  Entry errors = MakeEntry("suite/collection-errors", {"tests/test_broken.py"});
  errors.collection_errors = true;
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"}), errors});
  ShardJournal errors_journal = MakeJournal(1, "suite/collection-errors", {});
  errors_journal.exit_code = 2;
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}), errors_journal});
  EXPECT_TRUE(report.never_ran.empty());
  EXPECT_EQ(Count(report, "error"), 1);
  ASSERT_NE(FindResult(report, "tests/test_broken.py"), nullptr);
  EXPECT_EQ(report.entries[1].Status(), "failed");
  EXPECT_FALSE(report.Ok());
  std::string summary = FormatSummary(report);
  EXPECT_TRUE(Contains(summary, "modules that failed to collect (1):\n  tests/test_broken.py"))
      << summary;
  // Listed once, as a collection error, not among the failed tests.
  EXPECT_FALSE(Contains(summary, "failed (")) << summary;

  CollectionError error{
      "tests/test_broken.py", "/src/tests/test_broken.py",
      "ImportError while importing\nE   ModuleNotFoundError: No module named 'x'"};
  Report explained = BuildReport(
      plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}), errors_journal}, {error});
  EXPECT_EQ(FindResult(explained, "tests/test_broken.py")->test.message, error.message);
  EXPECT_TRUE(Contains(FormatSummary(explained),
                       "tests/test_broken.py  ModuleNotFoundError: No module named 'x'\n"));
}

// ---- Summary ------------------------------------------------------------------

TEST(FormatSummary, TableTotalsAndFailures) {
  PlanFile plan =
      MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                MakeEntry("suite/shard-01", {"t.py::d", "t.py::e", "t.py::f", "t.py::g"})});
  Report report = BuildReport(
      plan, {MakeJournal(0, "suite/shard-00",
                         {Passed("t.py::a"),
                          {"t.py::b", "failed", 0.2,
                           "\n>   def test_b(): assert 1 == 2\nE   assert 1 == 2\nmore"},
                          {"t.py::c", "skipped", 0, ""}}),
             MakeJournal(1, "suite/shard-01",
                         {Passed("t.py::d"),
                          {"t.py::e", "timeout", 30, "timed out after 30s"},
                          Passed("t.py::d")},
                         false)});
  std::string summary = FormatSummary(report);
  EXPECT_TRUE(Contains(summary, "2000-1")) << summary;
  EXPECT_TRUE(Contains(summary, "start-up s")) << summary;
  EXPECT_TRUE(Contains(summary, "peak RSS MiB")) << summary;
  EXPECT_TRUE(Contains(summary, "suite/shard-00      3    2.50        0.50          40.0  failed"))
      << summary;
  EXPECT_TRUE(Contains(summary, "suite/shard-01      4       -           -             -  killed"))
      << summary;
  EXPECT_TRUE(Contains(summary, "\n3 passed, 1 failed, 1 timeout, 2 missing, 1 skipped\n"))
      << summary;
  EXPECT_TRUE(Contains(summary, "failed (1):\n  t.py::b  [suite/shard-00]  assert 1 == 2\n"))
      << summary;
  EXPECT_TRUE(Contains(summary, "timed out (1):\n  t.py::e")) << summary;
  EXPECT_TRUE(Contains(summary, "never ran (2):\n  t.py::f\n  t.py::g\n")) << summary;
  EXPECT_TRUE(Contains(summary, "ran more than once (1):\n  t.py::d\n")) << summary;
  EXPECT_TRUE(Contains(summary, "did not finish (1):\n  suite/shard-01")) << summary;
  // Never-ran tests are listed once, under accounting, not as "missing" too.
  EXPECT_FALSE(Contains(summary, "missing (")) << summary;
  EXPECT_TRUE(Contains(summary, "\nFAILED\n")) << summary;
}

TEST(FormatSummary, CleanRunSaysZeroFailed) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})});
  Report report = BuildReport(
      plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), {"t.py::b", "xfailed", 0, ""}})});
  std::string summary = FormatSummary(report);
  EXPECT_TRUE(Contains(summary, "\n1 passed, 0 failed, 1 xfailed\n")) << summary;
  EXPECT_TRUE(Contains(summary, "\nOK\n")) << summary;
  EXPECT_FALSE(Contains(summary, "never ran")) << summary;
}

// ---- JUnit --------------------------------------------------------------------

TEST(JunitNames, SplitsModuleClassAndName) {
  using Names = std::pair<std::string, std::string>;
  EXPECT_EQ(JunitNames("tests/test_a.py::test_x"), Names("tests.test_a", "test_x"));
  EXPECT_EQ(JunitNames("tests/test_a.py::TestX::test_y[p]"),
            Names("tests.test_a.TestX", "test_y[p]"));
  EXPECT_EQ(JunitNames("t.py::A::B::test[a::b/c.py]"), Names("t.A.B", "test[a::b/c.py]"));
  EXPECT_EQ(JunitNames("t.py::test[x]::y"), Names("t", "test[x]::y"));
  EXPECT_EQ(JunitNames("tests/test_broken.py"), Names("", "tests.test_broken"));
}

// True when `text` is UTF-8 made only of characters XML 1.0 allows.
bool OnlyXmlChars(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (lead >= 0x80 && lead < 0xC2) return false;
    if (lead > 0xF4 || i + length > text.size()) return false;
    std::uint32_t c = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      c = (c << 6) | (next & 0x3F);
    }
    bool ok = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
              (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
    if (!ok) return false;
    i += length;
  }
  return true;
}

TEST(JunitXml, HostileNodeIdsGiveWellFormedXml) {
  const std::vector<std::string> hostile = {
      "t.py::test_amp[a&b<c>\"d\"'e']", "t.py::test_cdata[]]>]",
      "t.py::test_ctrl[\x01\x1b\x7f]",  std::string("t.py::test_nul[a") + '\0' + "b]",
      "t.py::test_badutf8[\xff\xc3]",   "t.py::test_unicode[\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80]",
      "t.py::test_newline[a\nb\r\tc]",  "t.py::test_comment[<!-- x -->]",
  };
  PlanFile plan = MakePlan({MakeEntry("suite/shard-<00>&", hostile)});
  std::vector<TestResult> results;
  for (const std::string& node_id : hostile)
    results.push_back({node_id, "failed", 0.25, "E   assert '\x02]]>' == '<&>'\n\xff"});
  results[0].outcome = "passed";
  results[1].outcome = "error";
  results[2].outcome = "skipped";
  results[3].outcome = "crashed";
  results[4].outcome = "xfailed";
  Report report = BuildReport(plan, {MakeJournal(0, "suite/shard-<00>&", results)});
  std::string xml = JunitXml(report, "suite\x03\"");

  EXPECT_TRUE(OnlyXmlChars(xml)) << xml;
  EXPECT_EQ(xml.find("\x01"), std::string::npos);
  pugi::xml_document document;
  pugi::xml_parse_result parsed = document.load_string(xml.c_str());
  ASSERT_TRUE(parsed) << parsed.description() << "\n" << xml;

  pugi::xml_node root = document.child("testsuites");
  EXPECT_STREQ(root.attribute("name").value(), "suite#x03\"");
  EXPECT_EQ(root.attribute("tests").as_int(), 8);
  pugi::xml_node suite = root.child("testsuite");
  EXPECT_STREQ(suite.attribute("name").value(), "suite/shard-<00>&");
  EXPECT_EQ(suite.attribute("tests").as_int(), 8);
  EXPECT_EQ(suite.attribute("failures").as_int(), 4);  // 3 failed + 1 crashed
  EXPECT_EQ(suite.attribute("errors").as_int(), 1);
  EXPECT_EQ(suite.attribute("skipped").as_int(), 2);  // skipped + xfailed

  std::vector<std::string> names;
  for (pugi::xml_node testcase : suite.children("testcase")) {
    EXPECT_STREQ(testcase.attribute("classname").value(), "t");
    names.push_back(testcase.attribute("name").value());
  }
  ASSERT_EQ(names.size(), 8u);
  EXPECT_EQ(names[0], "test_amp[a&b<c>\"d\"'e']");
  EXPECT_EQ(names[1], "test_cdata[]]>]");
  EXPECT_EQ(names[2], "test_ctrl[#x01#x1B\x7f]");
  EXPECT_EQ(names[3], "test_nul[a#x00b]");
  EXPECT_EQ(names[4], "test_badutf8[#xFF#xC3]");
  EXPECT_EQ(names[5], "test_unicode[\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80]");
  EXPECT_EQ(names[7], "test_comment[<!-- x -->]");

  pugi::xml_node error = suite.find_child_by_attribute("testcase", "name", "test_cdata[]]>]");
  ASSERT_TRUE(error.child("error")) << xml;
  EXPECT_STREQ(error.child("error").attribute("message").value(), "assert '#x02]]>' == '<&>'");
  EXPECT_EQ(std::string(error.child("error").text().get()), "E   assert '#x02]]>' == '<&>'\n#xFF");
  EXPECT_TRUE(suite.find_child_by_attribute("testcase", "name", "test_amp[a&b<c>\"d\"'e']")
                  .first_child()
                  .empty());
}

TEST(JunitXml, OneSuitePerEntryWithNeverRanAsFailure) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"a/b.py::TestC::test_d", "a/b.py::e"}),
                            MakeEntry("suite/shard-01", {"a/c.py::f"})});
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00",
                                     {Passed("a/b.py::TestC::test_d", 1.5), Passed("a/b.py::e")})});
  pugi::xml_document document;
  ASSERT_TRUE(document.load_string(JunitXml(report, "suite").c_str()));
  pugi::xml_node root = document.child("testsuites");
  EXPECT_EQ(root.attribute("tests").as_int(), 3);
  EXPECT_EQ(root.attribute("failures").as_int(), 1);
  pugi::xml_node first = root.child("testsuite");
  EXPECT_STREQ(first.attribute("name").value(), "suite/shard-00");
  EXPECT_DOUBLE_EQ(first.attribute("time").as_double(), 2.5);
  pugi::xml_node testcase = first.child("testcase");
  EXPECT_STREQ(testcase.attribute("classname").value(), "a.b.TestC");
  EXPECT_STREQ(testcase.attribute("name").value(), "test_d");
  EXPECT_DOUBLE_EQ(testcase.attribute("time").as_double(), 1.5);
  pugi::xml_node second = first.next_sibling("testsuite");
  EXPECT_STREQ(second.attribute("name").value(), "suite/shard-01");
  EXPECT_EQ(second.attribute("failures").as_int(), 1);
  pugi::xml_node failure = second.child("testcase").child("failure");
  ASSERT_TRUE(failure);
  EXPECT_TRUE(Contains(failure.attribute("message").value(), "never ran"));
}

// ---- Durations ----------------------------------------------------------------

TEST(FoldDurations, RecordsMeasuredOutcomesAndIsIdempotent) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                            MakeEntry("suite/shard-01", {"t.py::d", "t.py::e"}),
                            MakeEntry("suite/shard-02", {"t.py::f"})});
  ShardJournal second =
      MakeJournal(1, "suite/shard-01",
                  {{"t.py::d", "skipped", 0.01, ""}, {"t.py::e", "crashed", 9, "signal 9"}});
  second.wall = 4;
  second.startup = 1.5;
  ShardJournal third = MakeJournal(2, "suite/shard-02", {{"t.py::f", "failed", 0.7, "x"}});
  third.startup = 0;  // not measured: must not drag the mean down
  Report report = BuildReport(
      plan,
      {MakeJournal(0, "suite/shard-00", {Passed("t.py::a", 0.3), {"t.py::b", "timeout", 30, ""}}),
       second, third});

  Durations store;
  store.tests["t.py::b"] = 2;  // kept: a timeout measures nothing
  store.tests["t.py::a"] = 9;  // replaced by the latest run
  store.tests["gone.py::x"] = 1;
  store.startup = 7;
  Durations once = FoldDurations(store, report);
  EXPECT_DOUBLE_EQ(once.tests.at("t.py::a"), 0.3);
  EXPECT_DOUBLE_EQ(once.tests.at("t.py::b"), 2);
  EXPECT_DOUBLE_EQ(once.tests.at("t.py::d"), 0.01);
  EXPECT_DOUBLE_EQ(once.tests.at("t.py::f"), 0.7);
  EXPECT_EQ(once.tests.count("t.py::c"), 0u);  // never ran
  EXPECT_EQ(once.tests.count("t.py::e"), 0u);  // crashed
  EXPECT_DOUBLE_EQ(once.tests.at("gone.py::x"), 1);
  EXPECT_DOUBLE_EQ(once.startup, 1.0);  // mean of 0.5 and 1.5
  EXPECT_DOUBLE_EQ(once.entries.at("suite/shard-00"), 2.5);
  EXPECT_DOUBLE_EQ(once.entries.at("suite/shard-01"), 4);

  Durations twice = FoldDurations(once, report);
  EXPECT_EQ(twice.tests, once.tests);
  EXPECT_EQ(twice.entries, once.entries);
  EXPECT_DOUBLE_EQ(twice.startup, once.startup);
}

TEST(FoldDurations, KilledEntryGivesTestsButNoWallOrStartup) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})});
  ShardJournal killed = MakeJournal(0, "suite/shard-00", {Passed("t.py::a", 0.4)}, false);
  Durations store;
  store.startup = 0.8;
  Durations folded = FoldDurations(store, BuildReport(plan, {killed}));
  EXPECT_DOUBLE_EQ(folded.tests.at("t.py::a"), 0.4);
  EXPECT_TRUE(folded.entries.empty());
  EXPECT_DOUBLE_EQ(folded.startup, 0.8);
}

TEST(FoldDurations, FailedSetFollowsTheLatestOutcomeOfEntriesThatRan) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                            MakeEntry("suite/shard-01", {"t.py::d", "t.py::e", "t.py::f"}),
                            MakeEntry("suite/shard-02", {"t.py::g"})});
  // shard-00 ran (b failed, c has no result), shard-01 ran (e crashed,
  // f errored), shard-02 did not run in this ctest run (ctest -L/-R).
  Report report = BuildReport(
      plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), {"t.py::b", "failed", 1, "E"}}),
             MakeJournal(1, "suite/shard-01",
                         {{"t.py::d", "skipped", 0, ""},
                          {"t.py::e", "crashed", 0, "signal 9"},
                          {"t.py::f", "error", 0, "E"}})});
  Durations store;
  store.failed = {"t.py::a", "t.py::d", "t.py::g", "gone.py::x"};
  Durations once = FoldDurations(store, report);
  // a passed and d skipped: no longer failed; g and gone.py::x did not run:
  // kept; b, c (no result in an entry that ran), e and f: failed.
  EXPECT_EQ(once.failed, (std::set<std::string>{"gone.py::x", "t.py::b", "t.py::c", "t.py::e",
                                                "t.py::f", "t.py::g"}));
  EXPECT_EQ(FoldDurations(once, report).failed, once.failed);

  // The next run passes everything it runs: the set empties of those.
  PlanFile again = MakePlan({MakeEntry("suite/last-failed-00", {"t.py::b", "t.py::c"})}, "3000-1");
  Durations later = FoldDurations(
      once,
      BuildReport(again, {MakeJournal(0, "suite/last-failed-00",
                                      {Passed("t.py::b"), Passed("t.py::c")}, true, "3000-1")}));
  EXPECT_EQ(later.failed, (std::set<std::string>{"gone.py::x", "t.py::e", "t.py::f", "t.py::g"}));
}

// ---- Files --------------------------------------------------------------------

class SuiteDir : public TestDirFixture {
 protected:
  // As each ctest start does: a new run directory with the plan.
  void WritePlan(PlanFile plan) {
    plan.settings.suite_dir = dir_;
    WriteFileAtomic(RunPlanFile(dir_, plan.run_id), PlanFileToJson(plan).dump());
    run_dir_id_ = plan.run_id;
  }

  // A journal as the runner and the plugin write it (see journal.h), in the
  // directory of the plan written last; `run_id` is the one it records.
  void WriteJournal(int index, const std::string& run_id, const std::vector<TestResult>& results,
                    bool finished, bool torn_tail = false) {
    fs::create_directories(RunJournalDir(dir_, run_dir_id_));
    std::ofstream out(RunJournalDir(dir_, run_dir_id_) / (std::to_string(index) + ".jsonl"));
    std::string entry = "suite/shard-0" + std::to_string(index);
    out << json{{"event", "run"},
                {"run_id", run_id},
                {"entry", entry},
                {"index", index},
                {"time", 1.0}}
               .dump()
        << "\n";
    out << json{{"event", "session"}, {"pid", 42}, {"time", 1.1}}.dump() << "\n";
    for (const TestResult& r : results) {
      out << json{{"event", "start"}, {"nodeid", r.node_id}, {"time", 1.2}}.dump() << "\n";
      out << json{{"event", "result"},      {"nodeid", r.node_id}, {"outcome", r.outcome},
                  {"duration", r.duration}, {"time", 1.3},         {"message", r.message}}
                 .dump()
          << "\n";
    }
    if (finished)
      out << json{{"event", "shard"},    {"entry", entry}, {"wall", 3.0},  {"startup", 0.6},
                  {"peak_rss_kb", 2048}, {"exit", 0},      {"restarts", 0}}
                 .dump()
          << "\n";
    if (torn_tail) out << "{\"event\": \"start\", \"nodeid\": \"t.p";
  }

  std::string run_dir_id_;
};

TEST_F(SuiteDir, ReportMainWritesSummaryJunitAndDurations) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"}),
                      MakeEntry("suite/shard-01", {"t.py::c"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25), Passed("t.py::b", 0.5)}, true);
  WriteJournal(1, "2000-1", {Passed("t.py::c", 0.75)}, false, /*torn_tail=*/true);
  std::ostringstream out;
  int status = ReportMain(dir_, (dir_ / "out" / "junit.xml").string(), out);
  EXPECT_EQ(status, 1);  // shard-01 was killed
  EXPECT_TRUE(Contains(out.str(), "3 passed, 0 failed")) << out.str();
  EXPECT_TRUE(Contains(out.str(), "killed")) << out.str();

  pugi::xml_document junit;
  ASSERT_TRUE(junit.load_file((dir_ / "out" / "junit.xml").c_str()));
  EXPECT_EQ(junit.child("testsuites").attribute("tests").as_int(), 3);

  Durations durations = ReadDurations(dir_ / "durations.json");
  EXPECT_DOUBLE_EQ(durations.tests.at("t.py::c"), 0.75);
  EXPECT_DOUBLE_EQ(durations.entries.at("suite/shard-00"), 3.0);
  EXPECT_DOUBLE_EQ(durations.startup, 0.6);
}

TEST_F(SuiteDir, ReportMainCleanRunReturnsZero) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a")}, true);
  std::ostringstream out;
  EXPECT_EQ(ReportMain(dir_, "", out), 0) << out.str();
  EXPECT_FALSE(fs::exists(dir_ / "junit.xml"));
}

TEST_F(SuiteDir, ReportMainIgnoresJournalsOfAnEarlierRun) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "1000-1", {Passed("t.py::a")}, true);
  std::ostringstream out;
  EXPECT_EQ(ReportMain(dir_, "", out), 1);
  EXPECT_TRUE(Contains(out.str(), "never ran (1):\n  t.py::a")) << out.str();
}

TEST_F(SuiteDir, ReportMainShowsTheLastRunAfterACtestThatOnlyPlanned) {
  PlanFile ran = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})});
  WritePlan(ran);
  WriteJournal(0, ran.run_id, {Passed("t.py::a")}, true);
  // `ctest -N` (or an IDE listing tests) plans again: folds, then a new plan.
  FoldJournalsIntoDurations(dir_);
  PlanFile listed = ran;
  listed.run_id = "3000-1";
  WritePlan(listed);
  std::ostringstream out;
  EXPECT_EQ(ReportMain(dir_, "", out), 0) << out.str();
  EXPECT_TRUE(Contains(out.str(), "(run " + ran.run_id + ")")) << out.str();
  EXPECT_TRUE(Contains(out.str(), "1 passed, 0 failed")) << out.str();
}

TEST_F(SuiteDir, ReportRunReportsTheRunAskedFor) {
  PlanFile first = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}, "1000-1");
  WritePlan(first);
  WriteJournal(0, first.run_id, {Passed("t.py::a")}, true);
  PlanFile second = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}, "2000-1");
  WritePlan(second);
  WriteJournal(0, second.run_id, {{"t.py::a", "failed", 0.1, "E   boom"}}, true);
  std::ostringstream out;
  EXPECT_EQ(ReportRun(dir_, "1000-1", "", out), 0) << out.str();
  EXPECT_TRUE(Contains(out.str(), "(run 1000-1)")) << out.str();
  std::ostringstream last;
  EXPECT_EQ(ReportRun(dir_, "2000-1", "", last), 1) << last.str();
  EXPECT_TRUE(Contains(last.str(), "t.py::a  [suite/shard-00]  boom")) << last.str();
  EXPECT_THROW(ReportRun(dir_, "3000-1", "", out), Error);
}

TEST_F(SuiteDir, ReportMainWithoutPlanThrows) {
  std::ostringstream out;
  EXPECT_THROW(ReportMain(dir_, "", out), Error);
}

TEST_F(SuiteDir, FoldJournalsIntoDurationsIsIdempotent) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25), Passed("t.py::b", 0.5)}, true);
  FoldJournalsIntoDurations(dir_);
  std::string once = ReadFile(dir_ / "durations.json");
  FoldJournalsIntoDurations(dir_);
  EXPECT_EQ(ReadFile(dir_ / "durations.json"), once);
  EXPECT_DOUBLE_EQ(ReadDurations(dir_ / "durations.json").tests.at("t.py::b"), 0.5);
}

// Every ctest start folds the last run; only the first after it has news.
TEST_F(SuiteDir, FoldJournalsIntoDurationsReadsTheJournalsOnlyWhenTheyChanged) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25)}, false);
  FoldJournalsIntoDurations(dir_);
  Durations store = ReadDurations(dir_ / "durations.json");
  EXPECT_DOUBLE_EQ(store.tests.at("t.py::a"), 0.25);
  EXPECT_NE(store.folded.find("2000-1 "), std::string::npos) << store.folded;

  // Unchanged journals are not read again: a value changed in the store stays.
  store.tests["t.py::a"] = 9.0;
  WriteFileAtomic(dir_ / "durations.json", DurationsToJson(store).dump());
  FoldJournalsIntoDurations(dir_);
  EXPECT_DOUBLE_EQ(ReadDurations(dir_ / "durations.json").tests.at("t.py::a"), 9.0);

  // A record appended (the run goes on) is.
  {
    std::ofstream out(RunJournalDir(dir_, run_dir_id_) / "0.jsonl", std::ios::app);
    out << json{{"event", "result"}, {"nodeid", "t.py::b"}, {"outcome", "passed"},
                {"duration", 0.5},   {"time", 1.4},         {"message", ""}}
               .dump()
        << "\n";
  }
  FoldJournalsIntoDurations(dir_);
  store = ReadDurations(dir_ / "durations.json");
  EXPECT_DOUBLE_EQ(store.tests.at("t.py::a"), 0.25);
  EXPECT_DOUBLE_EQ(store.tests.at("t.py::b"), 0.5);

  // A store deleted by hand is made again from the same journals.
  fs::remove(dir_ / "durations.json");
  FoldJournalsIntoDurations(dir_);
  EXPECT_DOUBLE_EQ(ReadDurations(dir_ / "durations.json").tests.at("t.py::b"), 0.5);
}

// What `plan` then plans with: one read of the store at each ctest start.
TEST_F(SuiteDir, FoldJournalsIntoDurationsReturnsTheStore) {
  WriteFileAtomic(dir_ / "durations.json", "{\"format\": ");
  EXPECT_THROW(FoldJournalsIntoDurations(dir_), Error);  // nothing to rebuild it from
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25)}, true);
  EXPECT_DOUBLE_EQ(FoldJournalsIntoDurations(dir_).tests.at("t.py::a"), 0.25);  // rebuilt
  EXPECT_DOUBLE_EQ(FoldJournalsIntoDurations(dir_).tests.at("t.py::a"), 0.25);  // as folded
  EXPECT_DOUBLE_EQ(ReadDurations(dir_ / "durations.json").tests.at("t.py::a"), 0.25);
}

TEST_F(SuiteDir, ReportMainRecordsTheRunItFolded) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25)}, true);
  std::ostringstream out;
  ReportMain(dir_, "", out);
  std::string once = ReadFile(dir_ / "durations.json");
  EXPECT_NE(ReadDurations(dir_ / "durations.json").folded, "");
  FoldJournalsIntoDurations(dir_);
  EXPECT_EQ(ReadFile(dir_ / "durations.json"), once);
}

TEST_F(SuiteDir, FoldJournalsIntoDurationsToleratesMissingAndCorruptInput) {
  EXPECT_NO_THROW(FoldJournalsIntoDurations(dir_ / "does-not-exist"));
  EXPECT_NO_THROW(FoldJournalsIntoDurations(dir_));  // no plan
  WriteFileAtomic(RunPlanFile(dir_, "1000-1"), "{not json");
  WriteFileAtomic(RunJournalDir(dir_, "1000-1") / "0.jsonl", "{}\n");
  EXPECT_NO_THROW(FoldJournalsIntoDurations(dir_));
  EXPECT_FALSE(fs::exists(dir_ / "durations.json"));

  // A plan whose journals are all missing or stale leaves the store alone.
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "1000-1", {Passed("t.py::a")}, true);
  FoldJournalsIntoDurations(dir_);
  EXPECT_FALSE(fs::exists(dir_ / "durations.json"));
}

}  // namespace
}  // namespace pytest_shards
