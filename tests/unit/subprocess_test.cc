#include "platform/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "test_dir.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

class SubprocessTest : public TestDirFixture {
 protected:
  static SpawnOptions Shell(const std::string& script) {
    SpawnOptions options;
    options.argv = {"/bin/sh", "-c", script};
    return options;
  }

  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

// True once `pid` is gone or a zombie; false if it still runs after 5 s.
bool EventuallyDead(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    // The state follows the ')' that ends the command name.
    auto paren = line.rfind(')');
    if (paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z')
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_F(SubprocessTest, ReportsExitCode) {
  Subprocess child(Shell("exit 3"));
  EXPECT_GT(child.pid(), 0);
  ASSERT_TRUE(child.Wait(-1));
  EXPECT_TRUE(child.exited());
  EXPECT_EQ(child.exit_code(), 3);
  EXPECT_EQ(child.signal(), 0);
  EXPECT_GT(child.peak_rss_kb(), 0);
}

TEST_F(SubprocessTest, ReportsSignal) {
  Subprocess child(Shell("kill -SEGV $$"));
  ASSERT_TRUE(child.Wait(-1));
  EXPECT_EQ(child.signal(), SIGSEGV);
}

TEST_F(SubprocessTest, WaitTimesOutThenKillEndsIt) {
  Subprocess child(Shell("exec sleep 30"));
  EXPECT_FALSE(child.Wait(0.05));
  EXPECT_FALSE(child.exited());
  child.Kill(SIGKILL);
  ASSERT_TRUE(child.Wait(10));
  EXPECT_EQ(child.signal(), SIGKILL);
  // Waiting again after exit is harmless.
  EXPECT_TRUE(child.Wait(0));
}

TEST_F(SubprocessTest, KillReachesTheWholeGroup) {
  fs::path pid_file = dir_ / "grandchild.pid";
  Subprocess child(Shell("sleep 30 & echo $! > " + pid_file.string() + "; wait"));
  pid_t grandchild = 0;
  for (int i = 0; i < 500 && grandchild == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::string text = Read(pid_file);
    if (!text.empty() && text.back() == '\n') grandchild = std::atoi(text.c_str());
  }
  ASSERT_GT(grandchild, 0);
  EXPECT_EQ(::getpgid(child.pid()), child.pid());
  EXPECT_EQ(::getpgid(grandchild), child.pid());
  child.Kill(SIGTERM);
  ASSERT_TRUE(child.Wait(10));
  EXPECT_EQ(child.signal(), SIGTERM);
  EXPECT_TRUE(EventuallyDead(grandchild));
}

TEST_F(SubprocessTest, WithoutNewGroupShareOurGroup) {
  SpawnOptions options = Shell("exec sleep 30");
  options.new_process_group = false;
  Subprocess child(options);
  EXPECT_EQ(::getpgid(child.pid()), ::getpgid(0));
  child.Kill(SIGKILL);
  ASSERT_TRUE(child.Wait(10));
  EXPECT_EQ(child.signal(), SIGKILL);
}

TEST_F(SubprocessTest, DestructorKillsAndReaps) {
  pid_t pid = 0;
  {
    Subprocess child(Shell("exec sleep 30"));
    pid = child.pid();
  }
  // Reaped: not even a zombie is left.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(SubprocessTest, DestructorKillsWhatTheChildLeftBehind) {
  fs::path pid_file = dir_ / "orphan.pid";
  pid_t orphan = 0;
  {
    Subprocess child(Shell("sleep 30 & echo $! > " + pid_file.string()));
    ASSERT_TRUE(child.Wait(10));
    EXPECT_EQ(child.exit_code(), 0);
    orphan = std::atoi(Read(pid_file).c_str());
    ASSERT_GT(orphan, 0);
    EXPECT_EQ(::kill(orphan, 0), 0);  // still running before the destructor
  }
  EXPECT_TRUE(EventuallyDead(orphan));
}

TEST_F(SubprocessTest, RunsInWorkingDirectory) {
  SpawnOptions options = Shell("pwd -P > out.txt");
  options.cwd = dir_.string();
  Subprocess child(options);
  ASSERT_TRUE(child.Wait(-1));
  EXPECT_EQ(child.exit_code(), 0);
  EXPECT_EQ(Read(dir_ / "out.txt"), fs::canonical(dir_).string() + "\n");
}

TEST_F(SubprocessTest, PassesEnvironmentAndRedirectsOutput) {
  SpawnOptions options = Shell("echo \"out:$SUBPROCESS_TEST_VAR\"; echo err >&2");
  options.env = {"SUBPROCESS_TEST_VAR=hello world", "PATH=/usr/bin:/bin"};
  int out = ::open((dir_ / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = ::open((dir_ / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(out, 0);
  ASSERT_GE(err, 0);
  options.stdout_fd = out;
  options.stderr_fd = err;
  Subprocess child(options);
  ASSERT_TRUE(child.Wait(-1));
  ::close(out);
  ::close(err);
  EXPECT_EQ(child.exit_code(), 0);
  EXPECT_EQ(Read(dir_ / "out"), "out:hello world\n");
  EXPECT_EQ(Read(dir_ / "err"), "err\n");
}

TEST_F(SubprocessTest, EmptyEnvironmentInheritsOurs) {
  ::setenv("SUBPROCESS_TEST_INHERITED", "yes", 1);
  Subprocess child(Shell("test \"$SUBPROCESS_TEST_INHERITED\" = yes"));
  ASSERT_TRUE(child.Wait(-1));
  EXPECT_EQ(child.exit_code(), 0);
}

TEST_F(SubprocessTest, LooksUpPathWhenNoSlash) {
  SpawnOptions options;
  options.argv = {"sh", "-c", "exit 7"};
  Subprocess child(options);
  ASSERT_TRUE(child.Wait(-1));
  EXPECT_EQ(child.exit_code(), 7);
}

TEST_F(SubprocessTest, MissingProgramIsAnError) {
  SpawnOptions options;
  options.argv = {"pytest-shards-no-such-program"};
  try {
    Subprocess child(options);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot start pytest-shards-no-such-program: No such file or directory");
  }
  options.argv = {(dir_ / "missing").string()};
  EXPECT_THROW(Subprocess child(options), Error);
}

TEST_F(SubprocessTest, MissingWorkingDirectoryIsAnError) {
  SpawnOptions options = Shell("true");
  options.cwd = (dir_ / "missing").string();
  try {
    Subprocess child(options);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot start /bin/sh: working directory"),
              std::string::npos)
        << e.what();
  }
}

TEST(InterruptHandlers, RecordSignalsInsteadOfDying) {
  {
    InterruptHandlers handlers;
    EXPECT_EQ(InterruptHandlers::Received(), 0);
    ::raise(SIGINT);
    EXPECT_EQ(InterruptHandlers::Received(), SIGINT);
  }
  InterruptHandlers again;
  EXPECT_EQ(InterruptHandlers::Received(), 0);
}

TEST(InterruptHandlers, WriteToAPipeWithoutReaderFailsInsteadOfKilling) {
  // What a runner's output pipe is once a Ctrl-C has ended ctest.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  struct sigaction before {};
  ::sigaction(SIGPIPE, nullptr, &before);
  {
    InterruptHandlers handlers;
    EXPECT_EQ(::write(fds[1], "x", 1), -1);
    EXPECT_EQ(errno, EPIPE);
  }
  struct sigaction after {};
  ::sigaction(SIGPIPE, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);  // restored
  ::close(fds[1]);
}

TEST_F(SubprocessTest, CurrentEnvironmentHasOurVariables) {
  ::setenv("SUBPROCESS_TEST_CURRENT", "a=b", 1);
  std::vector<std::string> env = CurrentEnvironment();
  EXPECT_NE(std::find(env.begin(), env.end(), "SUBPROCESS_TEST_CURRENT=a=b"), env.end());
}

}  // namespace
}  // namespace pytest_shards
