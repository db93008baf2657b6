// Tests of `pytest-shards watch` as a whole, over a stand-in ctest.
#include "watch/watch.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "data/runs.h"
#include "util/error.h"
#include "util/file_util.h"
#include "watch_fixtures.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

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
    WriteCtest("{\"name\": \"suite/shard-00\"}, {\"name\": \"other\"}",
               "printf '50%% tests passed, 1 tests failed out of 2\\n\\n"
               "The following tests FAILED:\\n\\t  1 - suite/shard-00 (Failed)\\n'\n"
               "exit 3\n");
  }

  // A stand-in ctest: it lists `listed` (JSON objects), or copies the
  // templates' plan and journal into place as a ctest start and its entry
  // would, prints some noise and runs `ending`.
  void WriteCtest(const std::string& listed, const std::string& ending) {
    fs::path templates = dir_ / "templates";
    fs::path run = RunDir(suite_, "5000-1");
    ctest_ = dir_ / "fake-ctest";
    WriteFileAtomic(ctest_,
                    "#!/bin/sh\n"
                    "echo \"$*\" >> '" +
                        (dir_ / "argv").string() +
                        "'\n"
                        "case \"$*\" in *--show-only=json-v1*)\n"
                        "  echo '{\"kind\": \"ctestInfo\", \"tests\": [" +
                        listed +
                        "]}'\n"
                        "  exit 0;;\n"
                        "esac\n"
                        "mkdir -p '" +
                        (run / "journal").string() + "'\ncp '" +
                        (RunPlanFile(templates, "5000-1")).string() + "' '" +
                        RunPlanFile(suite_, "5000-1").string() + "'\ncp '" +
                        (templates / "0.jsonl").string() + "' '" + (run / "journal").string() +
                        "/0.jsonl'\n"
                        "echo 'Test project: noise ctest prints'\n" +
                        ending);
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
  EXPECT_TRUE(Contains(text, "\n100% 3/3 tests: 2 passed, 1 failed, 0 skipped; 0 running")) << text;
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

// pytest's longrepr of t.py::b in its default (long) style, as journalled.
constexpr const char* kLongrepr =
    "def test_b():\n"
    "        x = 1\n"
    ">       assert x == 2\n"
    "E       assert 1 == 2\n"
    "\n"
    "t.py:3: AssertionError";

TEST_F(WatchMainTest, EachFailureHasItsTracebackInTheStyleAskedFor) {
  fs::path journal = dir_ / "templates" / "0.jsonl";
  fs::remove(journal);
  Append(journal, {Run(0, "5000-1"), Start("t.py::a", 95), Result("t.py::a", "passed"),
                   Start("t.py::b", 96), Result("t.py::b", "passed"), Start("t.py::c", 97),
                   Result("t.py::c", "failed", kLongrepr), Shard(0)});
  WatchOptions options;
  options.build_dir = build_;
  options.ctest = ctest_.string();
  // Each watch follows the run its ctest plans: a new one each time.
  auto watch = [&](std::ostream& out) {
    fs::remove_all(RunDir(suite_, "5000-1"));
    WatchMain(options, out);
  };
  std::ostringstream short_out;
  watch(short_out);
  EXPECT_TRUE(Contains(short_out.str(),
                       "\nFAILED t.py::c - assert 1 == 2\n"
                       "t.py:3: in test_b\n"
                       "    assert x == 2\n"
                       "E   assert 1 == 2\n"))
      << short_out.str();
  options.tb = TracebackStyle::kLong;
  std::ostringstream long_out;
  watch(long_out);
  EXPECT_TRUE(Contains(long_out.str(),
                       "\nFAILED t.py::c - assert 1 == 2\n" + std::string(kLongrepr) + "\n"))
      << long_out.str();
  options.tb = TracebackStyle::kNo;
  std::ostringstream no_out;
  watch(no_out);
  EXPECT_TRUE(Contains(no_out.str(), "\nFAILED t.py::c - assert 1 == 2\n")) << no_out.str();
}

// Ctrl-C in the middle of shard-00 and before shard-01 started: ctest dies of
// SIGINT, the runner journalled the rest as not run.
TEST_F(WatchMainTest, AnInterruptIsOneLineNotFailuresNorMissingTests) {
  fs::path journal = dir_ / "templates" / "0.jsonl";
  fs::remove(journal);
  json missing = Result("t.py::c", "missing", "never ran: t.py::c");
  missing["interrupted"] = 2;
  json shard = Shard(0);
  shard["interrupted"] = 2;
  Append(journal,
         {Run(0, "5000-1"), Start("t.py::a", 95), Result("t.py::a", "passed"), Start("t.py::b", 96),
          Result("t.py::b", "failed", "E   assert 1 == 2"), missing, shard});
  WriteCtest("{\"name\": \"suite/shard-00\"}, {\"name\": \"suite/shard-01\"}",
             "echo 'raw ctest line'\nkill -INT $$\n");
  WatchOptions options;
  options.build_dir = build_;
  options.ctest = ctest_.string();
  std::ostringstream out;
  EXPECT_EQ(WatchMain(options, out), 130);
  std::string text = out.str();
  std::size_t line = text.find("\ninterrupted by signal 2 after 0:0");
  ASSERT_NE(line, std::string::npos) << text;
  EXPECT_TRUE(Contains(text.substr(line),
                       ": 2 of 5 tests ran (1 passed, 1 failed, 0 skipped), 3 did not run\n"))
      << text;
  // Its last line: no ctest line after it, none at all.
  EXPECT_EQ(text.find('\n', line + 1), text.size() - 1) << text;
  EXPECT_FALSE(Contains(text, "raw ctest line")) << text;
  EXPECT_FALSE(Contains(text, "MISSING")) << text;
  EXPECT_FALSE(Contains(text, "missing")) << text;
  EXPECT_TRUE(Contains(text, "\n40% 2/5 tests: 1 passed, 1 failed, 0 skipped; 0 running")) << text;
  EXPECT_TRUE(Contains(text, "\ninterrupted by signal 2: 3 of 5 tests did not run\n")) << text;
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
