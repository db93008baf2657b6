// The rules of running one entry's pytest, apart from how processes are
// started (as ninja keeps Builder apart from CommandRunner): the supervisor
// starts pytest on the entry's node IDs and follows the journal the plugin
// appends to, so that it knows which test runs. When the interpreter dies (a
// signal, os._exit) or a test overruns TEST_TIMEOUT, the running test gets a
// `crashed` / `timeout` result and pytest starts again on the tests that
// have not started yet. When the entry's TIMEOUT is about to run out, or an
// interrupt arrives, it stops pytest and journals the rest as `missing`.
//
// Restart bound: a restart happens only after a pytest run that started at
// least one test no earlier run had started, so an entry restarts at most
// once per node ID and every restart makes progress; a run that starts
// nothing (pytest itself broken, a crash during collection) ends the entry
// and its remaining node IDs are journaled as `missing`.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "data/journal.h"
#include "platform/subprocess.h"

namespace pytest_shards {

// One pytest process, as the supervisor sees it.
class PytestProcess {
 public:
  virtual ~PytestProcess() = default;
  // Waits up to `seconds` (negative: without limit). True once it exited.
  virtual bool Wait(double seconds) = 0;
  // Passes an interrupt (SIGINT, SIGTERM, SIGHUP) on to it and what it started.
  virtual void Interrupt(int signal) = 0;
  // Ends it and everything it started, at once.
  virtual void Kill() = 0;
  // The resident memory, in KiB, of it and what it started, now.
  virtual long MemoryKb() = 0;
  // After Wait() returned true: how it ended, and its own peak memory.
  virtual int exit_code() const = 0;
  virtual int signal() const = 0;  // 0 unless a signal ended it
  virtual long peak_rss_kb() const = 0;
};

// Starts pytest processes, and tells the supervisor what it cannot see
// itself: interrupts, and the time. real_process_runner.h has the real one;
// the unit tests a fake whose pytest "dies at test 3" (fake_pytest.h).
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Throws Error "cannot start <argv0>: <reason>".
  virtual std::unique_ptr<PytestProcess> Start(const SpawnOptions& options) = 0;
  // The interrupt received (SIGINT, SIGTERM or SIGHUP), or 0.
  virtual int Interrupted() = 0;
  // Seconds since the epoch: the clock of the plugin's records.
  virtual double WallTime() = 0;
  // Seconds of a clock that never jumps, for the entry's TIMEOUT.
  virtual double SteadyTime() = 0;
};

// Prints one line of ours among pytest's output: "pytest-shards: <line>".
void PrintLine(std::ostream& out, const std::string& line);

class Supervisor {
 public:
  // `test_timeout`: TEST_TIMEOUT; `entry_timeout`: the entry's TIMEOUT,
  // counted from now; 0: none.
  Supervisor(ProcessRunner& processes, JournalWriter& journal, std::ostream& out,
             double test_timeout, double entry_timeout);

  // Runs pytest on `node_ids` (each once) until each has a result; `command`
  // gives the spawn options of a run on the node IDs it is given. After a
  // crash, pytest restarts while a node ID has no result or `more_to_take`
  // (the shared tail: groups the entry may still take) says so. Returns the
  // entry's exit code: 0 exactly when every node ID ran and no test that
  // ran (its own or taken) failed.
  int RunNodeIds(const std::vector<std::string>& node_ids,
                 const std::function<SpawnOptions(const std::vector<std::string>&)>& command,
                 const std::function<bool()>& more_to_take = {});
  // The collection-errors entry: one pytest run straight on the `modules`
  // that did not import at configure time, so that their error shows here.
  int RunModules(const std::vector<std::string>& modules, const SpawnOptions& command);
  // Journals every one of `node_ids` without a result as `missing`, and
  // names each missing one, since pytest's own output does not show them.
  void WriteMissing(const std::vector<std::string>& node_ids);

  double SecondsSinceStart() { return processes_.SteadyTime() - start_; }
  int restarts() const { return restarts_; }
  // Of pytest's whole process group, over all its runs.
  long peak_rss_kb() const { return peak_rss_kb_; }
  // From the first run's start to its collected record; 0: unknown.
  double startup() const { return startup_; }

 private:
  // How one pytest run ended.
  enum class Ending { kFinished, kCrashed, kTimeout, kDeadline, kInterrupted, kNotStarted };

  void Print(const std::string& line) { PrintLine(out_, line); }
  Ending RunOnce(const SpawnOptions& command, int* exit_status);
  Ending AwaitEnd(PytestProcess& pytest);
  void SampleMemory(PytestProcess& pytest);
  void KillRunningTest(PytestProcess& pytest, Outcome outcome, const std::string& message);
  void Interrupt(PytestProcess& pytest, int signal);
  void JournalCrash(const PytestProcess& pytest);
  bool DeadlinePassed() { return deadline_ > 0 && SecondsSinceStart() >= deadline_; }

  ProcessRunner& processes_;
  JournalWriter& journal_;
  std::ostream& out_;
  double test_timeout_;
  double entry_timeout_;
  double start_;
  double deadline_ = 0;  // seconds after start_; 0: none
  int restarts_ = 0;
  bool crashed_outside_test_ = false;  // a pytest run died between tests
  long peak_rss_kb_ = 0;
  double startup_ = 0;
};

}  // namespace pytest_shards
