// What the watch tests share: a suite directory with a planned run whose
// journals tests append to as the runner and the plugin write them.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/durations.h"
#include "data/runs.h"
#include "plan/plan_file.h"
#include "test_dir.h"
#include "util/file_util.h"

namespace pytest_shards {

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The bytes a log must not hold: every control character but the newline.
inline bool HasControlCharacter(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9F)
      return true;
  }
  return false;
}

class WatchDir : public TestDirFixture {
 protected:
  // A suite's run as a ctest start plans it: two entries.
  void WritePlan(const std::filesystem::path& suite_dir, const std::string& run_id) {
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

  void WriteDurations(const std::filesystem::path& suite_dir) {
    Durations durations;
    durations.tests = {
        {"t.py::a", 1}, {"t.py::b", 2}, {"t.py::c", 4}, {"u.py::d", 3}, {"u.py::e", 5}};
    durations.startup = 0.5;
    WriteFileAtomic(suite_dir / "durations.json", DurationsToJson(durations).dump());
  }

  static void Append(const std::filesystem::path& journal,
                     const std::vector<nlohmann::json>& records) {
    std::filesystem::create_directories(journal.parent_path());
    std::ofstream out(journal, std::ios::app);
    for (const nlohmann::json& record : records) out << record.dump() << "\n";
  }

  static nlohmann::json Run(int index, const std::string& run_id) {
    return {{"event", "run"},
            {"run_id", run_id},
            {"entry", "suite/shard-0" + std::to_string(index)},
            {"index", index},
            {"time", 90.0}};
  }
  static nlohmann::json Start(const std::string& node_id, double time) {
    return {{"event", "start"}, {"nodeid", node_id}, {"time", time}};
  }
  static nlohmann::json Result(const std::string& node_id, const std::string& outcome,
                               const std::string& message = "") {
    return {{"event", "result"}, {"nodeid", node_id}, {"outcome", outcome},
            {"duration", 1.0},   {"time", 99.0},      {"message", message}};
  }
  static nlohmann::json Shard(int index) {
    return {{"event", "shard"}, {"entry", "suite/shard-0" + std::to_string(index)},
            {"wall", 3.0},      {"startup", 0.5},
            {"peak_rss_kb", 1}, {"exit", 1},
            {"restarts", 0}};
  }

  std::filesystem::path Journal(const std::string& run_id, int index) {
    return RunJournalDir(dir_, run_id) / (std::to_string(index) + ".jsonl");
  }
};

}  // namespace pytest_shards
