#include "plan/last_tests_failed.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "data/runs.h"
#include "util/error.h"

namespace pytest_shards {

namespace fs = std::filesystem;

std::vector<FailedTest> ParseLastTestsFailed(const std::string& text) {
  std::vector<FailedTest> tests;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    // atoi, as CTest reads the number.
    tests.push_back({std::atoi(line.substr(0, colon).c_str()), line.substr(colon + 1)});
  }
  return tests;
}

fs::path CtestTestDir(const std::vector<std::string>& argv, const fs::path& cwd) {
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string dir;
    if (argv[i] == "--test-dir" && i + 1 < argv.size()) dir = argv[i + 1];
    if (argv[i].rfind("--test-dir=", 0) == 0) dir = argv[i].substr(11);
    if (!dir.empty() && fs::path(dir).is_absolute()) return dir;
  }
  std::error_code ec;
  for (fs::path dir = cwd; !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "CMakeCache.txt", ec)) return dir;
    if (dir == dir.parent_path()) break;
  }
  return {};
}

namespace {

// The newest LastTestsFailed*.log in `temporary`, as CTest picks it (a
// dashboard run's name carries its tag); empty when there is none.
fs::path NewestLog(const fs::path& temporary, fs::file_time_type* written) {
  std::error_code ec;
  fs::path newest;
  for (fs::directory_iterator it(temporary, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind("LastTestsFailed", 0) != 0) continue;
    fs::file_time_type time = fs::last_write_time(it->path(), ec);
    if (ec) continue;
    if (newest.empty() || time > *written) newest = it->path(), *written = time;
  }
  return newest;
}

}  // namespace

std::optional<LastTestsFailedLog> ReadLastTestsFailed(const std::vector<std::string>& argv,
                                                      const fs::path& cwd) {
  if (std::find(argv.begin(), argv.end(), "--rerun-failed") == argv.end()) return std::nullopt;
  fs::path dir = CtestTestDir(argv, cwd);
  if (dir.empty()) return std::nullopt;
  LastTestsFailedLog log;
  fs::path file = NewestLog(dir / "Testing" / "Temporary", &log.written);
  if (file.empty()) return log;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  log.tests = ParseLastTestsFailed(text.str());
  return log;
}

std::vector<std::string> RerunEntries(const LastTestsFailedLog& log,
                                      const std::vector<std::string>& before, const Plan& plan) {
  std::vector<std::string> names;
  for (const Entry& entry : plan.entries) names.push_back(entry.name);
  if (log.tests.empty()) return names;
  // The number of the suite's first entry, by each logged entry of `before`.
  std::set<int> firsts;
  for (const FailedTest& test : log.tests) {
    auto found = std::find(before.begin(), before.end(), test.name);
    if (found != before.end())
      firsts.insert(test.number - static_cast<int>(found - before.begin()));
  }
  std::vector<std::string> rerun;
  if (firsts.size() == 1) {
    for (const FailedTest& test : log.tests) {
      int index = test.number - *firsts.begin();
      if (index >= 0 && index < static_cast<int>(names.size())) rerun.push_back(names[index]);
    }
  } else {
    for (const FailedTest& test : log.tests)
      if (std::find(names.begin(), names.end(), test.name) != names.end())
        rerun.push_back(test.name);
  }
  std::sort(rerun.begin(), rerun.end());
  rerun.erase(std::unique(rerun.begin(), rerun.end()), rerun.end());
  return rerun;
}

std::optional<PlanFile> PlanBefore(const fs::path& suite_dir, const std::string& run_id,
                                   fs::file_time_type written) {
  std::vector<std::string> runs = RunIds(suite_dir);
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    if (*it == run_id) continue;
    std::error_code ec;
    fs::path plan_file = RunPlanFile(suite_dir, *it);
    fs::file_time_type time = fs::last_write_time(plan_file, ec);
    if (ec || time > written) continue;
    try {
      return ReadPlanFile(plan_file, "");
    } catch (const Error&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<std::string> EntryNames(const std::optional<PlanFile>& plan) {
  std::vector<std::string> names;
  if (plan)
    for (const Entry& entry : plan->plan.entries) names.push_back(entry.name);
  return names;
}

namespace {

// Every node ID of `plan`, sorted: the tests it runs, however grouped.
std::vector<std::string> PlannedTests(const Plan& plan) {
  std::vector<std::string> ids;
  for (const Entry& entry : plan.entries)
    ids.insert(ids.end(), entry.node_ids.begin(), entry.node_ids.end());
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool SamePlanInputs(const PlanFile& a, const PlanFile& b) {
  return SettingsToJson(a.settings) == SettingsToJson(b.settings) &&
         a.slice.index == b.slice.index && a.slice.count == b.slice.count &&
         PlannedTests(a.plan) == PlannedTests(b.plan);
}

}  // namespace

Plan PlanForRerun(const LastTestsFailedLog& log, const std::optional<PlanFile>& before,
                  const PlanFile& fresh) {
  if (log.tests.empty() || !before || !SamePlanInputs(*before, fresh)) return fresh.plan;
  return before->plan;
}

}  // namespace pytest_shards
