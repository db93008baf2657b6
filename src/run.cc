// The shard runner. It starts pytest on one entry's node IDs and follows
// the journal the plugin appends to, so that it knows which test runs. When
// the interpreter dies (a signal, os._exit) or a test overruns the per-test
// timeout, the running test gets a `crashed` / `timeout` result and pytest
// starts again on the tests that have not started yet.
//
// Restart bound: a restart happens only after a pytest run that started at
// least one test no earlier run had started, so an entry restarts at most
// once per node ID and every restart makes progress; a run that starts
// nothing (pytest itself broken, a crash during collection) ends the entry
// and its remaining node IDs are journaled as `missing`.
#include "run.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iomanip>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include "error.h"
#include "file_lock.h"
#include "file_util.h"
#include "journal.h"
#include "ports.h"
#include "process_memory.h"
#include "runs.h"
#include "subprocess.h"
#include "warm.h"
#include "warm_run.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

#ifdef _WIN32
constexpr char kPathListSeparator = ';';
#else
constexpr char kPathListSeparator = ':';
#endif

constexpr double kPollSeconds = 0.05;
// How often the resident memory of pytest's process group is summed. A
// sample reads /proc/<pid>/stat of every process (about 1-5 ms for 100
// processes), so not at every poll; a peak shorter than this may be missed
// in pytest's children, never in pytest itself (wait4 reports its peak).
constexpr double kMemorySampleSeconds = 0.2;
// After forwarding SIGINT/SIGTERM, how long pytest may take to stop.
constexpr double kInterruptGraceSeconds = 5;
constexpr size_t kMaxMissingPrinted = 20;
// How long the warm interpreter may take to fork a child.
constexpr double kWarmAnswerSeconds = 30;

// Seconds since the epoch, like Python's time.time() in the plugin's records.
double WallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// "2", "0.5", "1.25": a user's TIMEOUT as they wrote it.
std::string FormatNumber(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

std::string FormatSeconds(double seconds) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << seconds << " s";
  return s.str();
}

// Sets K=V in a "K=V" list, replacing an earlier K.
void SetVariable(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  std::string prefix = name + "=";
  for (std::string& entry : env) {
    if (entry.compare(0, prefix.size(), prefix) == 0) {
      entry = prefix + value;
      return;
    }
  }
  env.push_back(prefix + value);
}

std::string GetVariable(const std::vector<std::string>& env, const std::string& name) {
  std::string prefix = name + "=";
  for (const std::string& entry : env) {
    if (entry.compare(0, prefix.size(), prefix) == 0) return entry.substr(prefix.size());
  }
  return "";
}

// Appends one record as one line with one write(): the plugin appends to the
// same file, and O_APPEND keeps whole lines whole.
void AppendRecord(const fs::path& journal, json record, bool truncate = false) {
  record["time"] = WallNow();
  std::string line = record.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  int fd = ::open(journal.c_str(), flags, 0666);
  if (fd < 0) {
    throw Error("cannot write journal " + journal.string() + ": " + std::strerror(errno) +
                "; make the build tree writable");
  }
  ssize_t written = ::write(fd, line.data(), line.size());
  int saved = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    throw Error("cannot write journal " + journal.string() + ": " + std::strerror(saved) +
                "; make the build tree writable");
  }
}

void AppendResult(const fs::path& journal, const std::string& node_id, const std::string& outcome,
                  double duration, const std::string& message) {
  AppendRecord(journal, {{"event", "result"},
                         {"nodeid", node_id},
                         {"outcome", outcome},
                         {"duration", duration},
                         {"message", message}});
}

// What one pytest run wrote about its session, from byte `offset` of the
// journal on: whether it reached `finish`, and when it had collected.
struct Session {
  bool finished = false;
  int exit_status = 0;
  double collected_time = 0;
};

