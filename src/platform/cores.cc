#include "platform/cores.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <vector>

#include "platform/platform.h"
#include "util/error.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// Whole words of the file's first line; empty when it cannot be read.
std::vector<std::string> Words(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::istringstream words(line);
  std::vector<std::string> result;
  for (std::string word; words >> word;) result.push_back(word);
  return result;
}

long Number(const std::string& text) {
  try {
    size_t used = 0;
    long value = std::stol(text, &used);
    return used == text.size() ? value : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

// ceil(quota / period); 0 for no quota (-1, "max") or nonsense.
int QuotaCores(long quota, long period) {
  if (quota <= 0 || period <= 0) return 0;
  return static_cast<int>((quota + period - 1) / period);
}

// cgroup v2: cpu.max is "<quota> <period>" or "max <period>".
int V2Quota(const fs::path& dir) {
  std::vector<std::string> words = Words(dir / "cpu.max");
  if (words.size() != 2) return 0;
  return QuotaCores(Number(words[0]), Number(words[1]));
}

// cgroup v1 CFS: two files, the quota -1 when unlimited.
int V1Quota(const fs::path& dir) {
  std::vector<std::string> quota = Words(dir / "cpu.cfs_quota_us");
  std::vector<std::string> period = Words(dir / "cpu.cfs_period_us");
  if (quota.size() != 1 || period.size() != 1) return 0;
  return QuotaCores(Number(quota[0]), Number(period[0]));
}

// The smallest quota from the cgroup up to the mount's root. Directories
// that do not exist are skipped: without a cgroup namespace a container
// sees its host's path, but its own cgroup mounted as the root.
int SmallestOnPath(const fs::path& mount, const std::string& cgroup,
                   const std::function<int(const fs::path&)>& quota_of) {
  int smallest = 0;
  fs::path relative = fs::path(cgroup).relative_path();
  while (true) {
    std::error_code ec;
    fs::path dir = mount / relative;
    if (fs::is_directory(dir, ec)) {
      int quota = quota_of(dir);
      if (quota > 0 && (smallest == 0 || quota < smallest)) smallest = quota;
    }
    if (relative.empty()) return smallest;
    relative = relative.parent_path();
  }
}

bool HasController(const std::string& list, const std::string& name) {
  std::istringstream controllers(list);
  for (std::string controller; std::getline(controllers, controller, ',');)
    if (controller == name) return true;
  return false;
}

}  // namespace

int CgroupQuotaCores(const fs::path& root) {
  // Lines "<hierarchy>:<controllers>:<path>"; v2's is "0::<path>".
  std::ifstream in(root / "proc/self/cgroup");
  std::string v1_controllers, v1_path, v2_path;
  bool v2 = false;
  for (std::string line; std::getline(in, line);) {
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty()) {
      v2 = true;
      v2_path = path;
    } else if (HasController(controllers, "cpu")) {
      v1_controllers = controllers;
      v1_path = path;
    }
  }
  fs::path cgroups = root / "sys/fs/cgroup";
  // On a hybrid host the cpu controller lives in v1 when a v1 line names it.
  if (!v1_controllers.empty()) {
    std::error_code ec;
    fs::path mount = cgroups / v1_controllers;
    if (!fs::is_directory(mount, ec)) mount = cgroups / "cpu";
    return SmallestOnPath(mount, v1_path, V1Quota);
  }
  if (v2) return SmallestOnPath(cgroups, v2_path, V2Quota);
  return 0;
}

int UsableCores(int affinity, int quota, int fallback) {
  int cores = affinity > 0 ? affinity : fallback;
  if (quota > 0 && (affinity <= 0 || quota < cores)) cores = quota;
  return std::max(cores, 1);
}

int CoresOverride(const std::string& value, int detected) {
  if (value.empty()) return detected;
  bool digits =
      value.size() <= 6 && value[0] != '0' &&
      std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits)
    throw Error("PYTEST_SHARDS_CORES='" + value +
                "' is not a positive whole number; set it like 4, or unset it to use the " +
                std::to_string(detected) + " cores this process may use");
  return std::stoi(value);
}

int DetectedCores() {
  int fallback = static_cast<int>(std::thread::hardware_concurrency());
  return UsableCores(AffinityCores(), CgroupQuotaCores("/"), fallback);
}

int DetectCores() {
  const char* value = std::getenv("PYTEST_SHARDS_CORES");
  return CoresOverride(value ? value : "", DetectedCores());
}

}  // namespace pytest_shards
