#include "platform/file_lock.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_dir.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

using Sharing = RangeLockFile::Sharing;

class RangeLockFileTest : public TestDirFixture {
 protected:
  fs::path file() const { return dir_ / "ports.lock"; }

  // The message of the Error that opening `path` throws; "" when none.
  static std::string OpenError(const fs::path& path) {
    try {
      RangeLockFile::Open(path, Sharing::kEveryUser);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(RangeLockFileTest, OpensOfOneFileExcludeEachOtherWhereRangesOverlap) {
  RangeLockFile a = RangeLockFile::Open(file(), Sharing::kUmask);
  RangeLockFile b = RangeLockFile::Open(file(), Sharing::kUmask);
  EXPECT_TRUE(a.TryLock(100, 10));
  EXPECT_FALSE(b.TryLock(100, 10));
  EXPECT_FALSE(b.TryLock(95, 6));   // its last byte is 100
  EXPECT_FALSE(b.TryLock(109, 5));  // its first byte is 109
  EXPECT_TRUE(b.TryLock(110, 10));
  EXPECT_TRUE(b.TryLock(90, 10));
  a.Unlock(100, 10);
  EXPECT_TRUE(b.TryLock(100, 10));
  EXPECT_FALSE(a.TryLock(100, 1));
}

TEST_F(RangeLockFileTest, RangesOfOneOpenDoNotConflict) {
  RangeLockFile a = RangeLockFile::Open(file(), Sharing::kUmask);
  EXPECT_TRUE(a.TryLock(100, 10));
  EXPECT_TRUE(a.TryLock(105, 10));
}

TEST_F(RangeLockFileTest, ClosingTheFileReleasesItsRanges) {
  RangeLockFile b = RangeLockFile::Open(file(), Sharing::kUmask);
  {
    RangeLockFile a = RangeLockFile::Open(file(), Sharing::kUmask);
    ASSERT_TRUE(a.TryLock(100, 10));
    EXPECT_FALSE(b.TryLock(100, 10));
    // A moved-from file releases nothing; its new owner holds the ranges.
    RangeLockFile moved = std::move(a);
    EXPECT_FALSE(b.TryLock(100, 10));
  }
  EXPECT_TRUE(b.TryLock(100, 10));
}

TEST_F(RangeLockFileTest, EveryUserCanLockAFileItCreates) {
  mode_t old = ::umask(022);
  RangeLockFile::Open(dir_ / "machine.lock", Sharing::kEveryUser);
  RangeLockFile::Open(dir_ / "tree.lock", Sharing::kUmask);
  ::umask(old);
  EXPECT_EQ(fs::status(dir_ / "machine.lock").permissions(), fs::perms(0666));
  EXPECT_EQ(fs::status(dir_ / "tree.lock").permissions(), fs::perms(0644));
}

TEST_F(RangeLockFileTest, AnExistingFileKeepsItsMode) {
  std::ofstream(file()) << "";
  fs::permissions(file(), fs::perms(0640));
  RangeLockFile::Open(file(), Sharing::kEveryUser);
  EXPECT_EQ(fs::status(file()).permissions(), fs::perms(0640));
}

TEST_F(RangeLockFileTest, RefusesALinkToAFile) {
  std::ofstream(dir_ / "target") << "";
  fs::create_symlink(dir_ / "target", file());
  EXPECT_EQ(OpenError(file()).find("cannot use lock file " + file().string() + ": "), 0u);
}

TEST_F(RangeLockFileTest, RefusesALinkToNothingAndDoesNotCreateItsTarget) {
  fs::create_symlink(dir_ / "target", file());
  EXPECT_EQ(OpenError(file()).find("cannot use lock file " + file().string() + ": "), 0u);
  EXPECT_FALSE(fs::exists(dir_ / "target"));
}

TEST_F(RangeLockFileTest, RefusesAFifoWithoutWaitingForAWriter) {
  ASSERT_EQ(::mkfifo(file().c_str(), 0666), 0);
  EXPECT_EQ(OpenError(file()), "cannot use lock file " + file().string() + ": not a regular file");
}

TEST_F(RangeLockFileTest, RefusesADirectoryAndAHardLinkedFile) {
  fs::create_directory(file());
  EXPECT_NE(OpenError(file()), "");
  std::ofstream(dir_ / "elsewhere") << "";
  fs::create_hard_link(dir_ / "elsewhere", dir_ / "linked.lock");
  EXPECT_EQ(OpenError(dir_ / "linked.lock"), "cannot use lock file " +
                                                 (dir_ / "linked.lock").string() +
                                                 ": it has other names (hard links)");
}

TEST_F(RangeLockFileTest, AMissingDirectoryIsNamed) {
  EXPECT_EQ(OpenError(dir_ / "missing" / "x.lock"), "cannot use lock file " +
                                                        (dir_ / "missing" / "x.lock").string() +
                                                        ": No such file or directory");
}

}  // namespace
}  // namespace pytest_shards