Session ReadSession(const fs::path& journal, size_t offset) {
  Session session;
  std::string text = ReadFile(journal);
  size_t begin = std::min(offset, text.size());
  for (size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1) {
    json record = json::parse(std::string_view(text).substr(begin, end - begin), nullptr,
                              /*allow_exceptions=*/false);
    if (!record.is_object()) continue;  // JournalTail reports corruption
    std::string event = record.value("event", "");
    if (event == "finish") {
      session.finished = true;
      session.exit_status = record.value("exitstatus", 0);
    } else if (event == "collected" && session.collected_time == 0) {
      session.collected_time = record.value("time", 0.0);
    }
  }
  return session;
}

size_t FileSize(const fs::path& file) {
  std::error_code ec;
  uintmax_t size = fs::file_size(file, ec);
  return ec ? 0 : static_cast<size_t>(size);
}

// How one pytest run ended.
enum class Ending { kFinished, kCrashed, kTimeout, kDeadline, kInterrupted, kNotStarted };

class Runner {
 public:
  Runner(PlanFile plan, int index, std::ostream& out)
      : plan_(std::move(plan)),
        settings_(plan_.settings),
        entry_(plan_.plan.entries[static_cast<size_t>(index)]),
        index_(index),
        out_(out),
        start_(Clock::now()),
        journal_(RunJournalDir(settings_.suite_dir, plan_.run_id) /
                 (std::to_string(index) + ".jsonl")),
        tail_(journal_) {
    std::set<std::string> seen;
    for (const std::string& id : entry_.node_ids) {
      if (seen.insert(id).second) wanted_.push_back(id);
    }
    std::string prefix = settings_.suite + "/";
    label_ = entry_.name.compare(0, prefix.size(), prefix) == 0 ? entry_.name.substr(prefix.size())
                                                                : entry_.name;
    if (settings_.timeout > 0) {
      // Stop a little before CTest would kill us without a word.
      double margin =
          std::clamp(settings_.timeout * 0.05, std::min(1.0, settings_.timeout / 4), 10.0);
      deadline_ = settings_.timeout - margin;
    }
  }

  int Run() {
    // SIGINT/SIGTERM/SIGHUP while the runner waits: pytest runs in its own
    // process group, so the terminal's Ctrl-C or CTest's kill reach only us;
    // we pass the signal on instead of leaving pytest behind.
    InterruptHandlers handlers;
    std::error_code ec;  // AppendRecord names the problem
    fs::create_directories(journal_.parent_path(), ec);
    AppendRecord(
        journal_,
        {{"event", "run"}, {"run_id", plan_.run_id}, {"entry", entry_.name}, {"index", index_}},
        /*truncate=*/true);
    int exit = 1;
    try {
      Prepare();
      exit = entry_.collection_errors ? RunModules() : RunNodeIds();
    } catch (const Error& e) {
      // The journal still says what became of every node ID.
      Say(e.what());
      if (!entry_.collection_errors) JournalMissing();
    }
    AppendRecord(journal_, {{"event", "shard"},
                            {"entry", entry_.name},
                            {"wall", SecondsSince(start_)},
                            {"startup", startup_},
                            {"peak_rss_kb", peak_rss_kb_},
                            {"exit", exit},
                            {"restarts", restarts_}});
    PrintSummary();
    return exit;
  }

 private:
  void Say(const std::string& line) { out_ << "pytest-shards: " << line << std::endl; }

  // tmp/<index>, or tmp/<index>-<n> while another ctest on this build tree
  // runs the same index.
  fs::path LeaseTmpDir() {
    fs::path root = settings_.TmpRoot();
    std::error_code ec;
    fs::create_directories(root, ec);
    for (int n = 0; n < 1000; ++n) {
      std::string name = std::to_string(index_) + (n == 0 ? "" : "-" + std::to_string(n));
      tmp_lock_ = FileLock::TryLock(root / (name + ".lock"), FileLock::Mode::kExclusive);
      if (tmp_lock_) return root / name;
    }
    throw Error("every shard directory " + (root / std::to_string(index_)).string() +
                "-<n> is in use; stop the other ctest runs on this build tree");
  }

