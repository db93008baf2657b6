// pytest-shards: runs a pytest suite as parallel CTest entries.
//
//   collect  configure time: collect node IDs once, store the suite's settings
//   plan     every ctest start: plan shards, write the CTest include file
//   run      what each CTest entry executes: one shard
//   session  after the entries: the session outputs (JUnit, coverage) once
//   report   after a run: summary, JUnit XML, HTML timeline, durations store
//   watch    runs ctest with a live progress line of the pytest entries
//   merge    the results of a CI matrix's jobs as one
//   cores    prints the cores this process may use (for the CMake module)
#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "collect/collect.h"
#include "data/durations.h"
#include "data/options.h"
#include "data/runs.h"
#include "data/settings.h"
#include "merge/merge.h"
#include "plan/ci_slice.h"
#include "plan/ctest_start.h"
#include "plan/last_tests_failed.h"
#include "platform/cores.h"
#include "platform/platform.h"
#include "platform/subprocess.h"
#include "report/report.h"
#include "report/report_command.h"
#include "report/report_export.h"
#include "report/report_html.h"
#include "report/report_junit.h"
#include "run/real_process_runner.h"
#include "run/run.h"
#include "session/session.h"
#include "session/session_merge.h"
#include "util/error.h"
#include "util/file_util.h"
#include "watch/watch.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace pytest_shards;

