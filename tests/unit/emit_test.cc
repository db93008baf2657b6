// The emitter is checked against the real readers: every generated file is
// loaded by ctest (--show-only=json-v1) and by cmake -P with add_test() and
// set_tests_properties() replaced by functions that dump their arguments.
#include "emit/emit.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "emit_test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void Write(const fs::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary);
  out << content;
}

std::string Read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// ctest lists a test's command only when its executable exists.
void MakeExecutable(const fs::path& file) {
  fs::create_directories(file.parent_path());
  Write(file, "#!/bin/sh\nexit 0\n");
  fs::permissions(file, fs::perms::owner_all);
}

std::string ShellQuote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; returns stdout, sets *status to its exit status.
std::string Capture(const std::string& command, int* status) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed");
  std::string out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  int raw = pclose(pipe);
  *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

// What ctest makes of `content` as a CTestTestfile.cmake.
json CTestJson(const fs::path& dir, const std::string& content) {
  Write(dir / "CTestTestfile.cmake", content);
  int status = 0;
  std::string out = Capture(std::string(PYTEST_SHARDS_CTEST_COMMAND) + " --test-dir " +
                                ShellQuote(dir.string()) + " --show-only=json-v1 2>&1",
                            &status);
  EXPECT_EQ(status, 0) << out;
  return json::parse(out);
}

// `tests` after stand-ins for the module's wrappers of add_test() and
// set_tests_properties() (see PytestShards.cmake), which fail when called:
// CMake then names the built-ins _add_test() and _set_tests_properties().
std::string UnderTheWrappers(const std::string& tests) {
  return "function(add_test)\n  message(FATAL_ERROR \"the add_test() wrapper was called\")\n"
         "endfunction()\n"
         "function(set_tests_properties)\n"
         "  message(FATAL_ERROR \"the set_tests_properties() wrapper was called\")\n"
         "endfunction()\n" +
         tests;
}

// One add_test() or set_tests_properties() call as cmake -P evaluated it.
struct Call {
  std::string command;
  std::vector<std::string> args;
};

// Each argument is written as "<byte length>:<bytes>\n", so any byte reads back.
const char kDriver[] = R"(cmake_minimum_required(VERSION 3.25)
set(calls "${CMAKE_CURRENT_LIST_DIR}/calls.bin")
file(WRITE "${calls}" "")
function(add_test)
  file(APPEND "${calls}" "add_test ${ARGC}\n")
  math(EXPR last "${ARGC} - 1")
  foreach(i RANGE ${last})
    string(LENGTH "${ARGV${i}}" n)
    file(APPEND "${calls}" "${n}:${ARGV${i}}\n")
  endforeach()
endfunction()
function(set_tests_properties)
  file(APPEND "${calls}" "set_tests_properties ${ARGC}\n")
  math(EXPR last "${ARGC} - 1")
  foreach(i RANGE ${last})
    string(LENGTH "${ARGV${i}}" n)
    file(APPEND "${calls}" "${n}:${ARGV${i}}\n")
  endforeach()
endfunction()
include("${CMAKE_CURRENT_LIST_DIR}/tests.cmake")
file(APPEND "${calls}" "end 0\n")
)";

std::vector<Call> ParseCalls(const std::string& text) {
  std::vector<Call> calls;
  std::istringstream in(text);
  for (std::string command; in >> command;) {
    size_t argc = 0;
    in >> argc;
    in.get();  // newline
    if (command == "end") return calls;
    Call call{command, {}};
    for (size_t i = 0; i < argc; ++i) {
      size_t length = 0;
      in >> length;
      in.get();  // ':'
      std::string arg(length, '\0');
      in.read(arg.data(), static_cast<std::streamsize>(length));
      in.get();  // newline
      call.args.push_back(arg);
    }
    calls.push_back(call);
  }
  ADD_FAILURE() << "cmake -P stopped before the end of the file";
  return calls;
}

std::vector<Call> EvaluateWithCMake(const fs::path& dir, const std::string& content) {
  Write(dir / "tests.cmake", content);
  Write(dir / "driver.cmake", kDriver);
  int status = 0;
  std::string out = Capture(std::string(PYTEST_SHARDS_CMAKE_COMMAND) + " -P " +
                                ShellQuote((dir / "driver.cmake").string()) + " 2>&1",
                            &status);
  EXPECT_EQ(status, 0) << out;
  return ParseCalls(Read(dir / "calls.bin"));
}

