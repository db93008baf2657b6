#include "platform/cores.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "platform/platform.h"
#include "test_dir.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

// A fake "/" holding proc/self/cgroup and cgroup files.
class FakeRoot {
 public:
  explicit FakeRoot(const std::string& cgroup) : dir_(FreshTestDir()) {
    Write("proc/self/cgroup", cgroup);
  }
  ~FakeRoot() { fs::remove_all(dir_); }
  void Write(const std::string& relative, const std::string& text) {
    fs::path file = dir_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

TEST(CgroupQuotaCores, V2NoQuotaIsZero) {
  FakeRoot root("0::/\n");
  root.Write("sys/fs/cgroup/cpu.max", "max 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 0);
}

TEST(CgroupQuotaCores, V2WholeQuota) {
  FakeRoot root("0::/\n");
  root.Write("sys/fs/cgroup/cpu.max", "200000 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 2);
}

TEST(CgroupQuotaCores, V2PartialCoreRoundsUp) {
  FakeRoot root("0::/\n");
  root.Write("sys/fs/cgroup/cpu.max", "150000 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 2);
  root.Write("sys/fs/cgroup/cpu.max", "50000 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 1);
}

TEST(CgroupQuotaCores, V2NestedPathTakesTheSmallestQuotaOnTheWayUp) {
  FakeRoot root("0::/ci.slice/job-7.scope\n");
  root.Write("sys/fs/cgroup/cpu.max", "max 100000\n");
  root.Write("sys/fs/cgroup/ci.slice/cpu.max", "300000 100000\n");
  root.Write("sys/fs/cgroup/ci.slice/job-7.scope/cpu.max", "max 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 3);
  root.Write("sys/fs/cgroup/ci.slice/job-7.scope/cpu.max", "100000 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 1);
}

TEST(CgroupQuotaCores, V2HostPathNotMountedFallsBackToTheMountRoot) {
  // No cgroup namespace: the host's path, but the container's own cgroup at /.
  FakeRoot root("0::/system.slice/docker-abc.scope\n");
  root.Write("sys/fs/cgroup/cpu.max", "400000 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 4);
}

TEST(CgroupQuotaCores, V1Cfs) {
  FakeRoot root("12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n");
  root.Write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "250000\n");
  root.Write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  // v2's file says nothing here: on a hybrid host the cpu controller is v1's.
  root.Write("sys/fs/cgroup/cpu.max", "100000 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 3);
}

TEST(CgroupQuotaCores, V1UnlimitedIsZero) {
  FakeRoot root("4:cpuacct,cpu:/\n");
  root.Write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
  root.Write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 0);
}

TEST(CgroupQuotaCores, NothingReadableIsZero) {
  FakeRoot root("0::/\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 0);
  root.Write("sys/fs/cgroup/cpu.max", "garbage\n");
  EXPECT_EQ(CgroupQuotaCores(root.path()), 0);
  EXPECT_EQ(CgroupQuotaCores(root.path() / "nowhere"), 0);
}

TEST(UsableCores, TheSmallerOfAffinityAndQuota) {
  EXPECT_EQ(UsableCores(64, 2, 64), 2);  // a 2-CPU container on a 64-core host
  EXPECT_EQ(UsableCores(1, 4, 64), 1);   // taskset -c 0 beneath a larger quota
  EXPECT_EQ(UsableCores(8, 0, 64), 8);   // no quota
  EXPECT_EQ(UsableCores(0, 3, 64), 3);   // affinity unknown
  EXPECT_EQ(UsableCores(0, 0, 64), 64);  // neither: the fallback
  EXPECT_EQ(UsableCores(0, 0, 0), 1);
}

TEST(AffinityCores, CountsThisProcessesMask) {
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_EQ(AffinityCores(), CPU_COUNT(&set));
  // Pinned to one CPU, one core.
  int first = 0;
  while (!CPU_ISSET(first, &set)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  EXPECT_EQ(AffinityCores(), 1);
  EXPECT_EQ(DetectedCores(), 1);
  ASSERT_EQ(sched_setaffinity(0, sizeof(set), &set), 0);
}

TEST(CoresOverride, APositiveNumberWins) {
  EXPECT_EQ(CoresOverride("", 6), 6);
  EXPECT_EQ(CoresOverride("1", 6), 1);
  EXPECT_EQ(CoresOverride("96", 6), 96);
}

TEST(CoresOverride, AnythingElseIsOneLineNamingTheValue) {
  for (std::string bad : {"0", "-2", "x", "2.5", " 3", "04", "9999999"}) {
    try {
      CoresOverride(bad, 6);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("PYTEST_SHARDS_CORES='" + bad + "' is not a positive whole number"),
                std::string::npos)
          << what;
      EXPECT_NE(what.find("the 6 cores"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace pytest_shards
