#include "run/ports.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "test_dir.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

// Below Linux's ephemeral range (32768-60999), so outgoing connections of
// other programs do not take them while the test runs.
constexpr int kBase = 23450;

// Ports are free unless listed in busy (by the first port of their slot);
// remembers which slots were probed.
struct FakeProbe {
  std::set<int> busy;
  std::vector<int> probed;
  PortProbe probe() {
    return [this](int first, int /*count*/) {
      probed.push_back(first);
      return busy.count(first) == 0;
    };
  }
};

// Lock files in the test's directory: two build trees ("a", "b") of one
// machine.
class PortsTest : public TestDirFixture {
 protected:
  PortLocks Tree(const std::string& tree) const {
    return {dir_ / tree / "pytest-shards" / "ports.lock", dir_ / "machine.lock"};
  }
  std::unique_ptr<PortLease> Lease(const std::string& tree, int first, int count) {
    return std::make_unique<PortLease>(Tree(tree), first, count, free_.probe());
  }
  // The message of the Error that leasing throws; "" when none.
  std::string LeaseError(const std::string& tree, int first, int count) {
    try {
      Lease(tree, first, count);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  FakeProbe free_;
};

TEST_F(PortsTest, TakesTheFirstSlotAndCreatesBothLockFiles) {
  auto lease = Lease("a", 100, 5);
  EXPECT_EQ(lease->base(), 100);
  EXPECT_EQ(lease->count(), 5);
  EXPECT_EQ(lease->note(), "");
  EXPECT_TRUE(fs::is_regular_file(Tree("a").tree_file));
  EXPECT_TRUE(fs::is_regular_file(Tree("a").machine_file));
}

TEST_F(PortsTest, LeasesOfOneTreeExcludeEachOther) {
  auto first = Lease("a", 100, 5);
  auto second = Lease("a", 100, 5);
  EXPECT_EQ(second->base(), 105);
  // Releasing the first slot makes it available again.
  first.reset();
  EXPECT_EQ(Lease("a", 100, 5)->base(), 100);
}

TEST_F(PortsTest, LeasesOfTwoTreesExcludeEachOther) {
  auto a = Lease("a", 100, 5);
  auto b = Lease("b", 100, 5);
  EXPECT_EQ(a->base(), 100);
  EXPECT_EQ(b->base(), 105);
  // The slot the other tree holds is never probed: its tests may be binding it.
  EXPECT_EQ(free_.probed, (std::vector<int>{100, 105}));
}

TEST_F(PortsTest, RangesOfOtherSizesExcludeWhereTheyOverlap) {
  auto a = Lease("a", 100, 10);  // 100-109
  auto b = Lease("b", 95, 10);   // 95-104 overlaps: 105-114 does too: 115-124
  EXPECT_EQ(b->base(), 115);
  auto c = Lease("b", 104, 4);  // 104-107, 108-111 overlap a; 112-115 to 124-127 b
  EXPECT_EQ(c->base(), 128);
}

TEST_F(PortsTest, SkipsSlotsTheProbeFindsBusyAndReleasesThem) {
  free_.busy = {100, 105};
  auto lease = Lease("a", 100, 5);
  EXPECT_EQ(lease->base(), 110);
  // Once free again, another tree can have them: the skipped slots are not
  // held.
  free_.busy.clear();
  auto b = Lease("b", 100, 5);
  EXPECT_EQ(b->base(), 100);
  EXPECT_EQ(Lease("a", 100, 5)->base(), 105);
}

// A machine lock file that is not a plain file of ours: the lease still
// works, in its build tree only, and says so in one line.
class UnusableMachineFileTest : public PortsTest,
                                public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    PortsTest::SetUp();
    fs::path machine = Tree("a").machine_file;
    const std::string& kind = GetParam();
    if (kind == "symlink") fs::create_symlink(dir_ / "elsewhere", machine);
    if (kind == "fifo") {
      ASSERT_EQ(::mkfifo(machine.c_str(), 0666), 0);
    }
    if (kind == "directory") fs::create_directory(machine);
    if (kind == "hard link") {
      std::ofstream(dir_ / "elsewhere") << "";
      fs::create_hard_link(dir_ / "elsewhere", machine);
    }
  }
};