  void Prepare() {
    shard_.index = index_;
    shard_.count = static_cast<int>(plan_.plan.entries.size());
    shard_.tmpdir = LeaseTmpDir();
    std::error_code ec;
    fs::remove_all(shard_.tmpdir, ec);
    if (!ec) fs::create_directories(shard_.tmpdir, ec);
    if (ec) {
      throw Error("cannot empty shard directory " + shard_.tmpdir.string() + ": " + ec.message() +
                  "; make the build tree writable");
    }
    ports_ = std::make_unique<PortLease>(settings_.PortLockDir(), settings_.port_base,
                                         settings_.ports_per_shard);
    shard_.port_base = ports_->base();
    shard_.port_count = ports_->count();
    env_ = ShardEnvironment(settings_, shard_, CurrentEnvironment());
    if (UseWarm(settings_, entry_, env_)) warm_ = WarmSpec(plan_, entry_, ctest_);
  }

  // The latest outcome of every node ID with a result.
  std::map<std::string, std::string> Outcomes() const {
    std::map<std::string, std::string> outcomes;
    for (const TestResult& result : tail_.results()) outcomes[result.node_id] = result.outcome;
    return outcomes;
  }

  // The normal entry: its node IDs, restarting after crashes and timeouts.
  int RunNodeIds() {
    const std::vector<std::string>& wanted = wanted_;
    fs::path node_ids_file = shard_.tmpdir / "pytest-shards-node-ids.json";
    // No pytest for nothing: with no node IDs it would collect the rootdir.
    if (wanted.empty()) return 0;
    std::vector<std::string> todo = wanted;
    Ending ending = Ending::kNotStarted;
    int exit_status = 0;
    for (;;) {
      WriteFileAtomic(node_ids_file, NodeIdsFileText(plan_, todo));
      size_t started_before = tail_.started().size();
      ending = RunPytest(PytestArgv(plan_, entry_, shard_, node_ids_file, journal_), &exit_status);
      if (ending != Ending::kCrashed && ending != Ending::kTimeout) break;
      std::set<std::string> started(tail_.started().begin(), tail_.started().end());
      std::map<std::string, std::string> outcomes = Outcomes();
      todo.clear();
      for (const std::string& id : wanted) {
        if (!started.count(id) && !outcomes.count(id)) todo.push_back(id);
      }
      if (todo.empty()) break;
      if (tail_.started().size() == started_before) {
        Say("not restarting pytest: its last run started no test");
        break;
      }
      if (InterruptHandlers::Received() || (deadline_ > 0 && SecondsSince(start_) >= deadline_))
        break;
      ++restarts_;
      Say("restarting pytest on the " +
          (todo.size() == 1 ? std::string("test that has")
                            : std::to_string(todo.size()) + " tests that have") +
          " not run yet (restart " + std::to_string(restarts_) + ")");
    }
    JournalMissing();
    std::map<std::string, std::string> outcomes = Outcomes();
    bool failed = false;
    for (const std::string& id : wanted) failed = failed || IsFailure(outcomes[id]);
    if (!failed && ending == Ending::kFinished && exit_status != 0) {
      Say("pytest exited with status " + std::to_string(exit_status) + " although no test failed");
      failed = true;
    }
    // Every test passed, yet the interpreter died (a segfault in a session
    // hook, at exit): plain pytest would fail the run, and so do we.
    return failed || crashed_outside_test_ ? 1 : 0;
  }

  // The collection-errors entry: pytest straight on the modules that did
  // not import at configure time, so that their error shows here.
  int RunModules() {
    Say("these modules failed to collect at configure time:");
    for (const std::string& module : entry_.node_ids) out_ << "  " << module << "\n";
    out_.flush();
    int exit_status = 0;
    Ending ending =
        RunPytest(PytestArgv(plan_, entry_, shard_, fs::path(), journal_), &exit_status);
    bool failed = ending != Ending::kFinished || exit_status != 0;
    for (const auto& [id, outcome] : Outcomes()) failed = failed || IsFailure(outcome);
    if (ending == Ending::kFinished && exit_status != 0) {
      Say("pytest exited with status " + std::to_string(exit_status) +
          (exit_status == 5 ? " (no tests collected)" : ""));
    }
    return failed ? 1 : 0;
  }

