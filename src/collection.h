// What pytest collected: the items (node IDs with location and markers) and
// the modules that failed to import. Written by the pytest plugin as JSON
// (format "pytest-shards-collection/1") and read here.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pytest_shards {

struct Marker {
  std::string name;
  nlohmann::json args = nlohmann::json::array();     // positional arguments
  nlohmann::json kwargs = nlohmann::json::object();  // keyword arguments
};

inline bool operator==(const Marker& a, const Marker& b) {
  return a.name == b.name && a.args == b.args && a.kwargs == b.kwargs;
}
inline bool operator!=(const Marker& a, const Marker& b) { return !(a == b); }

// The module part of a node ID: "tests/test_a.py" of
// "tests/test_a.py::TestX::test_y[1]".
inline std::string_view ModulePart(std::string_view node_id) {
  return node_id.substr(0, node_id.find("::"));
}

struct Item {
  std::string node_id;  // as pytest prints it, relative to rootdir
  std::string file;     // the module's path relative to rootdir ("tests/test_a.py")
  std::string path;     // the module's absolute path
  int line = 0;         // 1-based line of the test's `def`; 0 when unknown
  std::string cls;      // enclosing class name, empty for module-level tests
  std::vector<Marker> markers;

  // The closest marker with this name, or nullptr.
  const Marker* FindMarker(std::string_view name) const;
};

// A collector that failed: usually a test module that does not import.
struct CollectionError {
  std::string node_id;  // "tests/test_broken.py"
  std::string path;     // absolute path of the file, empty if not a file
  std::string message;  // pytest's long representation of the error
};

struct Collection {
  std::string rootdir;
  std::string python;  // sys.executable that collected
  std::string pytest_version;
  bool xdist = false;       // pytest-xdist was loaded (runner then passes -n 0)
  std::vector<Item> items;  // in collection order
  std::vector<CollectionError> errors;
  std::vector<std::string> files;  // files whose change makes the collection stale
  std::vector<std::string> dirs;   // directories whose listing makes it stale
  double seconds = 0;              // how long collection took
};

// Reads the collection JSON the plugin writes, or collection.json. Throws
// Error for a missing file, one that is not JSON, in another format or of
// another shape, each saying to re-run cmake.
Collection ReadCollection(const std::filesystem::path& file);
// The same for a document already parsed; throws Error.
Collection CollectionFromJson(const nlohmann::json& json);
nlohmann::json CollectionToJson(const Collection& collection);

}  // namespace pytest_shards
