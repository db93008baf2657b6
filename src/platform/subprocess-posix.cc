// Subprocess on POSIX: posix_spawn from an argv array, never a shell.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <thread>

#include "platform/subprocess.h"
#include "util/error.h"

extern char** environ;

namespace pytest_shards {

namespace {

// Frees the posix_spawn attribute objects on every path out of Spawn().
struct SpawnAttributes {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnAttributes() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (const std::string& s : strings) result.push_back(const_cast<char*>(s.c_str()));
  result.push_back(nullptr);
  return result;
}

constexpr int kInterruptSignals[] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<int> g_interrupt{0};

extern "C" void OnInterrupt(int signal) { g_interrupt.store(signal); }

[[noreturn]] void ThrowCannotStart(const std::string& argv0, const std::string& reason) {
  throw Error("cannot start " + argv0 + ": " + reason);
}

}  // namespace

Subprocess::Subprocess(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) ThrowCannotStart("''", "empty command");
  const std::string& argv0 = options.argv[0];
  // posix_spawn reports a failed chdir like a missing program; say which.
  if (!options.cwd.empty() && !std::filesystem::is_directory(options.cwd))
    ThrowCannotStart(argv0, "working directory " + options.cwd + " does not exist");

  SpawnAttributes spawn;
  if (options.stdout_fd >= 0)
    posix_spawn_file_actions_adddup2(&spawn.actions, options.stdout_fd, STDOUT_FILENO);
  if (options.stderr_fd >= 0)
    posix_spawn_file_actions_adddup2(&spawn.actions, options.stderr_fd, STDERR_FILENO);
  if (!options.cwd.empty())
    posix_spawn_file_actions_addchdir_np(&spawn.actions, options.cwd.c_str());

  // The child starts with an empty signal mask and default dispositions for
  // the signals a parent commonly blocks or ignores (pytest needs SIGINT).
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  sigset_t mask;
  sigemptyset(&mask);
  posix_spawnattr_setsigmask(&spawn.attr, &mask);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&spawn.attr, &defaults);
  if (options.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&spawn.attr, 0);
  }
  posix_spawnattr_setflags(&spawn.attr, flags);

  std::vector<char*> argv = CStrings(options.argv);
  std::vector<char*> env;
  if (!options.env.empty()) env = CStrings(options.env);
  char** envp = options.env.empty() ? environ : env.data();

  pid_t pid = -1;
  int rc = argv0.find('/') == std::string::npos
               ? posix_spawnp(&pid, argv0.c_str(), &spawn.actions, &spawn.attr, argv.data(), envp)
               : posix_spawn(&pid, argv0.c_str(), &spawn.actions, &spawn.attr, argv.data(), envp);
  if (rc != 0) ThrowCannotStart(argv0, std::strerror(rc));
  pid_ = pid;
  group_ = options.new_process_group;
}

Subprocess::~Subprocess() {
  if (pid_ <= 0) return;
  // Also after a normal exit: what the child left running in its group
  // (servers a test started) must not outlive it and hold our output pipes.
  if (group_ || !exited_) Kill(SIGKILL);
  if (!exited_) Wait(-1);
}

bool Subprocess::Wait(double seconds) {
  if (exited_) return true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    int status = 0;
    struct rusage usage {};
    int options = seconds < 0 ? 0 : WNOHANG;
    pid_t r = ::wait4(pid_, &status, options, &usage);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      // Someone else reaped it (a SIGCHLD handler set to SIG_IGN): we cannot
      // know how it ended; report a failure rather than hang.
      exited_ = true;
      exit_code_ = 127;
      return true;
    }
    if (r == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) signal_ = WTERMSIG(status);
      peak_rss_kb_ = usage.ru_maxrss;  // kilobytes on Linux
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Short sleeps keep a quick child's latency low without spinning.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(10));
  }
}

void Subprocess::Kill() { Kill(SIGKILL); }

void Subprocess::Kill(int signal) {
  if (pid_ <= 0) return;
  // A group ID is not reused while the group has members, so killing the
  // group after its leader exited still reaches only what the child left
  // behind; a reaped lone child's pid, though, may belong to someone else.
  if (group_) {
    ::kill(-pid_, signal);
  } else if (!exited_) {
    ::kill(pid_, signal);
  }
}

struct InterruptHandlers::Saved {
  struct sigaction actions[std::size(kInterruptSignals) + 1];  // and SIGPIPE's
};

InterruptHandlers::InterruptHandlers() : saved_(std::make_unique<Saved>()) {
  g_interrupt.store(0);
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < std::size(kInterruptSignals); ++i)
    sigaction(kInterruptSignals[i], &action, &saved_->actions[i]);
  action.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &action, &saved_->actions[std::size(kInterruptSignals)]);
}

InterruptHandlers::~InterruptHandlers() {
  for (size_t i = 0; i < std::size(kInterruptSignals); ++i)
    sigaction(kInterruptSignals[i], &saved_->actions[i], nullptr);
  sigaction(SIGPIPE, &saved_->actions[std::size(kInterruptSignals)], nullptr);
}

int InterruptHandlers::Received() { return g_interrupt.load(); }

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> result;
  for (char** e = environ; e && *e; ++e) result.emplace_back(*e);
  return result;
}

}  // namespace pytest_shards
