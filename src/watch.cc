#include "watch.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <system_error>
#include <unordered_map>

#include "error.h"
#include "file_util.h"
#include "platform.h"
#include "report.h"
#include "runs.h"
#include "subprocess.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// How often the journals are read and the terminal line redrawn.
constexpr double kPollSeconds = 0.2;
// A journal directory is listed again this often even when its time stamp
// says nothing changed (time stamps are coarser than file creations).
constexpr double kListSeconds = 1;
// After a signal ended ctest, how long its runners may take to journal
// their closing records.
constexpr double kStopSeconds = 30;
// Lines of the log shown when ctest ended without its summary line.
constexpr std::size_t kLogTailLines = 20;

double WallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool IsPassed(const std::string& outcome) { return outcome == "passed" || outcome == "xpassed"; }
bool IsSkipped(const std::string& outcome) { return outcome == "skipped" || outcome == "xfailed"; }

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
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
    bool forwarded = false;
    std::optional<double> exited_at;
    for (;;) {
      bool exited = ctest->Wait(kPollSeconds);
      if (int signal = InterruptHandlers::Received(); signal != 0 && !forwarded && !exited) {
        ctest->Kill(signal);  // to its group: ctest and the runners, as Ctrl-C does
        forwarded = true;
      }
      Step();
      if (!exited) continue;
      if (!exited_at) exited_at = Elapsed();
      // A signal ends ctest at once, but its runners still stop pytest and
      // journal what became of their tests: show that too.
      bool interrupted = forwarded || ctest->signal() != 0;
      if (!interrupted || Current().running == 0 || Elapsed() - *exited_at > kStopSeconds) break;
    }
    display_.Finish(FormatProgress(Current()));
    Summaries();
    int code = ctest->signal() != 0 ? 128 + ctest->signal() : ctest->exit_code();
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
        if (IsFailure(result.outcome)) display_.Line(FailureLine(result));
    display_.Update(FormatProgress(Current()), Elapsed());
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

std::string FormatClock(double seconds) {
  long total = std::lround(std::max(0.0, seconds));
  char buffer[32];
  if (total >= 3600)
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60,
                  total % 60);
  else
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", total / 60, total % 60);
  return buffer;
}

std::string FormatProgress(const Progress& p) {
  return std::to_string(p.done) + "/" + std::to_string(p.total) +
         " tests: " + std::to_string(p.passed) + " passed, " + std::to_string(p.failed) +
         " failed, " + std::to_string(p.skipped) + " skipped; " + std::to_string(p.running) +
         " running, " + FormatClock(p.elapsed) + " elapsed, ETA " +
         (p.eta < 0 ? std::string("?") : FormatClock(p.eta));
}

std::string FailureLine(const TestResult& result) {
  std::string word = result.outcome;
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string line = word + " " + result.node_id;
  std::string key = KeyLine(result.message, 160);
  if (!key.empty()) line += " - " + key;
  return line;
}

std::string Printable(std::string_view line) {
  std::string out;
  std::size_t column = 0;
  char escape[8];
  for (std::size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\t') {
      std::size_t spaces = 8 - column % 8;
      out.append(spaces, ' ');
      column += spaces;
    } else if (c < 0x20 || c == 0x7F) {
      std::snprintf(escape, sizeof escape, "\\x%02X", c);
      out += escape;
      column += 4;
    } else if (c == 0xC2 && i + 1 < line.size() &&
               static_cast<unsigned char>(line[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(line[i + 1]) <= 0x9F) {
      // U+0080..U+009F: C1 controls, which terminals may obey (CSI is U+009B).
      std::snprintf(escape, sizeof escape, "\\u00%02X", static_cast<unsigned char>(line[++i]));
      out += escape;
      column += 6;
    } else {
      out += static_cast<char>(c);
      if ((c & 0xC0) != 0x80) ++column;  // a UTF-8 character starts here
    }
  }
  return out;
}

double EtaSeconds(const std::vector<double>& entry_seconds_left, int parallel) {
  double sum = 0, largest = 0;
  for (double seconds : entry_seconds_left) {
    sum += seconds;
    largest = std::max(largest, seconds);
  }
  return std::max(sum / std::max(1, parallel), largest);
}

double Eta(const Progress& progress, bool learned, const std::vector<double>& entry_seconds_left,
           int parallel) {
  if (progress.total == 0) return -1;
  if (progress.done >= progress.total) return 0;
  if (learned) return EtaSeconds(entry_seconds_left, parallel);
  if (progress.done == 0) return -1;
  return progress.elapsed * static_cast<double>(progress.total - progress.done) /
         static_cast<double>(progress.done);
}

// ---- RunFollower --------------------------------------------------------------

struct RunFollower::Followed {
  bool selected = false;
  std::unique_ptr<JournalTail> tail;  // once its journal exists
  bool broken = false;                // a corrupt line: no longer read (the report names it)
  std::size_t seen = 0;               // results of tail returned by Poll
  std::size_t passed = 0, failed = 0, skipped = 0;
  std::unordered_map<std::string, double> left;  // node ID -> estimate, for tests without result
  double left_sum = 0;

  bool counted() const { return selected || tail; }
  bool finished() const { return tail && tail->journal().finished; }
};

RunFollower::RunFollower(const fs::path& suite_dir, const std::string& run_id,
                         const std::set<std::string>& selected)
    : suite_dir_(suite_dir), run_id_(run_id), plan_(ReadPlan(suite_dir, run_id)) {
  try {
    durations_ = ReadDurations(DurationsFile(suite_dir));
  } catch (const Error&) {
    // A corrupt store is rebuilt by the next report; estimate without it.
  }
  learned_ = !durations_.empty();
  entries_.resize(plan_.plan.entries.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& entry = plan_.plan.entries[i];
    Followed& followed = entries_[i];
    followed.selected = selected.count(entry.name) > 0;
    Item item;
    for (const std::string& node_id : entry.node_ids) {
      item.node_id = node_id;
      double estimate = durations_.Estimate(item);
      if (followed.left.emplace(node_id, estimate).second) followed.left_sum += estimate;
    }
  }
}

RunFollower::~RunFollower() = default;
RunFollower::RunFollower(RunFollower&&) noexcept = default;
RunFollower& RunFollower::operator=(RunFollower&&) noexcept = default;

void RunFollower::FollowAll() {
  for (Followed& followed : entries_) followed.selected = true;
}

void RunFollower::FindJournals(double now) {
  fs::path dir = RunJournalDir(suite_dir_, run_id_);
  std::error_code ec;
  fs::file_time_type mtime = fs::last_write_time(dir, ec);
  if (ec) return;  // no entry has started
  if (listed_at_ >= 0 && mtime == listed_mtime_ && now - listed_at_ < kListSeconds) return;
  listed_mtime_ = mtime;
  listed_at_ = now;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::optional<std::size_t> index = JournalIndex(it->path());
    if (!index) continue;
    if (*index < entries_.size() && !entries_[*index].tail)
      entries_[*index].tail = std::make_unique<JournalTail>(it->path());
  }
}

