// The per-test result journal of one CTest entry: journal/<index>.jsonl in
// the suite directory, one JSON object per line, appended and flushed as
// tests run so that it survives kill -9. The pytest plugin writes the test
// records; the runner writes the records about the process around them.
//
// Records ("event" field):
//   run       {run_id, entry, index, time}            runner, first line
//   session   {pid, time}                             plugin, pytest started
//   collected {count, time}                           plugin, shard's items known
//   start     {nodeid, time}                          plugin, test begins
//   result    {nodeid, outcome, duration, time, message}
//             outcome: passed failed error skipped xfailed xpassed, and from
//             the runner: crashed timeout missing
//   finish    {exitstatus, time}                      plugin, session over
//   shard     {entry, wall, startup, peak_rss_kb, exit, restarts}  runner, last line
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pytest_shards {

struct TestResult {
  std::string node_id;
  std::string outcome;
  double duration = 0;  // setup + call + teardown seconds
  std::string message;  // failure text; empty on success
};

struct ShardJournal {
  std::string run_id;
  std::string entry;
  int index = -1;
  std::vector<std::string> started;  // node IDs in start order
  std::vector<TestResult> results;
  bool finished = false;  // a "shard" record was written
  double wall = 0;
  double startup = 0;
  long peak_rss_kb = 0;
  int exit_code = 0;
  int restarts = 0;
};

// Reads what is there. A torn last line (the writer was killed mid-write) is
// ignored; any other malformed line throws Error naming the file.
ShardJournal ReadJournal(const std::filesystem::path& file);

// Outcomes that make an entry fail.
bool IsFailure(const std::string& outcome);

}  // namespace pytest_shards
