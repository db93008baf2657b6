// Tests of `pytest-shards watch`: the progress line, the ETA, failure lines,
// the terminal and log displays, following journals as they grow, and a
// whole watch over a stand-in ctest.
#include "watch.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "error.h"
#include "file_util.h"
#include "runs.h"
#include "test_dir.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The bytes a log must not hold: every control character but the newline.
bool HasControlCharacter(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9F)
      return true;
  }
  return false;
}

// ---- Formatting ---------------------------------------------------------------

TEST(FormatClock, MinutesAndSecondsThenHours) {
  EXPECT_EQ(FormatClock(0), "0:00");
  EXPECT_EQ(FormatClock(5.4), "0:05");
  EXPECT_EQ(FormatClock(59.6), "1:00");
  EXPECT_EQ(FormatClock(65), "1:05");
  EXPECT_EQ(FormatClock(3725), "1:02:05");
  EXPECT_EQ(FormatClock(-3), "0:00");
}

TEST(FormatProgress, CountsElapsedAndEta) {
  Progress progress;
  progress.done = 12;
  progress.total = 351;
  progress.passed = 10;
  progress.failed = 1;
  progress.skipped = 1;
  progress.running = 2;
  progress.elapsed = 5;
  progress.eta = 31;
  EXPECT_EQ(FormatProgress(progress),
            "12/351 tests: 10 passed, 1 failed, 1 skipped; 2 running, 0:05 elapsed, ETA 0:31");
  progress.eta = -1;
  EXPECT_EQ(FormatProgress(progress),
            "12/351 tests: 10 passed, 1 failed, 1 skipped; 2 running, 0:05 elapsed, ETA ?");
}

TEST(FailureLine, OutcomeNodeIdAndKeyLine) {
  EXPECT_EQ(FailureLine({"t.py::a", "failed", 0.1,
                         "    def test_a():\n>       assert 1 == 2\nE       assert 1 == 2\n"}),
            "FAILED t.py::a - assert 1 == 2");
  EXPECT_EQ(FailureLine({"t.py::b", "crashed", 0, "crashed: signal 11 while running t.py::b"}),
            "CRASHED t.py::b - crashed: signal 11 while running t.py::b");
  EXPECT_EQ(FailureLine({"t.py::c", "error", 0, ""}), "ERROR t.py::c");
}

TEST(Printable, EscapesControlCharactersAndExpandsTabs) {
  EXPECT_EQ(Printable("t.py::a[\x1b[31m]"), "t.py::a[\\x1B[31m]");
  EXPECT_EQ(Printable("a\nb\rc\x7f"), "a\\x0Ab\\x0Dc\\x7F");
  EXPECT_EQ(Printable("\t  1 - suite/shard-00"), "          1 - suite/shard-00");
  EXPECT_EQ(Printable("ab\tc"), "ab      c");
  EXPECT_EQ(Printable("\xc3\xa9\tx"), "\xc3\xa9       x");  // é is one column
  EXPECT_EQ(Printable("csi\xc2\x9b"
                      "2J"),
            "csi\\u009B2J");
  EXPECT_EQ(Printable("plain"), "plain");
}

// ---- ETA ----------------------------------------------------------------------

TEST(EtaSeconds, WorkSharedByTheRunningEntries) {
  EXPECT_DOUBLE_EQ(EtaSeconds({10, 10, 10, 10}, 2), 20);
  EXPECT_DOUBLE_EQ(EtaSeconds({10, 10, 10, 10}, 4), 10);
  EXPECT_DOUBLE_EQ(EtaSeconds({10, 10}, 0), 20);  // nothing running: one at a time
  EXPECT_DOUBLE_EQ(EtaSeconds({}, 2), 0);
}

TEST(EtaSeconds, NeverLessThanTheLargestEntry) {
  // 32 s of work on 4 slots would be 8 s, but one entry alone holds 30 s.
  EXPECT_DOUBLE_EQ(EtaSeconds({30, 1, 1}, 4), 30);
}

