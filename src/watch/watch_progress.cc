#include "watch/watch_progress.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <system_error>
#include <unordered_map>

#include "data/outcome.h"
#include "data/runs.h"
#include "report/report.h"
#include "util/error.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// A journal directory is listed again this often even when its time stamp
// says nothing changed (time stamps are coarser than file creations).
constexpr double kListSeconds = 1;

bool IsPassed(const std::string& outcome) {
  std::optional<Outcome> known = ParseOutcome(outcome);
  return known == Outcome::kPassed || known == Outcome::kXpassed;
}

bool IsSkipped(const std::string& outcome) {
  std::optional<Outcome> known = ParseOutcome(outcome);
  return known == Outcome::kSkipped || known == Outcome::kXfailed;
}

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

namespace {

std::string Percent(const Progress& p) {
  std::size_t percent = p.total == 0 ? 0 : std::min<std::size_t>(100, p.done * 100 / p.total);
  return std::to_string(percent) + "%";
}

}  // namespace

std::string FormatProgress(const Progress& p, int width) {
  std::string head = Percent(p) + " " + std::to_string(p.done) + "/" + std::to_string(p.total);
  std::string passed = std::to_string(p.passed) + " passed, ";
  std::string failed = std::to_string(p.failed) + " failed";
  std::string skipped = ", " + std::to_string(p.skipped) + " skipped";
  std::string running = "; " + std::to_string(p.running) + " running";
  std::string elapsed = FormatClock(p.elapsed);
  std::string eta = "ETA " + (p.eta < 0 ? std::string("?") : FormatClock(p.eta));
  // From the whole line to the least that is still worth a look.
  const std::string lines[] = {
      head + " tests: " + passed + failed + skipped + running + ", " + elapsed + " elapsed, " + eta,
      head + ": " + passed + failed + skipped + running + ", " + elapsed + ", " + eta,
      head + ": " + passed + failed + skipped + running + ", " + eta,
      head + ": " + passed + failed + skipped + ", " + eta,
      head + ": " + passed + failed + ", " + eta,
      head + ", " + failed + ", " + eta,
  };
  if (width <= 0) return lines[0];
  for (const std::string& line : lines)
    if (line.size() < static_cast<std::size_t>(width)) return line;
  return lines[std::size(lines) - 1];
}

std::string FormatInterrupted(const Progress& p, int signal) {
  std::size_t ran = p.done;
  return "interrupted by signal " + std::to_string(signal) + " after " + FormatClock(p.elapsed) +
         ": " + std::to_string(ran) + " of " + std::to_string(p.total) + " tests ran (" +
         std::to_string(p.passed) + " passed, " + std::to_string(p.failed) + " failed, " +
         std::to_string(p.skipped) + " skipped), " +
         std::to_string(p.total > ran ? p.total - ran : 0) + " did not run";
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

struct RunFollower::Followed {
  bool selected = false;
  std::unique_ptr<JournalTail> tail;  // once its journal exists
  bool broken = false;                // a corrupt line: no longer read (the report names it)
  std::size_t seen = 0;               // results of tail returned by Poll
  std::size_t passed = 0, failed = 0, skipped = 0, not_run = 0;
  std::unordered_map<std::string, double> left;  // node ID -> estimate, for tests without result
  double left_sum = 0;

  bool counted() const { return selected || tail; }
  bool finished() const { return tail && tail->journal().finished; }
};

// The shared tail (plan_file.h): its tests run in whichever sharing entry
// takes their group, so they count once for the run, and their work left
// goes by group, since one entry runs a whole group.
struct RunFollower::TailLeft {
  std::unordered_map<std::string, std::pair<std::size_t, double>>
      left;                        // node ID -> group, estimate
  std::vector<double> group_left;  // seconds by group
  std::size_t tests = 0;

  // `node_id` has a result: if it is a tail test, its work is done.
  void Done(const std::string& node_id) {
    auto it = left.find(node_id);
    if (it == left.end()) return;
    group_left[it->second.first] -= it->second.second;
    left.erase(it);
  }
};

RunFollower::RunFollower(const fs::path& suite_dir, const std::string& run_id,
                         const std::set<std::string>& selected)
    : suite_dir_(suite_dir), run_id_(run_id), plan_file_(ReadPlan(suite_dir, run_id)) {
  try {
    durations_ = ReadDurations(DurationsFile(suite_dir));
  } catch (const Error&) {
    // A corrupt store is rebuilt by the next report; estimate without it.
  }
  learned_ = !durations_.empty();
  entries_.resize(plan_file_.plan.entries.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& entry = plan_file_.plan.entries[i];
    Followed& followed = entries_[i];
    followed.selected = selected.count(entry.name) > 0;
    Item item;
    for (const std::string& node_id : entry.node_ids) {
      item.node_id = node_id;
      double estimate = durations_.Estimate(item);
      if (followed.left.emplace(node_id, estimate).second) followed.left_sum += estimate;
    }
  }
  tail_ = std::make_unique<TailLeft>();
  const auto& groups = plan_file_.plan.shared_tail;
  tail_->group_left.resize(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    Item item;
    for (const std::string& node_id : groups[g]) {
      item.node_id = node_id;
      double estimate = durations_.Estimate(item);
      if (tail_->left.emplace(node_id, std::make_pair(g, estimate)).second) {
        tail_->group_left[g] += estimate;
        ++tail_->tests;
      }
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
      } else {
        tail_->Done(result.node_id);
      }
      if (IsPassed(result.outcome)) ++followed.passed;
      if (IsSkipped(result.outcome)) ++followed.skipped;
      if (result.NotRun())
        ++followed.not_run;
      else if (IsFailure(result.outcome))
        ++followed.failed;
      fresh.push_back(result);
    }
  }
  return fresh;
}

void RunFollower::Count(Progress* progress, std::vector<double>* seconds_left, double now) const {
  double startup = durations_.startup > 0 ? durations_.startup : kDefaultStartupSeconds;
  bool tail_counted = TailCounted();
  if (tail_counted) progress->total += tail_->tests;
  bool tail_left = false;  // some sharing entry is still to run or running
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Followed& followed = entries_[i];
    if (!followed.counted()) continue;
    const Entry& entry = plan_file_.plan.entries[i];
    std::size_t tests = entry.node_ids.size();
    progress->total += tests;
    // Up to every test of the tail as well: the entry may take them all.
    if (tail_counted && entry.shares_tail) tests += tail_->tests;
    progress->done += std::min(followed.seen - followed.not_run, tests);
    progress->passed += followed.passed;
    progress->failed += followed.failed;
    progress->skipped += followed.skipped;
    progress->not_run += followed.not_run;
    if (followed.finished() || followed.broken) continue;
    tail_left = tail_left || entry.shares_tail;
    double left = followed.left_sum;
    if (!followed.tail) {
      left += startup;
    } else {
      ++progress->running;
      // The running test has done part of its work (a tail test's group
      // keeps its whole estimate: it is a small part of the run's).
      auto running = followed.left.find(followed.tail->running());
      if (running != followed.left.end())
        left -= std::min(running->second, std::max(0.0, now - followed.tail->running_since()));
    }
    seconds_left->push_back(std::max(0.0, left));
  }
  // Each group left is work that some sharing entry will run.
  if (tail_counted && tail_left)
    for (double seconds : tail_->group_left)
      if (seconds > 1e-9) seconds_left->push_back(seconds);  // not a rounding error
}

bool RunFollower::TailCounted() const {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].counted() && plan_file_.plan.entries[i].shares_tail) return true;
  return false;
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

}  // namespace pytest_shards