  // Runs pytest once and follows it. *exit_status is its exit status, or
  // 128 + the signal that ended it.
  Ending RunPytest(const std::vector<std::string>& argv, int* exit_status) {
    *exit_status = -1;
    SpawnOptions options;
    options.argv = argv;
    options.env = env_;
    options.cwd = settings_.workdir.string();
    out_.flush();
    size_t offset = FileSize(journal_);
    double spawned = WallNow();
    if (std::unique_ptr<WarmChild> warm = StartWarm(argv))
      return Finish(*warm, offset, spawned, exit_status);
    if (ctest_gone_) return Ending::kNotStarted;
    std::unique_ptr<Subprocess> child;
    try {
      child = std::make_unique<Subprocess>(options);
    } catch (const Error& e) {
      Say(std::string(e.what()) + "; set PYTHON in pytest_shard_tests() and re-run cmake");
      return Ending::kNotStarted;
    }
    return Finish(*child, offset, spawned, exit_status);
  }

  // A pytest forked by the run's warm interpreter, or nullptr: then pytest
  // starts cold (said once), or not at all when our ctest is gone.
  std::unique_ptr<WarmChild> StartWarm(const std::vector<std::string>& argv) {
    if (!warm_) return nullptr;
    WarmRequest request;
    request.argv = WarmArgv(argv);
    request.env = env_;
    request.cwd = settings_.workdir.string();
    std::string why;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (::getppid() != ctest_) {
        // Killed ctest: a server started now would outlive it.
        Say("the ctest of this entry is gone; not starting pytest");
        ctest_gone_ = true;
        return nullptr;
      }
      std::optional<WarmSocket> socket = ConnectWarmServer(*warm_, &why);
      if (!socket) break;
      bool stale = false;
      std::unique_ptr<WarmChild> child =
          WarmChild::Start(std::move(*socket), request, kWarmAnswerSeconds, &why, &stale);
      if (child) return child;
      // Stale, or it stopped (idle) as we came: the next attempt starts one.
      if (stale) Say(why + "; starting it again");
    }
    Say(why + "; pytest starts cold");
    warm_.reset();
    return nullptr;
  }

  // Follows one pytest run (a Subprocess or a WarmChild) to its end.
  template <typename Child>
  Ending Finish(Child& child, size_t offset, double spawned, int* exit_status) {
    Ending ending = Follow(child);
    // The child's destructor kills what pytest left running in its group;
    // do that now, before the next run needs the ports.
    child.Kill(SIGKILL);
    SyncJournal();
    // wait4's peak of pytest itself catches a spike between two samples.
    peak_rss_kb_ = std::max(peak_rss_kb_, child.peak_rss_kb());
    *exit_status = child.signal() ? 128 + child.signal() : child.exit_code();
    Session session = ReadSession(journal_, offset);
    if (startup_ == 0 && session.collected_time > 0)
      startup_ = std::max(0.0, session.collected_time - spawned);
    if (ending == Ending::kFinished && !session.finished) {
      ending = Ending::kCrashed;
      JournalCrash(child);
    }
    return ending;
  }

  // Waits for pytest, enforcing the timeouts and passing on interrupts.
  template <typename Child>
  Ending Follow(Child& child) {
    Clock::time_point sampled = Clock::now();
    SampleMemory(child);
    for (;;) {
      if (child.Wait(kPollSeconds)) return Ending::kFinished;
      if (SecondsSince(sampled) >= kMemorySampleSeconds) {
        sampled = Clock::now();
        SampleMemory(child);
      }
      tail_.Poll();
      const std::string& running = tail_.running();
      if (int signal = InterruptHandlers::Received()) {
        Interrupt(child, signal);
        return Ending::kInterrupted;
      }
      if (settings_.test_timeout > 0 && !running.empty() &&
          WallNow() - tail_.running_since() > settings_.test_timeout) {
        std::string message = "timeout: " + running + " ran longer than " +
                              FormatNumber(settings_.test_timeout) + " s; killed";
        KillTest(child, "timeout", message);
        return Ending::kTimeout;
      }
      if (deadline_ > 0 && SecondsSince(start_) >= deadline_) {
        std::string message = "timeout: the entry's TIMEOUT of " + FormatNumber(settings_.timeout) +
                              " s is running out";
        if (!running.empty()) message += " while running " + running;
        KillTest(child, "timeout", message + "; killed");
        return Ending::kDeadline;
      }
    }
  }

  // The peak of the whole process tree: pytest runs as the leader of its
  // own process group, and what it starts stays in that group.
  template <typename Child>
  void SampleMemory(const Child& child) {
    peak_rss_kb_ = std::max(peak_rss_kb_, ProcessGroupRssKb(child.pid()));
  }

  // Kills pytest, then gives the test that was running (if any) `outcome`.
  template <typename Child>
  void KillTest(Child& child, const std::string& outcome, const std::string& message) {
    out_ << "\n";  // pytest -v left its line open at the test's name
    Say(message);
    child.Kill(SIGKILL);
    child.Wait(-1);
    JournalRunning(outcome, message);
  }

  template <typename Child>
  void Interrupt(Child& child, int signal) {
    out_ << "\n";
    Say("interrupted by signal " + std::to_string(signal) + "; stopping pytest");
    child.Kill(signal);
    if (!child.Wait(kInterruptGraceSeconds)) child.Kill(SIGKILL);
    child.Wait(-1);
    SyncJournal();
    // Not the test's fault, but it did not run to its end.
    JournalRunning("missing", "interrupted by signal " + std::to_string(signal) +
                                  " while running " + tail_.running());
  }

  // pytest ended without its `finish` record.
  template <typename Child>
  void JournalCrash(const Child& child) {
    std::string how = child.signal() ? "signal " + std::to_string(child.signal())
                                     : "exit status " + std::to_string(child.exit_code());
    if (tail_.running().empty()) {
      Say("pytest ended (" + how + ") before finishing its session, outside any test");
      crashed_outside_test_ = true;
      return;
    }
    std::string message = "crashed: " + how + " while running " + tail_.running();
    out_ << "\n";
    Say(message);
    JournalRunning("crashed", message);
  }

  // Reads what the dead pytest wrote last, cutting off a torn line first.
  void SyncJournal() {
    RepairJournal(journal_);
    tail_.Poll();
  }

  // Gives the test pytest was running when it died a result; nothing when
  // the test ended after all.
  void JournalRunning(const std::string& outcome, const std::string& message) {
    SyncJournal();
    if (tail_.running().empty()) return;
    AppendResult(journal_, tail_.running(), outcome, WallNow() - tail_.running_since(), message);
    tail_.Poll();
  }

  // Every requested node ID without a result gets `missing`; every missing
  // one is named, since pytest's own output does not show them.
  void JournalMissing() {
    const std::vector<std::string>& wanted = wanted_;
    std::map<std::string, std::string> outcomes = Outcomes();
    for (const std::string& id : wanted) {
      if (!outcomes.count(id)) AppendResult(journal_, id, "missing", 0, "never ran: " + id);
    }
    tail_.Poll();
    std::map<std::string, std::string> messages;
    for (const TestResult& result : tail_.results()) {
      if (result.outcome == "missing") messages[result.node_id] = result.message;
    }
    outcomes = Outcomes();
    size_t count = 0;
    for (const std::string& id : wanted) {
      if (outcomes[id] != "missing") continue;
      if (++count <= kMaxMissingPrinted)
        Say("missing: " + (messages[id].empty() ? "never ran: " + id : messages[id]));
    }
    if (count > kMaxMissingPrinted)
      Say("... and " + std::to_string(count - kMaxMissingPrinted) + " more missing");
  }

  void PrintSummary() {
    static const char* const kOrder[] = {"passed",  "failed",  "error",   "skipped", "xfailed",
                                         "xpassed", "crashed", "timeout", "missing"};
    std::map<std::string, int> counts;
    for (const auto& [id, outcome] : Outcomes()) ++counts[outcome];
    std::string parts;
    auto add = [&](const std::string& outcome, int n) {
      if (n == 0) return;
      parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + outcome;
    };
    for (const char* outcome : kOrder) {
      add(outcome, counts[outcome]);
      counts.erase(outcome);
    }
    for (const auto& [outcome, n] : counts) add(outcome, n);
    if (parts.empty()) parts = "no tests ran";
    Say(label_ + ": " + parts + " in " + FormatSeconds(SecondsSince(start_)));
  }

  PlanFile plan_;
  const Settings& settings_;
  const Entry& entry_;
  int index_;
  std::ostream& out_;
  Clock::time_point start_;
  fs::path journal_;
  JournalTail tail_;
  std::string label_;
  std::vector<std::string> wanted_;  // the entry's node IDs, each once
  double deadline_ = 0;              // seconds after start_; 0: none
  ShardContext shard_;
  std::optional<FileLock> tmp_lock_;  // shard_.tmpdir is ours while held
  std::unique_ptr<PortLease> ports_;
  std::vector<std::string> env_;
  std::optional<WarmServerSpec> warm_;  // set while pytest runs forked from the warm interpreter
  pid_t ctest_ = ::getppid();           // the warm interpreter exits with it
  bool ctest_gone_ = false;
  int restarts_ = 0;
  bool crashed_outside_test_ = false;  // a pytest run died between tests
  long peak_rss_kb_ = 0;               // of pytest's whole process group, over all its runs
  double startup_ = 0;
};

}  // namespace