// Strings that would change the meaning of naively quoted CMake code.
std::vector<std::string> Hostile(const fs::path& dir) {
  std::string pwned = (dir / "pwned").string();
  return {
      "",
      "plain",
      "]=]",
      "]==]",
      "]]",
      "a]",
      "a]=",
      "]=",
      "[[x]]",
      "[=[x]=]",
      "\n",
      "\nleading newline",
      "\n\nleading newlines",
      "\r\nleading crlf",
      "mid\r\ncrlf",
      "lone\rcr\r",
      "\rlead cr",
      "trailing newline\n",
      "${x}",
      "$ENV{HOME}",
      "$CACHE{X}",
      "@x@",
      "a;b;;c",
      "\\;",
      "quote \" in",
      "\"",
      "back\\slash\\",
      "\\",
      "\\\\n",
      "tab\there",
      "unicode \xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x8d",
      "tests/test_a.py::test_x[a-]=]-${b}]",
      "]=] ) file(WRITE " + pwned + " x) #",
      "]] ) file(WRITE " + pwned + " x) #",
      "]==] ) file(WRITE " + pwned + " x) #",
      "\") file(WRITE " + pwned + " x) #",
      "\r\n\") file(WRITE " + pwned + " x) #\r\n",
      "x)\nfile(WRITE " + pwned + " x)\n#",
  };
}

TEST(BracketArgument, ShortestGuard) {
  EXPECT_EQ(BracketArgument(""), "[[]]");
  EXPECT_EQ(BracketArgument("abc"), "[[abc]]");
  EXPECT_EQ(BracketArgument("]]"), "[=[]]]=]");
  EXPECT_EQ(BracketArgument("]=]"), "[==[]=]]==]");
  EXPECT_EQ(BracketArgument("]==]"), "[=[]==]]=]");
  EXPECT_EQ(BracketArgument("]==]x"), "[[]==]x]]");
  EXPECT_EQ(BracketArgument("]]]=]"), "[==[]]]=]]==]");
  EXPECT_EQ(BracketArgument("${x} $ENV{X} a;b \"q\" \\"), "[[${x} $ENV{X} a;b \"q\" \\]]");
}

TEST(BracketArgument, TextEndingInAPieceOfTheClosingBracket) {
  // "[[a]]]" would end at the first "]]" and leave a stray "]".
  EXPECT_EQ(BracketArgument("a]"), "[=[a]]=]");
  EXPECT_EQ(BracketArgument("a]="), "[[a]=]]");
  EXPECT_EQ(BracketArgument("]"), "[=[]]=]");
}

TEST(BracketArgument, LeadingNewlineIsDoubled) {
  EXPECT_EQ(BracketArgument("\nx"), "[[\n\nx]]");
  EXPECT_EQ(BracketArgument("x\n"), "[[x\n]]");
}

TEST(BracketArgument, CrLfBecomesAnEscapedQuotedArgument) {
  EXPECT_EQ(BracketArgument("\r\nx"), "\"\\r\\nx\"");
  EXPECT_EQ(BracketArgument("a\r\n$b\"\\;"), "\"a\\r\\n\\$b\\\"\\\\;\"");
  EXPECT_EQ(BracketArgument("lone\r"), "[[lone\r]]");
}

TEST(BracketArgument, NulIsAnError) {
  EXPECT_THROW(BracketArgument(std::string("a\0b", 3)), Error);
}

TEST(BracketArgument, CMakeReadsBackEveryHostileString) {
  TempDir dir;
  std::vector<std::string> cases = Hostile(dir.path());
  std::string script = "cmake_policy(VERSION 3.25)\n";
  for (size_t i = 0; i < cases.size(); ++i)
    script += "file(WRITE \"${CMAKE_CURRENT_LIST_DIR}/" + std::to_string(i) + ".out\" " +
              BracketArgument(cases[i]) + ")\n";
  Write(dir.path() / "cases.cmake", script);
  int status = 0;
  std::string out = Capture(std::string(PYTEST_SHARDS_CMAKE_COMMAND) + " -P " +
                                ShellQuote((dir.path() / "cases.cmake").string()) + " 2>&1",
                            &status);
  ASSERT_EQ(status, 0) << out;
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(Read(dir.path() / (std::to_string(i) + ".out")), cases[i]) << "case " << i;
  EXPECT_FALSE(fs::exists(dir.path() / "pwned"));
}

TEST(EmitListElement, EscapesWhatCTestWouldSplit) {
  EXPECT_EQ(ListElement("db"), "db");
  EXPECT_EQ(ListElement("a;b"), "a\\;b");
  EXPECT_EQ(ListElement("a[1]"), "a_1_");
  EXPECT_EQ(ListElement("a\\"), "a_");
  EXPECT_EQ(ListElement("a\\b"), "a\\b");
  EXPECT_EQ(ListElement(""), "_");
}

// The properties of one test in ctest's JSON, by name.
std::map<std::string, json> Properties(const json& test) {
  std::map<std::string, json> out;
  for (const json& p : test.at("properties")) out[p.at("name")] = p.at("value");
  return out;
}

std::set<std::string> AsSet(const json& list) { return list.get<std::set<std::string>>(); }

// What a list element becomes in CTest (the contract of ListElement).
std::string CTestSees(std::string element) {
  if (element.empty()) return "_";
  for (char& c : element)
    if (c == '[' || c == ']') c = '_';
  if (element.back() == '\\') element.back() = '_';
  return element;
}

struct HostilePlan {
  Plan plan;
  EmitOptions options;
};

