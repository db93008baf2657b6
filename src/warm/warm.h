// Warm interpreters, the runner's side: finding or starting the forking
// pytest server of one suite and ctest run (python/pytest_shards_plugin/warm.py),
// and following a pytest run it forked for an entry as if the runner had
// started it (pid, wait, kill, exit status, peak RSS).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/runs.h"  // WarmDir, WarmUnavailable
#include "platform/warm_socket.h"

namespace pytest_shards {

// What one forked pytest run takes from its entry.
struct WarmRequest {
  // The pytest command line after `python -m pytest`: the server's own but
  // for the per-entry --basetemp, -o cache_dir, --shards-node-ids and
  // --shards-journal (it refuses others).
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "K=V", the whole environment
  std::string cwd;
  std::vector<int> fds = {0, 1, 2};  // become the child's stdin, stdout, stderr
};

// A pytest run the warm server forked. The server waits for it (wait4) and
// sends its status; the runner never signals the pid itself, since it is not
// the parent and could not know when the pid is reused.
class WarmChild {
 public:
  // Asks the server on `socket` for a child. nullptr when it did not fork
  // one: *why says why, and *stale is set when the server's imports were out
  // of date (it then exits; start another).
  static std::unique_ptr<WarmChild> Start(WarmSocket socket, const WarmRequest& request,
                                          double seconds, std::string* why, bool* stale);
  WarmChild(const WarmChild&) = delete;
  WarmChild& operator=(const WarmChild&) = delete;
  // Kills the child if it still runs, and waits for the server to say so.
  ~WarmChild();

  int pid() const { return pid_; }  // it leads its own process group
  // Waits up to `seconds` (negative: without limit). True once it exited.
  bool Wait(double seconds);
  // Asks the server to send `signal` to the child's process group.
  void Kill(int signal);

  // Valid after Wait() returned true.
  bool exited() const { return exited_; }
  int exit_code() const { return exit_code_; }
  int signal() const { return signal_; }
  long peak_rss_kb() const { return peak_rss_kb_; }
  // The server went away before the child's status came: the child died
  // with it (SIGKILL); signal() says so.
  bool lost() const { return lost_; }

 private:
  WarmChild(WarmSocket socket, int pid) : socket_(std::move(socket)), pid_(pid) {}

  WarmSocket socket_;
  int pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  int signal_ = 0;
  long peak_rss_kb_ = 0;
  bool lost_ = false;
};

// How to reach a run's warm server, and how to start it.
struct WarmServerSpec {
  std::filesystem::path dir;      // private (0700): socket, start.lock, logs, unavailable
  std::vector<std::string> argv;  // python -m pytest_shards_plugin.warm --dir <dir> ...
  std::vector<std::string> env;
  std::string cwd;
  double start_timeout = 300;          // seconds for pytest to import and collect the suite
  std::function<void()> before_start;  // writes the files argv names; may throw Error
};

// Connects to the server in spec.dir, starting it (under spec.dir/start.lock,
// so that concurrent entries start one) when none listens. nullopt and *why
// when warm interpreters are unavailable for this run (no os.fork, pytest
// failing, threads at import time...); that is recorded in spec.dir, so that
// the run's later entries go cold at once.
std::optional<WarmSocket> ConnectWarmServer(const WarmServerSpec& spec, std::string* why);

// Removes <suite_dir>/warm/<id> of runs that no longer exist (pruned) and
// whose server is gone.
void PruneWarmDirs(const std::filesystem::path& suite_dir);

}  // namespace pytest_shards