std::string ExpandPlaceholders(std::string_view text, const ShardContext& shard) {
  const std::pair<const char*, std::string> values[] = {
      {"{shard}", std::to_string(shard.index)},
      {"{shards}", std::to_string(shard.count)},
      {"{tmp}", shard.tmpdir.string()},
      {"{port_base}", std::to_string(shard.port_base)},
      {"{port_count}", std::to_string(shard.port_count)},
  };
  std::string result;
  size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : values) {
        std::string_view placeholder(name);
        if (text.substr(i, placeholder.size()) == placeholder) {
          result += value;
          i += placeholder.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) result += text[i++];
  }
  return result;
}

std::vector<std::string> ShardEnvironment(const Settings& settings, const ShardContext& shard,
                                          const std::vector<std::string>& parent) {
  std::vector<std::string> env = parent;
  // `ctest --preset test` sets this for its own include files; a ctest that a
  // test starts must not inherit it, or it would cap its tests to the cores.
  env.erase(std::remove_if(
                env.begin(), env.end(),
                [](const std::string& v) { return v.rfind("PYTEST_SHARDS_PRESET_JOBS=", 0) == 0; }),
            env.end());
  std::string tmp = shard.tmpdir.string();
  SetVariable(env, "TMPDIR", tmp);
  SetVariable(env, "PYTEST_SHARD_TMPDIR", tmp);
  SetVariable(env, "PYTEST_SHARD_INDEX", std::to_string(shard.index));
  SetVariable(env, "PYTEST_SHARD_COUNT", std::to_string(shard.count));
  SetVariable(env, "PYTEST_SHARD_PORT_BASE", std::to_string(shard.port_base));
  SetVariable(env, "PYTEST_SHARD_PORT_COUNT", std::to_string(shard.port_count));
  SetVariable(env, "PYTEST_XDIST_WORKER", "gw" + std::to_string(shard.index));
  SetVariable(env, "PYTEST_XDIST_WORKER_COUNT", std::to_string(shard.count));
  // The user's ENVIRONMENT wins over everything above.
  for (const std::string& assignment : settings.environment) {
    size_t equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw Error("ENVIRONMENT entry '" + assignment +
                  "' is not VAR=value; fix it in pytest_shard_tests() and re-run cmake");
    }
    SetVariable(env, assignment.substr(0, equals),
                ExpandPlaceholders(std::string_view(assignment).substr(equals + 1), shard));
  }
  // The plugin must be importable whatever PYTHONPATH the user set.
  std::string python_path = GetVariable(env, "PYTHONPATH");
  std::string plugin_dir = settings.plugin_dir.string();
  SetVariable(env, "PYTHONPATH",
              python_path.empty() ? plugin_dir : plugin_dir + kPathListSeparator + python_path);
  return env;
}

