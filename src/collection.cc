#include "collection.h"

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
  for (const auto& marker : json.value("markers", json::array())) {
    Marker m;
    m.name = marker.at("name").get<std::string>();
    if (marker.contains("args")) m.args = marker.at("args");
    if (marker.contains("kwargs")) m.kwargs = marker.at("kwargs");
    item.markers.push_back(std::move(m));
  }
  return item;
}

}  // namespace

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
    items.push_back({{"nodeid", item.node_id},
                     {"file", item.file},
                     {"path", item.path},
                     {"line", item.line},
                     {"cls", item.cls.empty() ? json(nullptr) : json(item.cls)},
                     {"markers", markers}});
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
