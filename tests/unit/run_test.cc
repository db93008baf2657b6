#include "run/run.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "data/journal.h"
#include "data/runs.h"
#include "fake_pytest.h"
#include "plan/plan.h"
#include "plan/plan_file.h"
#include "platform/file_lock.h"
#include "run/lease.h"
#include "run/ports.h"
#include "run/protocol.h"
#include "test_dir.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// gmock is not linked; this says what was searched and where.
#define EXPECT_CONTAINS(text, part)                                                                \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "missing: " << (part) << "\nin:\n" \
                                                             << (text)

std::string Get(const std::vector<std::string>& env, const std::string& name) {
  std::string prefix = name + "=";
  std::string value = "<unset>";
  int seen = 0;
  for (const std::string& entry : env) {
    if (entry.compare(0, prefix.size(), prefix) == 0) {
      value = entry.substr(prefix.size());
      ++seen;
    }
  }
  return seen > 1 ? "<set " + std::to_string(seen) + " times>" : value;
}

ShardContext Context() {
  ShardContext shard;
  shard.index = 3;
  shard.count = 8;
  shard.tmpdir = "/build/pytest-shards/demo/tmp/3";
  shard.port_base = 20030;
  shard.port_count = 10;
  return shard;
}

// --- ExpandPlaceholders -----------------------------------------------------

TEST(ExpandPlaceholders, ReplacesEveryPlaceholder) {
  EXPECT_EQ(ExpandPlaceholders("{shard}/{shards} {tmp} {port_base}+{port_count}", Context()),
            "3/8 /build/pytest-shards/demo/tmp/3 20030+10");
  EXPECT_EQ(ExpandPlaceholders("postgresql:///app_{shard}_{shard}", Context()),
            "postgresql:///app_3_3");
}

TEST(ExpandPlaceholders, KeepsOtherText) {
  EXPECT_EQ(ExpandPlaceholders("", Context()), "");
  EXPECT_EQ(ExpandPlaceholders("no placeholders", Context()), "no placeholders");
  EXPECT_EQ(ExpandPlaceholders("{user} {SHARD} {shard", Context()), "{user} {SHARD} {shard");
  EXPECT_EQ(ExpandPlaceholders("{{shard}}", Context()), "{3}");
  EXPECT_EQ(ExpandPlaceholders("{port_base_x}", Context()), "{port_base_x}");
  EXPECT_EQ(ExpandPlaceholders("}{shards}{", Context()), "}8{");
}

// --- ShardEnvironment ---------------------------------------------------------

Settings PluginSettings() {
  Settings settings;
  settings.plugin_dir = "/src/tools";
  return settings;
}

TEST(ShardEnvironment, SetsTheContractVariables) {
  std::vector<std::string> env =
      ShardEnvironment(PluginSettings(), Context(), {"HOME=/home/me", "TMPDIR=/tmp"});
  EXPECT_EQ(Get(env, "HOME"), "/home/me");
  EXPECT_EQ(Get(env, "TMPDIR"), "/build/pytest-shards/demo/tmp/3");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_TMPDIR"), "/build/pytest-shards/demo/tmp/3");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_INDEX"), "3");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_COUNT"), "8");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_PORT_BASE"), "20030");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_PORT_COUNT"), "10");
  EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER"), "gw3");
  EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER_COUNT"), "8");
  EXPECT_EQ(Get(env, "PYTHONPATH"), "/src/tools");
  EXPECT_EQ(Get(env, "PYTHONDONTWRITEBYTECODE"), "<unset>");
  EXPECT_EQ(env.size(), 10u);
}

TEST(ShardEnvironment, DropsThePresetCapSoNestedCtestRunsInParallel) {
  std::vector<std::string> env = ShardEnvironment(
      PluginSettings(), Context(), {"PYTEST_SHARDS_PRESET_JOBS=4096", "HOME=/home/me"});
  EXPECT_EQ(Get(env, "PYTEST_SHARDS_PRESET_JOBS"), "<unset>");
  EXPECT_EQ(Get(env, "HOME"), "/home/me");
}

