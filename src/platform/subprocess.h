// Child processes started from an argv array (posix_spawn), never a shell,
// and the interrupts this process passes on to them. subprocess-posix.cc
// implements it.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace pytest_shards {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no '/'
  std::vector<std::string> env;   // "K=V"; empty: inherit ours
  std::string cwd;                // empty: ours
  bool new_process_group = true;  // so KillGroup reaches grandchildren too
  int stdout_fd = -1;             // -1: inherit ours
  int stderr_fd = -1;             // -1: inherit ours
};

class Subprocess {
 public:
  // Throws Error "cannot start <argv0>: <reason>".
  explicit Subprocess(const SpawnOptions& options);
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Kills the process group and reaps the child if it still runs.
  ~Subprocess();

  int pid() const { return pid_; }
  // Waits up to `seconds` (negative: without limit). True once it exited.
  bool Wait(double seconds);
  // Sends `signal` to the child's process group (or the child alone).
  void Kill(int signal);
  // Ends them at once (SIGKILL).
  void Kill();

  // Valid after Wait() returned true.
  bool exited() const { return exited_; }
  int exit_code() const { return exit_code_; }       // when it exited normally
  int signal() const { return signal_; }             // when a signal ended it, else 0
  long peak_rss_kb() const { return peak_rss_kb_; }  // of the child itself (wait4)

 private:
  int pid_ = -1;
  bool group_ = false;
  bool exited_ = false;
  int exit_code_ = -1;
  int signal_ = 0;
  long peak_rss_kb_ = 0;
};

// While one lives, SIGINT, SIGTERM and SIGHUP do not end this process but
// are recorded, so that it can pass them on to its child (Subprocess::Kill)
// and still write what it must. SIGPIPE is ignored: a Ctrl-C ends ctest at
// once, and a write to the pipe it read must not end its runner before the
// runner has stopped pytest. Its end restores the previous handlers.
class InterruptHandlers {
 public:
  InterruptHandlers();
  ~InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;

  // The last of those signals received since the newest one was made, or 0.
  static int Received();

 private:
  struct Saved;  // the handlers to restore
  std::unique_ptr<Saved> saved_;
};

// Environment of this process as "K=V" strings.
std::vector<std::string> CurrentEnvironment();

}  // namespace pytest_shards
