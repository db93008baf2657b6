// What pytest collected: the items (node IDs with location and markers) and
// the modules that failed to import. Written by the pytest plugin as JSON
// (format "pytest-shards-collection/1") and read here.
#pragma once

#include <filesystem>
#include <map>
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
  // The test's name in pytest-shards: pytest's node ID, except that the
  // module part of colliding modules is lengthened (see UniqueNodeIds).
  std::string node_id;
  std::string pytest_node_id;  // as pytest prints it; empty: node_id
  std::string file;            // the module's path relative to rootdir ("tests/test_a.py")
  std::string path;            // the module's absolute path
  int line = 0;                // 1-based line of the test's `def`; 0 when unknown
  std::string cls;             // enclosing class name, empty for module-level tests
  std::vector<Marker> markers;
  // A module (or directory) that pytest skipped as a whole, with
  // pytest.importorskip or pytest.skip(allow_module_level=True): one
  // skipped test of the module's node ID, as pytest reports it.
  bool skipped_collector = false;

  // The closest marker with this name, or nullptr.
  const Marker* FindMarker(std::string_view name) const;
  const std::string& PytestNodeId() const {
    return pytest_node_id.empty() ? node_id : pytest_node_id;
  }
};

// A test is its module's path and its node ID together. pytest names the
// modules it finds through --pyargs relative to their package, so
// `--pyargs pkg.a pkg.b` run from outside gives pkg/a/tests/test_t.py and
// pkg/b/tests/test_t.py the same module part "tests/test_t.py" and their
// tests the same node IDs. Each module of such a collision gets its part
// lengthened by the directories above it ("a/tests/test_t.py") until every
// module part of the collection is unique; node IDs without a collision
// stay as pytest prints them. Sets pytest_node_id of the renamed items.
void UniqueNodeIds(std::vector<Item>* items);

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
  bool xdist = false;  // pytest-xdist was loaded (runner then passes -n 0)
  // pytest-order was loaded: it runs the tests with `order` marks in their
  // marks' order, which only one pytest session can keep (plan.h).
  bool pytest_order = false;
  // What the suite's arguments ask pytest to write or decide once per
  // session ("junitxml", "coverage", "report-log", "durations"): written by
  // the session step (session.h) from every entry that ran.
  std::vector<std::string> session_outputs;
  // Where those outputs go, as absolute paths ({"junitxml": "/b/j.xml",
  // "coverage": "/w/.coverage"}): two suites of a build tree must not
  // share one (cmake/PytestShards.cmake says so at configure).
  std::map<std::string, std::string> session_paths;
  std::vector<Item> items;  // in collection order
  std::vector<CollectionError> errors;
  std::vector<std::string> files;  // files whose change makes the collection stale
  std::vector<std::string> dirs;   // directories whose listing makes it stale
  double seconds = 0;              // how long collection took
};

// Reads the collection JSON the plugin writes, or collection.json. Throws
// Error for a missing file, one that is not JSON, in another format or of
// another shape, each saying to re-run cmake. Node IDs come out unique
// (UniqueNodeIds); the JSON holds pytest's.
Collection ReadCollection(const std::filesystem::path& file);
// The same for a document already parsed; throws Error.
Collection CollectionFromJson(const nlohmann::json& json);
nlohmann::json CollectionToJson(const Collection& collection);

}  // namespace pytest_shards
