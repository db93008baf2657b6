#include "run/supervisor.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "util/error.h"

namespace pytest_shards {

namespace {

constexpr double kPollSeconds = 0.05;
// How often the resident memory of pytest's process group is summed. A
// sample reads /proc/<pid>/stat of every process (about 1-5 ms for 100
// processes), so not at every poll; a peak shorter than this may be missed
// in pytest's children, never in pytest itself (wait4 reports its peak).
constexpr double kMemorySampleSeconds = 0.2;
// After forwarding SIGINT/SIGTERM, how long pytest may take to stop.
constexpr double kInterruptGraceSeconds = 5;
constexpr size_t kMaxMissingPrinted = 20;

// "2", "0.5", "1.25": a user's TIMEOUT as they wrote it.
std::string FormatNumber(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

// What the pytest runs that started after the journal held `before`
// sessions wrote about their sessions: whether one reached its finish
// record, and when the first had collected.
Session NewSessions(const std::vector<Session>& sessions, size_t before) {
  Session folded;
  for (size_t i = before; i < sessions.size(); ++i) {
    folded.finished = folded.finished || sessions[i].finished;
    if (sessions[i].finished) folded.exit_status = sessions[i].exit_status;
    if (folded.collected_time == 0) folded.collected_time = sessions[i].collected_time;
  }
  return folded;
}

}  // namespace

void PrintLine(std::ostream& out, const std::string& line) {
  out << "pytest-shards: " << line << std::endl;
}

Supervisor::Supervisor(ProcessRunner& processes, JournalWriter& journal, std::ostream& out,
                       double test_timeout, double entry_timeout)
    : processes_(processes),
      journal_(journal),
      out_(out),
      test_timeout_(test_timeout),
      entry_timeout_(entry_timeout),
      start_(processes.SteadyTime()) {
  if (entry_timeout > 0) {
    // Stop a little before CTest would kill us without a word.
    double margin = std::clamp(entry_timeout * 0.05, std::min(1.0, entry_timeout / 4), 10.0);
    deadline_ = entry_timeout - margin;
  }
}

int Supervisor::RunNodeIds(
    const std::vector<std::string>& node_ids,
    const std::function<SpawnOptions(const std::vector<std::string>&)>& command,
    const std::function<bool()>& more_to_take) {
  // No pytest for nothing: with no node IDs it would collect the rootdir.
  if (node_ids.empty()) return 0;
  JournalTail& tail = journal_.tail();
  std::vector<std::string> todo = node_ids;
  Ending ending = Ending::kNotStarted;
  int exit_status = 0;
  for (;;) {
    size_t started_before = tail.started().size();
    ending = RunOnce(command(todo), &exit_status);
    if (ending != Ending::kCrashed && ending != Ending::kTimeout) break;
    std::set<std::string> started(tail.started().begin(), tail.started().end());
    std::map<std::string, std::string> outcomes = tail.LatestOutcomes();
    todo.clear();
    for (const std::string& id : node_ids) {
      if (!started.count(id) && !outcomes.count(id)) todo.push_back(id);
    }
    if (todo.empty() && !(more_to_take && more_to_take())) break;
    if (tail.started().size() == started_before) {
      Print("not restarting pytest: its last run started no test");
      break;
    }
    if (processes_.Interrupted() || DeadlinePassed()) break;
    ++restarts_;
    std::string what = todo.empty() ? "shared tail"
                       : todo.size() == 1
                           ? "test that has not run yet"
                           : std::to_string(todo.size()) + " tests that have not run yet";
    Print("restarting pytest on the " + what + " (restart " + std::to_string(restarts_) + ")");
  }
  WriteMissing(node_ids);
  std::map<std::string, std::string> outcomes = tail.LatestOutcomes();
  bool failed = false;
  // The journal holds the entry's own node IDs and the tail's it took.
  for (const auto& [id, outcome] : outcomes) failed = failed || IsFailure(outcome);
  // pytest exits 5 (no tests collected) when it had no item to run: every
  // node ID of the entry is a module skipped as a whole (importorskip at
  // module level), whose result the journal holds. Plain pytest on that
  // module says "1 skipped"; a shard that holds it passes.
  constexpr int kNoTestsCollected = 5;
  if (!failed && ending == Ending::kFinished && exit_status != 0 &&
      exit_status != kNoTestsCollected) {
    Print("pytest exited with status " + std::to_string(exit_status) + " although no test failed");
    failed = true;
  }
  // Every test passed, yet the interpreter died (a segfault in a session
  // hook, at exit): plain pytest would fail the run, and so do we.
  return failed || crashed_outside_test_ ? 1 : 0;
}

int Supervisor::RunModules(const std::vector<std::string>& modules, const SpawnOptions& command) {
  Print("these modules failed to collect at configure time:");
  for (const std::string& module : modules) out_ << "  " << module << "\n";
  out_.flush();
  int exit_status = 0;
  Ending ending = RunOnce(command, &exit_status);
  bool failed = ending != Ending::kFinished || exit_status != 0;
  for (const auto& [id, outcome] : journal_.tail().LatestOutcomes())
    failed = failed || IsFailure(outcome);
  if (ending == Ending::kFinished && exit_status != 0) {
    Print("pytest exited with status " + std::to_string(exit_status) +
          (exit_status == 5 ? " (no tests collected)" : ""));
  }
  return failed ? 1 : 0;
}

void Supervisor::WriteMissing(const std::vector<std::string>& node_ids) {
  int interrupted = processes_.Interrupted();
  journal_.WriteMissing(node_ids, interrupted);
  const std::string missing = OutcomeName(Outcome::kMissing);
  std::map<std::string, std::string> messages;
  std::size_t cut_short = 0;  // by the interrupt: not run, not failed
  for (const TestResult& result : journal_.tail().results()) {
    if (result.outcome == missing) messages[result.node_id] = result.message;
    if (result.outcome == missing && result.interrupted != 0) ++cut_short;
  }
  if (cut_short > 0) {
    Print("interrupted by signal " + std::to_string(interrupted) + ": " +
          std::to_string(cut_short) + " of " + std::to_string(node_ids.size()) +
          " tests did not run");
    return;
  }
  std::map<std::string, std::string> outcomes = journal_.tail().LatestOutcomes();
  size_t count = 0;
  for (const std::string& id : node_ids) {
    if (outcomes[id] != missing) continue;
    if (++count <= kMaxMissingPrinted)
      Print("missing: " + (messages[id].empty() ? "never ran: " + id : messages[id]));
  }
  if (count > kMaxMissingPrinted)
    Print("... and " + std::to_string(count - kMaxMissingPrinted) + " more missing");
}

// Runs pytest once and follows it. *exit_status is its exit status, or
// 128 + the signal that ended it.
Supervisor::Ending Supervisor::RunOnce(const SpawnOptions& command, int* exit_status) {
  *exit_status = -1;
  out_.flush();
  JournalTail& tail = journal_.tail();
  tail.Poll();
  size_t sessions_before = tail.sessions().size();
  double spawned = processes_.WallTime();
  std::unique_ptr<PytestProcess> pytest;
  try {
    pytest = processes_.Start(command);
  } catch (const Error& e) {
    Print(std::string(e.what()) + "; set PYTHON in pytest_shard_tests() and re-run cmake");
    return Ending::kNotStarted;
  }
  Ending ending = AwaitEnd(*pytest);
  // What pytest left running in its group dies now, before the next run
  // needs the ports.
  pytest->Kill();
  journal_.CatchUp();
  // wait4's peak of pytest itself catches a spike between two samples.
  peak_rss_kb_ = std::max(peak_rss_kb_, pytest->peak_rss_kb());
  *exit_status = pytest->signal() ? 128 + pytest->signal() : pytest->exit_code();
  Session session = NewSessions(tail.sessions(), sessions_before);
  if (startup_ == 0 && session.collected_time > 0)
    startup_ = std::max(0.0, session.collected_time - spawned);
  if (ending == Ending::kFinished && !session.finished) {
    ending = Ending::kCrashed;
    JournalCrash(*pytest);
  }
  return ending;
}

// Waits for pytest, enforcing the timeouts and passing on interrupts.
Supervisor::Ending Supervisor::AwaitEnd(PytestProcess& pytest) {
  JournalTail& tail = journal_.tail();
  // The first sample after kMemorySampleSeconds: at its start pytest's group
  // is pytest alone, whose peak wait4 reports, and a scan of /proc costs
  // more than most per-test entries' tests.
  double sampled = processes_.SteadyTime();
  for (;;) {
    if (pytest.Wait(kPollSeconds)) return Ending::kFinished;
    if (processes_.SteadyTime() - sampled >= kMemorySampleSeconds) {
      sampled = processes_.SteadyTime();
      SampleMemory(pytest);
    }
    tail.Poll();
    const std::string running = tail.running();
    if (int signal = processes_.Interrupted()) {
      Interrupt(pytest, signal);
      return Ending::kInterrupted;
    }
    if (test_timeout_ > 0 && !running.empty() &&
        processes_.WallTime() - tail.running_since() > test_timeout_) {
      std::string message =
          "timeout: " + running + " ran longer than " + FormatNumber(test_timeout_) + " s; killed";
      KillRunningTest(pytest, Outcome::kTimeout, message);
      return Ending::kTimeout;
    }
    if (DeadlinePassed()) {
      std::string message =
          "timeout: the entry's TIMEOUT of " + FormatNumber(entry_timeout_) + " s is running out";
      if (!running.empty()) message += " while running " + running;
      KillRunningTest(pytest, Outcome::kTimeout, message + "; killed");
      return Ending::kDeadline;
    }
  }
}

// The peak of the whole process tree: pytest runs as the leader of its
// own process group, and what it starts stays in that group.
void Supervisor::SampleMemory(PytestProcess& pytest) {
  peak_rss_kb_ = std::max(peak_rss_kb_, pytest.MemoryKb());
}

// Kills pytest, then gives the test that was running (if any) `outcome`.
void Supervisor::KillRunningTest(PytestProcess& pytest, Outcome outcome,
                                 const std::string& message) {
  out_ << "\n";  // pytest -v left its line open at the test's name
  Print(message);
  pytest.Kill();
  pytest.Wait(-1);
  journal_.WriteRunningTest(outcome, message);
}

void Supervisor::Interrupt(PytestProcess& pytest, int signal) {
  out_ << "\n";
  Print("interrupted by signal " + std::to_string(signal) + "; stopping pytest");
  pytest.Interrupt(signal);
  if (!pytest.Wait(kInterruptGraceSeconds)) pytest.Kill();
  pytest.Wait(-1);
  journal_.CatchUp();
  // Not the test's fault, but it did not run to its end.
  journal_.WriteRunningTest(Outcome::kMissing,
                            "interrupted by signal " + std::to_string(signal) + " while running " +
                                journal_.tail().running(),
                            signal);
}

// pytest ended without its finish record.
void Supervisor::JournalCrash(const PytestProcess& pytest) {
  std::string how = pytest.signal() ? "signal " + std::to_string(pytest.signal())
                                    : "exit status " + std::to_string(pytest.exit_code());
  const std::string running = journal_.tail().running();
  if (running.empty()) {
    Print("pytest ended (" + how + ") before finishing its session, outside any test");
    crashed_outside_test_ = true;
    return;
  }
  std::string message = "crashed: " + how + " while running " + running;
  out_ << "\n";
  Print(message);
  journal_.WriteRunningTest(Outcome::kCrashed, message);
}

}  // namespace pytest_shards
