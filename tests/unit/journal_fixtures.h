// Plans, journals and a suite directory written as the runner and the
// plugin write them: what the report and durations learning read.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/journal.h"
#include "data/runs.h"
#include "plan/plan_file.h"
#include "test_dir.h"
#include "util/file_util.h"

namespace pytest_shards {

inline Entry MakeEntry(const std::string& name, std::vector<std::string> node_ids) {
  Entry entry;
  entry.name = name;
  entry.node_ids = std::move(node_ids);
  return entry;
}

inline PlanFile MakePlan(std::vector<Entry> entries, const std::string& run_id = "2000-1") {
  PlanFile plan;
  plan.run_id = run_id;
  plan.settings.suite = "suite";
  plan.plan.entries = std::move(entries);
  return plan;
}

inline ShardJournal MakeJournal(int index, const std::string& entry,
                                std::vector<TestResult> results, bool finished = true,
                                const std::string& run_id = "2000-1") {
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

inline TestResult Passed(const std::string& node_id, double duration = 0.1) {
  return {node_id, "passed", duration, ""};
}

// A suite directory (see runs.h) that tests write runs into.
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
    std::filesystem::create_directories(RunJournalDir(dir_, run_dir_id_));
    std::ofstream out(RunJournalDir(dir_, run_dir_id_) / (std::to_string(index) + ".jsonl"));
    std::string entry = "suite/shard-0" + std::to_string(index);
    out << nlohmann::json{{"event", "run"},
                          {"run_id", run_id},
                          {"entry", entry},
                          {"index", index},
                          {"time", 1.0}}
               .dump()
        << "\n";
    out << nlohmann::json{{"event", "session"}, {"pid", 42}, {"time", 1.1}}.dump() << "\n";
    for (const TestResult& r : results) {
      out << nlohmann::json{{"event", "start"}, {"nodeid", r.node_id}, {"time", 1.2}}.dump()
          << "\n";
      out << nlohmann::json{{"event", "result"},      {"nodeid", r.node_id}, {"outcome", r.outcome},
                            {"duration", r.duration}, {"time", 1.3},         {"message", r.message}}
                 .dump()
          << "\n";
    }
    if (finished)
      out << nlohmann::json{{"event", "shard"}, {"entry", entry},      {"wall", 3.0},
                            {"startup", 0.6},   {"peak_rss_kb", 2048}, {"exit", 0},
                            {"restarts", 0}}
                 .dump()
          << "\n";
    if (torn_tail) out << "{\"event\": \"start\", \"nodeid\": \"t.p";
  }

  std::string run_dir_id_;
};

}  // namespace pytest_shards