std::vector<std::string> PytestArgv(const PlanFile& plan, const Entry& entry,
                                    const ShardContext& shard, const fs::path& node_ids_file,
                                    const fs::path& journal) {
  const Settings& settings = plan.settings;
  std::vector<std::string> argv = {settings.python, "-m", "pytest", "-p", "pytest_shards_plugin"};
  if (entry.collection_errors) {
    // The user's ARGS name the whole suite; only the broken modules run here.
    for (const std::string& module : entry.node_ids)
      argv.push_back((fs::path(plan.rootdir) / module).string());
  } else {
    argv.insert(argv.end(), settings.args.begin(), settings.args.end());
  }
  argv.insert(argv.end(), settings.run_args.begin(), settings.run_args.end());
  argv.push_back("--rootdir=" + plan.rootdir);
  argv.push_back("--basetemp=" + (shard.tmpdir / "basetemp").string());
  // Shards never write the same pytest cache at once.
  argv.push_back("-o");
  argv.push_back("cache_dir=" + (shard.tmpdir / "pytest-cache").string());
  if (plan.xdist) {
    // `addopts = -n auto` must not start xdist workers in every shard.
    for (const char* arg : {"-n", "0", "--dist", "no"}) argv.push_back(arg);
  }
  argv.push_back("--shards-serial-marker=" + settings.serial_marker);
  if (!entry.collection_errors) {
    argv.push_back("--shards-node-ids=" + node_ids_file.string());
    argv.push_back(std::string("--shards-imports=") + Name(settings.imports));
  }
  argv.push_back("--shards-journal=" + journal.string());
  argv.push_back("-v");
  return argv;
}

