#include "collect/depends.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_dir.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

constexpr const char* kConftestError =
    "ImportError while loading conftest '/src/tests/conftest.py'.\n"
    "tests/conftest.py:1: in <module>\n"
    "    import ext\n"
    "E   ModuleNotFoundError: No module named 'ext'\n";

class DependsTest : public TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    root_ = dir_;
    settings_.suite = "app";
    settings_.suite_dir = root_;
    settings_.python = "/usr/bin/python3";
    settings_.workdir = root_ / "work";
    module_ = (root_ / "ext.cpython-311-x86_64-linux-gnu.so").string();
  }
  void Touch(const fs::path& file) { std::ofstream(file) << "x"; }

  fs::path root_;
  Settings settings_;
  std::string module_;
};

TEST_F(DependsTest, WithoutDependsNothingWaitsForTheBuild) {
  EXPECT_EQ(NotBuiltYet(settings_), "");
}

TEST_F(DependsTest, NoCollectionYetMeansBuildFirst) {
  settings_.depends = {{"ext", ""}, {"gen", ""}};
  EXPECT_EQ(NotBuiltYet(settings_),
            "app is collected by the build once its DEPENDS (ext, gen) are built, and it was "
            "not; build first (cmake --build <build dir>)");
  Touch(settings_.CollectionFile());
  EXPECT_EQ(NotBuiltYet(settings_), "");
}

TEST_F(DependsTest, AMissingTargetFileMeansBuildFirst) {
  settings_.depends = {{"ext", module_}};
  Touch(settings_.CollectionFile());
  EXPECT_EQ(NotBuiltYet(settings_), "DEPENDS target ext of app is not built (" + module_ +
                                        " is missing); build first (cmake --build <build dir>)");
  Touch(module_);
  EXPECT_EQ(NotBuiltYet(settings_), "");
}

TEST_F(DependsTest, OtherFailuresAreNotExplainedHere) {
  EXPECT_EQ(ExplainMissingImport(settings_, "ERROR: file or directory not found: tests\n"), "");
}

TEST_F(DependsTest, WithoutDependsTheFixIsToNameTheTarget) {
  std::string line = ExplainMissingImport(settings_, kConftestError);
  EXPECT_EQ(line.find("pytest cannot import ext while collecting app; if a target of this "
                      "project builds it, pass DEPENDS <target>"),
            0u)
      << line;
  EXPECT_EQ(line.find("fix ARGS"), std::string::npos);
}

TEST_F(DependsTest, TheTargetThatBuildsTheModuleIsNamed) {
  settings_.depends = {{"gen", ""}, {"ext_target", module_}};
  EXPECT_EQ(ExplainMissingImport(settings_, kConftestError),
            "pytest cannot import ext while collecting app: DEPENDS target ext_target is not "
            "built yet (" +
                module_ + "); build first (cmake --build <build dir>)");
  Touch(module_);
  std::string line = ExplainMissingImport(settings_, kConftestError);
  EXPECT_EQ(line.find("pytest cannot import ext while collecting app, although DEPENDS target "
                      "ext_target built it as " +
                      module_ + "; put its directory on pytest's path"),
            0u)
      << line;
}

TEST_F(DependsTest, ASubmoduleMatchesByItsLastName) {
  settings_.depends = {{"fast", (root_ / "_fast.abi3.so").string()}};
  std::string line =
      ExplainMissingImport(settings_, "E   ModuleNotFoundError: No module named 'pkg._fast'\n");
  EXPECT_NE(line.find("DEPENDS target fast is not built yet"), std::string::npos) << line;
}

TEST_F(DependsTest, NoDependsTargetBuildsTheModule) {
  settings_.depends = {{"other", (root_ / "other.so").string()}};
  EXPECT_EQ(ExplainMissingImport(settings_, kConftestError),
            "pytest cannot import ext while collecting app, and none of its DEPENDS (other) "
            "builds it; add the target that does to DEPENDS, or install it for /usr/bin/python3");
}

}  // namespace
}  // namespace pytest_shards