HostilePlan MakeHostilePlan(const fs::path& dir) {
  HostilePlan h;
  std::vector<std::string> hostile = Hostile(dir);
  h.options.tool = (dir / "bin ]=] $ENV{PATH}/pytest-shards;x").string();
  MakeExecutable(h.options.tool);
  h.options.plan_file = (dir / "pl\"an ]==] ${x}\r\n.json").string();
  h.options.workdir = (dir / "w;o\\rk [=[ ]]").string();
  h.options.timeout = 12.5;
  h.options.labels = {"user;label", "l[1]", "\xc3\xa9t\xc3\xa9", "pytest"};
  h.options.properties = {{"ENVIRONMENT", "A=${x};B=]=]"}, {"WILL_FAIL", "ON"}};
  h.options.fixtures_required = {"db;fixture", "net"};
  h.options.suite = "su]=]ite;$x";
  for (size_t i = 0; i < hostile.size(); ++i) {
    Entry e;
    e.name = h.options.suite + "/" + hostile[i];
    e.node_ids = {hostile[i]};
    e.cost = 0.25 * static_cast<double>(i + 1);  // ctest omits a COST of 0
    e.exclusive = i % 3 == 0;
    if (i % 2 == 0) e.locks = {"db;1", hostile[i]};
    e.labels = {"serial", hostile[i]};
    e.source_line =
        (dir / ("t\"est ${x}" + hostile[i] + ".py")).string() + ":" + std::to_string(i + 1);
    h.plan.entries.push_back(e);
  }
  return h;
}

TEST(EmitTests, CTestReadsBackEveryHostileValue) {
  TempDir dir;
  HostilePlan h = MakeHostilePlan(dir.path());
  json tests = CTestJson(dir.path(), EmitTests(h.plan, h.options)).at("tests");
  ASSERT_EQ(tests.size(), h.plan.entries.size());
  for (size_t i = 0; i < tests.size(); ++i) {
    const Entry& e = h.plan.entries[i];
    SCOPED_TRACE("entry " + std::to_string(i));
    EXPECT_EQ(tests[i].at("name"), e.name);
    std::vector<std::string> command = {h.options.tool,      "run",     "--plan",
                                        h.options.plan_file, "--entry", std::to_string(i)};
    EXPECT_EQ(tests[i].at("command").get<std::vector<std::string>>(), command);
    auto props = Properties(tests[i]);
    std::set<std::string> labels = {
        "pytest", CTestSees(h.options.suite), "user;label", "l_1_", "\xc3\xa9t\xc3\xa9",
        "serial", CTestSees(e.labels[1])};
    EXPECT_EQ(AsSet(props.at("LABELS")), labels);
    // The runner starts pytest in the working directory; ctest starts the
    // runner where it starts any test without WORKING_DIRECTORY.
    EXPECT_EQ(props.at("WORKING_DIRECTORY"), dir.path().string());
    EXPECT_EQ(props.at("TIMEOUT"), 12.5);
    EXPECT_FLOAT_EQ(props.at("COST").get<float>(), static_cast<float>(e.cost));
    EXPECT_EQ(AsSet(props.at("FIXTURES_REQUIRED")), (std::set<std::string>{"db;fixture", "net"}));
    if (e.locks.empty()) {
      EXPECT_EQ(props.count("RESOURCE_LOCK"), 0u);
    } else {
      EXPECT_EQ(AsSet(props.at("RESOURCE_LOCK")),
                (std::set<std::string>{"db;1", CTestSees(e.locks[1])}));
    }
    EXPECT_EQ(props.count("RUN_SERIAL"), e.exclusive ? 1u : 0u);
    if (e.exclusive) {
      EXPECT_EQ(props.at("RUN_SERIAL"), true);
    }
    // The user's PROPERTIES, as given.
    EXPECT_EQ(props.at("ENVIRONMENT").get<std::vector<std::string>>(),
              (std::vector<std::string>{"A=${x}", "B=]=]"}));
    EXPECT_EQ(props.at("WILL_FAIL"), true);
  }
  EXPECT_FALSE(fs::exists(dir.path() / "pwned"));
}

TEST(EmitTests, CMakeReadsBackNamesAndSourceLinesByteForByte) {
  TempDir dir;
  HostilePlan h = MakeHostilePlan(dir.path());
  std::vector<Call> calls = EvaluateWithCMake(dir.path(), EmitTests(h.plan, h.options));
  ASSERT_EQ(calls.size(), 2 * h.plan.entries.size());
  for (size_t i = 0; i < h.plan.entries.size(); ++i) {
    const Entry& e = h.plan.entries[i];
    const Call& add = calls[2 * i];
    const Call& set = calls[2 * i + 1];
    SCOPED_TRACE("entry " + std::to_string(i));
    ASSERT_EQ(add.command, "add_test");
    EXPECT_EQ(add.args,
              (std::vector<std::string>{e.name, h.options.tool, "run", "--plan",
                                        h.options.plan_file, "--entry", std::to_string(i)}));
    // The node ID is the part of the name after "<suite>/".
    EXPECT_EQ(add.args[0].substr(h.options.suite.size() + 1), e.node_ids[0]);
    ASSERT_EQ(set.command, "set_tests_properties");
    ASSERT_GE(set.args.size(), 2u);
    EXPECT_EQ(set.args[0], e.name);
    EXPECT_EQ(set.args[1], "PROPERTIES");
    std::map<std::string, std::string> props;
    for (size_t k = 2; k + 1 < set.args.size(); k += 2) props[set.args[k]] = set.args[k + 1];
    EXPECT_EQ(props.at("DEF_SOURCE_LINE"), e.source_line);
    EXPECT_EQ(props.count("WORKING_DIRECTORY"), 0u);
  }
  EXPECT_FALSE(fs::exists(dir.path() / "pwned"));
}

