#include "watch/watch.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include "data/runs.h"
#include "platform/platform.h"
#include "platform/subprocess.h"
#include "report/report_command.h"
#include "report/report_summary.h"
#include "report/traceback.h"
#include "util/error.h"
#include "util/file_util.h"
#include "watch/watch_display.h"
#include "watch/watch_progress.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// How often the journals are read and the terminal line redrawn.
constexpr double kPollSeconds = 0.2;
// After a signal ended ctest, how long its runners may take to journal
// their closing records.
constexpr double kStopSeconds = 30;
// Lines of the log shown when ctest ended without its summary line.
constexpr std::size_t kLogTailLines = 20;

double WallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::string> CtestArgv(const WatchOptions& options) {
  std::vector<std::string> argv = {options.ctest, "--test-dir", options.build_dir.string()};
  argv.insert(argv.end(), options.ctest_args.begin(), options.ctest_args.end());
  return argv;
}

std::unique_ptr<Subprocess> StartCtest(std::vector<std::string> argv, int stdout_fd,
                                       int stderr_fd) {
  SpawnOptions spawn;
  spawn.argv = std::move(argv);
  spawn.stdout_fd = stdout_fd;
  spawn.stderr_fd = stderr_fd;
  try {
    return std::make_unique<Subprocess>(spawn);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + "; pass --ctest <path of ctest>");
  }
}

// The names of the tests `ctest <args>` runs, from its --show-only=json-v1
// listing (which applies -R, -L, presets...). nullopt when the listing
// failed: then every pytest entry counts.
std::optional<std::set<std::string>> ListTests(const WatchOptions& options, int log_fd) {
  fs::path file = WatchLogFile(options.build_dir).parent_path() / "watch-tests.json";
  std::vector<std::string> argv = CtestArgv(options);
  argv.push_back("--show-only=json-v1");
  std::unique_ptr<Subprocess> ctest;
  {
    OutputFile out(file);
    ctest = StartCtest(argv, out.fd(), log_fd);
    ctest->Wait(-1);
  }
  std::string text;
  try {
    text = ReadFile(file);
  } catch (const Error&) {
  }
  std::error_code ec;
  fs::remove(file, ec);
  if (ctest->signal() != 0 || ctest->exit_code() != 0) return std::nullopt;
  nlohmann::json listing = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!listing.is_object() || !listing.contains("tests") || !listing["tests"].is_array())
    return std::nullopt;
  std::set<std::string> names;
  for (const nlohmann::json& test : listing["tests"])
    if (test.is_object() && test.contains("name") && test["name"].is_string())
      names.insert(test["name"].get<std::string>());
  return names;
}

// The runs each suite has before this ctest starts: what it plans is new.
std::map<fs::path, std::set<std::string>> RunsBefore(const fs::path& build_dir) {
  std::map<fs::path, std::set<std::string>> runs;
  for (const fs::path& suite : FindSuites(build_dir)) {
    std::vector<std::string> ids = RunIds(suite);
    runs[suite] = std::set<std::string>(ids.begin(), ids.end());
  }
  return runs;
}

// The first run of `suite` planned after `before` once its plan is written:
// this ctest plans at its start, before any listing that may follow.
std::string NewRun(const fs::path& suite, const std::set<std::string>& before) {
  for (const std::string& id : RunIds(suite)) {
    if (before.count(id)) continue;
    std::error_code ec;
    return fs::exists(RunPlanFile(suite, id), ec) ? id : "";
  }
  return "";
}

// ctest's closing lines, from its last "N% tests passed" line on (the
// failed tests, where the output is); without one, when ctest failed, the
// last lines of its output.
std::string CtestClosing(const fs::path& log, bool failed) {
  std::string text;
  try {
    text = ReadFile(log);
  } catch (const Error&) {
    return "";
  }
  std::vector<std::string> lines = SplitLines(text);
  std::size_t from = lines.size();
  for (std::size_t i = lines.size(); i-- > 0;) {
    if (lines[i].find("% tests passed") != std::string::npos) {
      from = i;
      break;
    }
  }
  if (from == lines.size() && failed) from = lines.size() - std::min(lines.size(), kLogTailLines);
  std::string closing;
  for (std::size_t i = from; i < lines.size(); ++i) closing += lines[i] + "\n";
  return closing;
}

// Follows what one ctest run does and prints it.
class Watch {
 public:
  Watch(const WatchOptions& options, std::ostream& out)
      : options_(options), display_(out, options.tty, options.width, options.interval) {}