TEST(ShardEnvironment, ParentValuesAreReplacedNotDuplicated) {
  std::vector<std::string> parent = {"PYTEST_SHARD_INDEX=9", "PYTEST_XDIST_WORKER=gw9",
                                     "PYTEST_XDIST_WORKER_COUNT=99", "PYTHONPATH=/mine:/other"};
  std::vector<std::string> env = ShardEnvironment(PluginSettings(), Context(), parent);
  EXPECT_EQ(Get(env, "PYTEST_SHARD_INDEX"), "3");
  EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER"), "gw3");
  EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER_COUNT"), "8");
  EXPECT_EQ(Get(env, "PYTHONPATH"), "/src/tools:/mine:/other");
}

TEST(ShardEnvironment, UserEnvironmentIsExpandedAndWins) {
  Settings settings = PluginSettings();
  settings.environment = {"DATABASE_URL=postgresql:///app_{shard}",
                          "TMPDIR={tmp}/own",
                          "HOME=/elsewhere",
                          "EMPTY=",
                          "EQUALS=a=b{port_base}",
                          "UNKNOWN={nope}",
                          "PYTHONPATH=/user/lib"};
  std::vector<std::string> env =
      ShardEnvironment(settings, Context(), {"HOME=/home/me", "PYTHONPATH=/parent"});
  EXPECT_EQ(Get(env, "DATABASE_URL"), "postgresql:///app_3");
  EXPECT_EQ(Get(env, "TMPDIR"), "/build/pytest-shards/demo/tmp/3/own");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_TMPDIR"), "/build/pytest-shards/demo/tmp/3");
  EXPECT_EQ(Get(env, "HOME"), "/elsewhere");
  EXPECT_EQ(Get(env, "EMPTY"), "");
  EXPECT_EQ(Get(env, "EQUALS"), "a=b20030");
  EXPECT_EQ(Get(env, "UNKNOWN"), "{nope}");
  // The plugin stays importable whatever the user sets.
  EXPECT_EQ(Get(env, "PYTHONPATH"), "/src/tools:/user/lib");
}

TEST(ShardEnvironment, MalformedUserEntryIsAnError) {
  Settings settings = PluginSettings();
  settings.environment = {"JUSTANAME"};
  EXPECT_THROW(ShardEnvironment(settings, Context(), {}), Error);
  settings.environment = {"=value"};
  EXPECT_THROW(ShardEnvironment(settings, Context(), {}), Error);
}

// --- RunEntry over a fake pytest --------------------------------------------

