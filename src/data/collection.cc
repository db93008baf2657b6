#include "data/collection.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "util/error.h"
#include "util/json_reader.h"

namespace pytest_shards {

using nlohmann::json;

const Marker* Item::FindMarker(std::string_view name) const {
  for (const Marker& marker : markers)
    if (marker.name == name) return &marker;
  return nullptr;
}

namespace {

constexpr const char* kFormat = "pytest-shards-collection/1";
constexpr const char* kFix = "re-run cmake to collect again";

std::vector<std::string> Strings(JsonReader& reader) {
  std::vector<std::string> result;
  reader.BeginArray();
  while (reader.NextElement()) result.push_back(reader.String());
  return result;
}

Marker ReadMarker(JsonReader& reader) {
  std::string name;
  // Made only once known: two markers per item, each default empty argument
  // list is an allocation.
  json args, kwargs;
  bool named = false, has_args = false, has_kwargs = false;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (key == "name") {
      name = reader.String();
      named = true;
    } else if (key == "args") {
      args = reader.Value();
      has_args = true;
    } else if (key == "kwargs") {
      kwargs = reader.Value();
      has_kwargs = true;
    } else {
      reader.Skip();
    }
  }
  if (!named) throw JsonReader::ShapeError("a marker has no name");
  if (!has_args) args = json::array();
  if (!has_kwargs) kwargs = json::object();
  return Marker{std::move(name), std::move(args), std::move(kwargs)};
}

Item ReadItem(JsonReader& reader) {
  Item item;
  bool has_node_id = false;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (key == "nodeid") {
      item.node_id = reader.String();
      has_node_id = true;
    } else if (key == "file") {
      item.file = reader.String();
    } else if (key == "path") {
      item.path = reader.String();
    } else if (key == "line") {
      item.line = static_cast<int>(reader.Integer());
    } else if (key == "cls" && reader.Peek() == JsonReader::Type::kString) {
      item.cls = reader.String();
    } else if (key == "markers") {
      reader.BeginArray();
      while (reader.NextElement()) item.markers.push_back(ReadMarker(reader));
    } else if (key == "skipped_collector") {
      item.skipped_collector = reader.Bool();
    } else {
      reader.Skip();  // a null cls, or a key of a newer plugin
    }
  }
  if (!has_node_id) throw JsonReader::ShapeError("an item has no nodeid");
  return item;
}

CollectionError ReadError(JsonReader& reader) {
  CollectionError error;
  bool has_node_id = false;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (key == "nodeid") {
      error.node_id = reader.String();
      has_node_id = true;
    } else if (key == "path") {
      error.path = reader.String();
    } else if (key == "message") {
      error.message = reader.String();
    } else {
      reader.Skip();
    }
  }
  if (!has_node_id) throw JsonReader::ShapeError("an error has no nodeid");
  return error;
}

// The document's members, in any order.
Collection ReadDocument(JsonReader& reader, std::string* format) {
  Collection c;
  bool has_rootdir = false, has_items = false;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (key == "format") {
      *format = reader.String();
    } else if (key == "rootdir") {
      c.rootdir = reader.String();
      has_rootdir = true;
    } else if (key == "python") {
      c.python = reader.String();
    } else if (key == "pytest_version") {
      c.pytest_version = reader.String();
    } else if (key == "xdist") {
      c.xdist = reader.Bool();
    } else if (key == "pytest_order") {
      c.pytest_order = reader.Bool();
    } else if (key == "session") {
      c.session_outputs = Strings(reader);
    } else if (key == "session_paths") {
      reader.BeginObject();
      for (std::string name; reader.NextKey(&name);) c.session_paths[name] = reader.String();
    } else if (key == "seconds") {
      c.seconds = reader.Number();
    } else if (key == "items") {
      reader.BeginArray();
      while (reader.NextElement()) c.items.push_back(ReadItem(reader));
      has_items = true;
    } else if (key == "errors") {
      reader.BeginArray();
      while (reader.NextElement()) c.errors.push_back(ReadError(reader));
    } else if (key == "files") {
      c.files = Strings(reader);
    } else if (key == "dirs") {
      c.dirs = Strings(reader);
    } else {
      reader.Skip();
    }
  }
  if (!has_rootdir) throw JsonReader::ShapeError("no rootdir");
  if (!has_items) throw JsonReader::ShapeError("no items");
  return c;
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

// Every Collection read from JSON, whichever file it came from, is made
// here. Throws JsonReader::SyntaxError for text that is not JSON and Error
// for JSON that is not a collection.
Collection ParseCollection(std::string_view text) {
  Collection c = ReadVersioned(text, kFormat, "collection", "malformed", kFix, ReadDocument);
  UniqueNodeIds(&c.items);
  return c;
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

Collection CollectionFromJson(const json& json) { return ParseCollection(json.dump()); }

Collection ReadCollection(const std::filesystem::path& file) {
  return ParseJsonFile(file, "collection", "re-run cmake", ParseCollection);
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
  return {{"format", kFormat},
          {"rootdir", c.rootdir},
          {"python", c.python},
          {"pytest_version", c.pytest_version},
          {"xdist", c.xdist},
          {"pytest_order", c.pytest_order},
          {"session", c.session_outputs},
          {"session_paths", c.session_paths},
          {"seconds", c.seconds},
          {"items", items},
          {"errors", errors},
          {"files", c.files},
          {"dirs", c.dirs}};
}

}  // namespace pytest_shards