std::string NodeIdsFileText(const PlanFile& plan, const std::vector<std::string>& ids) {
  json paths = json::object();
  for (const std::string& id : ids) {
    auto found = plan.module_paths.find(std::string(ModulePart(id)));
    if (found != plan.module_paths.end()) paths[found->first] = found->second;
  }
  return json{{"node_ids", ids}, {"paths", paths}}.dump();
}

int RunEntry(const fs::path& plan_file, int index, std::ostream& out) {
  const char* fix = "re-run ctest, which plans again, or cmake";
  PlanFile plan = ReadPlanFile(plan_file, fix);
  // Held while the entry runs: a later ctest start prunes only runs whose
  // lock it can take.
  std::optional<FileLock> run_lock;
  try {
    run_lock = FileLock::TryLock(RunLockFile(plan.settings.suite_dir, plan.run_id),
                                 FileLock::Mode::kShared);
  } catch (const Error&) {
    // A plan outside its run directory (copied, or written by hand) runs too.
  }
  int count = static_cast<int>(plan.plan.entries.size());
  if (index < 0 || index >= count) {
    throw Error("entry " + std::to_string(index) + " is not in plan " + plan_file.string() +
                " (it has " + std::to_string(count) +
                " entries); re-run ctest so that the test list and the plan agree");
  }
  return Runner(std::move(plan), index, out).Run();
}

}  // namespace pytest_shards
