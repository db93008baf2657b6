#include "platform/process_memory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "platform/subprocess.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

constexpr long kMiB = 1024;

// Polls until the group holds at least `at_least_kb` (or 20 s pass) and
// returns the last sample.
long WaitForGroupRss(pid_t group, long at_least_kb) {
  long kb = 0;
  for (int i = 0; i < 200; ++i) {
    kb = ProcessGroupRssKb(group);
    if (kb >= at_least_kb) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return kb;
}

#ifdef __linux__

// Two processes of one group, each holding 150 MiB it wrote to: only their
// sum reaches 300 MiB, so a reader that saw one process would fall short.
TEST(ProcessMemoryTest, SumsEveryProcessOfTheGroup) {
  const char* hold =
      "import subprocess, sys, time\n"
      "buf = bytearray(150 << 20)\n"
      "for i in range(0, len(buf), 4096): buf[i] = 1\n"
      "if sys.argv[1] == 'parent':\n"
      "    subprocess.Popen([sys.executable, '-c', sys.argv[2], 'child', sys.argv[2]])\n"
      "time.sleep(60)\n";
  SpawnOptions options;
  options.argv = {"/usr/bin/python3", "-c", hold, "parent", hold};
  Subprocess child(options);
  long kb = WaitForGroupRss(child.pid(), 300 * kMiB);
  EXPECT_GE(kb, 300 * kMiB);
  EXPECT_LT(kb, 400 * kMiB) << "two interpreters and 300 MiB of data";
  child.Kill(SIGKILL);
  child.Wait(-1);
  EXPECT_EQ(ProcessGroupRssKb(child.pid()), 0) << "nothing left in the group";
}

// The command name in /proc/<pid>/stat may hold ") " and digits: the fields
// are found after its last ')'.
TEST(ProcessMemoryTest, CommandNamesWithParenthesesAndSpaces) {
  fs::path dir = fs::temp_directory_path() / ("process_memory_test." + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path script = dir / "x) 1 2 3 4";
  std::ofstream(script) << "#!/bin/sh\nsleep 60\n";
  fs::permissions(script, fs::perms::owner_all);
  SpawnOptions options;
  options.argv = {script.string()};
  Subprocess child(options);
  long kb = WaitForGroupRss(child.pid(), 1);
  EXPECT_GT(kb, 0);
  EXPECT_LT(kb, 100 * kMiB);
  child.Kill(SIGKILL);
  child.Wait(-1);
  fs::remove_all(dir);
}

TEST(ProcessMemoryTest, OwnGroupHoldsAtLeastThisProcess) {
  std::ifstream statm("/proc/self/statm");
  long size_pages = 0, resident_pages = 0;
  statm >> size_pages >> resident_pages;
  long own_kb = resident_pages * (::sysconf(_SC_PAGESIZE) / 1024);
  EXPECT_GE(ProcessGroupRssKb(::getpgrp()), own_kb * 9 / 10);
}

#endif

TEST(ProcessMemoryTest, NoSuchGroupIsZero) {
  // Process group IDs are process IDs, and no process has this one.
  EXPECT_EQ(ProcessGroupRssKb(0x7ffffff0), 0);
}

}  // namespace
}  // namespace pytest_shards
