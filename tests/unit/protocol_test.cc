#include "run/protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "platform/warm_socket.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The examples both sides are checked against (python/pytest_shards_plugin/
// protocol.py in tests/plugin/test_protocol.py).
const json& Golden() {
  static const json golden =
      json::parse(ReadFile(fs::path(PYTEST_SHARDS_SOURCE_DIR) / "tests/protocol/golden.json"));
  return golden;
}

// Entry 3's: of its lease, only the tmp dir reaches the command line.
ShardContext Context() {
  ShardContext shard;
  shard.tmpdir = "/build/pytest-shards/demo/tmp/3";
  return shard;
}

// --- PytestArgv ---------------------------------------------------------------

PlanFile ArgvPlan() {
  PlanFile plan;
  plan.rootdir = "/proj";
  plan.settings.python = "/venv/bin/python";
  plan.settings.args = {"tests", "-m", "not slow"};
  plan.settings.run_args = {"-x"};
  plan.settings.serial_marker = "db_serial";
  plan.settings.suite_dir = "/build/pytest-shards/demo";
  return plan;
}

// The golden command line, which the plugin's tests take apart as the warm
// server does.
TEST(PytestArgv, RunsTheNodeIdsWithPrivateDirectories) {
  PlanFile plan = ArgvPlan();
  Entry entry;
  entry.node_ids = {"tests/test_a.py::test_one"};
  std::vector<std::string> argv = PytestArgv(plan, entry, Context(), "/t/ids.json", "/j/3.jsonl");
  EXPECT_EQ(json(argv), Golden()["pytest_argv"]);
  const json& run = Golden()["runner_to_server"]["run"];
  EXPECT_EQ(WarmRunMessage(WarmArgv(argv), run["env"], run["cwd"]), run);
  // IMPORTS own: the shard collects only its own modules.
  plan.settings.imports = Imports::kOwn;
  argv = PytestArgv(plan, entry, Context(), "/t/ids.json", "/j/3.jsonl");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--shards-imports=own"), argv.end());
}

// A suite with session outputs: each entry keeps its part in the run's
// session directory, and only then.
TEST(PytestArgv, SessionOutputsGoToTheRunsSessionDirectory) {
  PlanFile plan = ArgvPlan();
  plan.run_id = "r1";
  Entry entry;
  std::vector<std::string> argv = PytestArgv(plan, entry, Context(), "/t/ids.json", "/j.jsonl");
  for (const std::string& arg : argv)
    EXPECT_EQ(arg.rfind("--shards-session", 0), std::string::npos);
  plan.session_outputs = {"junitxml"};
  argv = PytestArgv(plan, entry, Context(), "/t/ids.json", "/j.jsonl");
  EXPECT_NE(std::find(argv.begin(), argv.end(),
                      "--shards-session-dir=/build/pytest-shards/demo/runs/r1/session"),
            argv.end());
}

TEST(PytestArgv, TurnsXdistOffAfterTheUsersArguments) {
  PlanFile plan = ArgvPlan();
  plan.xdist = true;
  Entry entry;
  std::vector<std::string> argv = PytestArgv(plan, entry, Context(), "/t/ids.json", "/j.jsonl");
  auto n = std::find(argv.begin(), argv.end(), "-n");
  ASSERT_NE(n, argv.end());
  EXPECT_GT(n - argv.begin(), std::find(argv.begin(), argv.end(), "-x") - argv.begin());
  ASSERT_LE(n + 4, argv.end());
  EXPECT_EQ(std::vector<std::string>(n, n + 4),
            (std::vector<std::string>{"-n", "0", "--dist", "no"}));
}

TEST(PytestArgv, CollectionErrorsRunTheModulesDirectly) {
  PlanFile plan = ArgvPlan();
  Entry entry;
  entry.collection_errors = true;
  entry.node_ids = {"tests/test_broken.py", "other/test_bad.py"};
  // --pyargs with the rootdir outside the package: its file is elsewhere.
  plan.module_paths = {{"other/test_bad.py", "/site/pkg/other/test_bad.py"}};
  std::vector<std::string> argv = PytestArgv(plan, entry, Context(), "/t/ids.json", "/j.jsonl");
  std::vector<std::string> head(argv.begin(), argv.begin() + 8);
  EXPECT_EQ(head, (std::vector<std::string>{"/venv/bin/python", "-m", "pytest", "-p",
                                            "pytest_shards_plugin", "/proj/tests/test_broken.py",
                                            "/site/pkg/other/test_bad.py", "-x"}));
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "tests"), 0);
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--shards-node-ids=/t/ids.json"), 0);
  // pytest names a module given by a file outside the rootdir "": the
  // plugin names it after the module again by this file.
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--shards-collection-errors=/t/ids.json"), 1);
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--shards-journal=/j.jsonl"), 1);
}

