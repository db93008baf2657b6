#include "report/report_export.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "util/hash.h"

namespace pytest_shards {

using nlohmann::json;

namespace {

// pytest's node ID and the module path of a pytest-shards node ID.
using PytestName = std::pair<std::string, std::string>;

std::map<std::string, PytestName> PytestNames(const Collection& collection) {
  std::map<std::string, PytestName> names;
  for (const Item& item : collection.items) names[item.node_id] = {item.PytestNodeId(), item.path};
  for (const CollectionError& error : collection.errors)
    names.emplace(error.node_id, PytestName{error.node_id, error.path});
  return names;
}

PytestName FromPlan(const PlanFile& plan, const std::string& node_id) {
  std::string part(ModulePart(node_id));
  auto found = plan.module_paths.find(part);
  if (found != plan.module_paths.end()) return {node_id, found->second};
  return {node_id, (std::filesystem::path(plan.rootdir) / part).lexically_normal().string()};
}

json EntryJson(const EntryRow& row) {
  return {{"name", row.name},       {"status", EntryStatusName(row.Status())},
          {"tests", row.tests},     {"wall", row.wall},
          {"startup", row.startup}, {"peak_rss_kb", row.peak_rss_kb},
          {"exit", row.exit_code},  {"restarts", row.restarts}};
}

// Every node ID of the collection, also those of other jobs' slices: what
// `pytest-shards merge` checks the jobs' results against.
json Collected(const std::map<std::string, PytestName>& names) {
  json collected = json::array();
  for (const auto& [id, name] : names)
    collected.push_back({{"id", id}, {"nodeid", name.first}, {"path", name.second}});
  return collected;
}

}  // namespace

std::string CollectionIdentity(const Collection& collection) {
  std::vector<std::string> ids;
  for (const Item& item : collection.items) ids.push_back(item.node_id);
  for (const CollectionError& error : collection.errors) ids.push_back(error.node_id);
  std::sort(ids.begin(), ids.end());
  Hasher hasher;
  for (const std::string& id : ids) hasher.Add(id);
  return hasher.Hex();
}

json ExportSuite(const Report& report, const PlanFile& plan, const Collection& collection) {
  std::map<std::string, PytestName> names = PytestNames(collection);
  json tests = json::array();
  for (const ReportResult& result : report.results) {
    const TestResult& test = result.test;
    auto found = names.find(test.node_id);
    PytestName name = found != names.end() ? found->second : FromPlan(plan, test.node_id);
    json exported = {
        {"id", test.node_id},        {"nodeid", name.first},
        {"path", name.second},       {"outcome", test.NotRun() ? kNotRunOutcome : test.outcome},
        {"duration", test.duration}, {"message", test.message},
        {"entry", result.entry}};
    if (test.NotRun()) exported["interrupted"] = test.interrupted;
    tests.push_back(std::move(exported));
  }
  json entries = json::array();
  for (const EntryRow& row : report.entries) entries.push_back(EntryJson(row));
  json suite = {
      {"suite", report.suite},
      {"run_id", report.run_id},
      {"collection", CollectionIdentity(collection)},
      {"collected", Collected(names)},
      {"tests", tests},
      {"entries", entries},
      {"slice",
       {{"index", plan.slice.index}, {"count", plan.slice.count}, {"source", plan.slice_source}}}};
  // Only when interrupted: an uninterrupted run's export is as before.
  if (report.interrupted != 0) suite["interrupted"] = report.interrupted;
  return suite;
}

json ExportDocument(const std::vector<json>& suites) {
  return {{"format", kExportFormat}, {"suites", suites}};
}

}  // namespace pytest_shards
