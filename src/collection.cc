#include "collection.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "error.h"

namespace pytest_shards {

using nlohmann::json;

const Marker* Item::FindMarker(std::string_view name) const {
  for (const Marker& marker : markers)
    if (marker.name == name) return &marker;
  return nullptr;
}

namespace {

constexpr const char* kFormat = "pytest-shards-collection/1";

std::vector<std::string> Strings(const json& json, const char* key) {
  std::vector<std::string> result;
  if (json.contains(key))
    for (const auto& value : json.at(key)) result.push_back(value.get<std::string>());
  return result;
}

Item ItemFromJson(const json& json) {
  Item item;
  item.node_id = json.at("nodeid").get<std::string>();
  item.file = json.value("file", "");
  item.path = json.value("path", "");
  item.line = json.value("line", 0);
  if (json.contains("cls") && json.at("cls").is_string()) item.cls = json.at("cls");
  item.skipped_collector = json.value("skipped_collector", false);
  for (const auto& marker : json.value("markers", json::array())) {
    Marker m;
    m.name = marker.at("name").get<std::string>();
    if (marker.contains("args")) m.args = marker.at("args");
    if (marker.contains("kwargs")) m.kwargs = marker.at("kwargs");
    item.markers.push_back(std::move(m));
  }
  return item;
}

// The directories above a module's node-ID part: "/site/pkg/a" of
// "/site/pkg/a/tests/test_t.py" and "tests/test_t.py" (its parent
// directory when the path does not end in the part).
std::vector<std::string> DirectoriesAbove(const std::string& path, const std::string& part) {
  std::filesystem::path p(path);
  std::filesystem::path rest = std::filesystem::path(part);
  std::filesystem::path prefix = p.parent_path();
  std::string generic = p.generic_string(), tail = "/" + rest.generic_string();
  if (generic.size() > tail.size() &&
      generic.compare(generic.size() - tail.size(), tail.size(), tail) == 0)
    prefix = std::filesystem::path(generic.substr(0, generic.size() - tail.size()));
  std::vector<std::string> dirs;
  for (const auto& component : prefix.relative_path()) dirs.push_back(component.string());
  return dirs;
}

// The last `depth` directories of `dirs` joined with "/", then "/" + part.
std::string Lengthened(const std::vector<std::string>& dirs, std::size_t depth,
                       const std::string& part) {
  std::string result;
  for (std::size_t i = dirs.size() - std::min(depth, dirs.size()); i < dirs.size(); ++i)
    result += dirs[i] + "/";
  if (depth > dirs.size()) result = "/" + result;  // the whole path: absolute
  return result + part;
}

}  // namespace

void UniqueNodeIds(std::vector<Item>* items) {
  std::map<std::string, std::vector<std::string>> paths_of;  // module part -> distinct paths
  for (const Item& item : *items) {
    if (item.path.empty()) continue;
    std::vector<std::string>& paths = paths_of[std::string(ModulePart(item.node_id))];
    if (std::find(paths.begin(), paths.end(), item.path) == paths.end()) paths.push_back(item.path);
  }
  std::set<std::string> taken;
  for (const auto& [part, paths] : paths_of) taken.insert(part);
  std::map<std::pair<std::string, std::string>, std::string> renamed;  // (part, path) -> part
  for (const auto& [part, paths] : paths_of) {
    if (paths.size() < 2) continue;
    std::vector<std::vector<std::string>> dirs;
    std::size_t deepest = 0;
    for (const std::string& path : paths) {
      dirs.push_back(DirectoriesAbove(path, part));
      deepest = std::max(deepest, dirs.back().size());
    }
    // The shortest lengthening that tells every module apart and takes no
    // other module's part; the whole path (depth deepest + 1) always does.
    for (std::size_t depth = 1; depth <= deepest + 1; ++depth) {
      std::set<std::string> names;
      for (const auto& d : dirs) names.insert(Lengthened(d, depth, part));
      bool unique = names.size() == paths.size();
      for (const std::string& name : names) unique = unique && !taken.count(name);
      if (!unique && depth <= deepest) continue;
      for (std::size_t i = 0; i < paths.size(); ++i) {
        std::string name = Lengthened(dirs[i], depth, part);
        renamed[{part, paths[i]}] = name;
        taken.insert(name);
      }
      break;
    }
  }
  if (renamed.empty()) return;
  for (Item& item : *items) {
    std::string part(ModulePart(item.node_id));
    auto found = renamed.find({part, item.path});
    if (found == renamed.end()) continue;
    item.pytest_node_id = item.PytestNodeId();
    item.node_id = found->second + item.pytest_node_id.substr(part.size());
  }
}

Collection CollectionFromJson(const json& json) {
  if (!json.is_object() || json.value("format", "") != kFormat)
    throw Error("collection is not in format " + std::string(kFormat) +
                "; re-run cmake to collect again");
  try {
    Collection c;
    c.rootdir = json.at("rootdir").get<std::string>();
    c.python = json.value("python", "");
    c.pytest_version = json.value("pytest_version", "");
    c.xdist = json.value("xdist", false);
    c.seconds = json.value("seconds", 0.0);
    for (const auto& item : json.at("items")) c.items.push_back(ItemFromJson(item));
    for (const auto& error : json.value("errors", json::array()))
      c.errors.push_back({error.at("nodeid").get<std::string>(), error.value("path", ""),
                          error.value("message", "")});
    c.files = Strings(json, "files");
    c.dirs = Strings(json, "dirs");
    UniqueNodeIds(&c.items);
    return c;
  } catch (const json::exception& e) {
    throw Error(std::string("collection is malformed (") + e.what() +
                "); re-run cmake to collect again");
  }
}

json CollectionToJson(const Collection& c) {
  json items = json::array();
  for (const Item& item : c.items) {
    json markers = json::array();
    for (const Marker& m : item.markers)
      markers.push_back({{"name", m.name}, {"args", m.args}, {"kwargs", m.kwargs}});
    items.push_back({{"nodeid", item.PytestNodeId()},
                     {"file", item.file},
                     {"path", item.path},
                     {"line", item.line},
                     {"cls", item.cls.empty() ? json(nullptr) : json(item.cls)},
                     {"markers", markers}});
    if (item.skipped_collector) items.back()["skipped_collector"] = true;
  }
  json errors = json::array();
  for (const CollectionError& e : c.errors)
    errors.push_back({{"nodeid", e.node_id}, {"path", e.path}, {"message", e.message}});
  return {{"format", kFormat},  {"rootdir", c.rootdir},
          {"python", c.python}, {"pytest_version", c.pytest_version},
          {"xdist", c.xdist},   {"seconds", c.seconds},
          {"items", items},     {"errors", errors},
          {"files", c.files},   {"dirs", c.dirs}};
}

}  // namespace pytest_shards
