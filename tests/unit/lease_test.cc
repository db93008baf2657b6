#include "run/lease.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "test_dir.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

class LeaseTest : public TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    settings_.suite_dir = dir_ / "pytest-shards" / "demo";
    settings_.plugin_dir = "/src/tools";
    settings_.port_base = 24800;
    settings_.ports_per_shard = 3;
  }
  Settings settings_;
};

TEST_F(LeaseTest, EmptiesTheTmpDirAndTellsPytestAboutIt) {
  fs::path tmp = settings_.TmpRoot() / "2";
  fs::create_directories(tmp);
  std::ofstream(tmp / "stale.txt") << "x";
  ShardLease lease(settings_, 2, 4);
  EXPECT_EQ(lease.shard().tmpdir, tmp);
  EXPECT_TRUE(fs::is_directory(tmp));
  EXPECT_FALSE(fs::exists(tmp / "stale.txt"));
  EXPECT_EQ(lease.shard().port_count, 3);
  const std::vector<std::string>& env = lease.environment();
  EXPECT_NE(std::find(env.begin(), env.end(), "PYTEST_SHARD_TMPDIR=" + tmp.string()), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "PYTEST_SHARD_INDEX=2"), env.end());
}

TEST_F(LeaseTest, PortsAreLeasedOnTheMachineOrTheLineSaysWhyNot) {
  fs::path machine = dir_ / "machine.lock";
  ShardLease first(settings_, 0, 2, machine);
  EXPECT_EQ(first.note(), "");
  settings_.suite_dir = dir_ / "other-tree" / "pytest-shards" / "demo";
  ShardLease other_tree(settings_, 0, 2, machine);
  EXPECT_EQ(other_tree.note(), "");
  EXPECT_NE(other_tree.shard().port_base, first.shard().port_base);
  ShardLease tree_only(settings_, 1, 2, dir_);
  EXPECT_EQ(tree_only.note(),
            "cannot use lock file " + dir_.string() +
                ": Is a directory; port ranges are private in this build tree only");
}

TEST_F(LeaseTest, SecondLeaseOfAnIndexGetsItsOwnDirAndPorts) {
  ShardLease first(settings_, 1, 2);
  std::ofstream(first.shard().tmpdir / "mine.txt") << "x";
  ShardLease second(settings_, 1, 2);
  EXPECT_EQ(second.shard().tmpdir, settings_.TmpRoot() / "1-1");
  EXPECT_NE(second.shard().port_base, first.shard().port_base);
  EXPECT_TRUE(fs::exists(first.shard().tmpdir / "mine.txt"));
}

}  // namespace
}  // namespace pytest_shards
