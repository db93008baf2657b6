#include "collect/collect.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

class CollectTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("collect_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "_" + testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "tests");
    Write("tests/test_a.py", "def test_a(): pass\n");
    settings_.suite = "s";
    settings_.suite_dir = root_ / "build";
    settings_.python = "/usr/bin/python3";
    settings_.workdir = root_;
    settings_.plugin_dir = fs::path(PYTEST_SHARDS_SOURCE_DIR) / "python";
    collection_.rootdir = root_.string();
    collection_.files = {(root_ / "tests/test_a.py").string()};
    collection_.dirs = {(root_ / "tests").string()};
    WriteCollection(settings_, collection_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name) << text;
  }
  bool Stale(std::string* why) { return CollectionIsStale(settings_, collection_, why); }
  // The message of the Error that RefreshCollection throws; "" when it does not.
  std::string RefreshError() {
    std::ostringstream out;
    try {
      PytestCollector pytest;
      RefreshCollection(settings_, pytest, out);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  fs::path root_;
  Settings settings_;
  Collection collection_;
};

TEST_F(CollectTest, FreshCollectionIsNotStale) {
  std::string why;
  EXPECT_FALSE(Stale(&why)) << why;
}

TEST_F(CollectTest, ChangedTestFileMakesItStale) {
  Write("tests/test_a.py", "def test_a(): pass\ndef test_b(): pass\n");
  std::string why;
  ASSERT_TRUE(Stale(&why));
  EXPECT_EQ(why, (root_ / "tests/test_a.py").string() + " changed");
}

TEST_F(CollectTest, SameContentWrittenAgainIsNotStale) {
  Write("tests/test_a.py", "def test_a(): pass\n");
  std::string why;
  EXPECT_FALSE(Stale(&why)) << why;
}

TEST_F(CollectTest, NewModuleInWatchedDirectoryMakesItStale) {
  Write("tests/test_new.py", "def test_new(): pass\n");
  std::string why;
  ASSERT_TRUE(Stale(&why));
  EXPECT_NE(why.find("added to or removed from " + (root_ / "tests").string()), std::string::npos);
}

TEST_F(CollectTest, NewDataFileDoesNotMakeItStale) {
  Write("tests/output.log", "written by a test\n");
  std::string why;
  EXPECT_FALSE(Stale(&why)) << why;
}

TEST_F(CollectTest, DifferentArgsMakeItStale) {
  settings_.args = {"-m", "not slow"};
  std::string why;
  ASSERT_TRUE(Stale(&why));
  EXPECT_NE(why.find("ARGS"), std::string::npos);
}

TEST_F(CollectTest, ChangedPluginModuleMakesItStale) {
  fs::create_directories(root_ / "plugin" / "pytest_shards_plugin");
  Write("plugin/pytest_shards_plugin/__init__.py", "from . import journal\n");
  Write("plugin/pytest_shards_plugin/journal.py", "LIMIT = 1\n");
  settings_.plugin_dir = root_ / "plugin";
  WriteCollection(settings_, collection_);
  std::string why;
  ASSERT_FALSE(Stale(&why)) << why;
  Write("plugin/pytest_shards_plugin/journal.py", "LIMIT = 2\n");
  ASSERT_TRUE(Stale(&why));
  EXPECT_NE(why.find("the plugin"), std::string::npos) << why;
}

TEST_F(CollectTest, MissingWorkingDirectoryIsAClearError) {
  settings_.workdir = root_ / "nowhere";
  EXPECT_NE(
      RefreshError().find("WORKING_DIRECTORY " + (root_ / "nowhere").string() + " does not exist"),
      std::string::npos);
}

TEST_F(CollectTest, MissingInterpreterIsAClearError) {
  settings_.python = (root_ / "no-python").string();
  fs::remove(settings_.CollectionFile());
  std::string error = RefreshError();
  EXPECT_NE(error.find("cannot be started; pass PYTHON <exe>"), std::string::npos) << error;
  // No half-written file is left behind.
  for (const auto& entry : fs::directory_iterator(settings_.suite_dir))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos);
}