TEST(EmitTests, OptionalPropertiesOnlyWhenSet) {
  TempDir dir;
  Plan plan;
  Entry e;
  e.name = "s/shard-00";
  e.cost = 2;
  plan.entries.push_back(e);
  EmitOptions options;
  options.tool = "/bin/sh";
  options.plan_file = "/p/plan.json";
  options.workdir = "/w";
  options.suite = "s";
  std::string text = EmitTests(plan, options);
  EXPECT_EQ(text.rfind("# Generated by `pytest-shards plan`", 0), 0u) << text;
  json tests = CTestJson(dir.path(), text).at("tests");
  ASSERT_EQ(tests.size(), 1u);
  auto props = Properties(tests[0]);
  EXPECT_EQ(AsSet(props.at("LABELS")), (std::set<std::string>{"pytest", "s"}));
  for (const char* absent : {"TIMEOUT", "RESOURCE_LOCK", "RUN_SERIAL", "PROCESSORS",
                             "RESOURCE_GROUPS", "FIXTURES_REQUIRED"})
    EXPECT_EQ(props.count(absent), 0u) << absent;
  EXPECT_EQ(props.at("COST"), 2);
}

// A plan of entries with these names, and options for suite "s".
Plan EntriesNamed(std::initializer_list<const char*> names) {
  Plan plan;
  for (const char* name : names) {
    Entry e;
    e.name = name;
    plan.entries.push_back(e);
  }
  return plan;
}

EmitOptions SuiteOptions() {
  EmitOptions options;
  options.tool = "/bin/sh";
  options.plan_file = "/p/plan.json";
  options.suite = "s";
  return options;
}

// MEMORY_BUDGET: each entry asks for its last measured peak; an entry never
// measured asks for the suite's largest peak; nobody asks for more than the
// budget (ctest would never run it).
TEST(EmitTests, MemoryBudgetGivesResourceGroupsFromMeasuredPeaks) {
  TempDir dir;
  Plan plan = EntriesNamed({"s/shard-00", "s/shard-01", "s/shard-02", "s/shard-03"});
  EmitOptions options = SuiteOptions();
  options.memory_budget_mib = 1000;
  options.peak_rss_kb = {{"s/shard-00", 300 * 1024 + 1},
                         {"s/shard-01", 90 * 1024},
                         {"s/shard-02", 5000 * 1024},
                         {"s/gone", 400 * 1024}};
  json tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  ASSERT_EQ(tests.size(), 4u);
  std::vector<int> slots;
  for (const json& test : tests) {
    json groups = Properties(test).at("RESOURCE_GROUPS");
    ASSERT_EQ(groups.size(), 1u) << groups;
    json requirements = groups[0].at("requirements");
    ASSERT_EQ(requirements.size(), 1u) << groups;
    EXPECT_EQ(requirements[0].at(".type"), "memory");
    slots.push_back(requirements[0].at("slots").get<int>());
  }
  EXPECT_EQ(slots, (std::vector<int>{301, 90, 1000, 1000}));

  // Under the parallel preset, the core and the memory are one group.
  options.cores_resource = true;
  tests = CTestJson(dir.path(), UnderTheWrappers(EmitTests(plan, options))).at("tests");
  EXPECT_EQ(Properties(tests[0]).at("RESOURCE_GROUPS"),
            json::parse(R"([{"requirements": [{".type": "cores", "slots": 1},
                                              {".type": "memory", "slots": 301}]}])"));
  options.cores_resource = false;

  options.peak_rss_kb = {};
  EXPECT_EQ(EntryMemoryMib("s/shard-00", options), kDefaultEntryMemoryMib);
  options.memory_budget_mib = 0;
  EXPECT_EQ(Properties(CTestJson(dir.path(), EmitTests(plan, options)).at("tests")[0])
                .count("RESOURCE_GROUPS"),
            0u);
}