TEST(Eta, LearnedDurationsOrTheRateSoFar) {
  Progress progress;
  progress.total = 10;
  progress.done = 2;
  progress.elapsed = 4;
  EXPECT_DOUBLE_EQ(Eta(progress, /*learned=*/true, {6, 2}, 2), 6);
  // Nothing learned: 2 tests took 4 s, so 8 more take 16 s.
  EXPECT_DOUBLE_EQ(Eta(progress, /*learned=*/false, {6, 2}, 2), 16);
  progress.done = 0;
  EXPECT_LT(Eta(progress, false, {}, 1), 0);  // unknown before the first result
  progress.done = 10;
  EXPECT_DOUBLE_EQ(Eta(progress, false, {}, 1), 0);
  progress.total = 0;
  progress.done = 0;
  EXPECT_LT(Eta(progress, true, {}, 1), 0);  // no run found yet
}

// ---- Display ------------------------------------------------------------------

TEST(Display, LogGetsOneProgressLinePerInterval) {
  std::ostringstream out;
  Display display(out, /*tty=*/false, 0, /*interval=*/5);
  display.Update("p1", 1);
  EXPECT_EQ(out.str(), "");
  display.Update("p2", 5);
  display.Update("p3", 7);
  display.Update("p4", 10.5);
  EXPECT_EQ(out.str(), "p2\np4\n");
  display.Line("FAILED t.py::a");
  display.Finish("p5");
  EXPECT_EQ(out.str(), "p2\np4\nFAILED t.py::a\np5\n");
}

TEST(Display, LogHasNoControlCharacters) {
  std::ostringstream out;
  Display display(out, /*tty=*/false, 80, 1);
  display.Update("1/3 tests", 1);
  display.Line(FailureLine({"t.py::test[\x1b[2J\r\t\x07]", "failed", 0, "E   bad\x1b[0m"}));
  display.Lines("The following tests FAILED:\n\t  1 - suite/shard-00 (Failed)\r\n");
  display.Update("2/3 tests", 2);
  display.Finish("3/3 tests");
  EXPECT_FALSE(HasControlCharacter(out.str())) << out.str();
  EXPECT_TRUE(Contains(out.str(), "FAILED t.py::test[\\x1B[2J\\x0D   \\x07] - bad\\x1B[0m\n"))
      << out.str();
  EXPECT_TRUE(Contains(out.str(), "\n          1 - suite/shard-00 (Failed)\n")) << out.str();
}

TEST(Display, TerminalRedrawsInPlace) {
  std::ostringstream out;
  Display display(out, /*tty=*/true, 0, 5);
  display.Update("1/3 tests", 0.2);
  EXPECT_EQ(out.str(), "\r\x1b[K1/3 tests");
  display.Update("1/3 tests", 0.4);  // unchanged: not drawn again
  EXPECT_EQ(out.str(), "\r\x1b[K1/3 tests");
  display.Update("2/3 tests", 0.6);
  // A failure erases the line, stands on its own, and the line comes back.
  display.Line("FAILED t.py::b");
  display.Finish("3/3 tests");
  EXPECT_EQ(
      out.str(),
      "\r\x1b[K1/3 tests\r\x1b[K2/3 tests\r\x1b[KFAILED t.py::b\n2/3 tests\r\x1b[K3/3 tests\n");
}

TEST(Display, TerminalLineFitsTheWidth) {
  std::ostringstream out;
  Display display(out, /*tty=*/true, 10, 5);
  display.Update("0123456789abcdef", 1);
  EXPECT_EQ(out.str(), "\r\x1b[K012345678");
}

// ---- Following journals -------------------------------------------------------

class WatchDir : public TestDirFixture {
 protected:
  // A suite's run as a ctest start plans it: two entries.
  void WritePlan(const fs::path& suite_dir, const std::string& run_id) {
    PlanFile plan;
    plan.run_id = run_id;
    plan.settings.suite = "suite";
    plan.settings.suite_dir = suite_dir;
    Entry first, second;
    first.name = "suite/shard-00";
    first.node_ids = {"t.py::a", "t.py::b", "t.py::c"};
    second.name = "suite/shard-01";
    second.node_ids = {"u.py::d", "u.py::e"};
    plan.plan.entries = {first, second};
    WriteFileAtomic(RunPlanFile(suite_dir, run_id), PlanFileToJson(plan).dump());
  }

