#include "merge/merge.h"

#include <cmath>
#include <set>
#include <sstream>
#include <utility>

#include "data/journal.h"
#include "data/outcome.h"
#include "report/report_export.h"
#include "report/report_summary.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

using nlohmann::json;

namespace {

constexpr const char* kFix = "write each job's file with pytest-shards report --export FILE";

// A collected test as the user knows it: pytest's node ID and its module.
std::string Named(const json& collected) {
  return collected.at("nodeid").get<std::string>() + " (" +
         collected.at("path").get<std::string>() + ")";
}

// "slice 2/3 from <source>", or the file when the export does not say.
std::string JobLabel(const JobExport& job, const json& suite) {
  if (!suite.contains("slice")) return job.file;
  const json& slice = suite["slice"];
  std::string label = "slice " + std::to_string(slice.at("index").get<int>()) + "/" +
                      std::to_string(slice.at("count").get<int>());
  return label == "slice 1/1" ? job.file : label + " (" + job.file + ")";
}

// A test an interrupted job did not run: its result, missing with the
// signal, and why, "job <label> was interrupted by signal N".
struct NotRun {
  ReportResult result;
  std::string why;
};

struct SuiteState {
  MergedSuite merged;
  std::string first_file;                 // the first job holding the suite, for messages
  std::map<std::string, json> collected;  // id -> {"id", "nodeid", "path"}
  std::map<std::string, int> runs;        // id -> results that ran
  std::map<std::string, NotRun> not_run;  // id -> the first job that did not run it
};

// Keeps the test an interrupted job did not run, as its own report has it
// (TestResult::NotRun), in case no other job ran it.
void AddNotRun(SuiteState* state, const std::string& label, const json& test, int signal,
               ReportResult result) {
  result.test.outcome = OutcomeName(Outcome::kMissing);
  result.test.interrupted = test.value("interrupted", signal);
  std::string why =
      "job " + label + " was interrupted by signal " + std::to_string(result.test.interrupted);
  result.test.message = "not run: " + why;
  std::string id = result.test.node_id;  // before the move empties it
  state->not_run.emplace(id, NotRun{std::move(result), why});
}

void AddJob(SuiteState* state, const JobExport& job, const json& suite) {
  MergedSuite& merged = state->merged;
  std::string collection = suite.at("collection").get<std::string>();
  if (state->first_file.empty()) {
    state->first_file = job.file;
    merged.suite = suite.at("suite").get<std::string>();
    merged.collection = collection;
    if (!suite.contains("collected"))
      throw Error(job.file + " has no list of collected tests (an older pytest-shards wrote it); " +
                  kFix + " with this version");
    for (const json& test : suite["collected"])
      state->collected[test.at("id").get<std::string>()] = test;
  } else if (collection != merged.collection) {
    throw Error("suite " + merged.suite + " comes from different collections in " +
                state->first_file + " and " + job.file +
                "; run every job of the matrix on the same commit and configuration");
  }
  std::string label = JobLabel(job, suite);
  // Older exports have no "interrupted": a job of theirs was not.
  int signal = suite.value("interrupted", 0);
  if (signal != 0) {
    merged.interrupted.push_back(label + " by signal " + std::to_string(signal));
    if (merged.report.interrupted == 0) merged.report.interrupted = signal;
  }
  Report& report = merged.report;
  std::map<std::string, int> totals;
  for (const json& entry : suite.at("entries")) {
    EntryRow row;
    row.name = entry.at("name").get<std::string>() + " [" + label + "]";
    std::string word = entry.at("status").get<std::string>();
    std::optional<EntryStatus> status = ParseEntryStatus(word);
    if (!status)
      throw Error(job.file + ": entry " + entry.at("name").get<std::string>() +
                  " has an unknown status '" + word + "'; " + kFix);
    row.ran = status != EntryStatus::kNotRun && status != EntryStatus::kNotSelected;
    row.selected = status != EntryStatus::kNotSelected;
    row.finished = status == EntryStatus::kPassed || status == EntryStatus::kFailed;
    // The row's own Status() then says what the job's report said.
    row.exit_code = status == EntryStatus::kFailed ? 1 : 0;
    row.wall = entry.at("wall").get<double>();
    row.startup = entry.at("startup").get<double>();
    report.entries.push_back(row);
  }
  for (const json& test : suite.at("tests")) {
    ReportResult result{test.at("entry").get<std::string>() + " [" + label + "]",
                        {test.at("id").get<std::string>(), test.at("outcome").get<std::string>(),
                         test.at("duration").get<double>(), test.at("message").get<std::string>()}};
    // A planned test that did not run is counted (and reported) once, below.
    if (result.test.outcome == kNotRunOutcome) {
      AddNotRun(state, label, test, signal, std::move(result));
      continue;
    }
    if (ParseOutcome(result.test.outcome) == Outcome::kMissing) continue;
    ++state->runs[result.test.node_id];
    ++totals[result.test.outcome];
    report.results.push_back(std::move(result));
  }
  merged.jobs.push_back(label + ": run " + suite.at("run_id").get<std::string>() + ", " +
                        FormatTotals(totals));
}

void Account(SuiteState* state) {
  MergedSuite& merged = state->merged;
  merged.collected = state->collected.size();
  EntryRow never;
  never.name = merged.suite + "/never-ran";
  for (const auto& [id, test] : state->collected) {
    int runs = state->runs.count(id) ? state->runs[id] : 0;
    auto not_run = state->not_run.find(id);
    if (runs == 0 && not_run != state->not_run.end()) {
      merged.not_run.push_back(Named(test) + ": " + not_run->second.why);
      merged.report.results.push_back(not_run->second.result);
      ++merged.report.not_run;
    } else if (runs == 0) {
      merged.never_ran.push_back(Named(test));
      merged.report.results.push_back(
          {never.name,
           {id, OutcomeName(Outcome::kMissing), 0, "ran in none of the jobs' exports"}});
      ++never.tests;
    } else if (runs > 1) {
      merged.ran_twice.push_back(Named(test) + ": " + std::to_string(runs) + " times");
    }
  }
  if (never.tests > 0) merged.report.entries.push_back(never);
  // As report's totals: without the tests an interrupt kept from running.
  for (const ReportResult& result : merged.report.results)
    if (!result.test.NotRun()) ++merged.report.totals[result.test.outcome];
}

// "  interrupted: <job> by signal 2, ...: N of M collected tests did not
// run", as report's InterruptedLine; nothing when no job was interrupted.
void PrintInterrupted(std::ostream& out, const MergedSuite& suite) {
  if (suite.interrupted.empty()) return;
  out << "  interrupted: ";
  for (std::size_t i = 0; i < suite.interrupted.size(); ++i)
    out << (i == 0 ? "" : ", ") << suite.interrupted[i];
  out << ": " << suite.not_run.size() << " of " << suite.collected
      << " collected tests did not run\n";
}

// One of a suite's problem lists, under the suite, at most `limit` lines.
void PrintSuiteList(std::ostream& out, const std::string& title,
                    const std::vector<std::string>& lines, std::size_t limit) {
  if (lines.empty()) return;
  out << "  " << title << " (" << lines.size() << "):\n";
  for (std::size_t i = 0; i < lines.size() && i < limit; ++i) out << "    " << lines[i] << "\n";
  if (lines.size() > limit)
    out << "    ... and " << lines.size() - limit << " more (--junit lists every one)\n";
}

}  // namespace