namespace {

constexpr const char* kUsage =
    "usage: pytest-shards <command> [options]\n"
    "\n"
    "Runs a pytest suite as parallel CTest entries. Commands:\n"
    "  collect   collect the suite's node IDs once (configure time)\n"
    "  plan      plan shards and write the CTest include file (every ctest start)\n"
    "  run       run one CTest entry's shard of pytest (what each entry executes)\n"
    "  session   write the run's session outputs once (--junitxml, coverage): the last entry\n"
    "  report    merge the last run's results: summary, JUnit XML, HTML timeline, durations\n"
    "  watch     run ctest and show the pytest entries' progress and failures live\n"
    "  merge     combine the exports of a CI matrix's jobs: summary, JUnit XML, durations\n"
    "  cores     print the cores this process may use (affinity, cgroup quota, "
    "PYTEST_SHARDS_CORES)\n"
    "  fail      print a message and exit 1 (entries that report a problem)\n"
    "\n"
    "'pytest-shards <command> --help' explains a command.\n";

// Parses a subcommand's options; prints help and returns false for --help.
bool Parse(const std::vector<std::string>& args, const po::options_description& options,
           const po::positional_options_description& positional, const char* usage,
           po::variables_map* vm) {
  po::store(po::command_line_parser(args).options(options).positional(positional).run(), *vm);
  if (vm->count("help")) {
    std::cout << usage << "\n" << options;
    return false;
  }
  po::notify(*vm);
  return true;
}

// --depends TARGET[=FILE] values as (target, file) pairs.
std::vector<std::pair<std::string, std::string>> ParseDepends(
    const std::vector<std::string>& values) {
  std::vector<std::pair<std::string, std::string>> depends;
  for (const std::string& value : values) {
    size_t eq = value.find('=');
    depends.emplace_back(value.substr(0, eq), eq == std::string::npos ? "" : value.substr(eq + 1));
  }
  return depends;
}

// collect's flags for the options of cmake/options.json, each storing its
// words in `words` under the option's name.
void AddOptionFlags(po::options_description* options, OptionWords* words) {
  for (const Option& option : Options()) {
    if (option.flag.empty()) continue;
    std::string help = option.help;
    if (!option.default_value.empty()) help += " (default " + option.default_value + ")";
    auto* value = po::value(&(*words)[option.name]);
    if (option.many) value->composing();
    options->add_options()(option.flag.c_str(), value, help.c_str());
  }
}

// A word of the wrong type, as boost reports its own (collect --port-base x).
[[noreturn]] void ThrowInvalidValue(const InvalidOptionWord& e) {
  po::invalid_option_value error(e.word);
  error.set_option_name(e.flag);
  error.set_prefix(po::command_line_style::allow_long);
  throw error;
}

int CollectCommand(const std::vector<std::string>& args) {
  Settings s;
  OptionWords words;
  std::vector<std::string> depends, watch_roots;
  bool settings_only = false;
  po::options_description options("collect options");
  options.add_options()("help,h", "show this help")(
      "suite-dir", po::value<std::string>()->required(),
      "the suite's directory in the build tree; alone, re-collects with its settings.json")(
      "suite", po::value(&s.suite), "the suite's name (the <name> of pytest_shard_tests)")(
      "plugin-dir", po::value<std::string>(), "directory holding pytest_shards_plugin.py");
  AddOptionFlags(&options, &words);
  options.add_options()(
      "depends", po::value(&depends)->composing(),
      "TARGET[=FILE]: a DEPENDS target and the file it builds (the build step passes them)")(
      "watch-root", po::value(&watch_roots)->composing(),
      "directory (the project's source or build tree) whose imported modules are stamped")(
      "settings-only", po::bool_switch(&settings_only),
      "store the settings without collecting (collection then happens at ctest start)");
  po::positional_options_description positional;
  positional.add(FindOption("ARGS").flag.c_str(), -1);
  po::variables_map vm;
  if (!Parse(args, options, positional,
             "usage: pytest-shards collect --suite-dir DIR [options] [-- pytest args]", &vm))
    return 0;
  fs::path suite_dir = fs::absolute(vm["suite-dir"].as<std::string>());
  if (s.suite.empty()) {
    // At ctest start (DISCOVERY_MODE PRE_TEST) or the build step of DEPENDS:
    // everything comes from settings.json, but for the files DEPENDS built.
    s = SettingsFromJson(ReadJsonFile(SettingsFile(suite_dir), "settings", "re-run cmake"));
    if (vm.count("depends") && ParseDepends(depends) != s.depends) {
      s.depends = ParseDepends(depends);
      WriteFileAtomic(s.SettingsFile(), SettingsToJson(s).dump(1) + "\n");
    }
  } else {
    if (words["PYTHON"].empty() || words["WORKING_DIRECTORY"].empty() || !vm.count("plugin-dir"))
      throw Error("collect needs --python, --workdir and --plugin-dir with --suite");
    s.suite_dir = suite_dir;
    s.plugin_dir = fs::absolute(vm["plugin-dir"].as<std::string>());
    try {
      ApplyOptionWords(words, &s);
    } catch (const InvalidOptionWord& e) {
      ThrowInvalidValue(e);
    }
    s.depends = ParseDepends(depends);
    for (const std::string& root : watch_roots) s.watch_roots.push_back(fs::absolute(root));
    ValidateSettings(s);
    WriteFileAtomic(s.SettingsFile(), SettingsToJson(s).dump(1) + "\n");
  }
  PytestCollector pytest;
  if (!settings_only) pytest_shards::RefreshCollection(s, pytest, std::cout);
  return 0;
}

int PlanCommand(const std::vector<std::string>& args, const char* argv0) {
  CtestStartOptions plan;
  po::options_description options("plan options");
  options.add_options()("help,h", "show this help")(
      "suite-dir", po::value<std::string>()->required(), "the suite's directory in the build tree")(
      "cores", po::value(&plan.cores),
      "cores to plan for (default: those this process may use, see pytest-shards cores)")(
      "memory-budget", po::value(&plan.memory_budget_mib)->default_value(0),
      "MiB the entries may hold at once (MEMORY_BUDGET): each entry asks for "
      "RESOURCE_GROUPS memory:<its last peak RSS>; 0: no budget")(
      "cores-resource", po::bool_switch(&plan.cores_resource),
      "entries ask for RESOURCE_GROUPS cores:1 (the parallel preset's cap, see presets/)")(
      "slice", po::value(&plan.slice)->default_value(""),
      "k/n: keep only the k-th of n duration-balanced slices of the entries (CI matrices; "
      "PYTEST_SHARDS_SLICE); empty: all")(
      "ctest-version", po::value(&plan.ctest_version)->default_value(""),
      "CMAKE_VERSION of the ctest that includes the entries (DEF_SOURCE_LINE only where its "
      "--show-only lists it); empty: unknown");
  po::variables_map vm;
  if (!Parse(args, options, {}, "usage: pytest-shards plan --suite-dir DIR [--cores N]", &vm))
    return 0;
  plan.tool = ExecutablePath(argv0);
  if (!vm.count("cores")) plan.cores = DetectCores();
  plan.environment = EnvironmentMap(CurrentEnvironment());
  // `plan` runs in ctest's execute_process: its parent is that ctest.
  plan.ctest_argv = ProcessArguments(ParentProcessId());
  // Now, before the run: ctest rewrites the file when it ends (see
  // last_tests_failed.h). Its cwd, which ours is, is the suite's directory.
  plan.ctest_last_failed = ReadLastTestsFailed(plan.ctest_argv, fs::current_path());
  // stdout is the path of the run's include file, for the generated
  // include.cmake; everything else goes to stderr.
  PytestCollector pytest;
  std::cout << PlanAtCtestStart(fs::absolute(vm["suite-dir"].as<std::string>()), plan, pytest,
                                std::cerr)
                   .string()
            << "\n";
  return 0;
}

int RunCommand(const std::vector<std::string>& args) {
  po::options_description options("run options");
  options.add_options()("help,h", "show this help")(
      "plan", po::value<std::string>()->required(),
      "the plan of this ctest run (<suite dir>/runs/<run id>/plan.json)")(
      "entry", po::value<int>()->required(), "index of the CTest entry to run")(
      "cold", po::bool_switch(),
      "start pytest itself, not from the warm interpreter (this ctest runs few entries)")(
      "at", po::value<size_t>(),
      "where the entry's line starts in the plan, so that the lines before it are not read");
  po::variables_map vm;
  if (!Parse(args, options, {},
             "usage: pytest-shards run --plan FILE --entry N [--cold] [--at OFFSET]", &vm))
    return 0;
  RealProcessRunner processes;
  std::optional<size_t> at;
  if (vm.count("at")) at = vm["at"].as<size_t>();
  return RunEntry(vm["plan"].as<std::string>(), vm["entry"].as<int>(), processes, std::cout,
                  vm["cold"].as<bool>(), at);
}

int SessionCommand(const std::vector<std::string>& args) {
  po::options_description options("session options");
  options.add_options()("help,h", "show this help")(
      "plan", po::value<std::string>(),
      "the plan of this ctest run (<suite dir>/runs/<run id>/plan.json)")(
      "parts", po::value<std::vector<std::string>>()->multitoken()->composing(),
      "CI matrix: the jobs' session directories (report --session-parts); writes the "
      "session outputs of every job's tests at once")(
      "suite-dir", po::value<std::string>(),
      "with --parts and no --plan: the suite whose newest plan to use (run ctest -N first)");
  po::variables_map vm;
  if (!Parse(args, options, {},
             "usage: pytest-shards session --plan FILE\n"
             "       pytest-shards session (--plan FILE | --suite-dir DIR) --parts DIR...",
             &vm))
    return 0;
  fs::path plan;
  if (vm.count("plan")) {
    plan = vm["plan"].as<std::string>();
  } else if (vm.count("parts") && vm.count("suite-dir")) {
    fs::path suite_dir = vm["suite-dir"].as<std::string>();
    std::string run_id = NewestRun(suite_dir);
    if (run_id.empty())
      throw Error(suite_dir.string() + " has no plan; run ctest -N on its build tree first");
    plan = RunPlanFile(suite_dir, run_id);
  } else {
    throw Error("session needs --plan FILE (or --parts DIR... with --suite-dir DIR)");
  }
  if (!vm.count("parts")) return RunSession(plan, std::cout);
  std::vector<fs::path> parts;
  for (const std::string& dir : vm["parts"].as<std::vector<std::string>>()) parts.push_back(dir);
  return MergeSession(plan, parts, std::cout);
}

int ReportCommand(const std::vector<std::string>& args) {
  std::string junit, export_file, html, session_parts;
  po::options_description options("report options");
  options.add_options()("help,h", "show this help")(
      "suite-dir", po::value<std::vector<std::string>>()->composing(),
      "a suite's directory (default: every suite under --build-dir)")(
      "build-dir", po::value<std::string>()->default_value("."), "build tree to search for suites")(
      "junit", po::value(&junit), "write one merged JUnit XML file of every pytest test")(
      "export", po::value(&export_file),
      "write every suite's results as JSON (pytest-shards-results/1): each test's "
      "outcome, duration and message, by pytest-shards' and pytest's names")(
      "html", po::value(&html),
      "write the last run's timeline (its date and ctest command, lanes, start-up, idle time, "
      "failures with pytest's tracebacks, slowest tests) as one self-contained HTML file")(
      "session-parts", po::value(&session_parts),
      "CI matrix: copy the last run's session directory of each suite to DIR/<suite>, for "
      "pytest-shards session --parts on the merging job");
  po::variables_map vm;
  if (!Parse(args, options, {},
             "usage: pytest-shards report [--suite-dir DIR] [--junit FILE] [--export FILE] "
             "[--html FILE] [--session-parts DIR]",
             &vm))
    return 0;
  std::vector<fs::path> suites;
  if (vm.count("suite-dir")) {
    for (const std::string& dir : vm["suite-dir"].as<std::vector<std::string>>())
      suites.push_back(dir);
  } else {
    suites = FindSuites(vm["build-dir"].as<std::string>());
  }
  if (suites.empty())
    throw Error("no pytest-shards suite found under " + vm["build-dir"].as<std::string>() +
                "; pass --build-dir <build> or --suite-dir <dir> after running ctest");
  if (suites.size() > 1 && !junit.empty()) throw Error("--junit needs one suite; pass --suite-dir");
  int status = 0;
  std::vector<nlohmann::json> exported(suites.size());
  std::vector<Report> reports(suites.size());
  for (std::size_t i = 0; i < suites.size(); ++i)
    status |= ReportMain(suites[i], junit, std::cout, export_file.empty() ? nullptr : &exported[i],
                         &reports[i]);
  if (!export_file.empty()) WriteFileAtomic(export_file, ExportDocument(exported).dump(1) + "\n");
  if (!html.empty()) WriteFileAtomic(html, TimelineHtml(reports));
  for (const fs::path& suite : suites) {
    if (session_parts.empty()) break;
    try {
      CopySessionParts(suite, LastRun(suite), fs::path(session_parts) / suite.filename());
    } catch (const Error& e) {
      if (suites.size() == 1) throw;
      std::cout << "session parts: " << e.what() << "\n";  // the other suites are copied
    }
  }
  return status;
}

// Columns for the progress line: COLUMNS when set (as pytest takes it),
// else the terminal's; 0 (no limit) for a pipe without COLUMNS.
int WatchWidth(bool tty) {
  const char* columns = std::getenv("COLUMNS");
  if (columns && std::atoi(columns) > 0) return std::atoi(columns);
  return tty ? TerminalColumns() : 0;
}

int WatchCommand(const std::vector<std::string>& args) {
  WatchOptions watch;
  std::string build_dir, tb;
  po::options_description options("watch options");
  options.add_options()("help,h", "show this help")(
      "build-dir", po::value(&build_dir)->default_value("."), "the build tree to run ctest in")(
      "ctest", po::value(&watch.ctest)->default_value("ctest"), "the ctest to run")(
      "interval", po::value(&watch.interval)->default_value(5),
      "seconds between progress lines when the output is not a terminal")(
      "tb", po::value(&tb)->default_value("short"),
      "each failure's traceback: long, short, line or no (as pytest's --tb)")(
      "ctest-arg", po::value(&watch.ctest_args)->composing(),
      "argument for ctest (or give them after --)");
  po::positional_options_description positional;
  positional.add("ctest-arg", -1);
  po::variables_map vm;
  if (!Parse(args, options, positional,
             "usage: pytest-shards watch [--build-dir DIR] [--interval SECONDS] [--ctest PATH] "
             "[--tb STYLE] [-- ctest args]\n"
             "Runs ctest --test-dir DIR <ctest args> with its output in "
             "DIR/pytest-shards/watch-ctest.log,\n"
             "shows the pytest tests' progress and each failure with its traceback as it "
             "happens,\nthen the report's summary and ctest's closing lines (after Ctrl-C: one "
             "line, what ran\nand what did not); exits with ctest's exit code.",
             &vm))
    return 0;
  if (!(watch.interval > 0)) throw Error("--interval must be a positive number of seconds");
  std::optional<TracebackStyle> style = ParseTracebackStyle(tb);
  if (!style) throw Error("--tb " + tb + " is not a traceback style; pass long, short, line or no");
  watch.tb = *style;
  watch.build_dir = build_dir;
  watch.tty = StdoutIsTerminal();
  watch.width = WatchWidth(watch.tty);
  return WatchMain(watch, std::cout);
}

int MergeCommand(const std::vector<std::string>& args) {
  std::string junit, durations_out;
  po::options_description options("merge options");
  options.add_options()("help,h", "show this help")(
      "export", po::value<std::vector<std::string>>()->composing(),
      "a job's pytest-shards report --export file (or give them as arguments)")(
      "junit", po::value(&junit), "write one JUnit XML file of every job's tests (one suite)")(
      "durations-out", po::value(&durations_out),
      "write the jobs' test durations over this file's (pytest-shards-durations/1, one test "
      "per line, sorted), for DURATIONS_FILE");
  po::positional_options_description positional;
  positional.add("export", -1);
  po::variables_map vm;
  if (!Parse(args, options, positional,
             "usage: pytest-shards merge FILE... [--junit OUT] [--durations-out FILE]\n"
             "Combines the report --export files of a CI matrix's jobs into one summary, and\n"
             "exits 1 when a test failed, when a collected test ran in no job or in two (naming\n"
             "them), or when the files come from different collections.",
             &vm))
    return 0;
  if (!vm.count("export"))
    throw Error(
        "merge needs the jobs' export files; pass them as arguments (pytest-shards merge "
        "job-1.json job-2.json ...)");
  Merged merged = MergeExports(ReadExports(vm["export"].as<std::vector<std::string>>()));
  std::cout << FormatMerged(merged);
  if (!junit.empty()) {
    if (merged.suites.size() != 1)
      throw Error("--junit needs one suite; the exports hold " +
                  std::to_string(merged.suites.size()));
    WriteFileAtomic(junit, JunitXml(merged.suites[0].report, merged.suites[0].suite));
  }
  if (!durations_out.empty()) {
    Durations durations = MergedDurations(merged, ReadDurations(durations_out));
    WriteFileAtomic(durations_out, DurationsToJson(durations).dump(1) + "\n");
  }
  return merged.Ok() ? 0 : 1;
}

// Prints the number for the CMake module's cores file. A malformed
// PYTEST_SHARDS_CORES still prints the detected cores (the module warns and
// goes on with them) but exits 1 with the one-line error.
int CoresCommand(const std::vector<std::string>& args) {
  po::options_description options("cores options");
  options.add_options()("help,h", "show this help");
  po::variables_map vm;
  if (!Parse(args, options, {},
             "usage: pytest-shards cores\n"
             "Prints the cores this process may use: its CPU affinity mask, then a cgroup CPU\n"
             "quota rounded up; PYTEST_SHARDS_CORES=N overrides them.",
             &vm))
    return 0;
  int detected = DetectedCores();
  const char* value = std::getenv("PYTEST_SHARDS_CORES");
  try {
    std::cout << CoresOverride(value ? value : "", detected) << "\n";
  } catch (const Error& e) {
    std::cout << detected << "\n";
    throw;
  }
  return 0;
}

int FailCommand(const std::vector<std::string>& args) {
  std::string message;
  for (const std::string& arg : args) message += (message.empty() ? "" : " ") + arg;
  std::cerr << "pytest-shards: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "collect") return CollectCommand(args);
    if (command == "plan") return PlanCommand(args, argv[0]);
    if (command == "run") return RunCommand(args);
    if (command == "session") return SessionCommand(args);
    if (command == "report") return ReportCommand(args);
    if (command == "watch") return WatchCommand(args);
    if (command == "fail") return FailCommand(args);
    if (command == "merge") return MergeCommand(args);
    if (command == "cores") return CoresCommand(args);
    if (command == "--version") {
      std::cout << "pytest-shards " PYTEST_SHARDS_VERSION "\n";
      return 0;
    }
    std::cerr << "pytest-shards: unknown command '" << command
              << "'; run pytest-shards --help for the commands\n";
    return 2;
  } catch (const po::error& e) {
    std::cerr << "pytest-shards " << command << ": " << e.what() << "; see pytest-shards "
              << command << " --help\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "pytest-shards: " << e.what() << "\n";
    return 1;
  }
}