  void WriteDurations(const fs::path& suite_dir) {
    Durations durations;
    durations.tests = {
        {"t.py::a", 1}, {"t.py::b", 2}, {"t.py::c", 4}, {"u.py::d", 3}, {"u.py::e", 5}};
    durations.startup = 0.5;
    WriteFileAtomic(suite_dir / "durations.json", DurationsToJson(durations).dump());
  }

  static void Append(const fs::path& journal, const std::vector<json>& records) {
    fs::create_directories(journal.parent_path());
    std::ofstream out(journal, std::ios::app);
    for (const json& record : records) out << record.dump() << "\n";
  }

  static json Run(int index, const std::string& run_id) {
    return {{"event", "run"},
            {"run_id", run_id},
            {"entry", "suite/shard-0" + std::to_string(index)},
            {"index", index},
            {"time", 90.0}};
  }
  static json Start(const std::string& node_id, double time) {
    return {{"event", "start"}, {"nodeid", node_id}, {"time", time}};
  }
  static json Result(const std::string& node_id, const std::string& outcome,
                     const std::string& message = "") {
    return {{"event", "result"}, {"nodeid", node_id}, {"outcome", outcome},
            {"duration", 1.0},   {"time", 99.0},      {"message", message}};
  }
  static json Shard(int index) {
    return {{"event", "shard"}, {"entry", "suite/shard-0" + std::to_string(index)},
            {"wall", 3.0},      {"startup", 0.5},
            {"peak_rss_kb", 1}, {"exit", 1},
            {"restarts", 0}};
  }

  fs::path Journal(const std::string& run_id, int index) {
    return RunJournalDir(dir_, run_id) / (std::to_string(index) + ".jsonl");
  }
};

TEST_F(WatchDir, CountsResultsAndEstimatesTheWorkLeft) {
  WritePlan(dir_, "2000-1");
  WriteDurations(dir_);
  Append(Journal("2000-1", 0),
         {Run(0, "2000-1"), Start("t.py::a", 95), Result("t.py::a", "passed"), Start("t.py::b", 96),
          Result("t.py::b", "failed", "E   assert 1 == 2"), Start("t.py::c", 100)});
  RunFollower follower(dir_, "2000-1", {"suite/shard-00", "suite/shard-01"});
  EXPECT_TRUE(follower.learned());
  std::vector<TestResult> fresh = follower.Poll(101);
  ASSERT_EQ(fresh.size(), 2u);
  EXPECT_EQ(fresh[1].node_id, "t.py::b");
  EXPECT_EQ(FailureLine(fresh[1]), "FAILED t.py::b - assert 1 == 2");

  Progress progress;
  std::vector<double> left;
  follower.Count(&progress, &left, 101);
  EXPECT_EQ(progress.total, 5u);
  EXPECT_EQ(progress.done, 2u);
  EXPECT_EQ(progress.passed, 1u);
  EXPECT_EQ(progress.failed, 1u);
  EXPECT_EQ(progress.running, 1);
  // shard-00: t.py::c (4 s) has run for 1 s; shard-01 has not started:
  // start-up 0.5 s + 3 s + 5 s.
  ASSERT_EQ(left.size(), 2u);
  EXPECT_DOUBLE_EQ(left[0], 3);
  EXPECT_DOUBLE_EQ(left[1], 8.5);
  EXPECT_DOUBLE_EQ(EtaSeconds(left, progress.running), 11.5);

  // Nothing new: nothing returned twice.
  EXPECT_TRUE(follower.Poll(102).empty());
  Append(Journal("2000-1", 0), {Result("t.py::c", "skipped"), Shard(0)});
  fresh = follower.Poll(103);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].outcome, "skipped");
  progress = {};
  left.clear();
  follower.Count(&progress, &left, 103);
  EXPECT_EQ(progress.done, 3u);
  EXPECT_EQ(progress.skipped, 1u);
  EXPECT_EQ(progress.running, 0);
  EXPECT_EQ(left, std::vector<double>{8.5});  // the finished entry has no work left
}