  int Run() {
    fs::path log = WatchLogFile(options_.build_dir);
    std::error_code ec;
    fs::create_directories(log.parent_path(), ec);
    OutputFile log_file(log);
    selected_ = ListTests(options_, log_file.fd());
    before_ = RunsBefore(options_.build_dir);
    std::string command;
    for (const std::string& arg : CtestArgv(options_))
      command += (command.empty() ? "" : " ") + arg;
    display_.Line("pytest-shards watch: " + command + " (its output: " + log.string() + ")");
    InterruptHandlers handlers;
    start_ = std::chrono::steady_clock::now();
    std::unique_ptr<Subprocess> ctest =
        StartCtest(CtestArgv(options_), log_file.fd(), log_file.fd());
    int interrupt = 0;  // the signal that stopped the run
    std::optional<double> exited_at;
    for (;;) {
      bool exited = ctest->Wait(kPollSeconds);
      if (int signal = InterruptHandlers::Received(); signal != 0 && interrupt == 0) {
        if (!exited) ctest->Kill(signal);  // to its group: ctest and the runners, as Ctrl-C does
        interrupt = signal;
      }
      Step();
      if (!exited) continue;
      if (!exited_at) exited_at = Elapsed();
      if (interrupt == 0) interrupt = ctest->signal();
      // A signal ends ctest at once, but its runners still stop pytest and
      // journal what became of their tests: show that too.
      if (interrupt == 0 || Current().running == 0 || Elapsed() - *exited_at > kStopSeconds) break;
    }
    Progress last = Current();
    display_.Finish(FormatProgress(last, options_.width));
    Summaries();
    int code = ctest->signal() != 0 ? 128 + ctest->signal() : ctest->exit_code();
    if (interrupt != 0) {
      // ctest's own last lines say no more than this: they stay in the log.
      display_.Line("ctest's whole output: " + log.string());
      display_.Line(FormatInterrupted(last, interrupt));
      return code;
    }
    std::string closing = CtestClosing(log, code != 0);
    if (!closing.empty()) display_.Lines("\n" + closing);
    display_.Line("ctest's whole output: " + log.string());
    return code;
  }

 private:
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  // Finds the runs this ctest planned, reads their journals, shows failures
  // and the progress line.
  void Step() {
    for (const auto& [suite, runs] : before_) {
      if (followed_.count(suite)) continue;
      std::string run = NewRun(suite, runs);
      if (run.empty()) continue;
      followed_.insert(suite);
      static const std::set<std::string> kNone;
      try {
        followers_.emplace_back(suite, run, selected_ ? *selected_ : kNone);
        if (!selected_) followers_.back().FollowAll();
      } catch (const Error& e) {
        display_.Line("pytest-shards watch: cannot follow " + suite.string() + ": " + e.what());
      }
    }
    double now = WallNow();
    for (RunFollower& follower : followers_)
      for (const TestResult& result : follower.Poll(now))
        if (IsFailure(result.outcome) && !result.NotRun()) ShowFailure(result);
    display_.Update(FormatProgress(Current(), options_.width), Elapsed());
  }

  // Its line, and under it its traceback in the style asked for, unless
  // that is the line's own key line again (a crash, a timeout).
  void ShowFailure(const TestResult& result) {
    std::string traceback = FormatTraceback(result.message, options_.tb);
    if (traceback == KeyLine(result.message, traceback.size()) + "\n") traceback.clear();
    display_.Lines(FailureLine(result) + "\n" + traceback);
  }

  Progress Current() {
    Progress progress;
    std::vector<double> left;
    bool learned = true;
    double now = WallNow();
    for (const RunFollower& follower : followers_) {
      std::size_t before = left.size();
      follower.Count(&progress, &left, now);
      if (left.size() > before && !follower.learned()) learned = false;
    }
    progress.elapsed = Elapsed();
    most_running_ = std::max(most_running_, progress.running);
    int parallel = progress.running > 0 ? progress.running : std::max(1, most_running_);
    progress.eta = Eta(progress, learned, left, parallel);
    return progress;
  }

  // The report of each run that ran, as `pytest-shards report` prints it.
  void Summaries() {
    for (const RunFollower& follower : followers_) {
      if (!follower.ran()) {
        if (follower.entries() > 0)
          display_.Lines("\npytest-shards watch: no entry of " + follower.suite_dir().string() +
                         " started in this ctest run");
        continue;
      }
      std::ostringstream summary;
      try {
        ReportRun(follower.suite_dir(), follower.run_id(), "", summary);
      } catch (const Error& e) {
        summary << "pytest-shards: " << e.what() << "\n";
      }
      display_.Lines("\n" + summary.str());
    }
  }

  const WatchOptions& options_;
  Display display_;
  std::optional<std::set<std::string>> selected_;
  std::map<fs::path, std::set<std::string>> before_;
  std::set<fs::path> followed_;
  std::vector<RunFollower> followers_;
  std::chrono::steady_clock::time_point start_;
  int most_running_ = 0;
};

}  // namespace

fs::path WatchLogFile(const fs::path& build_dir) {
  return build_dir / "pytest-shards" / "watch-ctest.log";
}

int WatchMain(const WatchOptions& options, std::ostream& out) {
  std::error_code ec;
  if (!fs::is_directory(options.build_dir, ec))
    throw Error("build tree " + options.build_dir.string() +
                " does not exist; pass --build-dir <the build tree of a configured project>");
  return Watch(options, out).Run();
}

}  // namespace pytest_shards