// The parallel preset's cap is a resource: each entry asks for one core and
// keeps PROCESSORS 1, so ctest's time summary shows real seconds. The module
// has wrapped add_test() and set_tests_properties() then; the entries call
// the built-ins beneath them.
TEST(EmitTests, CoresResourceAsksForOneCoreThroughTheBuiltins) {
  TempDir dir;
  Plan plan = EntriesNamed({"s/shard-00", "s/test_a.py::test[x;y]"});
  EmitOptions options = SuiteOptions();
  options.cores_resource = true;
  json tests = CTestJson(dir.path(), UnderTheWrappers(EmitTests(plan, options))).at("tests");
  ASSERT_EQ(tests.size(), 2u);
  for (const json& test : tests) {
    auto props = Properties(test);
    EXPECT_EQ(props.at("RESOURCE_GROUPS"),
              json::parse(R"([{"requirements": [{".type": "cores", "slots": 1}]}])"));
    EXPECT_EQ(props.count("PROCESSORS"), 0u);
  }
  EXPECT_EQ(tests[1].at("name"), "s/test_a.py::test[x;y]");
}

// With session outputs, one more entry runs `<tool> session`: the cleanup of
// a fixture every entry requires (beside the user's), so that ctest runs it
// after them, also under -R.
TEST(EmitTests, SessionEntryIsTheCleanupOfEveryEntry) {
  TempDir dir;
  Plan plan = EntriesNamed({"s/shard-00", "s/shard-01"});
  EmitOptions options = SuiteOptions();
  options.session = true;
  options.fixtures_required = {"db"};
  options.labels = {"python"};
  json tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  ASSERT_EQ(tests.size(), 3u);
  for (int i : {0, 1})
    EXPECT_EQ(AsSet(Properties(tests[i]).at("FIXTURES_REQUIRED")),
              (std::set<std::string>{"db", "s/session"}));
  const json& session = tests[2];
  EXPECT_EQ(session.at("name"), SessionEntryName("s"));
  EXPECT_EQ(session.at("command"), json({"/bin/sh", "session", "--plan", "/p/plan.json"}));
  auto props = Properties(session);
  EXPECT_EQ(AsSet(props.at("FIXTURES_CLEANUP")), (std::set<std::string>{"s/session"}));
  EXPECT_EQ(AsSet(props.at("LABELS")), (std::set<std::string>{"pytest", "s", "python"}));
  EXPECT_EQ(props.count("FIXTURES_REQUIRED"), 0u);

  options.session = false;
  tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  ASSERT_EQ(tests.size(), 2u);
  EXPECT_EQ(AsSet(Properties(tests[0]).at("FIXTURES_REQUIRED")), (std::set<std::string>{"db"}));
}

TEST(EmitTests, NoEntriesIsAValidFile) {
  TempDir dir;
  EmitOptions options;
  options.suite = "s";
  EXPECT_TRUE(CTestJson(dir.path(), EmitTests(Plan{}, options)).at("tests").empty());
}

TEST(EmitTests, RejectsWhatCTestCannotHold) {
  EmitOptions options;
  options.suite = "s";
  Plan plan;
  plan.entries.push_back(Entry{});
  plan.entries[0].name = "PROPERTIES";
  EXPECT_THROW(EmitTests(plan, options), Error);
  plan.entries[0].name = std::string("s/a\0b", 5);
  EXPECT_THROW(EmitTests(plan, options), Error);
}

TEST(EmitFailingEntry, FailsAndPrintsTheMessage) {
  TempDir dir;
  // A stand-in for the CLI's `fail` subcommand.
  fs::path tool = dir.path() / "tool ]=] $x";
  Write(tool, "#!/bin/sh\n[ \"$1\" = fail ] && printf 'said: %s\\n' \"$2\" >&2\nexit 1\n");
  fs::permissions(tool, fs::perms::owner_all);
  std::string message = "plan failed: \"x\" ]=] ${y}; re-run cmake";
  HostilePlan h = MakeHostilePlan(dir.path());
  // The planner appends a failing entry to a plan's entries.
  std::string text = EmitTests(h.plan, h.options) +
                     EmitFailingEntry(tool.string(), "su;ite", "plan-error", message);
  json tests = CTestJson(dir.path(), text).at("tests");
  ASSERT_EQ(tests.size(), h.plan.entries.size() + 1);
  const json& failing = tests.back();
  EXPECT_EQ(failing.at("name"), "su;ite/plan-error");
  EXPECT_EQ(failing.at("command").get<std::vector<std::string>>(),
            (std::vector<std::string>{tool.string(), "fail", message}));
  EXPECT_EQ(AsSet(Properties(failing).at("LABELS")), (std::set<std::string>{"pytest", "su;ite"}));

  Write(dir.path() / "CTestTestfile.cmake",
        EmitFailingEntry(tool.string(), "su;ite", "plan-error", message));
  int status = 0;
  std::string out = Capture(std::string(PYTEST_SHARDS_CTEST_COMMAND) + " --test-dir " +
                                ShellQuote(dir.path().string()) + " --output-on-failure 2>&1",
                            &status);
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("said: " + message), std::string::npos) << out;
}

// Random strings biased toward the characters CMake's syntax uses.
class RandomText {
 public:
  explicit RandomText(unsigned seed) : rng_(seed) {}