TEST_F(WatchDir, FindsJournalsThatAppearLater) {
  WritePlan(dir_, "2000-1");
  RunFollower follower(dir_, "2000-1", {"suite/shard-00", "suite/shard-01"});
  EXPECT_FALSE(follower.learned());
  EXPECT_TRUE(follower.Poll(100).empty());
  EXPECT_FALSE(follower.ran());
  Append(Journal("2000-1", 1), {Run(1, "2000-1"), Start("u.py::d", 100)});
  EXPECT_TRUE(follower.Poll(102).empty());
  EXPECT_TRUE(follower.ran());
  Append(Journal("2000-1", 1), {Result("u.py::d", "timeout", "timeout: u.py::d ran too long")});
  Append(Journal("2000-1", 0), {Run(0, "2000-1"), Start("t.py::a", 101),
                                Result("t.py::a", "error", "E   fixture 'db' not found")});
  std::vector<TestResult> fresh = follower.Poll(104);
  ASSERT_EQ(fresh.size(), 2u);
  Progress progress;
  std::vector<double> left;
  follower.Count(&progress, &left, 104);
  EXPECT_EQ(progress.failed, 2u);
  EXPECT_EQ(progress.running, 2);
}

TEST_F(WatchDir, CountsOnlyTheEntriesCtestRuns) {
  WritePlan(dir_, "2000-1");
  // ctest -R shard-01: shard-00's tests are not part of this run's total.
  RunFollower follower(dir_, "2000-1", {"suite/shard-01"});
  follower.Poll(100);
  Progress progress;
  std::vector<double> left;
  follower.Count(&progress, &left, 100);
  EXPECT_EQ(progress.total, 2u);
  EXPECT_EQ(follower.entries(), 1u);
  // An entry that runs after all (the listing was wrong) counts from then on.
  Append(Journal("2000-1", 0), {Run(0, "2000-1")});
  follower.Poll(102);
  progress = {};
  follower.Count(&progress, &left, 102);
  EXPECT_EQ(progress.total, 5u);
  follower.FollowAll();
  EXPECT_EQ(follower.entries(), 2u);
}

TEST_F(WatchDir, CorruptJournalStopsOnlyThatEntry) {
  WritePlan(dir_, "2000-1");
  Append(Journal("2000-1", 0), {Run(0, "2000-1")});
  { std::ofstream(Journal("2000-1", 0), std::ios::app) << "not json\n"; }
  Append(Journal("2000-1", 1), {Run(1, "2000-1"), Result("u.py::d", "passed")});
  RunFollower follower(dir_, "2000-1", {"suite/shard-00", "suite/shard-01"});
  std::vector<TestResult> fresh = follower.Poll(100);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].node_id, "u.py::d");
}

TEST_F(WatchDir, MissingPlanThrows) { EXPECT_THROW(RunFollower(dir_, "2000-1", {}), Error); }

// ---- The whole watch over a stand-in ctest --------------------------------------

