// The real ProcessRunner on /bin/sh: what the supervisor relies on from a
// real process (how it ended, its memory, its whole group ending with it).
#include "run/real_process_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "test_dir.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

SpawnOptions Shell(const std::string& script) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", script};
  return options;
}

// True once `pid` no longer runs (gone, or a zombie); false after 5 s.
bool Ends(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line) || line.find(") Z ") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

using RealProcessRunnerTest = TestDirFixture;

TEST_F(RealProcessRunnerTest, ReportsHowTheProcessEnded) {
  RealProcessRunner processes;
  std::unique_ptr<PytestProcess> exits = processes.Start(Shell("exit 3"));
  ASSERT_TRUE(exits->Wait(10));
  EXPECT_EQ(exits->exit_code(), 3);
  EXPECT_EQ(exits->signal(), 0);
  EXPECT_GT(exits->peak_rss_kb(), 0);

  std::unique_ptr<PytestProcess> waits = processes.Start(Shell("exec sleep 30"));
  EXPECT_FALSE(waits->Wait(0.05));
  EXPECT_GT(waits->MemoryKb(), 0);
  waits->Interrupt(SIGTERM);
  ASSERT_TRUE(waits->Wait(10));
  EXPECT_EQ(waits->signal(), SIGTERM);
}

// The supervisor kills each pytest run's group as the run ends: a server a
// test started must not outlive it and hold the entry's ports.
TEST_F(RealProcessRunnerTest, KillAfterTheEndEndsWhatItLeftBehind) {
  RealProcessRunner processes;
  fs::path pid_file = dir_ / "server.pid";
  std::unique_ptr<PytestProcess> pytest =
      processes.Start(Shell("sleep 60 & echo $! > " + pid_file.string()));
  ASSERT_TRUE(pytest->Wait(10));
  EXPECT_EQ(pytest->exit_code(), 0);
  pid_t server = 0;
  std::ifstream(pid_file) >> server;
  ASSERT_GT(server, 0);
  EXPECT_EQ(::kill(server, 0), 0);
  pytest->Kill();
  EXPECT_TRUE(Ends(server));
}

TEST_F(RealProcessRunnerTest, ReportsTheInterruptItReceived) {
  RealProcessRunner processes;
  EXPECT_EQ(processes.Interrupted(), 0);
  ::raise(SIGTERM);  // recorded, not fatal, while the runner lives
  EXPECT_EQ(processes.Interrupted(), SIGTERM);
}

TEST_F(RealProcessRunnerTest, ClocksAreTheSystems) {
  RealProcessRunner processes;
  EXPECT_NEAR(processes.WallTime(), static_cast<double>(std::time(nullptr)), 2);
  double before = processes.SteadyTime();
  EXPECT_GE(processes.SteadyTime(), before);
}

}  // namespace
}  // namespace pytest_shards