std::vector<TestResult> RunFollower::Poll(double now) {
  FindJournals(now);
  std::vector<TestResult> fresh;
  for (Followed& followed : entries_) {
    if (!followed.tail || followed.broken || followed.finished()) continue;
    try {
      followed.tail->Poll();
    } catch (const Error&) {
      followed.broken = true;
      continue;
    }
    const std::vector<TestResult>& results = followed.tail->results();
    for (; followed.seen < results.size(); ++followed.seen) {
      const TestResult& result = results[followed.seen];
      auto left = followed.left.find(result.node_id);
      if (left != followed.left.end()) {
        followed.left_sum -= left->second;
        followed.left.erase(left);
      }
      if (IsPassed(result.outcome)) ++followed.passed;
      if (IsSkipped(result.outcome)) ++followed.skipped;
      if (IsFailure(result.outcome)) ++followed.failed;
      fresh.push_back(result);
    }
  }
  return fresh;
}

void RunFollower::Count(Progress* progress, std::vector<double>* seconds_left, double now) const {
  double startup = durations_.startup > 0 ? durations_.startup : kDefaultStartupSeconds;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Followed& followed = entries_[i];
    if (!followed.counted()) continue;
    std::size_t tests = plan_.plan.entries[i].node_ids.size();
    progress->total += tests;
    progress->done += std::min(followed.seen, tests);
    progress->passed += followed.passed;
    progress->failed += followed.failed;
    progress->skipped += followed.skipped;
    if (followed.finished() || followed.broken) continue;
    double left = followed.left_sum;
    if (!followed.tail) {
      left += startup;
    } else {
      ++progress->running;
      // The running test has done part of its work.
      auto running = followed.left.find(followed.tail->running());
      if (running != followed.left.end())
        left -= std::min(running->second, std::max(0.0, now - followed.tail->running_since()));
    }
    seconds_left->push_back(std::max(0.0, left));
  }
}

bool RunFollower::ran() const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const Followed& followed) { return followed.tail != nullptr; });
}

std::size_t RunFollower::entries() const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(),
                    [](const Followed& followed) { return followed.counted(); }));
}

// ---- Display ------------------------------------------------------------------

namespace {
constexpr const char* kEraseLine = "\r\x1b[K";
}  // namespace

Display::Display(std::ostream& out, bool tty, int width, double interval)
    : out_(out), tty_(tty), width_(width), interval_(interval) {}

void Display::Write(const std::vector<std::string>& lines) {
  if (tty_ && !drawn_.empty()) out_ << kEraseLine;
  for (const std::string& line : lines) out_ << Printable(line) << "\n";
  if (tty_ && !drawn_.empty()) out_ << drawn_;
  out_ << std::flush;
}

void Display::Line(const std::string& line) { Write({line}); }

void Display::Lines(const std::string& text) { Write(SplitLines(text)); }

void Display::Update(const std::string& progress, double elapsed) {
  if (tty_) {
    std::string line = Printable(progress);
    if (width_ > 1 && line.size() >= static_cast<std::size_t>(width_))
      line.resize(static_cast<std::size_t>(width_ - 1));
    if (line == drawn_) return;
    drawn_ = line;
    out_ << kEraseLine << drawn_ << std::flush;
    return;
  }
  if (elapsed - printed_at_ < interval_) return;
  printed_at_ = elapsed;
  out_ << Printable(progress) << "\n" << std::flush;
}

void Display::Finish(const std::string& progress) {
  if (tty_) out_ << kEraseLine;
  out_ << Printable(progress) << "\n" << std::flush;
  drawn_.clear();
}

// ---- Main ---------------------------------------------------------------------

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