class WatchMainTest : public WatchDir {
 protected:
  void SetUp() override {
    WatchDir::SetUp();
    build_ = dir_ / "build";
    suite_ = build_ / "pytest-shards" / "suite";
    // An earlier run, with a journal: not this ctest's.
    WritePlan(suite_, "1000-1");
    Append(RunJournalDir(suite_, "1000-1") / "0.jsonl",
           {Run(0, "1000-1"), Result("t.py::a", "failed", "E   old failure")});
    // What the stand-in ctest's start plans and its entries journal.
    fs::path templates = dir_ / "templates";
    WritePlan(templates, "5000-1");
    Append(templates / "0.jsonl",
           {Run(0, "5000-1"), Start("t.py::a", 95), Result("t.py::a", "passed"),
            Start("t.py::b", 96), Result("t.py::b", "failed", "E   assert 1 == 2"),
            Start("t.py::c", 97), Result("t.py::c", "passed"), Shard(0)});
    fs::path run = RunDir(suite_, "5000-1");
    ctest_ = dir_ / "fake-ctest";
    WriteFileAtomic(ctest_,
                    "#!/bin/sh\n"
                    "echo \"$*\" >> '" +
                        (dir_ / "argv").string() +
                        "'\n"
                        "case \"$*\" in *--show-only=json-v1*)\n"
                        "  echo '{\"kind\": \"ctestInfo\", \"tests\": "
                        "[{\"name\": \"suite/shard-00\"}, {\"name\": \"other\"}]}'\n"
                        "  exit 0;;\n"
                        "esac\n"
                        "mkdir -p '" +
                        (run / "journal").string() + "'\ncp '" +
                        (RunPlanFile(templates, "5000-1")).string() + "' '" +
                        RunPlanFile(suite_, "5000-1").string() + "'\ncp '" +
                        (templates / "0.jsonl").string() + "' '" + (run / "journal").string() +
                        "/0.jsonl'\n"
                        "echo 'Test project: noise ctest prints'\n"
                        "printf '50%% tests passed, 1 tests failed out of 2\\n\\n"
                        "The following tests FAILED:\\n\\t  1 - suite/shard-00 (Failed)\\n'\n"
                        "exit 3\n");
    fs::permissions(ctest_, fs::perms::owner_all);
  }

  fs::path build_, suite_, ctest_;
};

TEST_F(WatchMainTest, RunsCtestAndShowsFailuresSummaryAndExitCode) {
  WatchOptions options;
  options.build_dir = build_;
  options.ctest = ctest_.string();
  options.ctest_args = {"-j", "2"};
  std::ostringstream out;
  EXPECT_EQ(WatchMain(options, out), 3);
  std::string text = out.str();
  EXPECT_EQ(ReadFile(dir_ / "argv"), "--test-dir " + build_.string() +
                                         " -j 2 --show-only=json-v1\n"
                                         "--test-dir " +
                                         build_.string() + " -j 2\n");
  EXPECT_FALSE(HasControlCharacter(text)) << text;
  // The failure of this run, not the earlier run's, on a line of its own.
  std::size_t failure = text.find("\nFAILED t.py::b - assert 1 == 2\n");
  EXPECT_NE(failure, std::string::npos) << text;
  EXPECT_FALSE(Contains(text, "old failure")) << text;
  // shard-01 was not listed: only shard-00's 3 tests count.
  EXPECT_TRUE(Contains(text, "\n3/3 tests: 2 passed, 1 failed, 0 skipped; 0 running")) << text;
  // The report's summary of this run, then ctest's closing lines.
  std::size_t summary = text.find("pytest-shards report: suite (run 5000-1)\n");
  std::size_t closing = text.find("\n50% tests passed, 1 tests failed out of 2\n");
  ASSERT_NE(summary, std::string::npos) << text;
  ASSERT_NE(closing, std::string::npos) << text;
  EXPECT_LT(failure, summary);
  EXPECT_LT(summary, closing);
  EXPECT_TRUE(Contains(text, "\n          1 - suite/shard-00 (Failed)\n")) << text;
  // ctest's other output is in the log only.
  EXPECT_FALSE(Contains(text, "noise ctest prints")) << text;
  EXPECT_TRUE(Contains(ReadFile(WatchLogFile(build_)), "noise ctest prints"));
  EXPECT_TRUE(Contains(text, "ctest's whole output: " + WatchLogFile(build_).string())) << text;
}

TEST_F(WatchMainTest, CtestThatCannotStartSaysHowToChooseOne) {
  WatchOptions options;
  options.build_dir = build_;
  options.ctest = (dir_ / "no-such-ctest").string();
  std::ostringstream out;
  try {
    WatchMain(options, out);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(Contains(e.what(), "--ctest")) << e.what();
  }
}

TEST_F(WatchMainTest, MissingBuildTreeIsAnError) {
  WatchOptions options;
  options.build_dir = dir_ / "nowhere";
  std::ostringstream out;
  EXPECT_THROW(WatchMain(options, out), Error);
}

}  // namespace
}  // namespace pytest_shards