  // Valid UTF-8: what ctest's JSON output can give back.
  std::string Utf8() {
    std::string out;
    for (int n = Pick(0, 40); n > 0; --n) {
      if (Pick(0, 1) == 0) {
        out += Special();
        continue;
      }
      int kind = Pick(0, 9);
      if (kind < 5)
        Append(&out, Pick(1, 0x7f));
      else if (kind < 7)
        Append(&out, Pick(0x80, 0x7ff));
      else if (kind < 9)
        Append(&out, Pick(0, 1) ? Pick(0x800, 0xd7ff) : Pick(0xe000, 0xffff));
      else
        Append(&out, Pick(0x10000, 0x10ffff));
    }
    return out;
  }

  // Any bytes but NUL.
  std::string Bytes() {
    std::string out;
    for (int n = Pick(0, 40); n > 0; --n)
      out += Pick(0, 1) == 0 ? Special() : static_cast<char>(Pick(1, 255));
    return out;
  }

 private:
  int Pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

  char Special() {
    static const char kSpecial[] = "]]]===[[;$${}\"\\\n\r#() ";
    return kSpecial[Pick(0, sizeof kSpecial - 2)];
  }

  static void Append(std::string* out, int cp) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xc0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xe0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      *out += static_cast<char>(0xf0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  std::mt19937 rng_;
};

// `count` distinct names; "PROPERTIES" is reserved by set_tests_properties().
template <typename Generate>
std::vector<std::string> DistinctNames(size_t count, Generate generate) {
  std::set<std::string> seen = {"PROPERTIES"};
  std::vector<std::string> names;
  while (names.size() < count) {
    std::string name = generate();
    if (seen.insert(name).second) names.push_back(name);
  }
  return names;
}

TEST(EmitTests, RandomUtf8NamesRoundTripThroughCTest) {
  TempDir dir;
  RandomText random(20240611);
  std::vector<std::string> names = DistinctNames(600, [&] { return random.Utf8(); });
  EmitOptions options;
  options.tool = (dir.path() / "pytest-shards").string();
  MakeExecutable(options.tool);
  options.plan_file = "/p/plan.json";
  options.suite = "s";
  Plan plan;
  for (const std::string& name : names) {
    Entry e;
    e.name = name;
    e.labels = {random.Utf8(), random.Utf8()};
    std::set<std::string> locks = {random.Utf8(), random.Utf8()};
    e.locks.assign(locks.begin(), locks.end());
    plan.entries.push_back(e);
  }
  json tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  ASSERT_EQ(tests.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const Entry& e = plan.entries[i];
    ASSERT_EQ(tests[i].at("name"), e.name) << "entry " << i;
    EXPECT_EQ(tests[i].at("command").at(5), std::to_string(i));
    auto props = Properties(tests[i]);
    std::set<std::string> labels = {"pytest", "s"};
    for (const auto& label : e.labels) labels.insert(CTestSees(label));
    EXPECT_EQ(AsSet(props.at("LABELS")), labels) << "entry " << i;
    std::set<std::string> locks;
    for (const auto& lock : e.locks) locks.insert(CTestSees(lock));
    EXPECT_EQ(AsSet(props.at("RESOURCE_LOCK")), locks) << "entry " << i;
  }
}

TEST(EmitTests, RandomBytesRoundTripThroughCMake) {
  TempDir dir;
  RandomText random(7);
  std::vector<std::string> names = DistinctNames(600, [&] { return random.Bytes(); });
  EmitOptions options;
  options.tool = random.Bytes();
  options.plan_file = random.Bytes();
  options.workdir = "/w";
  options.suite = "s";
  Plan plan;
  for (const std::string& name : names) {
    Entry e;
    e.name = name;
    e.source_line = random.Bytes() + ":1";
    plan.entries.push_back(e);
  }
  std::vector<Call> calls = EvaluateWithCMake(dir.path(), EmitTests(plan, options));
  ASSERT_EQ(calls.size(), 2 * names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const Call& add = calls[2 * i];
    const Call& set = calls[2 * i + 1];
    ASSERT_EQ(add.args.size(), 7u) << "entry " << i;
    EXPECT_EQ(add.args[0], names[i]) << "entry " << i;
    EXPECT_EQ(add.args[1], options.tool);
    EXPECT_EQ(add.args[4], options.plan_file);
    EXPECT_EQ(set.args[0], names[i]) << "entry " << i;
    auto at = std::find(set.args.begin(), set.args.end(), "DEF_SOURCE_LINE");
    ASSERT_NE(at, set.args.end());
    ASSERT_NE(at + 1, set.args.end());
    EXPECT_EQ(*(at + 1), plan.entries[i].source_line) << "entry " << i;
  }
}

// Entries a, b, c of suite s, each with a source line.
Plan ThreeEntries() {
  Plan plan;
  for (const char* name : {"s/a.py::t[1]", "s/a.py::t[10]", "s/b.py::u"}) {
    Entry e;
    e.name = name;
    e.node_ids = {e.name.substr(2)};
    e.cost = 1;
    e.source_line = "/src/" + e.name.substr(2, 4) + ":3";
    plan.entries.push_back(e);
  }
  return plan;
}

EmitOptions OptionsFor(const fs::path& dir, const std::vector<std::string>& ctest_argv) {
  EmitOptions options;
  options.tool = (dir / "pytest-shards").string();
  MakeExecutable(options.tool);
  options.plan_file = "/p/plan.json";
  options.suite = "s";
  options.cores = 2;
  options.ctest = CtestInvocation::FromArguments(ctest_argv);
  return options;
}

TEST(EmitTests, AClickSetsPropertiesOfTheClickedEntryAloneAndStartsItCold) {
  TempDir dir;
  Plan plan = ThreeEntries();
  EmitOptions options = OptionsFor(dir.path(), {"ctest", "-R", "^s/a\\.py::t\\[1\\]$"});
  json tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  // Every entry is still added, in order: ctest numbers them so.
  ASSERT_EQ(tests.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(tests[i].at("name"), plan.entries[i].name);
  auto clicked = Properties(tests[0]);
  EXPECT_EQ(AsSet(clicked.at("LABELS")), (std::set<std::string>{"pytest", "s"}));
  EXPECT_EQ(clicked.at("COST"), 1);
  // A run, not a listing: nobody reads DEF_SOURCE_LINE.
  EXPECT_EQ(clicked.count("DEF_SOURCE_LINE"), 0u);
  EXPECT_EQ(tests[0].at("command").back(), "--cold");
  for (size_t i = 1; i < 3; ++i) {
    SCOPED_TRACE(plan.entries[i].name);
    EXPECT_EQ(Properties(tests[i]).count("LABELS"), 0u);
    EXPECT_EQ(tests[i].at("command").back(), std::to_string(i));
  }
}

TEST(EmitTests, MoreEntriesThanCoresStartWarm) {
  TempDir dir;
  Plan plan = ThreeEntries();
  EmitOptions options = OptionsFor(dir.path(), {"ctest", "-R", "s/"});
  options.cores = 2;
  json tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  ASSERT_EQ(tests.size(), 3u);
  for (const json& test : tests) {
    EXPECT_NE(test.at("command").back(), "--cold");
    EXPECT_EQ(Properties(test).count("LABELS"), 1u);
  }
  options.cores = 3;
  tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  for (const json& test : tests) EXPECT_EQ(test.at("command").back(), "--cold");
}

TEST(EmitTests, AListingHasSourceLinesAndStartsNothingCold) {
  TempDir dir;
  Plan plan = ThreeEntries();
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"ctest", "--show-only=json-v1"}, {"ctest", "-N", "-R", "^s/b\\.py::u$"}, {}}) {
    SCOPED_TRACE(argv.empty() ? "unknown" : argv.back());
    EmitOptions options = OptionsFor(dir.path(), argv);
    std::vector<Call> calls = EvaluateWithCMake(dir.path(), EmitTests(plan, options));
    bool only_b = argv.size() == 4;
    ASSERT_EQ(calls.size(), only_b ? 4u : 6u);
    for (const Call& call : calls) {
      if (call.command == "add_test") {
        EXPECT_NE(call.args.back(), "--cold");
      } else {
        EXPECT_NE(std::find(call.args.begin(), call.args.end(), "DEF_SOURCE_LINE"),
                  call.args.end());
      }
    }
    if (only_b) {
      EXPECT_EQ(calls.back().args.at(0), "s/b.py::u");
    }
  }
}

