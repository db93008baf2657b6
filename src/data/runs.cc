#include "data/runs.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <system_error>
#include <utility>

#include "platform/file_lock.h"
#include "platform/platform.h"
#include "util/file_util.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

constexpr const char* kJournalExtension = ".jsonl";

// (microseconds, pid) of a run ID; nullopt for names that are not run IDs.
std::optional<std::pair<long long, long long>> ParseRunId(const std::string& name) {
  size_t dash = name.find('-');
  if (dash == 0 || dash == std::string::npos || dash + 1 == name.size()) return std::nullopt;
  for (size_t i = 0; i < name.size(); ++i) {
    if (i != dash && !std::isdigit(static_cast<unsigned char>(name[i]))) return std::nullopt;
  }
  if (dash > 18 || name.size() - dash - 1 > 18) return std::nullopt;  // fits long long
  return std::make_pair(std::stoll(name.substr(0, dash)), std::stoll(name.substr(dash + 1)));
}

bool HasJournal(const fs::path& suite_dir, const std::string& run_id) {
  std::error_code ec;
  fs::directory_iterator it(RunJournalDir(suite_dir, run_id), ec);
  return !ec && it != fs::directory_iterator();
}

// The newest of `ids` (oldest first) with a plan and a journal, or "".
std::string LastRunOf(const fs::path& suite_dir, const std::vector<std::string>& ids) {
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    std::error_code ec;
    if (HasJournal(suite_dir, *it) && fs::exists(RunPlanFile(suite_dir, *it), ec)) return *it;
  }
  return "";
}

// The run's directory or some file in it changed after `since`. The
// directory's own time counts: a ctest start creates it a moment before it
// writes plan.json into it, and a run directory still empty then is another
// ctest's run being planned, not an abandoned one.
bool ChangedSince(const fs::path& run_dir, fs::file_time_type since) {
  std::error_code ec;
  fs::file_time_type own = fs::last_write_time(run_dir, ec);
  if (!ec && own > since) return true;
  for (fs::recursive_directory_iterator it(run_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code time_ec;
    fs::file_time_type time = fs::last_write_time(it->path(), time_ec);
    if (!time_ec && time > since) return true;
  }
  return false;
}

}  // namespace

fs::path SettingsFile(const fs::path& suite_dir) { return suite_dir / "settings.json"; }
fs::path CollectionFile(const fs::path& suite_dir) { return suite_dir / "collection.json"; }
fs::path CollectionStampsFile(const fs::path& suite_dir) {
  return suite_dir / "collection.stamps.json";
}
fs::path CollectLogFile(const fs::path& suite_dir) { return suite_dir / "collect.log"; }
fs::path DurationsFile(const fs::path& suite_dir) { return suite_dir / "durations.json"; }
fs::path TmpRoot(const fs::path& suite_dir) { return suite_dir / "tmp"; }
fs::path RewriteCacheDir(const fs::path& suite_dir) { return suite_dir / "rewrite-cache"; }
fs::path PortLockFile(const fs::path& suite_dir) { return suite_dir.parent_path() / "ports.lock"; }

fs::path RunsDir(const fs::path& suite_dir) { return suite_dir / "runs"; }

std::string NewRunId() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  return std::to_string(micros) + "-" + std::to_string(CurrentProcessId());
}

fs::path RunDir(const fs::path& suite_dir, const std::string& run_id) {
  return RunsDir(suite_dir) / run_id;
}

fs::path RunPlanFile(const fs::path& suite_dir, const std::string& run_id) {
  return RunDir(suite_dir, run_id) / "plan.json";
}

fs::path RunJournalDir(const fs::path& suite_dir, const std::string& run_id) {
  return RunDir(suite_dir, run_id) / "journal";
}

fs::path RunSessionDir(const fs::path& suite_dir, const std::string& run_id) {
  return RunDir(suite_dir, run_id) / "session";
}

fs::path JournalFile(const fs::path& suite_dir, const std::string& run_id, std::size_t index) {
  return RunJournalDir(suite_dir, run_id) / (std::to_string(index) + kJournalExtension);
}

std::optional<std::size_t> JournalIndex(const fs::path& file) {
  if (file.extension() != kJournalExtension) return std::nullopt;
  std::string stem = file.stem().string();
  if (stem.empty() || stem.size() > 9) return std::nullopt;
  for (char c : stem)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::stoul(stem);
}

fs::path RunTestsFile(const fs::path& suite_dir, const std::string& run_id) {
  return RunDir(suite_dir, run_id) / "tests.cmake";
}

fs::path TailClaimsFile(const fs::path& suite_dir, const std::string& run_id) {
  return RunDir(suite_dir, run_id) / "shared-tail.claims";
}

fs::path RunLockFile(const fs::path& suite_dir, const std::string& run_id) {
  return RunDir(suite_dir, run_id) / "lock";
}

fs::path WarmDir(const fs::path& suite_dir, const std::string& run_id) {
  return suite_dir / "warm" / run_id;
}

std::optional<std::string> WarmUnavailable(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "unavailable", ec)) return std::nullopt;
  std::string reason = LastLine(dir / "unavailable");
  return reason.empty() ? "unavailable" : reason;
}

std::vector<std::string> RunIds(const fs::path& suite_dir) {
  std::vector<std::pair<std::pair<long long, long long>, std::string>> runs;
  std::error_code ec;
  for (fs::directory_iterator it(RunsDir(suite_dir), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (auto key = ParseRunId(name)) runs.emplace_back(*key, name);
  }
  std::sort(runs.begin(), runs.end());
  std::vector<std::string> ids;
  for (auto& run : runs) ids.push_back(std::move(run.second));
  return ids;
}

std::string NewestRun(const fs::path& suite_dir) {
  std::vector<std::string> ids = RunIds(suite_dir);
  return ids.empty() ? "" : ids.back();
}

std::string LastRun(const fs::path& suite_dir) { return LastRunOf(suite_dir, RunIds(suite_dir)); }

std::vector<fs::path> FindSuites(const fs::path& build_dir) {
  std::vector<fs::path> suites;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(build_dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path() == RunsDir(it->path().parent_path()) &&
        it->path().parent_path().parent_path().filename() == "pytest-shards")
      suites.push_back(it->path().parent_path());
  std::sort(suites.begin(), suites.end());
  return suites;
}

void PruneRuns(const fs::path& suite_dir, const std::string& keep, std::chrono::seconds recent) {
  std::vector<std::string> ids = RunIds(suite_dir);
  std::string last = LastRunOf(suite_dir, ids);
  auto since = fs::file_time_type::clock::now() - recent;
  for (const std::string& id : ids) {
    if (id == keep || id == last) continue;
    fs::path dir = RunDir(suite_dir, id);
    if (ChangedSince(dir, since)) continue;
    std::optional<FileLock> lock;
    try {
      lock = FileLock::TryLock(RunLockFile(suite_dir, id), FileLock::Mode::kExclusive);
    } catch (const std::exception&) {
      continue;  // cannot tell: keep it
    }
    if (!lock) continue;  // a runner is still in it
    std::error_code ec;
    fs::remove_all(dir, ec);  // best effort: the next plan tries again
  }
}

}  // namespace pytest_shards