TEST(NodeIdsFileText, ListsTheIdsAndThePathsOfTheirModulesOutsideTheRootdir) {
  PlanFile plan = ArgvPlan();
  plan.module_paths = {{"tests/test_c.py", "/site/pkg/tests/test_c.py"},
                       {"tests/test_d.py", "/site/pkg/tests/test_d.py"}};
  std::vector<std::string> ids = {"tests/test_a.py::t", "tests/test_c.py::u[a::b]",
                                  "tests/test_c.py::v"};
  json expected = {{"node_ids", ids},
                   {"paths", {{"tests/test_c.py", "/site/pkg/tests/test_c.py"}}}};
  EXPECT_EQ(json::parse(NodeIdsFileText(plan, ids)), expected);
  EXPECT_EQ(json::parse(NodeIdsFileText(ArgvPlan(), ids)),
            (json{{"node_ids", ids}, {"paths", json::object()}}));
  const json& golden = Golden()["node_ids_file"];
  EXPECT_EQ(json::parse(NodeIdsFileText(plan, golden["node_ids"])), golden);
}

TEST(NodeIdsFileText, GivesTheTailOfAnEntryThatSharesIt) {
  PlanFile plan;
  plan.rootdir = "/proj";
  plan.module_paths = {{"tests/test_c.py", "/site/pkg/tests/test_c.py"}};
  const json& golden = Golden()["node_ids_file_with_tail"];
  EntryTail tail;
  tail.groups = golden["tail"]["groups"].get<std::vector<std::vector<std::string>>>();
  tail.claims = golden["tail"]["claims"].get<std::string>();
  tail.entry = 1;
  tail.started = {"tests/test_b.py::x"};
  // The tail's modules get their paths too: the plugin collects them.
  EXPECT_EQ(json::parse(NodeIdsFileText(plan, golden["node_ids"], &tail)), golden);
}

// --- the golden examples ------------------------------------------------------

TEST(Golden, TheKillMessageIsTheGoldenOne) {
  EXPECT_EQ(WarmKillMessage(SIGTERM), Golden()["runner_to_server"]["kill"]);
}

TEST(Golden, TheServersEventsReadAsMeant) {
  const json& events = Golden()["server_to_runner"];
  WarmEvent started = ParseWarmEvent(events["started"]);
  EXPECT_EQ(started.kind, WarmEvent::Kind::kStarted);
  EXPECT_EQ(started.pid, 4242);
  WarmEvent exited = ParseWarmEvent(events["exited"]);
  EXPECT_EQ(exited.kind, WarmEvent::Kind::kExited);
  EXPECT_EQ(exited.exit_code, 1);
  EXPECT_EQ(exited.signal, 0);
  EXPECT_EQ(exited.peak_rss_kb, 52100);
  WarmEvent killed = ParseWarmEvent(events["killed"]);
  EXPECT_EQ(killed.kind, WarmEvent::Kind::kExited);
  EXPECT_EQ(killed.exit_code, -1);
  EXPECT_EQ(killed.signal, SIGKILL);
  WarmEvent stale = ParseWarmEvent(events["stale"]);
  EXPECT_EQ(stale.kind, WarmEvent::Kind::kStale);
  EXPECT_EQ(stale.file, "/proj/tests/test_a.py");
  EXPECT_EQ(ParseWarmEvent(events["stopping"]).kind, WarmEvent::Kind::kStopping);
  WarmEvent refused = ParseWarmEvent(events["refused"]);
  EXPECT_EQ(refused.kind, WarmEvent::Kind::kRefused);
  EXPECT_EQ(refused.why, "the entry's pytest arguments differ from the warm interpreter's");
  EXPECT_EQ(events["pong"]["format"], kWarmFormat);
  EXPECT_EQ(Golden()["format"], kWarmFormat);
}

TEST(Golden, TheFrameIsTheGoldenOne) {
  const json& frame = Golden()["frame"];
  std::string hex = frame["hex"];
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  EXPECT_EQ(EncodeFrame(frame["message"]), bytes);
  FrameDecoder decoder;
  decoder.Feed(bytes);
  EXPECT_EQ(decoder.Next(), std::optional<json>(frame["message"]));
}

TEST(ParseWarmEvent, AnEventItDoesNotKnowIsARefusalNamedByIt) {
  WarmEvent event = ParseWarmEvent({{"event", "surprise"}});
  EXPECT_EQ(event.kind, WarmEvent::Kind::kRefused);
  EXPECT_EQ(event.why, "surprise");
  EXPECT_EQ(ParseWarmEvent({{"event", "started"}, {"pid", 0}}).kind, WarmEvent::Kind::kRefused);
}

}  // namespace
}  // namespace pytest_shards