TEST(EmitTests, NoSourceLinesForACtestThatShowsNone) {
  TempDir dir;
  Plan plan = ThreeEntries();
  EmitOptions options = OptionsFor(dir.path(), {"ctest", "-N"});
  options.source_lines = false;
  for (const Call& call : EvaluateWithCMake(dir.path(), EmitTests(plan, options)))
    EXPECT_EQ(std::find(call.args.begin(), call.args.end(), "DEF_SOURCE_LINE"), call.args.end());
}

TEST(EmitTests, ARunWithoutSelectionSetsEveryEntrysPropertiesButNoSourceLine) {
  TempDir dir;
  Plan plan = ThreeEntries();
  EmitOptions options = OptionsFor(dir.path(), {"ctest", "-j", "2", "--output-on-failure"});
  json tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  ASSERT_EQ(tests.size(), 3u);
  for (const json& test : tests) {
    auto props = Properties(test);
    EXPECT_EQ(props.count("LABELS"), 1u);
    EXPECT_EQ(props.count("DEF_SOURCE_LINE"), 0u);
    EXPECT_NE(test.at("command").back(), "--cold");
  }
}

TEST(EmitTests, TheSuitesLabelsAreSetOnceForItsDirectoryWhenItsTestsComeFirst) {
  TempDir dir;
  Plan plan = ThreeEntries();
  plan.entries[2].labels = {"slow"};
  // Another suite's test, read before this file: it must keep its labels.
  const std::string before = "add_test(other " + (dir.path() / "pytest-shards").string() + ")\n";
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{"ctest", "-N"}, {"ctest", "-j", "2"}}) {
    SCOPED_TRACE(argv.back());
    EmitOptions options = OptionsFor(dir.path(), argv);
    options.source_lines = false;
    options.labels = {"python"};
    options.first_in_directory = true;
    std::string text = EmitTests(plan, options);
    EXPECT_NE(text.find("set_directory_properties(PROPERTIES LABELS [[pytest;s;python]])"),
              std::string::npos)
        << text;
    json tests = CTestJson(dir.path(), text).at("tests");
    ASSERT_EQ(tests.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      std::set<std::string> labels = {"pytest", "s", "python"};
      if (i == 2) labels.insert("slow");
      EXPECT_EQ(AsSet(Properties(tests[i]).at("LABELS")), labels) << i;
    }
    // A listing sets the properties of the entry with labels of its own
    // alone, and no COST: it schedules nothing.
    bool listing = argv.back() == "-N";
    auto calls = EvaluateWithCMake(dir.path(), text);
    EXPECT_EQ(std::count_if(calls.begin(), calls.end(),
                            [](const Call& c) { return c.command == "set_tests_properties"; }),
              listing ? 1 : 3);
    EXPECT_EQ(Properties(tests[0]).count("COST"), listing ? 0u : 1u);
    // The same file after a test of the directory: its labels would go to
    // that test too, so they are set per entry.
    options.first_in_directory = false;
    tests = CTestJson(dir.path(), before + EmitTests(plan, options)).at("tests");
    ASSERT_EQ(tests.size(), 4u);
    EXPECT_EQ(Properties(tests[0]).count("LABELS"), 0u);
    EXPECT_EQ(AsSet(Properties(tests[1]).at("LABELS")),
              (std::set<std::string>{"pytest", "s", "python"}));
  }
}

