#include "warm/warm.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "data/runs.h"
#include "test_dir.h"
#include "util/file_util.h"
#include "warm/warm_run.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The server's end of a socketpair, played by the test.
struct FakeServer {
  WarmSocket client;
  WarmSocket server;
  static FakeServer Make() {
    int pair[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    return {WarmSocket::Adopt(pair[0]), WarmSocket::Adopt(pair[1])};
  }
};

WarmRequest Request() {
  WarmRequest request;
  request.argv = {"-p", "pytest_shards_plugin", "--basetemp=/b"};
  request.env = {"A=1"};
  request.cwd = "/w";
  return request;
}

TEST(UseWarmTest, FileAndTestEntriesByDefaultShardsForRestartsNeverUnderImportsOwn) {
  Settings settings;
  Entry entry;
  settings.granularity = Granularity::kShard;
  EXPECT_EQ(UseWarm(settings, entry, {}), WarmUse::kRestarts);
  EXPECT_EQ(UseWarm(settings, entry, {"PYTEST_SHARDS_WARM=1"}), WarmUse::kAlways);
  settings.warm = Warm::kOff;
  EXPECT_EQ(UseWarm(settings, entry, {}), WarmUse::kNever);
  settings.warm = Warm::kAuto;
  settings.granularity = Granularity::kFile;
  EXPECT_EQ(UseWarm(settings, entry, {}), WarmUse::kAlways);
  EXPECT_EQ(UseWarm(settings, entry, {"PYTEST_SHARDS_WARM=0"}), WarmUse::kNever);
  // The server imports the whole suite: IMPORTS own must not get it, even
  // when asked for.
  settings.imports = Imports::kOwn;
  EXPECT_EQ(UseWarm(settings, entry, {}), WarmUse::kNever);
  settings.warm = Warm::kOn;
  EXPECT_EQ(UseWarm(settings, entry, {"PYTEST_SHARDS_WARM=1"}), WarmUse::kNever);
  entry.collection_errors = true;
  settings.imports = Imports::kSuite;
  EXPECT_EQ(UseWarm(settings, entry, {}), WarmUse::kNever);
}

TEST(UseWarmTest, AFewEntriesStartColdUnderWarmAutoOnly) {
  // `run --cold`: the warm interpreter would import the whole suite for them.
  Settings settings;
  Entry entry;
  settings.granularity = Granularity::kTest;
  EXPECT_EQ(UseWarm(settings, entry, {}, /*few=*/true), WarmUse::kNever);
  EXPECT_EQ(UseWarm(settings, entry, {}, /*few=*/false), WarmUse::kAlways);
  EXPECT_EQ(UseWarm(settings, entry, {"PYTEST_SHARDS_WARM=1"}, true), WarmUse::kAlways);
  settings.warm = Warm::kOn;
  EXPECT_EQ(UseWarm(settings, entry, {}, true), WarmUse::kAlways);
}

TEST(CtestOfRunGoneTest, OnlyWhenThePlanningCtestEndedAndIsNotTheParent) {
  pid_t ended = fork();  // a process that has ended, and whose pid is free again
  if (ended == 0) _exit(0);
  ASSERT_GT(ended, 0);
  ASSERT_EQ(waitpid(ended, nullptr, 0), ended);
  int self = static_cast<int>(getpid());
  EXPECT_TRUE(CtestOfRunGone(ended, 1));       // adopted by init as ctest was killed
  EXPECT_FALSE(CtestOfRunGone(ended, ended));  // still its child (a pid cannot say more)
  EXPECT_FALSE(CtestOfRunGone(self, 1));       // the ctest lives: run by hand beside it
  EXPECT_FALSE(CtestOfRunGone(self, self));    // the ctest's own entry
  EXPECT_FALSE(CtestOfRunGone(0, 1));          // a plan that does not say
}

TEST(ReuseWarmChildrenTest, WarmReuseUnlessTheEnvironmentSaysOtherwise) {
  Settings settings;
  EXPECT_TRUE(ReuseWarmChildren(settings, {}));
  EXPECT_FALSE(ReuseWarmChildren(settings, {"PYTEST_SHARDS_WARM_REUSE=0"}));
  EXPECT_FALSE(ReuseWarmChildren(settings, {"PYTEST_SHARDS_WARM_REUSE=off"}));
  settings.warm_reuse = false;
  EXPECT_FALSE(ReuseWarmChildren(settings, {}));
  EXPECT_FALSE(ReuseWarmChildren(settings, {"PYTEST_SHARDS_WARM_REUSE=yes"}));
  EXPECT_TRUE(ReuseWarmChildren(settings, {"PYTEST_SHARDS_WARM_REUSE=1"}));
}

TEST(WarmChildTest, FollowsTheChildTheServerForked) {
  FakeServer fake = FakeServer::Make();
  std::thread server([&fake] {
    json request;
    ASSERT_EQ(fake.server.Receive(5, &request), WarmSocket::Status::kMessage);
    EXPECT_EQ(request["op"], "run");
    EXPECT_EQ(request["argv"], json({"-p", "pytest_shards_plugin", "--basetemp=/b"}));
    EXPECT_EQ(request["env"], json({"A=1"}));
    EXPECT_EQ(request["cwd"], "/w");
    fake.server.Send({{"event", "started"}, {"pid", 4242}});
    json kill;
    ASSERT_EQ(fake.server.Receive(5, &kill), WarmSocket::Status::kMessage);
    EXPECT_EQ(kill, json({{"op", "kill"}, {"signal", SIGTERM}}));
    fake.server.Send(
        {{"event", "exited"}, {"exit_code", -1}, {"signal", SIGTERM}, {"peak_rss_kb", 1234}});
  });
  std::string why;
  bool stale = true;
  std::unique_ptr<WarmChild> child =
      WarmChild::Start(std::move(fake.client), Request(), 5, &why, &stale);
  ASSERT_TRUE(child) << why;
  EXPECT_FALSE(stale);
  EXPECT_EQ(child->pid(), 4242);
  EXPECT_FALSE(child->Wait(0.05));
  child->Kill(SIGTERM);
  EXPECT_TRUE(child->Wait(5));
  server.join();
  EXPECT_TRUE(child->exited());
  EXPECT_FALSE(child->lost());
  EXPECT_EQ(child->signal(), SIGTERM);
  EXPECT_EQ(child->peak_rss_kb(), 1234);
  child->Kill(SIGKILL);  // after the end: nothing is sent, nothing breaks
}

TEST(WarmChildTest, ReportsTheExitStatus) {
  FakeServer fake = FakeServer::Make();
  fake.server.Send({{"event", "started"}, {"pid", 7}});
  fake.server.Send({{"event", "exited"}, {"exit_code", 3}, {"signal", 0}, {"peak_rss_kb", 9}});
  std::string why;
  bool stale = false;
  std::unique_ptr<WarmChild> child =
      WarmChild::Start(std::move(fake.client), Request(), 5, &why, &stale);
  ASSERT_TRUE(child) << why;
  EXPECT_TRUE(child->Wait(-1));
  EXPECT_EQ(child->exit_code(), 3);
  EXPECT_EQ(child->signal(), 0);
}

TEST(WarmChildTest, AServerThatGoesAwayTookItsChildWithIt) {
  FakeServer fake = FakeServer::Make();
  fake.server.Send({{"event", "started"}, {"pid", 7}});
  std::string why;
  bool stale = false;
  std::unique_ptr<WarmChild> child =
      WarmChild::Start(std::move(fake.client), Request(), 5, &why, &stale);
  ASSERT_TRUE(child) << why;
  { WarmSocket gone = std::move(fake.server); }
  EXPECT_TRUE(child->Wait(5));
  EXPECT_TRUE(child->lost());
  EXPECT_EQ(child->signal(), SIGKILL);
}

TEST(WarmChildTest, AStaleOrRefusingServerForksNothing) {
  FakeServer stale_server = FakeServer::Make();
  stale_server.server.Send({{"event", "stale"}, {"file", "/s/test_a.py"}});
  std::string why;
  bool stale = false;
  EXPECT_FALSE(WarmChild::Start(std::move(stale_server.client), Request(), 5, &why, &stale));
  EXPECT_TRUE(stale);
  EXPECT_NE(why.find("/s/test_a.py changed"), std::string::npos) << why;

  FakeServer refusing = FakeServer::Make();
  refusing.server.Send({{"event", "refused"}, {"why", "bad request"}});
  EXPECT_FALSE(WarmChild::Start(std::move(refusing.client), Request(), 5, &why, &stale));
  EXPECT_FALSE(stale);
  EXPECT_NE(why.find("refused: bad request"), std::string::npos) << why;

  FakeServer silent = FakeServer::Make();
  EXPECT_FALSE(WarmChild::Start(std::move(silent.client), Request(), 0.05, &why, &stale));
  EXPECT_NE(why.find("did not answer"), std::string::npos) << why;
}

// A stand-in for python/pytest_shards_plugin/warm.py, in the Python of PATH (the
// standard library suffices): it counts its starts, detaches a server that
// answers every connection with a pong until it is told to quit, and exits
// once that listens; or, with FAIL set, exits 3 with a reason.
constexpr const char* kFakeStarter = R"(
import os, socket, struct, sys, json
directory, count = sys.argv[1], sys.argv[2]
with open(count, "a") as f:
    f.write("start\n")
if os.environ.get("FAIL"):
    print("warm interpreter unavailable: os.fork is missing", file=sys.stderr)
    sys.exit(3)
listener = socket.socket(socket.AF_UNIX)
os.chdir(directory)  # a relative name: the test dir may be deeper than sun_path
listener.bind("socket")
listener.listen(16)
ready_r, ready_w = os.pipe()
if os.fork():
    os.read(ready_r, 1)  # exit once the server left our process group
    sys.exit(0)
os.setsid()
os.write(ready_w, b"x")
while True:
    conn, _ = listener.accept()
    size = struct.unpack(">I", conn.recv(4))[0]
    message = json.loads(conn.recv(size))
    body = json.dumps({"event": "pong"}).encode()
    conn.sendall(struct.pack(">I", len(body)) + body)
    conn.close()
    if message.get("op") == "quit":
        os.unlink("socket")
        os._exit(0)
)";