TEST_P(UnusableMachineFileTest, FallsBackToTheTreeWithOneLine) {
  auto a = Lease("a", 100, 5);
  EXPECT_EQ(a->base(), 100);
  const std::string& note = a->note();
  EXPECT_EQ(note.find("cannot use lock file " + Tree("a").machine_file.string() + ": "), 0u)
      << note;
  EXPECT_NE(note.find("; port ranges are private in this build tree only"), std::string::npos)
      << note;
  EXPECT_EQ(note.find('\n'), std::string::npos);
  // The tree's lock still holds.
  EXPECT_EQ(Lease("a", 100, 5)->base(), 105);
  // A link is not followed: its target is not created.
  if (GetParam() == "symlink") {
    EXPECT_FALSE(fs::exists(dir_ / "elsewhere"));
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, UnusableMachineFileTest,
                         ::testing::Values("symlink", "fifo", "directory", "hard link"),
                         [](const auto& info) {
                           std::string name = info.param;
                           return name == "hard link" ? std::string("hardlink") : name;
                         });

TEST_F(PortsTest, NoMachineFileMeansTheTreeOnlyWithoutANote) {
  PortLocks tree_only{Tree("a").tree_file, {}};
  PortLease a(tree_only, 100, 5, free_.probe());
  EXPECT_EQ(a.note(), "");
  EXPECT_EQ(Lease("b", 100, 5)->base(), 100);
}

TEST_F(PortsTest, AnUnwritableTreeIsAnError) {
  std::ofstream(dir_ / "a") << "a file where the tree's directory would be";
  std::string error = LeaseError("a", 100, 5);
  EXPECT_NE(error.find("; make the build tree writable"), std::string::npos) << error;
}

TEST_F(PortsTest, AKilledHoldersRangeIsFreeAgain) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    PortLease held(Tree("b"), 100, 5, [](int, int) { return true; });
    char base = static_cast<char>(held.base() - 100);
    (void)!::write(ready[1], &base, 1);
    ::pause();
    ::_exit(0);
  }
  char base = 1;
  ASSERT_EQ(::read(ready[0], &base, 1), 1);
  EXPECT_EQ(base, 0);
  EXPECT_EQ(Lease("a", 100, 5)->base(), 105);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_EQ(Lease("a", 100, 5)->base(), 100);
}

TEST_F(PortsTest, StopsBeforeTheLastPort) {
  // Two slots fit: 65530-65532 and 65533-65535.
  auto a = Lease("a", 65530, 3);
  auto b = Lease("a", 65530, 3);
  EXPECT_EQ(a->base(), 65530);
  EXPECT_EQ(b->base(), 65533);
  std::string error = LeaseError("b", 65530, 3);
  EXPECT_EQ(error.find("no free range of 3 TCP ports between 65530 and 65535"), 0u) << error;
}

TEST_F(PortsTest, RejectsRangesThatDoNotFit) {
  EXPECT_THROW(Lease("a", 65535, 2), Error);
  EXPECT_THROW(Lease("a", 100, 0), Error);
  EXPECT_THROW(Lease("a", 0, 5), Error);
  EXPECT_EQ(Lease("a", 65535, 1)->base(), 65535);
}

// The real probe: a socket listening on 127.0.0.1:port, closed on
// destruction.
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

TEST_F(PortsTest, SkipsSlotWithABoundPort) {
  // 15 ports that were free and that no shard, and no other run of this
  // test, takes meanwhile: leased on the machine.
  PortLease ours({dir_ / "ours.lock", MachinePortLockFile()}, kBase, 15);
  int base = ours.base();
  Listener listener(base + 3);
  ASSERT_TRUE(listener.ok());
  EXPECT_FALSE(PortsFree(base, 5));
  EXPECT_TRUE(PortsFree(base + 5, 5));
  PortLease lease(Tree("a"), base, 5);
  EXPECT_EQ(lease.base(), base + 5);
  // The skipped slot stays skipped while its port is bound.
  PortLease next(Tree("b"), base, 5);
  EXPECT_EQ(next.base(), base + 10);
}

}  // namespace
}  // namespace pytest_shards
