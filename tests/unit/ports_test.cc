#include "ports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "error.h"
#include "test_dir.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

// Below Linux's ephemeral range (32768-60999), so outgoing connections of
// other programs do not take them while the test runs.
constexpr int kBase = 23450;

// Leases create their lock directories (dir_ / "nested" / "ports").
using PortsTest = TestDirFixture;

// A socket listening on 127.0.0.1:port, closed on destruction.
class Listener {
 public:
  explicit Listener(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
          ::listen(fd_, 1) == 0;
  }
  ~Listener() { ::close(fd_); }
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

TEST_F(PortsTest, TakesFirstSlotAndCreatesLockFile) {
  ASSERT_TRUE(PortsFree(kBase, 5)) << "ports " << kBase << "+5 are busy on this machine";
  PortLease lease(dir_ / "nested" / "ports", kBase, 5);
  EXPECT_EQ(lease.base(), kBase);
  EXPECT_EQ(lease.count(), 5);
  EXPECT_TRUE(fs::exists(dir_ / "nested" / "ports" / (std::to_string(kBase) + ".lock")));
}

TEST_F(PortsTest, TwoLeasesInOneProcessExcludeEachOther) {
  ASSERT_TRUE(PortsFree(kBase, 10));
  auto first = std::make_unique<PortLease>(dir_, kBase, 5);
  PortLease second(dir_, kBase, 5);
  EXPECT_EQ(first->base(), kBase);
  EXPECT_EQ(second.base(), kBase + 5);
  // Releasing the first slot makes it available again.
  first.reset();
  PortLease third(dir_, kBase, 5);
  EXPECT_EQ(third.base(), kBase);
}

TEST_F(PortsTest, SkipsSlotLockedByAnotherOpenFile) {
  ASSERT_TRUE(PortsFree(kBase, 10));
  fs::create_directories(dir_);
  int fd = ::open((dir_ / (std::to_string(kBase) + ".lock")).c_str(), O_RDWR | O_CREAT | O_CLOEXEC,
                  0666);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  {
    PortLease lease(dir_, kBase, 5);
    EXPECT_EQ(lease.base(), kBase + 5);
  }
  ::close(fd);
  PortLease lease(dir_, kBase, 5);
  EXPECT_EQ(lease.base(), kBase);
}

TEST_F(PortsTest, SkipsSlotWithABoundPort) {
  ASSERT_TRUE(PortsFree(kBase, 10));
  Listener listener(kBase + 3);
  ASSERT_TRUE(listener.ok());
  EXPECT_FALSE(PortsFree(kBase, 5));
  EXPECT_TRUE(PortsFree(kBase + 5, 5));
  PortLease lease(dir_, kBase, 5);
  EXPECT_EQ(lease.base(), kBase + 5);
  // The skipped slot stays skipped while its port is bound.
  PortLease next(dir_, kBase, 5);
  EXPECT_EQ(next.base(), kBase + 10);
}

TEST_F(PortsTest, StopsBeforeTheLastPort) {
  // Two slots fit: 65530-65532 and 65533-65535.
  PortLease a(dir_, 65530, 3);
  PortLease b(dir_, 65530, 3);
  EXPECT_EQ(a.base(), 65530);
  EXPECT_EQ(b.base(), 65533);
  try {
    PortLease c(dir_, 65530, 3);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no free range of 3 TCP ports between 65530 and 65535"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "65536.lock"));
}

TEST_F(PortsTest, RejectsRangesThatDoNotFit) {
  EXPECT_THROW(PortLease(dir_, 65535, 2), Error);
  EXPECT_THROW(PortLease(dir_, kBase, 0), Error);
  EXPECT_THROW(PortLease(dir_, 0, 5), Error);
  PortLease last(dir_, 65535, 1);
  EXPECT_EQ(last.base(), 65535);
}

}  // namespace
}  // namespace pytest_shards