class ConnectWarmServerTest : public TestDirFixture {
 protected:
  WarmServerSpec Spec(bool fail = false) {
    fs::path script = dir_ / "starter.py";
    WriteFileAtomic(script, kFakeStarter);
    WarmServerSpec spec;
    spec.dir = WarmDir(dir_ / "suite", "1-2");
    spec.argv = {"python3", script.string(), spec.dir.string(), (dir_ / "starts").string()};
    spec.env = {"PATH=" + std::string(std::getenv("PATH"))};
    if (fail) spec.env.push_back("FAIL=1");
    spec.cwd = dir_.string();
    spec.start_timeout = 60;
    return spec;
  }

  int Starts() {
    std::ifstream in(dir_ / "starts");
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
  }

  static void Quit(const WarmServerSpec& spec) {
    std::optional<WarmSocket> socket = WarmSocket::Connect(spec.dir / "socket");
    ASSERT_TRUE(socket);
    socket->Send({{"op", "quit"}});
    json reply;
    socket->Receive(5, &reply);
  }
};

TEST_F(ConnectWarmServerTest, ConcurrentEntriesStartOneServer) {
  WarmServerSpec spec = Spec();
  std::vector<std::future<bool>> entries;
  for (int i = 0; i < 4; ++i) {
    entries.push_back(std::async(std::launch::async, [&spec] {
      std::string why;
      std::optional<WarmSocket> socket = ConnectWarmServer(spec, &why);
      if (!socket) return false;
      json reply;
      socket->Send({{"op", "ping"}});
      return socket->Receive(10, &reply) == WarmSocket::Status::kMessage &&
             reply["event"] == "pong";
    }));
  }
  for (auto& entry : entries) EXPECT_TRUE(entry.get());
  EXPECT_EQ(Starts(), 1);
  // The socket's directory is private.
  EXPECT_EQ(fs::status(spec.dir).permissions() & fs::perms::all, fs::perms::owner_all);
  Quit(spec);
}

TEST_F(ConnectWarmServerTest, AServerThatCannotStartIsTriedOncePerRun) {
  WarmServerSpec spec = Spec(/*fail=*/true);
  std::string why;
  EXPECT_FALSE(ConnectWarmServer(spec, &why));
  EXPECT_EQ(why, "warm interpreter unavailable: os.fork is missing");
  EXPECT_FALSE(ConnectWarmServer(spec, &why));
  EXPECT_EQ(why, "warm interpreter unavailable: os.fork is missing");
  EXPECT_EQ(Starts(), 1) << "the second entry of the run did not try again";
}

TEST_F(ConnectWarmServerTest, PrunesTheWarmDirectoriesOfPrunedRuns) {
  fs::path suite = dir_ / "suite";
  fs::create_directories(RunDir(suite, "5-6"));
  fs::create_directories(WarmDir(suite, "5-6"));
  fs::create_directories(WarmDir(suite, "3-4"));
  PruneWarmDirs(suite);
  EXPECT_TRUE(fs::exists(WarmDir(suite, "5-6")));
  EXPECT_FALSE(fs::exists(WarmDir(suite, "3-4")));
}

}  // namespace
}  // namespace pytest_shards
