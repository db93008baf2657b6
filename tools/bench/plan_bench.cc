// plan_bench: how long planning takes on a huge suite, and how much memory it
// needs. A benchmark, not a test: it asserts nothing and is built on demand
// (`cmake --build BUILD --target plan_bench`).
//
// It makes a synthetic suite of --items node IDs (modules of 50 tests,
// classes, parametrized tests, serial and xdist_group markers, skewed
// durations for most tests) and measures, each step in a fresh child process
// so that the peak RSS is that process's alone:
//   plan + emit in memory    MakePlan and EmitTests on the suite built in
//                            memory (the peak includes building it);
//   `pytest-shards plan`     everything ctest start runs: read settings.json,
//                            collection.json and durations.json from a suite
//                            directory, plan, write plan.json and tests.cmake;
// each for GRANULARITY shard (SHARDS auto) and test (one entry per node ID).
// Prints wall time, CPU time (what a loaded machine does not inflate) and
// peak RSS (getrusage of the child) as a markdown table.
//
// usage: plan_bench [--items N] [--cores N] [--dir DIR] [--keep]
//   --keep leaves the suite directories (DIR/shard, DIR/test) for profiling
//   one step: perf record plan_bench --child-suite DIR/shard 2
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "collect/collect.h"
#include "data/collection.h"
#include "data/durations.h"
#include "data/runs.h"
#include "data/settings.h"
#include "emit/emit.h"
#include "plan/ctest_start.h"
#include "plan/plan.h"
#include "synthetic_suite.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

void WriteSuite(const fs::path& dir, int items, Granularity granularity) {
  fs::create_directories(dir);
  Settings s;
  s.suite = "bench";
  s.suite_dir = dir;
  s.python = "/usr/bin/python3";
  s.workdir = dir;
  s.plugin_dir = dir;
  s.granularity = granularity;
  s.labels = {"bench"};
  WriteFileAtomic(s.SettingsFile(), SettingsToJson(s).dump(1) + "\n");
  Collection c = SyntheticCollection(items, dir);
  WriteCollection(s, c);
  WriteFileAtomic(s.DurationsFile(), DurationsToJson(SyntheticDurations(c)).dump(1) + "\n");
}

// What one child measured: the timed part only, by the child itself.
struct Measure {
  double seconds = 0;      // wall
  double cpu_seconds = 0;  // user + system: what the machine's load does not inflate
  size_t entries = 0;
  long lines = 0;    // of the emitted CTest include file
  long peak_kb = 0;  // the child's peak RSS, from wait4
};

long Lines(const std::string& text) {
  long lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

// Times `step` in wall and CPU seconds and prints them with its counts.
template <typename Step>
int TimeAndPrint(Step step) {
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  auto [entries, lines] = step();
  double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.6f %.6f %zu %ld\n", wall, cpu, entries, lines);
  return 0;
}

// Child: MakePlan and EmitTests on a suite made in memory (the issue's
// "plans and emits 100,000 items"). The peak RSS includes making the suite.
int PlanInMemory(int items, int cores, Granularity granularity) {
  Collection c = SyntheticCollection(items, "/src");
  Durations d = SyntheticDurations(c);
  return TimeAndPrint([&] {
    PlanOptions options;
    options.suite = "bench";
    options.cores = cores;
    options.granularity = granularity;
    Plan plan = MakePlan(c, options, d);
    EmitOptions emit;
    emit.tool = "/usr/local/bin/pytest-shards";
    emit.plan_file = "/build/pytest-shards/bench/plan.json";
    emit.workdir = "/src";
    emit.suite = "bench";
    std::string tests = EmitTests(plan, emit);
    return std::make_pair(plan.entries.size(), Lines(tests));
  });
}

// Child: everything `pytest-shards plan` does at ctest start on a suite
// directory: read settings, collection and durations, plan, write plan.json
// and tests.cmake (in a new run directory).
int PlanSuiteDir(const fs::path& dir, int cores) {
  return TimeAndPrint([&] {
    CtestStartOptions options;
    options.tool = "/usr/local/bin/pytest-shards";
    options.cores = cores;
    std::ostringstream out;
    PytestCollector pytest;
    PlanAtCtestStart(dir, options, pytest, out);
    return std::make_pair(size_t{0}, 0L);
  });
}

// Runs this executable with `args` in a fresh process and reads what it
// measured and its peak memory.
Measure MeasureChild(std::vector<std::string> args) {
  args.insert(args.begin(), "plan_bench");
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  char buffer[256] = {};
  ssize_t got = read(pipe_fds[0], buffer, sizeof buffer - 1);
  close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Measure m;
  if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      std::sscanf(buffer, "%lf %lf %zu %ld", &m.seconds, &m.cpu_seconds, &m.entries, &m.lines) !=
          4) {
    std::fprintf(stderr, "plan_bench: the measured step failed\n");
    std::exit(1);
  }
  m.peak_kb = usage.ru_maxrss;
  return m;
}

