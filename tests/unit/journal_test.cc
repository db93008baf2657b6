#include "data/journal.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "journal_test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    file_ = dir_ / "0.jsonl";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const std::string& text) {
    std::ofstream out(file_, std::ios::binary | std::ios::trunc);
    out << text;
  }
  void Append(const std::string& text) {
    std::ofstream out(file_, std::ios::binary | std::ios::app);
    out << text;
  }
  std::string Contents() {
    std::ifstream in(file_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // The message of the Error that reading throws, or "" when none.
  std::string ReadError() {
    try {
      ReadJournal(file_);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
  fs::path file_;
};

const char kRun[] = R"({"event":"run","run_id":"r1","entry":"s/shard-00","index":0,"time":1})"
                    "\n";
const char kSession[] = R"({"event":"session","pid":42,"time":1.5})"
                        "\n";
const char kStartA[] = R"({"event":"start","nodeid":"t.py::a","time":2})"
                       "\n";
const char kResultA[] =
    R"({"event":"result","nodeid":"t.py::a","outcome":"passed","duration":0.5,"time":2.5,"message":null})"
    "\n";
const char kStartB[] = R"({"event":"start","nodeid":"t.py::b[x]","time":3})"
                       "\n";
const char kResultB[] =
    R"({"event":"result","nodeid":"t.py::b[x]","outcome":"failed","duration":1.25,"time":4,"message":"assert 1 == 2"})"
    "\n";
const char kShard[] =
    R"({"event":"shard","entry":"s/shard-00","wall":5.5,"startup":0.75,"peak_rss_kb":12345,"exit":1,"restarts":2})"
    "\n";

TEST_F(JournalTest, ReadsEveryRecord) {
  Write(std::string(kRun) + kSession +
        R"({"event":"collected","count":2,"time":1.6})"
        "\n" +
        kStartA + kResultA + kStartB + kResultB +
        R"({"event":"finish","exitstatus":1,"time":5})"
        "\n" +
        kShard);
  ShardJournal j = ReadJournal(file_);
  EXPECT_EQ(j.run_id, "r1");
  EXPECT_EQ(j.entry, "s/shard-00");
  EXPECT_EQ(j.index, 0);
  EXPECT_EQ(j.started, (std::vector<std::string>{"t.py::a", "t.py::b[x]"}));
  ASSERT_EQ(j.results.size(), 2u);
  EXPECT_EQ(j.results[0].node_id, "t.py::a");
  EXPECT_EQ(j.results[0].outcome, "passed");
  EXPECT_EQ(j.results[0].duration, 0.5);
  EXPECT_EQ(j.results[0].message, "");
  EXPECT_EQ(j.results[1].node_id, "t.py::b[x]");
  EXPECT_EQ(j.results[1].outcome, "failed");
  EXPECT_EQ(j.results[1].duration, 1.25);
  EXPECT_EQ(j.results[1].message, "assert 1 == 2");
  EXPECT_TRUE(j.finished);
  EXPECT_EQ(j.wall, 5.5);
  EXPECT_EQ(j.startup, 0.75);
  EXPECT_EQ(j.peak_rss_kb, 12345);
  EXPECT_EQ(j.exit_code, 1);
  EXPECT_EQ(j.restarts, 2);
}

TEST_F(JournalTest, ATeardownErrorAfterTheEntryMakesItsTestAnError) {
  Write(std::string(kRun) + kSession + kStartA + kResultA + kShard +
        R"({"event":"teardown","nodeid":"t.py::a","message":"session teardown failed","time":9})"
        "\n");
  ShardJournal j = ReadJournal(file_);
  ASSERT_EQ(j.results.size(), 1u);
  EXPECT_EQ(j.results[0].outcome, "error");
  EXPECT_EQ(j.results[0].message, "session teardown failed");
}

TEST_F(JournalTest, TheShardRecordSaysWhyTheEntryStartedCold) {
  JournalWriter writer(file_, [] { return 1.0; });
  ShardJournal summary;
  summary.entry = "s/t.py::a";
  writer.WriteShard(summary);
  EXPECT_EQ(ReadJournal(file_).cold, "");
  summary.cold = "warm interpreter unavailable: it broke";
  writer.WriteShard(summary);
  EXPECT_EQ(ReadJournal(file_).cold, "warm interpreter unavailable: it broke");
}

TEST_F(JournalTest, AnInterruptedEntrySaysSoInItsShardRecordAndMissingResults) {
  JournalWriter writer(file_, [] { return 1.0; });
  writer.WriteRun("r1", "s/shard-0", 0);
  writer.WriteResult("t.py::a", Outcome::kPassed, 0.5, "");
  writer.CatchUp();
  writer.WriteMissing({"t.py::a", "t.py::b"}, 2);
  ShardJournal summary;
  summary.interrupted = 2;
  writer.WriteShard(summary);
  ShardJournal j = ReadJournal(file_);
  EXPECT_EQ(j.interrupted, 2);
  ASSERT_EQ(j.results.size(), 2u);
  EXPECT_EQ(j.results[0].interrupted, 0);
  EXPECT_EQ(j.results[1].node_id, "t.py::b");
  EXPECT_EQ(j.results[1].outcome, "missing");
  EXPECT_EQ(j.results[1].interrupted, 2);
}

TEST_F(JournalTest, UnfinishedJournalHasNoShardRecord) {
  Write(std::string(kRun) + kStartA);
  ShardJournal j = ReadJournal(file_);
  EXPECT_FALSE(j.finished);
  EXPECT_EQ(j.started.size(), 1u);
  EXPECT_TRUE(j.results.empty());
}

TEST_F(JournalTest, StartIsTheRunRecordsTimeEndTheLatestRecords) {
  Write(std::string(kRun) + kStartA + kResultA +
        R"({"event":"shard","entry":"s/shard-00","wall":9,"startup":0.5,"time":10})"
        "\n");
  ShardJournal j = ReadJournal(file_);
  EXPECT_EQ(j.start, 1);
  EXPECT_EQ(j.end, 10);
  // Killed mid-run: the end is its last sign of life.
  Write(std::string(kRun) + kStartA);
  j = ReadJournal(file_);
  EXPECT_EQ(j.start, 1);
  EXPECT_EQ(j.end, 2);
  // A record without a usable time (older or foreign writers) changes nothing.
  Write(std::string(kRun) + R"({"event":"start","nodeid":"t.py::a","time":"late"})"
                            "\n");
  EXPECT_EQ(ReadJournal(file_).end, 1);
}

TEST_F(JournalTest, TornLastLineIsIgnored) {
  Write(std::string(kRun) + kStartA + R"({"event":"result","nodeid":"t.py::a","outc)");
  ShardJournal j = ReadJournal(file_);
  EXPECT_EQ(j.started.size(), 1u);
  EXPECT_TRUE(j.results.empty());
}

TEST_F(JournalTest, LastLineMissingOnlyItsNewlineCounts) {
  std::string result = kResultA;
  result.pop_back();
  Write(std::string(kRun) + kStartA + result);
  EXPECT_EQ(ReadJournal(file_).results.size(), 1u);
}

TEST_F(JournalTest, CorruptMiddleLineNamesFileAndLine) {
  Write(std::string(kRun) + kStartA + "{not json\n" + kResultA);
  std::string error = ReadError();
  EXPECT_NE(error.find(file_.string()), std::string::npos) << error;
  EXPECT_NE(error.find("corrupt at line 3"), std::string::npos) << error;
  EXPECT_NE(error.find("delete it and re-run the entry"), std::string::npos) << error;
}

TEST_F(JournalTest, CorruptLastLineWithItsNewlineIsNotTorn) {
  Write(std::string(kRun) + "{\"event\":\n");
  EXPECT_NE(ReadError().find("corrupt at line 2"), std::string::npos);
}

TEST_F(JournalTest, MalformedRecordsAreCorrupt) {
  const char* bad[] = {
      "[1,2]\n",                                                       // not an object
      "{\"nodeid\":\"a\"}\n",                                          // no event
      "{\"event\":\"start\"}\n",                                       // no nodeid
      "{\"event\":\"result\",\"nodeid\":\"a\"}\n",                     // no outcome
      "{\"event\":\"result\",\"nodeid\":1,\"outcome\":\"passed\"}\n",  // wrong type
      "{\"event\":\"result\",\"nodeid\":\"a\",\"outcome\":\"passed\",\"duration\":\"x\"}\n",
      "{\"event\":\"result\",\"nodeid\":\"a\",\"outcome\":\"failed\",\"message\":3}\n",
      "{\"event\":\"start\",\"nodeid\":\"\xff\"}\n",  // invalid UTF-8
  };
  for (const char* line : bad) {
    Write(std::string(kRun) + line + kShard);
    EXPECT_NE(ReadError().find("corrupt at line 2"), std::string::npos) << line;
  }
}

TEST_F(JournalTest, UnknownEventsAndBlankLinesAreSkipped) {
  Write(std::string(kRun) + "{\"event\":\"from-the-future\",\"x\":1}\n\n" + kStartA + kResultA);
  ShardJournal j = ReadJournal(file_);
  EXPECT_EQ(j.started.size(), 1u);
  EXPECT_EQ(j.results.size(), 1u);
}

TEST_F(JournalTest, EmptyFileIsAnEmptyJournal) {
  Write("");
  ShardJournal j = ReadJournal(file_);
  EXPECT_EQ(j.index, -1);
  EXPECT_TRUE(j.started.empty());
  EXPECT_FALSE(j.finished);
}

TEST_F(JournalTest, MissingFileIsAnError) { EXPECT_THROW(ReadJournal(file_), Error); }

TEST_F(JournalTest, RepairCutsATornLine) {
  Write(std::string(kRun) + kStartA + R"({"event":"res)");
  RepairJournal(file_);
  EXPECT_EQ(Contents(), std::string(kRun) + kStartA);
  // What the restarted writer appends now reads cleanly.
  Append(kResultA);
  EXPECT_EQ(ReadJournal(file_).results.size(), 1u);
}

TEST_F(JournalTest, RepairKeepsARecordThatOnlyLostItsNewline) {
  std::string start = kStartA;
  start.pop_back();
  Write(std::string(kRun) + start);
  RepairJournal(file_);
  EXPECT_EQ(Contents(), std::string(kRun) + kStartA);
}

TEST_F(JournalTest, RepairLeavesCleanAndMissingFilesAlone) {
  RepairJournal(file_);
  EXPECT_FALSE(fs::exists(file_));
  Write(std::string(kRun) + kStartA);
  RepairJournal(file_);
  EXPECT_EQ(Contents(), std::string(kRun) + kStartA);
  Write(R"({"event":"ru)");
  RepairJournal(file_);
  EXPECT_EQ(Contents(), "");
}

TEST(JournalIsFailure, Outcomes) {
  for (const char* failure : {"failed", "error", "crashed", "timeout", "missing", "whatever"})
    EXPECT_TRUE(IsFailure(failure)) << failure;
  for (const char* success : {"passed", "skipped", "xfailed", "xpassed"})
    EXPECT_FALSE(IsFailure(success)) << success;
}

TEST_F(JournalTest, TailWaitsForTheFile) {
  JournalTail tail(file_);
  tail.Poll();
  EXPECT_EQ(tail.running(), "");
  EXPECT_TRUE(tail.started().empty());
  Write(std::string(kRun) + kStartA);
  tail.Poll();
  EXPECT_EQ(tail.running(), "t.py::a");
  EXPECT_EQ(tail.running_since(), 2);
}

TEST_F(JournalTest, TailFollowsAppendsAndPartialLines) {
  JournalTail tail(file_);
  Write(std::string(kRun) + kSession + kStartA);
  tail.Poll();
  EXPECT_EQ(tail.running(), "t.py::a");
  EXPECT_EQ(tail.started(), std::vector<std::string>{"t.py::a"});

  // Half a result line: not yet a result.
  std::string result = kResultA;
  Append(result.substr(0, 20));
  tail.Poll();
  EXPECT_EQ(tail.running(), "t.py::a");
  EXPECT_TRUE(tail.results().empty());

  Append(result.substr(20));
  tail.Poll();
  EXPECT_EQ(tail.running(), "");
  ASSERT_EQ(tail.results().size(), 1u);
  EXPECT_EQ(tail.results()[0].outcome, "passed");

  Append(kStartB);
  tail.Poll();
  tail.Poll();  // nothing new: nothing changes
  EXPECT_EQ(tail.running(), "t.py::b[x]");
  EXPECT_EQ(tail.running_since(), 3);
  EXPECT_EQ(tail.started().size(), 2u);
  EXPECT_EQ(tail.results().size(), 1u);
}

TEST_F(JournalTest, TailRunningClearsOnItsOwnResultOnly) {
  JournalTail tail(file_);
  Write(std::string(kStartA) + R"({"event":"result","nodeid":"t.py::other","outcome":"missing"})"
                               "\n");
  tail.Poll();
  EXPECT_EQ(tail.running(), "t.py::a");
  // The runner's verdict on a crashed test ends it too.
  Append(R"({"event":"result","nodeid":"t.py::a","outcome":"crashed","message":"signal 9"})"
         "\n");
  tail.Poll();
  EXPECT_EQ(tail.running(), "");
  EXPECT_EQ(tail.results().back().outcome, "crashed");
}

TEST_F(JournalTest, TailNewSessionEndsWhatTheOldOneRan) {
  JournalTail tail(file_);
  Write(std::string(kSession) + kStartA);
  tail.Poll();
  EXPECT_EQ(tail.running(), "t.py::a");
  Append(kSession);
  tail.Poll();
  EXPECT_EQ(tail.running(), "");
  EXPECT_EQ(tail.running_since(), 0);
}

TEST_F(JournalTest, TailAfterRepairReadsTheRestartedWriter) {
  JournalTail tail(file_);
  Write(std::string(kRun) + kStartA + R"({"event":"resu)");
  tail.Poll();
  EXPECT_EQ(tail.running(), "t.py::a");
  RepairJournal(file_);
  Append(R"({"event":"result","nodeid":"t.py::a","outcome":"crashed"})"
         "\n" +
         std::string(kSession) + kStartB);
  tail.Poll();
  EXPECT_EQ(tail.running(), "t.py::b[x]");
  ASSERT_EQ(tail.results().size(), 1u);
  EXPECT_EQ(tail.results()[0].outcome, "crashed");
}

TEST_F(JournalTest, TailThrowsOnACorruptCompleteLine) {
  JournalTail tail(file_);
  Write(std::string(kRun) + "garbage\n");
  try {
    tail.Poll();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt at line 2"), std::string::npos) << e.what();
  }
}

// --- Sessions and the writer ---------------------------------------------------

TEST_F(JournalTest, EachSessionKnowsWhenItCollectedAndWhetherItFinished) {
  Write(std::string(kRun) + kSession +
        R"({"event":"collected","count":2,"time":1.75})"
        "\n" +
        kStartA +
        R"({"event":"session","pid":43,"time":5})"
        "\n" +
        R"({"event":"finish","exitstatus":1,"time":6})"
        "\n");
  ShardJournal journal = ReadJournal(file_);
  ASSERT_EQ(journal.sessions.size(), 2u);
  EXPECT_DOUBLE_EQ(journal.sessions[0].time, 1.5);
  EXPECT_DOUBLE_EQ(journal.sessions[0].collected_time, 1.75);
  EXPECT_FALSE(journal.sessions[0].finished);  // it died in t.py::a
  EXPECT_EQ(journal.sessions[1].collected_time, 0);
  EXPECT_TRUE(journal.sessions[1].finished);
  EXPECT_EQ(journal.sessions[1].exit_status, 1);
}

TEST_F(JournalTest, WriterGivesTheRunningTestAResultAfterATornLine) {
  double now = 10;
  JournalWriter writer(file_, [&now] { return now; });
  writer.WriteRun("r1", "s/shard-00", 0);
  Append(std::string(kSession) + kStartA + R"({"event":"result","nod)");
  now = 12.5;
  EXPECT_TRUE(writer.WriteRunningTest(Outcome::kCrashed, "crashed: signal 11"));
  EXPECT_FALSE(writer.WriteRunningTest(Outcome::kCrashed, "again"));  // it has its result
  ShardJournal journal = ReadJournal(file_);
  ASSERT_EQ(journal.results.size(), 1u);
  EXPECT_EQ(journal.results[0].node_id, "t.py::a");
  EXPECT_EQ(journal.results[0].outcome, "crashed");
  EXPECT_DOUBLE_EQ(journal.results[0].duration, 10.5);  // since its start record
  EXPECT_EQ(journal.run_id, "r1");
}

TEST_F(JournalTest, WriterJournalsOnlyTheNodeIdsWithoutAResultAsMissing) {
  JournalWriter writer(file_, [] { return 3.0; });
  writer.WriteRun("r1", "s/shard-00", 0);
  Append(std::string(kSession) + kStartA + kResultA);
  writer.tail().Poll();
  writer.WriteMissing({"t.py::a", "t.py::b"});
  ShardJournal summary;
  summary.entry = "s/shard-00";
  summary.exit_code = 1;
  summary.restarts = 2;
  writer.WriteShard(summary);
  ShardJournal journal = ReadJournal(file_);
  ASSERT_EQ(journal.results.size(), 2u);
  EXPECT_EQ(journal.results[1].node_id, "t.py::b");
  EXPECT_EQ(journal.results[1].outcome, "missing");
  EXPECT_EQ(journal.results[1].message, "never ran: t.py::b");
  EXPECT_TRUE(journal.finished);
  EXPECT_EQ(journal.exit_code, 1);
  EXPECT_EQ(journal.restarts, 2);
}

}  // namespace
}  // namespace pytest_shards
