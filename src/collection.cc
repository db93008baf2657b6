#include "collection.h"

#include "error.h"
#include "json_reader.h"

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

// Every Collection read from JSON, whichever file it came from, is made
// here. Throws JsonReader::SyntaxError for text that is not JSON and Error
// for JSON that is not a collection.
Collection ParseCollection(std::string_view text) {
  return ReadVersioned(text, kFormat, "collection", "malformed", kFix, ReadDocument);
}

}  // namespace

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