TEST(EmitTests, LabelsPerEntryWhenSomeEntryIsLeftBareOrTheUserSetsThem) {
  TempDir dir;
  Plan plan = ThreeEntries();
  plan.entries[2].labels = {"slow"};
  // A click: the entries it cannot select are left bare, as cheap as CTest
  // reads them, and stay so.
  EmitOptions options = OptionsFor(dir.path(), {"ctest", "-R", "^s/b\\.py::u$"});
  options.first_in_directory = true;
  std::string text = EmitTests(plan, options);
  EXPECT_EQ(text.find("set_directory_properties"), std::string::npos) << text;
  json tests = CTestJson(dir.path(), text).at("tests");
  EXPECT_EQ(Properties(tests[0]).count("LABELS"), 0u);
  EXPECT_EQ(AsSet(Properties(tests[2]).at("LABELS")),
            (std::set<std::string>{"pytest", "s", "slow"}));
  // A user's LABELS or WORKING_DIRECTORY in PROPERTIES.
  for (const char* key : {"LABELS", "WORKING_DIRECTORY"}) {
    options = OptionsFor(dir.path(), {"ctest", "-N"});
    options.first_in_directory = true;
    options.properties = {{key, key == std::string("LABELS") ? "mine" : dir.path().string()}};
    EXPECT_EQ(EmitTests(plan, options).find("set_directory_properties"), std::string::npos) << key;
  }
}

TEST(EmitTests, EachRunnerIsToldWhereItsEntryStartsInThePlan) {
  TempDir dir;
  Plan plan = ThreeEntries();
  EmitOptions options = OptionsFor(dir.path(), {"ctest", "-R", "^s/a\\.py::t\\[1\\]$"});
  options.entry_offsets = {100, 250, 400};
  json tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  ASSERT_EQ(tests.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    std::vector<std::string> command = tests[i].at("command");
    auto at = std::find(command.begin(), command.end(), "--at");
    ASSERT_NE(at, command.end()) << i;
    ASSERT_NE(at + 1, command.end());
    EXPECT_EQ(*(at + 1), std::to_string(options.entry_offsets[i]));
  }
  // Without offsets, none.
  options.entry_offsets.clear();
  EXPECT_EQ(EmitTests(plan, options).find("--at"), std::string::npos);
}

TEST(EmitTests, EntriesThatAreFixturesKeepTheirPropertiesUnderASelection) {
  // ctest -R other adds the fixture's setup entries, whatever their names.
  TempDir dir;
  Plan plan = ThreeEntries();
  EmitOptions options = OptionsFor(dir.path(), {"ctest", "-R", "^other$"});
  options.properties = {{"FIXTURES_SETUP", "db"}};
  json tests = CTestJson(dir.path(), EmitTests(plan, options)).at("tests");
  for (const json& test : tests) {
    EXPECT_EQ(Properties(test).count("FIXTURES_SETUP"), 1u);
    EXPECT_NE(test.at("command").back(), "--cold");
  }
}

}  // namespace
}  // namespace pytest_shards