void PrintRow(const std::string& step, const Measure& m) {
  std::printf("| %s | %zu | %ld | %.3f | %.3f | %.1f |\n", step.c_str(), m.entries, m.lines,
              m.seconds, m.cpu_seconds, m.peak_kb / 1024.0);
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "--child-memory")
    return PlanInMemory(std::stoi(args[1]), std::stoi(args[2]), ParseGranularity(args[3]));
  if (args.size() == 3 && args[0] == "--child-suite")
    return PlanSuiteDir(args[1], std::stoi(args[2]));
  if (args.size() == 2 && args[0] == "--child-count") {
    return TimeAndPrint([&] {
      std::string run = NewestRun(args[1]);
      return std::make_pair(ReadPlanFile(RunPlanFile(args[1], run), "").plan.entries.size(),
                            Lines(ReadFile(RunTestsFile(args[1], run))));
    });
  }
  if (args.size() == 4 && args[0] == "--child-write") {
    return TimeAndPrint([&] {
      WriteSuite(args[1], std::stoi(args[2]), ParseGranularity(args[3]));
      return std::make_pair(size_t{0}, 0L);
    });
  }
  int items = 100000;
  int cores = 2;
  bool keep = false;
  fs::path dir = fs::temp_directory_path() / ("plan_bench-" + std::to_string(getpid()));
  for (size_t i = 0; i < args.size(); ++i) {
    bool has_value = i + 1 < args.size();
    if (args[i] == "--keep")
      keep = true;
    else if (args[i] == "--items" && has_value)
      items = std::stoi(args[++i]);
    else if (args[i] == "--cores" && has_value)
      cores = std::stoi(args[++i]);
    else if (args[i] == "--dir" && has_value)
      dir = args[++i];
    else {
      std::fprintf(stderr, "usage: plan_bench [--items N] [--cores N] [--dir DIR] [--keep]\n");
      return 2;
    }
  }
  std::printf("plan_bench: %d synthetic items, %d cores\n\n", items, cores);
  std::printf("| step | entries | tests.cmake lines | wall s | CPU s | peak RSS MB |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  std::string items_text = std::to_string(items);
  std::string cores_text = std::to_string(cores);
  for (Granularity granularity : {Granularity::kShard, Granularity::kTest})
    PrintRow(std::string("plan + emit in memory, GRANULARITY ") + Name(granularity),
             MeasureChild({"--child-memory", items_text, cores_text, Name(granularity)}));
  // The suites are written and their plans read by children too: a child
  // starts with the RSS of its parent at fork (Linux keeps it across exec),
  // so this process stays small.
  for (Granularity granularity : {Granularity::kShard, Granularity::kTest}) {
    fs::path suite = dir / Name(granularity);
    MeasureChild({"--child-write", suite.string(), items_text, Name(granularity)});
    Measure m = MeasureChild({"--child-suite", suite.string(), cores_text});
    Measure counts = MeasureChild({"--child-count", suite.string()});
    m.entries = counts.entries;
    m.lines = counts.lines;
    PrintRow(std::string("`pytest-shards plan` step, GRANULARITY ") + Name(granularity), m);
  }
  if (!keep) fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace pytest_shards

int main(int argc, char** argv) { return pytest_shards::Main(argc, argv); }