bool Merged::Interrupted() const {
  for (const MergedSuite& suite : suites)
    if (!suite.interrupted.empty()) return true;
  return false;
}

bool Merged::Ok() const {
  if (Interrupted()) return false;
  for (const MergedSuite& suite : suites) {
    if (!suite.never_ran.empty() || !suite.ran_twice.empty()) return false;
    for (const auto& [outcome, count] : suite.report.totals)
      if (count > 0 && IsFailure(outcome)) return false;
  }
  return true;
}

Merged MergeExports(const std::vector<JobExport>& jobs) {
  if (jobs.empty()) throw Error("merge needs the export files of the jobs; " + std::string(kFix));
  std::map<std::string, SuiteState> states;
  for (const JobExport& job : jobs) {
    const json& document = job.document;
    if (!document.is_object() || document.value("format", "") != kExportFormat ||
        !document.contains("suites"))
      throw Error(job.file + " is not a pytest-shards results export (" + kExportFormat + "); " +
                  kFix);
    try {
      for (const json& suite : document["suites"])
        AddJob(&states[suite.at("suite").get<std::string>()], job, suite);
    } catch (const json::exception& e) {
      throw Error(job.file + " is a malformed results export (" + e.what() + "); " + kFix);
    }
  }
  Merged merged;
  for (auto& [name, state] : states) {
    Account(&state);
    merged.suites.push_back(std::move(state.merged));
  }
  return merged;
}

std::string FormatMerged(const Merged& merged, std::size_t limit) {
  std::ostringstream out;
  for (const MergedSuite& suite : merged.suites) {
    out << "suite " << suite.suite << ": " << suite.collected << " collected tests, "
        << suite.jobs.size() << (suite.jobs.size() == 1 ? " job" : " jobs") << " (collection "
        << suite.collection << ")\n";
    for (const std::string& job : suite.jobs) out << "  " << job << "\n";
    out << "  total: " << FormatTotals(suite.report.totals) << "\n";
    PrintInterrupted(out, suite);
    std::vector<std::string> failing;
    for (const ReportResult& result : suite.report.results)
      if (IsFailure(result.test.outcome) && ParseOutcome(result.test.outcome) != Outcome::kMissing)
        failing.push_back(result.test.node_id + ": " + result.test.outcome + " " +
                          KeyLine(result.test.message, 160));
    PrintSuiteList(out, "failing", failing, limit);
    PrintSuiteList(out, "ran in no job", suite.never_ran, limit);
    PrintSuiteList(out, "did not run (interrupted)", suite.not_run, limit);
    PrintSuiteList(out, "ran in more than one job", suite.ran_twice, limit);
  }
  out << (merged.Ok() ? "OK" : merged.Interrupted() ? "INTERRUPTED" : "FAILED") << "\n";
  return out.str();
}

Durations MergedDurations(const Merged& merged, const Durations& previous) {
  std::set<std::string> collected;
  Durations durations;
  double startup_sum = 0;
  int startups = 0;
  for (const MergedSuite& suite : merged.suites) {
    for (const ReportResult& result : suite.report.results) {
      collected.insert(result.test.node_id);
      if (IsMeasured(result.test.outcome))
        durations.tests[result.test.node_id] = std::round(result.test.duration * 1000) / 1000;
    }
    for (const EntryRow& row : suite.report.entries) {
      if (row.startup <= 0) continue;
      startup_sum += row.startup;
      ++startups;
    }
  }
  for (const auto& [id, seconds] : previous.tests)
    if (collected.count(id)) durations.tests.emplace(id, seconds);
  durations.startup =
      startups > 0 ? std::round(startup_sum / startups * 1000) / 1000 : previous.startup;
  return durations;
}

std::vector<JobExport> ReadExports(const std::vector<std::string>& files) {
  std::vector<JobExport> jobs;
  for (const std::string& file : files) {
    std::string text = ReadFile(file);
    json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) throw Error(file + " is not JSON; " + std::string(kFix));
    jobs.push_back({file, std::move(document)});
  }
  return jobs;
}

}  // namespace pytest_shards
