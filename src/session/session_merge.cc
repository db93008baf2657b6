#include "session/session_merge.h"

#include <map>
#include <set>

#include "data/runs.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "pytest-shards-session/1";

// reports/<index>.jsonl and coverage/<index>.<pid>: the entry index, and
// the rest of the name after it.
bool SplitPartName(const std::string& name, std::string* index, std::string* rest) {
  size_t dot = name.find('.');
  if (dot == 0 || dot == std::string::npos) return false;
  *index = name.substr(0, dot);
  *rest = name.substr(dot);
  return index->find_first_not_of("0123456789") == std::string::npos;
}

// Copies `job`'s files of `kind` (reports, coverage) to `session_dir`,
// with each entry's index replaced by its new one.
void CopyRenumbered(const fs::path& job, const std::string& kind,
                    const std::map<std::string, int>& renumber, const fs::path& session_dir) {
  std::error_code ec;
  if (!fs::is_directory(job / kind, ec)) return;
  fs::create_directories(session_dir / kind);
  for (const fs::directory_entry& file : fs::directory_iterator(job / kind)) {
    std::string index, rest;
    if (!SplitPartName(file.path().filename().string(), &index, &rest)) continue;
    auto found = renumber.find(index);
    if (found == renumber.end()) continue;  // an entry run.json does not name
    fs::copy_file(file.path(), session_dir / kind / (std::to_string(found->second) + rest),
                  fs::copy_options::overwrite_existing);
  }
}

}  // namespace

SessionParts ReadSessionParts(const fs::path& dir) {
  fs::path file = dir / "run.json";
  std::error_code ec;
  if (!fs::exists(file, ec))
    throw Error(dir.string() +
                " has no run.json: it is not a session directory, or its job's session step "
                "did not run (copy it with pytest-shards report --session-parts after ctest)");
  SessionParts parts{dir, json::parse(ReadFile(file), nullptr, /*allow_exceptions=*/false)};
  if (!parts.run.is_object() || parts.run.value("format", "") != kFormat)
    throw Error(file.string() + " is not " + kFormat + "; copy the job's session directory again");
  return parts;
}

json MergeSessionParts(const std::vector<SessionParts>& jobs, const Collection& collection,
                       const fs::path& session_dir) {
  std::map<std::string, std::string> job_of;  // node ID -> the job that ran it
  std::vector<std::string> job_order;
  json entries = json::array(), results = json::object(), pytest_ids = json::object();
  double start = 0;
  int next_index = 0;
  for (const SessionParts& job : jobs) {
    for (const json& id : job.run.at("order")) {
      auto [it, added] = job_of.emplace(id.get<std::string>(), job.dir.string());
      if (!added)
        throw Error(id.get<std::string>() + " ran in two jobs (" + it->second + " and " +
                    job.dir.string() + "); each test must run in exactly one slice");
      job_order.push_back(it->first);
    }
    std::map<std::string, int> renumber;
    for (json entry : job.run.at("entries")) {
      renumber[std::to_string(entry.at("index").get<int>())] = next_index;
      entry["index"] = next_index++;
      entry["name"] = entry.at("name").get<std::string>() + " [" + job.dir.string() + "]";
      entries.push_back(entry);
    }
    CopyRenumbered(job.dir, "reports", renumber, session_dir);
    CopyRenumbered(job.dir, "coverage", renumber, session_dir);
    results.update(job.run.value("results", json::object()));
    pytest_ids.update(job.run.value("pytest_ids", json::object()));
    double job_start = job.run.value("start", 0.0);
    if (job_start > 0 && (start == 0 || job_start < start)) start = job_start;
  }
  json order = json::array();
  std::set<std::string> ordered;
  auto add = [&](const std::string& id) {
    if (job_of.count(id) && ordered.insert(id).second) order.push_back(id);
  };
  for (const CollectionError& error : collection.errors) add(error.node_id);
  for (const Item& item : collection.items) add(item.node_id);
  for (const std::string& id : job_order) add(id);
  return {{"format", kFormat},        {"start", start},     {"order", order},
          {"pytest_ids", pytest_ids}, {"entries", entries}, {"results", results}};
}

void CopySessionParts(const fs::path& suite_dir, const std::string& run_id, const fs::path& out) {
  fs::path from = RunSessionDir(suite_dir, run_id);
  std::error_code ec;
  if (!fs::exists(from / "run.json", ec))
    throw Error("run " + run_id + " of " + suite_dir.string() +
                " has no session outputs to copy (its suite asks for none, or its session "
                "step did not run)");
  fs::create_directories(out);
  fs::copy(from, out, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

}  // namespace pytest_shards