// What a real collection depends on beyond the test files: the modules it
// imported from the project (a helper, an extension module the build made)
// and the DEPENDS targets' files, imported or not.
TEST_F(CollectTest, AnImportedHelperAndADependsFileAreStamped) {
  fs::create_directories(root_ / "lib");
  Write("lib/helper.py", "SIZES = (1, 2)\n");
  Write("tests/conftest.py",
        "import sys\nsys.path.insert(0, '" + (root_ / "lib").string() + "')\nimport helper\n");
  settings_.watch_roots = {root_};
  std::string module = (root_ / "build" / "ext.so").string();
  settings_.depends = {{"ext", module}};
  std::ostringstream out;
  PytestCollector pytest;
  collection_ = RefreshCollection(settings_, pytest, out);
  std::string why;
  ASSERT_FALSE(Stale(&why)) << why << out.str();
  Write("lib/helper.py", "SIZES = (1, 2, 3)\n");
  ASSERT_TRUE(Stale(&why));
  EXPECT_EQ(why, (root_ / "lib/helper.py").string() + " changed");
  Write("lib/helper.py", "SIZES = (1, 2)\n");
  ASSERT_FALSE(Stale(&why)) << why;
  std::ofstream(module) << "built";
  ASSERT_TRUE(Stale(&why));
  EXPECT_EQ(why, module + " changed");
}

TEST_F(CollectTest, AConftestImportOfAnUnbuiltDependsTargetSaysBuildFirst) {
  Write("tests/conftest.py", "import ext\n");
  settings_.depends = {{"ext", (root_ / "build" / "ext.cpython-311.so").string()}};
  fs::remove(settings_.CollectionFile());
  std::string error = RefreshError();
  EXPECT_NE(error.find("pytest cannot import ext while collecting s: DEPENDS target ext is not "
                       "built yet"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find("fix ARGS"), std::string::npos) << error;
}

TEST_F(CollectTest, AFailedCollectionQuotesTheExceptionNotPytestsLastLine) {
  // The cause of a failed collection is a traceback in a long log; pytest's
  // last line can read like success.
  Write("tests/conftest.py",
        "import atexit\n"
        "atexit.register(lambda: print('1165 tests collected in 3.13s'))\n"
        "def pytest_collection_modifyitems(config):\n"
        "    config.getoption('skip_slow')\n");
  fs::remove(settings_.CollectionFile());
  std::string error = RefreshError();
  EXPECT_NE(error.find("(ValueError: no option named 'skip_slow'); see "), std::string::npos)
      << error;
  EXPECT_NE(error.find("collect.log"), std::string::npos) << error;
  EXPECT_EQ(error.find("tests collected"), std::string::npos) << error;
}

TEST_F(CollectTest, OrderMarksUnderPytestOrderAreRefusedInGranularityTest) {
  Item ordered;
  ordered.node_id = "tests/test_a.py::test_a";
  ordered.markers.push_back({"order", nlohmann::json::array({1}), nlohmann::json::object()});
  collection_.items = {ordered};
  collection_.pytest_order = true;
  settings_.granularity = Granularity::kTest;
  try {
    RefuseUnkeptOrder(settings_, collection_);
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pytest-order's order marks (tests/test_a.py::test_a) "
                                         "cannot be honoured in GRANULARITY test"),
              std::string::npos)
        << e.what();
  }
  settings_.granularity = Granularity::kFile;  // a module runs in one entry
  EXPECT_NO_THROW(RefuseUnkeptOrder(settings_, collection_));
  settings_.granularity = Granularity::kTest;
  collection_.pytest_order = false;  // the marks order nothing
  EXPECT_NO_THROW(RefuseUnkeptOrder(settings_, collection_));
}

Item MakeItem(const std::string& node_id, const std::string& marker = "") {
  Item item;
  item.node_id = node_id;
  if (!marker.empty()) item.markers.push_back({marker, nlohmann::json::array({"db"}), {}});
  return item;
}

TEST(DescribeChange, OnlyNodeIdsMarkersAndErrorsMatter) {
  Collection before;
  before.items = {MakeItem("t.py::a"), MakeItem("t.py::b", "serial")};
  Collection moved = before;
  moved.items[0].line = 40;  // a body edit moves lines: same tests
  EXPECT_EQ(DescribeChange(before, moved), "");
  Collection added = before;
  added.items.push_back(MakeItem("t.py::c"));
  EXPECT_EQ(DescribeChange(before, added), "new test t.py::c");
  Collection removed = before;
  removed.items.pop_back();
  EXPECT_EQ(DescribeChange(before, removed), "t.py::b no longer exists");
  Collection remarked = before;
  remarked.items[1].markers.clear();
  EXPECT_EQ(DescribeChange(before, remarked), "the markers of t.py::b changed");
  Collection broken = before;
  broken.errors.push_back({"u.py", "/src/u.py", "ImportError"});
  EXPECT_EQ(DescribeChange(before, broken), "modules that fail to collect changed");
}

}  // namespace
}  // namespace pytest_shards