// A build tree holding the suite directory, and a fake pytest (fake_pytest.h)
// that runs the node IDs of the file the runner writes for it. No Python
// runs: PYTHON does not even exist. What real pytest and the plugin make of
// the runner's command line is for tests/plugin and the e2e tests.
class RunEntryTest : public TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    // PYTEST_SHARDS_WARM=1 would fork pytest from a warm interpreter.
    ::unsetenv("PYTEST_SHARDS_WARM");
    Settings& s = plan_.settings;
    s.suite = "demo";
    s.suite_dir = dir_ / "build" / "pytest-shards" / "demo";
    s.python = (dir_ / "no-python").string();
    s.workdir = dir_ / "project";
    s.plugin_dir = fs::path(PYTEST_SHARDS_SOURCE_DIR) / "python";
    s.args = {"tests"};
    s.port_base = 24700;
    s.ports_per_shard = 3;
    s.warm = Warm::kOff;
    plan_.run_id = "1000-1";
    plan_.rootdir = (dir_ / "project").string();
    world_.node_ids_of = [this](const SpawnOptions& command) { return NodeIdsOf(command); };
  }

  // The node IDs of the file named by --shards-node-ids, less those pytest
  // would not find; without that option (the collection-errors entry),
  // module_tests_. The fake writes the plugin's records where
  // --shards-journal says.
  Ids NodeIdsOf(const SpawnOptions& command) {
    EXPECT_EQ(command.argv.at(0), plan_.settings.python);
    world_.journal = Option(command, kJournalOption);
    std::string value = Option(command, kNodeIdsOption);
    if (value.empty()) return module_tests_;
    json file = json::parse(ReadFile(value));
    Ids ids;
    for (const json& id : file.at("node_ids"))
      if (!not_found_.count(id.get<std::string>())) ids.push_back(id.get<std::string>());
    return ids;
  }

  // The value of `--name=value` in the command's argv, or "".
  static std::string Option(const SpawnOptions& command, const std::string& name) {
    for (const std::string& arg : command.argv)
      if (arg.compare(0, name.size() + 1, name + "=") == 0) return arg.substr(name.size() + 1);
    return "";
  }

  void Write(const std::string& relative, const std::string& text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << text;
  }

  void AddEntry(std::vector<std::string> node_ids, bool collection_errors = false) {
    Entry entry;
    entry.name = "demo/shard-" + std::to_string(plan_.plan.entries.size());
    entry.node_ids = std::move(node_ids);
    entry.collection_errors = collection_errors;
    plan_.plan.entries.push_back(entry);
  }

  // Runs the entry; its printed lines land in output_.
  int Run(int index) {
    fs::path file = RunPlanFile(plan_.settings.suite_dir, plan_.run_id);
    WriteFileAtomic(file, PlanFileToJson(plan_).dump());
    FakeProcessRunner processes(world_);
    std::ostringstream out;
    int code = RunEntry(file, index, processes, out);
    output_ = out.str();
    return code;
  }

  ShardJournal Journal(int index) {
    return ReadJournal(JournalDir() / (std::to_string(index) + ".jsonl"));
  }

  fs::path JournalDir() const { return RunJournalDir(plan_.settings.suite_dir, plan_.run_id); }

  // node ID -> outcome (the latest), and every result's message.
  std::map<std::string, std::string> Outcomes(const ShardJournal& journal) {
    std::map<std::string, std::string> outcomes;
    for (const TestResult& r : journal.results) outcomes[r.node_id] = r.outcome;
    return outcomes;
  }
  std::string Message(const ShardJournal& journal, const std::string& node_id) {
    for (const TestResult& r : journal.results)
      if (r.node_id == node_id) return r.message;
    return "<none>";
  }

  PlanFile plan_;
  World world_;
  Ids module_tests_;                 // what a run on modules (not node IDs) runs
  std::set<std::string> not_found_;  // node IDs pytest does not find
  std::string output_;
};

