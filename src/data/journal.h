// The per-test result journal of one CTest entry: runs/<run id>/journal/
// <index>.jsonl in the suite directory (runs.h), one JSON object per line,
// appended and flushed as tests run so that it survives kill -9. The pytest
// plugin writes the test records; the runner writes the records about the
// process around them (JournalWriter). ReadJournal reads a finished one,
// JournalTail follows one while it is written.
//
// Records ("event" field):
//   run       {run_id, entry, index, time}            runner, first line
//   session   {pid, time}                             plugin, pytest started
//   collected {count, time}                           plugin, shard's items known
//   start     {nodeid, time}                          plugin, test begins
//   result    {nodeid, outcome, duration, time, message[, interrupted]}
//             outcome: passed failed error skipped xfailed xpassed, and from
//             the runner: crashed timeout missing (outcome.h); interrupted:
//             the signal that stopped the entry before this test ended
//             (missing only)
//   finish    {exitstatus, time}                      plugin, session over
//   teardown  {nodeid, message, time}                 plugin, after the entry: a
//             warm worker's session failed to tear down when the worker ended
//             after this test, the last it ran; the result becomes an error
//   shard     {entry, wall, startup, peak_rss_kb, exit, restarts[, cold][, interrupted]}
//             runner, last line. cold: why the entry started pytest cold
//             instead of forking it from the warm interpreter (warm_run.h);
//             interrupted: the signal (SIGINT, SIGTERM, SIGHUP) that stopped it
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/outcome.h"

namespace pytest_shards {

struct TestResult {
  std::string node_id;
  std::string outcome;  // an OutcomeName, or a newer writer's word
  double duration = 0;  // setup + call + teardown seconds
  std::string message;  // failure text; empty on success
  // A `missing` result of a test that an interrupt (this signal) stopped
  // before it ended: the run was cut short, the test did not fail; 0
  // otherwise.
  int interrupted = 0;

  // An interrupt kept this test from running to its end: a `missing`
  // result with `interrupted`.
  bool NotRun() const { return interrupted != 0 && ParseOutcome(outcome) == Outcome::kMissing; }
};

// One pytest process's session, from its session record on.
struct Session {
  double time = 0;            // when it started
  long pid = 0;               // of the pytest process; 0 when unknown
  double collected_time = 0;  // when its shard's items were known; 0: not yet
  bool finished = false;      // it wrote its finish record
  int exit_status = 0;        // of the finish record
};

struct ShardJournal {
  std::string run_id;
  std::string entry;
  int index = -1;
  std::vector<std::string> started;  // node IDs in start order
  std::vector<TestResult> results;
  std::vector<Session> sessions;  // one per pytest run
  bool finished = false;          // a "shard" record was written
  double wall = 0;
  double startup = 0;
  long peak_rss_kb = 0;
  int exit_code = 0;
  int restarts = 0;
  std::string cold;     // why it did not fork from the warm interpreter; empty: it did or need not
  int interrupted = 0;  // the signal that stopped the entry; 0: none did
  // For the timeline (report_html.h), in seconds since the epoch; 0 when
  // unknown. start: the "run" record's time, when the runner began. end: the
  // latest time of any record: the closing "shard" record's, or the last
  // sign of life of an entry killed mid-run.
  double start = 0;
  double end = 0;
};

// Reads what is there. A torn last line (the writer was killed mid-write) is
// ignored; any other malformed line throws Error naming the file and line.
// Records of unknown events are skipped. Throws Error when the file cannot
// be read (callers check existence first when "never ran" is an answer).
ShardJournal ReadJournal(const std::filesystem::path& file);

// Cuts a torn last line (one without its newline) off the file, so that the
// next writer's records start on a line of their own instead of gluing onto
// it into a corrupt middle line. The runner calls this before it appends
// after a pytest that was killed. No-op when the file is missing or clean.
void RepairJournal(const std::filesystem::path& file);

// Follows a journal while it is being written (the runner watching pytest).
// Each Poll() reads the complete lines appended since the last one; a line
// still without its newline waits for the next Poll(). Throws Error like
// ReadJournal for a malformed complete line.
class JournalTail {
 public:
  explicit JournalTail(std::filesystem::path path);

  void Poll();

  // The test that started but has no result yet; empty if none. A new
  // pytest session or a finished one clears it.
  const std::string& running() const { return running_; }
  // The start record's time of running().
  double running_since() const { return running_since_; }
  const std::vector<std::string>& started() const { return journal_.started; }
  const std::vector<TestResult>& results() const { return journal_.results; }
  const std::vector<Session>& sessions() const { return journal_.sessions; }
  // Everything read so far: run_id is set once the runner's first record
  // is in, finished once its closing record is.
  const ShardJournal& journal() const { return journal_; }
  // The latest outcome of every node ID with a result.
  std::map<std::string, std::string> LatestOutcomes() const;

 private:
  void TrackRunning(const nlohmann::json& record, int line);

  std::filesystem::path path_;
  long long offset_ = 0;  // bytes of complete lines consumed
  int line_ = 0;          // complete lines consumed
  ShardJournal journal_;
  std::string running_;
  double running_since_ = 0;
};

// The runner's records, each appended as one line with one write: the
// plugin appends to the same file, and so whole lines stay whole. It reads
// the file too (tail()), since what it writes depends on what pytest wrote.
class JournalWriter {
 public:
  // `now` gives the records' time, in seconds since the epoch like the
  // plugin's (a test passes a fake clock).
  JournalWriter(std::filesystem::path path, std::function<double()> now);

  const std::filesystem::path& path() const { return path_; }
  // What the file holds, as of the last Poll() or write.
  JournalTail& tail() { return tail_; }

  // The first record: a new file (its directory created) with the run.
  void WriteRun(const std::string& run_id, const std::string& entry, int index);
  // `interrupted`: see TestResult::interrupted.
  void WriteResult(const std::string& node_id, Outcome outcome, double duration,
                   const std::string& message, int interrupted = 0);
  // After pytest died: cuts a torn last line off (RepairJournal) and reads
  // the rest.
  void CatchUp();
  // Gives the test pytest was running when it was killed or died `outcome`
  // (crashed, timeout; missing when interrupted, with the signal as
  // `interrupted`). False, and nothing written, when no test was running
  // after all.
  bool WriteRunningTest(Outcome outcome, const std::string& message, int interrupted = 0);
  // Gives each of `node_ids` that has no result `missing` ("never ran: <id>"),
  // with `interrupted` when a signal stopped the entry.
  void WriteMissing(const std::vector<std::string>& node_ids, int interrupted = 0);
  // The last record: entry, wall, startup, peak_rss_kb, exit_code,
  // restarts, cold and interrupted of `summary`.
  void WriteShard(const ShardJournal& summary);

 private:
  void Append(nlohmann::json record, bool truncate = false);

  std::filesystem::path path_;
  std::function<double()> now_;
  JournalTail tail_;
};

}  // namespace pytest_shards