TEST_F(RunEntryTest, PassingShardSeesItsPrivateEnvironment) {
  plan_.settings.environment = {"APP_DB=app_{shard}_of_{shards}"};
  fs::create_directories(plan_.settings.TmpRoot() / "1");
  Write("build/pytest-shards/demo/tmp/1/stale.txt", "left over");
  // What the tests of the entry would check, while pytest runs.
  world_.on_start = [this](const SpawnOptions& command) {
    const std::vector<std::string>& env = command.env;
    EXPECT_EQ(Get(env, "PYTEST_SHARD_INDEX"), "1");
    EXPECT_EQ(Get(env, "PYTEST_SHARD_COUNT"), "2");
    EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER"), "gw1");
    EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER_COUNT"), "2");
    EXPECT_EQ(Get(env, "APP_DB"), "app_1_of_2");
    std::string tmpdir = Get(env, "PYTEST_SHARD_TMPDIR");
    EXPECT_EQ(Get(env, "TMPDIR"), tmpdir);
    EXPECT_EQ(fs::path(tmpdir), plan_.settings.TmpRoot() / "1");
    EXPECT_TRUE(fs::is_directory(tmpdir));
    EXPECT_FALSE(fs::exists(plan_.settings.TmpRoot() / "1" / "stale.txt"));
    // pytest's tmp_path is under the shard's own directory.
    EXPECT_EQ(Option(command, kBasetempOption), (fs::path(tmpdir) / "basetemp").string());
    EXPECT_EQ(command.cwd, (dir_ / "project").string());
    // The ports are free.
    EXPECT_EQ(Get(env, "PYTEST_SHARD_PORT_COUNT"), "3");
    int base = std::stoi(Get(env, "PYTEST_SHARD_PORT_BASE"));
    EXPECT_TRUE(24700 <= base && (base - 24700) % 3 == 0) << base;
    for (int port = base; port < base + 3; ++port) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<uint16_t>(port));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << port;
      ::close(fd);
    }
  };
  AddEntry({"tests/test_env.py::test_variables"});
  AddEntry({"tests/test_env.py::test_variables", "tests/test_env.py::test_ports_are_free",
            "tests/test_env.py::test_tmp_path_is_private"});
  EXPECT_EQ(Run(1), 0) << output_;
  EXPECT_EQ(world_.runs.size(), 1u);
  ShardJournal journal = Journal(1);
  EXPECT_EQ(journal.run_id, "1000-1");
  EXPECT_EQ(journal.entry, "demo/shard-1");
  EXPECT_EQ(journal.index, 1);
  std::map<std::string, std::string> expected = {
      {"tests/test_env.py::test_variables", "passed"},
      {"tests/test_env.py::test_ports_are_free", "passed"},
      {"tests/test_env.py::test_tmp_path_is_private", "passed"}};
  EXPECT_EQ(Outcomes(journal), expected);
  EXPECT_EQ(journal.results.size(), 3u);
  EXPECT_TRUE(journal.finished);
  EXPECT_EQ(journal.exit_code, 0);
  EXPECT_EQ(journal.restarts, 0);
  EXPECT_GT(journal.wall, 0);
  EXPECT_GT(journal.startup, 0);
  EXPECT_GT(journal.peak_rss_kb, 0);
  EXPECT_CONTAINS(output_, ("pytest-shards: shard-1: 3 passed in "));
  // Entry 0 was not run.
  EXPECT_FALSE(fs::exists(JournalDir() / "0.jsonl"));
}

// Another ctest on this build tree running the same index at the same time
// (tmp/1.lock held) must not share or empty our directory; and a running
// entry keeps later ctest starts from pruning its run.
TEST_F(RunEntryTest, ConcurrentRunOfTheSameIndexGetsItsOwnTmpDirAndHoldsTheRunLock) {
  fs::path lock_file = RunLockFile(plan_.settings.suite_dir, plan_.run_id);
  world_.on_start = [&](const SpawnOptions& command) {
    EXPECT_EQ(fs::path(Get(command.env, "TMPDIR")), plan_.settings.TmpRoot() / "1-1");
    EXPECT_FALSE(FileLock::TryLock(lock_file, FileLock::Mode::kExclusive))
        << "the runner does not hold the run lock";
  };
  fs::create_directories(plan_.settings.TmpRoot());
  Write("build/pytest-shards/demo/tmp/1/theirs.txt", "another run's file");
  std::optional<FileLock> other =
      FileLock::TryLock(plan_.settings.TmpRoot() / "1.lock", FileLock::Mode::kExclusive);
  ASSERT_TRUE(other);
  AddEntry({"tests/test_lease.py::test_own_tmpdir_and_run_lock"});
  AddEntry({"tests/test_lease.py::test_own_tmpdir_and_run_lock"});
  EXPECT_EQ(Run(1), 0) << output_;
  EXPECT_EQ(world_.runs.size(), 1u);
  EXPECT_TRUE(fs::exists(plan_.settings.TmpRoot() / "1" / "theirs.txt"));
  // Afterwards the lock is free again.
  EXPECT_TRUE(FileLock::TryLock(lock_file, FileLock::Mode::kExclusive));
}

TEST_F(RunEntryTest, FailingTestFailsTheEntry) {
  world_.acts["tests/test_mixed.py::test_bad"] = Act::kFail;
  AddEntry({"tests/test_mixed.py::test_ok", "tests/test_mixed.py::test_bad"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_mixed.py::test_ok"], "passed");
  EXPECT_EQ(Outcomes(journal)["tests/test_mixed.py::test_bad"], "failed");
  EXPECT_EQ(journal.exit_code, 1);
  EXPECT_CONTAINS(output_, ("shard-0: 1 passed, 1 failed in "));
}

TEST_F(RunEntryTest, CrashIsReportedAndTheRestStillRuns) {
  world_.acts["tests/test_crash.py::test_segfault"] = Act::kCrash;
  Ids all = {"tests/test_crash.py::test_before", "tests/test_crash.py::test_segfault",
             "tests/test_crash.py::test_after", "tests/test_crash.py::test_after_too"};
  AddEntry(all);
  EXPECT_NE(Run(0), 0) << output_;
  // The restart runs the tests that had not started, from a new node-ID file.
  EXPECT_EQ(world_.runs, (std::vector<Ids>{all, {all[2], all[3]}}));
  ShardJournal journal = Journal(0);
  std::map<std::string, std::string> expected = {{"tests/test_crash.py::test_before", "passed"},
                                                 {"tests/test_crash.py::test_segfault", "crashed"},
                                                 {"tests/test_crash.py::test_after", "passed"},
                                                 {"tests/test_crash.py::test_after_too", "passed"}};
  EXPECT_EQ(Outcomes(journal), expected) << output_;
  EXPECT_EQ(journal.results.size(), 4u);  // each exactly once
  EXPECT_EQ(Message(journal, "tests/test_crash.py::test_segfault"),
            "crashed: signal 11 while running tests/test_crash.py::test_segfault");
  EXPECT_EQ(journal.restarts, 1);
  EXPECT_CONTAINS(output_, ("pytest-shards: crashed: signal 11 while running "
                            "tests/test_crash.py::test_segfault\n"));
  EXPECT_CONTAINS(output_, ("shard-0: 3 passed, 1 crashed in "));
}

TEST_F(RunEntryTest, ExitInsideATestIsACrash) {
  world_.acts["tests/test_exit.py::test_exit"] = Act::kExit;  // os._exit(3)
  AddEntry({"tests/test_exit.py::test_exit", "tests/test_exit.py::test_after"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_exit.py::test_exit"], "crashed");
  EXPECT_EQ(Outcomes(journal)["tests/test_exit.py::test_after"], "passed");
  EXPECT_EQ(Message(journal, "tests/test_exit.py::test_exit"),
            "crashed: exit status 3 while running tests/test_exit.py::test_exit");
}

TEST_F(RunEntryTest, HangingTestIsKilledAndTheRestRuns) {
  plan_.settings.test_timeout = 1;
  world_.acts["tests/test_hang.py::test_hang"] = Act::kHang;
  AddEntry({"tests/test_hang.py::test_hang", "tests/test_hang.py::test_after"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_hang.py::test_hang"], "timeout");
  EXPECT_EQ(Outcomes(journal)["tests/test_hang.py::test_after"], "passed");
  EXPECT_EQ(journal.restarts, 1);
  EXPECT_CONTAINS(output_, ("pytest-shards: timeout: tests/test_hang.py::test_hang ran "
                            "longer than 1 s; killed\n"));
}

TEST_F(RunEntryTest, EntryTimeoutStopsBeforeCTestWould) {
  plan_.settings.timeout = 20;
  world_.acts["tests/test_slow.py::test_slow"] = Act::kHang;
  AddEntry({"tests/test_slow.py::test_slow", "tests/test_slow.py::test_never"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_slow.py::test_slow"], "timeout");
  EXPECT_EQ(Outcomes(journal)["tests/test_slow.py::test_never"], "missing");
  EXPECT_CONTAINS(output_, ("TIMEOUT of 20 s is running out while running "
                            "tests/test_slow.py::test_slow; killed"));
  EXPECT_CONTAINS(output_, ("never ran: tests/test_slow.py::test_never"));
}

TEST_F(RunEntryTest, MissingNodeIdFailsTheEntry) {
  not_found_ = {"tests/test_ok.py::test_gone", "tests/test_deleted.py::test_x"};
  AddEntry({"tests/test_ok.py::test_ok", "tests/test_ok.py::test_gone",
            "tests/test_deleted.py::test_x"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_ok.py::test_ok"], "passed");
  EXPECT_EQ(Outcomes(journal)["tests/test_ok.py::test_gone"], "missing");
  EXPECT_EQ(Outcomes(journal)["tests/test_deleted.py::test_x"], "missing");
  EXPECT_EQ(journal.results.size(), 3u);
}

// What a run leaves in its process group is killed as it ends (that Kill()
// reaches it: real_process_runner_test.cc).
TEST_F(RunEntryTest, LeftoverProcessesAreKilled) {
  world_.acts["tests/test_crash.py::test_crash"] = Act::kCrash;
  AddEntry({"tests/test_spawn.py::test_starts_a_server", "tests/test_crash.py::test_crash",
            "tests/test_spawn.py::test_after"});
  EXPECT_NE(Run(0), 0) << output_;
  EXPECT_EQ(world_.runs.size(), 2u);
  EXPECT_EQ(world_.kills, 2);
}

// `addopts = -n auto` must not start xdist workers in every shard (that
// real pytest-xdist then starts none: e2e.consumer, whose suite has it).
TEST_F(RunEntryTest, XdistAddoptsDoNotStartWorkers) {
  plan_.xdist = true;
  AddEntry({"tests/test_worker.py::test_not_a_worker"});
  EXPECT_EQ(Run(0), 0) << output_;
  ASSERT_EQ(world_.commands.size(), 1u);
  const std::vector<std::string>& argv = world_.commands[0].argv;
  std::vector<std::string> no_workers = {"-n", "0", "--dist", "no"};
  EXPECT_NE(std::search(argv.begin(), argv.end(), no_workers.begin(), no_workers.end()),
            argv.end());
  EXPECT_EQ(Outcomes(Journal(0))["tests/test_worker.py::test_not_a_worker"], "passed");
}

TEST_F(RunEntryTest, CollectionErrorsEntryFailsWhileModulesDoNotImport) {
  AddEntry({"tests/test_ok.py::test_ok"});
  AddEntry({"tests/test_broken.py"}, /*collection_errors=*/true);
  world_.finish_status = 2;  // pytest's exit status for a collection error
  EXPECT_NE(Run(1), 0) << output_;
  EXPECT_CONTAINS(output_, ("pytest-shards: these modules failed to collect at configure "
                            "time:\n  tests/test_broken.py\n"));
  // Only the broken module ran, by its file, not the suite's ARGS.
  ASSERT_EQ(world_.commands.size(), 1u);
  const std::vector<std::string>& argv = world_.commands[0].argv;
  EXPECT_NE(std::find(argv.begin(), argv.end(), ModuleFile(plan_, "tests/test_broken.py")),
            argv.end());
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "tests"), argv.end());
  EXPECT_EQ(Option(world_.commands[0], kNodeIdsOption), "");

  // Fixed since configure: the entry passes.
  world_.finish_status = -1;
  module_tests_ = {"tests/test_broken.py::test_fixed"};
  EXPECT_EQ(Run(1), 0) << output_;
  EXPECT_EQ(Outcomes(Journal(1))["tests/test_broken.py::test_fixed"], "passed");
}

TEST_F(RunEntryTest, InterruptStopsPytestAndJournalsTheRest) {
  // CTest's kill, or the terminal's Ctrl-C, once the test runs.
  world_.acts["tests/test_wait.py::test_wait"] = Act::kHang;
  world_.interrupt_at = "tests/test_wait.py::test_wait";
  world_.interrupt_signal = SIGTERM;
  AddEntry({"tests/test_wait.py::test_wait", "tests/test_wait.py::test_later"});
  EXPECT_NE(Run(0), 0);
  ShardJournal result = Journal(0);
  EXPECT_EQ(Outcomes(result)["tests/test_wait.py::test_wait"], "missing");
  EXPECT_EQ(Message(result, "tests/test_wait.py::test_wait"),
            "interrupted by signal 15 while running tests/test_wait.py::test_wait");
  EXPECT_EQ(Outcomes(result)["tests/test_wait.py::test_later"], "missing");
  EXPECT_EQ(result.restarts, 0);
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(result.interrupted, SIGTERM);
  for (const TestResult& test : result.results) EXPECT_EQ(test.interrupted, SIGTERM);
}

TEST_F(RunEntryTest, SetupErrorJournalsEveryNodeIdAsMissing) {
  plan_.settings.environment = {"NOT_AN_ASSIGNMENT"};
  AddEntry({"tests/test_ok.py::test_ok"});
  EXPECT_NE(Run(0), 0);
  EXPECT_TRUE(world_.runs.empty());
  EXPECT_CONTAINS(output_, "pytest-shards: ENVIRONMENT entry 'NOT_AN_ASSIGNMENT' is not VAR=value");
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_ok.py::test_ok"], "missing");
  EXPECT_TRUE(journal.finished);
  EXPECT_EQ(journal.exit_code, 1);
}

TEST_F(RunEntryTest, NoFreePortsIsReported) {
  plan_.settings.port_base = 65535;
  plan_.settings.ports_per_shard = 1;
  PortLease taken(PortLocks{plan_.settings.PortLockFile(), {}}, 65535, 1);
  AddEntry({"tests/test_ok.py::test_ok"});
  EXPECT_NE(Run(0), 0);
  EXPECT_TRUE(world_.runs.empty());
  EXPECT_CONTAINS(output_, "pytest-shards: no free range of 1 TCP ports between 65535 and 65535");
}

TEST_F(RunEntryTest, NonZeroPytestExitFailsEvenWhenTestsPass) {
  world_.finish_status = 3;  // a conftest's pytest_sessionfinish set it
  AddEntry({"tests/test_ok.py::test_ok"});
  EXPECT_NE(Run(0), 0) << output_;
  EXPECT_EQ(Outcomes(Journal(0))["tests/test_ok.py::test_ok"], "passed");
  EXPECT_CONTAINS(output_, "pytest-shards: pytest exited with status 3 although no test failed");
}

TEST_F(RunEntryTest, EmptyEntryRunsNothing) {
  AddEntry({});
  EXPECT_EQ(Run(0), 0) << output_;
  EXPECT_TRUE(world_.runs.empty());
  EXPECT_TRUE(Journal(0).results.empty());
  EXPECT_CONTAINS(output_, "pytest-shards: shard-0: no tests ran in ");
}

TEST_F(RunEntryTest, EntryOutOfRangeIsAnError) {
  AddEntry({"tests/test_ok.py::test_ok"});
  try {
    Run(1);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_CONTAINS(std::string(e.what()), ("entry 1 is not in plan"));
  }
  EXPECT_THROW(Run(-1), Error);
  EXPECT_TRUE(world_.runs.empty());
}

// The real message (Subprocess's, subprocess_test.cc) reaches the output,
// and every node ID is journaled.
TEST_F(RunEntryTest, MissingInterpreterFailsWithAClearLine) {
  world_.cannot_start = "cannot start " + plan_.settings.python + ": No such file or directory";
  AddEntry({"tests/test_ok.py::test_ok"});
  EXPECT_NE(Run(0), 0);
  EXPECT_CONTAINS(output_, ("pytest-shards: cannot start " + (dir_ / "no-python").string() +
                            ": No such file or directory"));
  EXPECT_EQ(Outcomes(Journal(0))["tests/test_ok.py::test_ok"], "missing");
}

}  // namespace
}  // namespace pytest_shards
