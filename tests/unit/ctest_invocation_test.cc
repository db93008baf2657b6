// What ctest would select is checked against ctest itself: each pattern's
// matches among a set of names are compared with `ctest -N -R <pattern>`.
#include "emit/ctest_invocation.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "platform/platform.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

using Argv = std::vector<std::string>;

TEST(CtestInvocation, UnknownCommandLineMayRunEverything) {
  CtestInvocation ctest = CtestInvocation::FromArguments({});
  EXPECT_FALSE(ctest.known());
  EXPECT_FALSE(ctest.listing());
  EXPECT_FALSE(ctest.selects());
  EXPECT_TRUE(ctest.MayRun("anything"));
}

TEST(CtestInvocation, ListingOptions) {
  for (const Argv& argv : {Argv{"ctest", "-N"}, Argv{"ctest", "--show-only"},
                           Argv{"ctest", "--show-only=json-v1", "--test-dir", "b"}}) {
    CtestInvocation ctest = CtestInvocation::FromArguments(argv);
    EXPECT_TRUE(ctest.known()) << argv.back();
    EXPECT_TRUE(ctest.listing()) << argv.back();
  }
  EXPECT_FALSE(CtestInvocation::FromArguments({"ctest", "-j", "2"}).listing());
}

TEST(CtestInvocation, WholeNamesAsIdesAskForThem) {
  for (const char* pattern :
       {"^s/a\\.py::t\\[1\\]$", "^(s/a\\.py::t\\[1\\]|s/b)$", "^s/a\\.py::t\\[1\\]$|^s/b$"}) {
    CtestInvocation ctest = CtestInvocation::FromArguments(
        {"ctest", "--output-on-failure", "-j2", "-C", "Debug", "-R", pattern});
    SCOPED_TRACE(pattern);
    EXPECT_TRUE(ctest.selects());
    EXPECT_TRUE(ctest.MayRun("s/a.py::t[1]"));
    EXPECT_FALSE(ctest.MayRun("s/a.py::t[10]"));
    EXPECT_FALSE(ctest.MayRun("x/s/a.py::t[1]"));
  }
}

TEST(CtestInvocation, OptionsThatWidenTheSelectionMakeItUnknown) {
  for (const Argv& argv :
       {Argv{"ctest", "-R", "^a$", "-U", "-L", "b"}, Argv{"ctest", "-R", "^a$", "-I", "1,2"},
        Argv{"ctest", "-R", "^a$", "--rerun-failed"}, Argv{"ctest", "--preset", "p", "-R", "^a$"},
        Argv{"ctest", "-R", "^a$", "-R", "^b$"}, Argv{"ctest", "-R"},
        Argv{"ctest", "-R", "^a$", "--some-new-option"}}) {
    CtestInvocation ctest = CtestInvocation::FromArguments(argv);
    SCOPED_TRACE(argv.back());
    EXPECT_FALSE(ctest.selects());
    EXPECT_TRUE(ctest.MayRun("b"));
  }
  // Options that narrow it further leave -R's choice.
  CtestInvocation narrowed =
      CtestInvocation::FromArguments({"ctest", "-R", "^a$", "-E", "x", "-L", "y", "-j"});
  EXPECT_TRUE(narrowed.selects());
  EXPECT_FALSE(narrowed.MayRun("b"));
}

TEST(CtestInvocation, PatternsReadOtherwiseSelectNothing) {
  for (const char* pattern : {"\\d", "a{2}", "[[:alpha:]]", "(?:a)", "a*?", "a^b", "[\\]]"}) {
    CtestInvocation ctest = CtestInvocation::FromArguments({"ctest", "-R", pattern});
    EXPECT_FALSE(ctest.selects()) << pattern;
    EXPECT_TRUE(ctest.MayRun("zzz")) << pattern;
  }
}

TEST(CtestInvocation, SelectsByNameAndLabels) {
  const std::vector<std::string> failed = {"pytest", "s", "last-failed"};
  const std::vector<std::string> plain = {"pytest", "s"};
  CtestInvocation ctest = CtestInvocation::FromArguments(
      {"ctest", "-j", "2", "--label-regex=last-failed", "-E", "slow", "-R", "^s/"});
  EXPECT_EQ(ctest.SelectionText(), "--label-regex last-failed -E slow -R ^s/");
  EXPECT_TRUE(ctest.Selects("s/a", failed));
  EXPECT_FALSE(ctest.Selects("s/a", plain));
  EXPECT_FALSE(ctest.Selects("s/slow", failed));
  EXPECT_FALSE(ctest.Selects("t/a", failed));
  // Labels unknown: only the names decide.
  EXPECT_TRUE(ctest.Selects("s/a", std::nullopt));

  CtestInvocation excluded = CtestInvocation::FromArguments({"ctest", "-LE", "^last-failed$"});
  EXPECT_FALSE(excluded.Selects("s/a", failed));
  EXPECT_TRUE(excluded.Selects("s/a", plain));
}

TEST(CtestInvocation, OnlyWhatEveryPatternDecidesIsSure) {
  const std::vector<std::string> failed = {"pytest", "s", "last-failed"};
  // -L twice: both, either or the last, by CTest version.
  CtestInvocation twice = CtestInvocation::FromArguments({"ctest", "-L", "serial", "-L", "s"});
  EXPECT_TRUE(twice.Selects("s/a", failed));
  EXPECT_FALSE(twice.Selects("s/a", std::vector<std::string>{"unit"}));
  // A pattern that may read otherwise decides nothing.
  EXPECT_TRUE(CtestInvocation::FromArguments({"ctest", "-L", "\\w+x"}).Selects("s/a", failed));
  EXPECT_TRUE(CtestInvocation::FromArguments({"ctest", "-E", "a{1}"}).Selects("s/a", failed));
  // Unknown command lines select nothing and say nothing.
  CtestInvocation unknown = CtestInvocation::FromArguments({"ctest", "-L", "x", "--rerun-failed"});
  EXPECT_TRUE(unknown.Selects("s/a", failed));
  EXPECT_EQ(unknown.SelectionText(), "");
  EXPECT_EQ(CtestInvocation::FromArguments({"ctest", "-R", "a b"}).SelectionText(), "-R 'a b'");
  CtestInvocation empty = CtestInvocation::FromArguments({"ctest", "-E", "", "-L", ""});
  EXPECT_TRUE(empty.Selects("s/a", failed));
  EXPECT_EQ(empty.SelectionText(), "");
}

TEST(CtestInvocation, RerunFailedSelectsTheLastFailedAlone) {
  const std::vector<std::string> labels = {"pytest", "s"};
  const std::vector<std::string> last_failed = {"s/b", "other"};
  // CTest ignores -R, -E, -L, -LE, -I and -U beside --rerun-failed.
  for (const Argv& argv : {Argv{"ctest", "--rerun-failed"},
                           Argv{"ctest", "-R", "^s/a$", "--rerun-failed", "-L", "x", "-E", "b"},
                           Argv{"ctest", "-I", "1,1", "-U", "--rerun-failed", "-j", "2"}}) {
    CtestInvocation ctest = CtestInvocation::FromArguments(argv, last_failed);
    SCOPED_TRACE(argv[1]);
    EXPECT_TRUE(ctest.known());
    EXPECT_TRUE(ctest.Selects("s/b", labels));
    EXPECT_FALSE(ctest.Selects("s/a", labels));
    EXPECT_EQ(ctest.SelectionText(), "--rerun-failed");
    // The emitter keeps every entry's properties: it picks by number.
    EXPECT_FALSE(ctest.selects());
  }
  // None of the suite's entries.
  CtestInvocation none = CtestInvocation::FromArguments({"ctest", "--rerun-failed"}, {{}});
  EXPECT_TRUE(none.known());
  EXPECT_FALSE(none.Selects("s/a", labels));
  // The log unread: unknown, as before.
  EXPECT_FALSE(CtestInvocation::FromArguments({"ctest", "--rerun-failed"}).known());
  // -I and -U without --rerun-failed: unknown.
  EXPECT_FALSE(CtestInvocation::FromArguments({"ctest", "-I", "1,1"}, last_failed).known());
}

TEST(CtestInvocation, ReadsItsParentsCommandLine) {
  // This test's own command line, as the planner reads ctest's.
  std::vector<std::string> argv = ProcessArguments(CurrentProcessId());
  ASSERT_FALSE(argv.empty());
  EXPECT_NE(argv[0].find("ctest_invocation_test"), std::string::npos);
}

// Names as ctest tests: brackets, dots, colons, a space, regex operators.
const std::vector<std::string> kNames = {
    "s/a.py::t[1]", "s/a.py::t[10]", "s/aXpy::t[1]",     "s/b.py::u",        "s/b.py::u (x)",
    "s/c.py::v+w",  "t/a.py::t[1]",  "s/dir/e.py::T::f", "s/dir/e.py::T::g", "s/a.py::t[2-1]"};

// Each name's labels: the first is every entry's, the others some.
std::vector<std::string> Labels(size_t index) {
  std::vector<std::string> labels = {"pytest"};
  if (index % 2) labels.push_back("last-failed");
  if (index % 3 == 0) labels.push_back("serial");
  return labels;
}

// The names `ctest -N <option> <pattern>` lists among kNames.
std::set<std::string> CtestSelects(const fs::path& dir, const std::string& pattern,
                                   const std::string& option = "-R") {
  std::string file;
  for (size_t i = 0; i < kNames.size(); ++i) {
    std::string labels;
    for (const std::string& label : Labels(i)) labels += (labels.empty() ? "" : ";") + label;
    file += "add_test([==[" + kNames[i] + "]==] /bin/true)\n" + "set_tests_properties([==[" +
            kNames[i] + "]==] PROPERTIES LABELS \"" + labels + "\")\n";
  }
  std::ofstream(dir / "CTestTestfile.cmake") << file;
  std::ofstream(dir / "pattern.txt") << pattern;
  // The pattern travels through a file: no shell quoting to get wrong.
  std::string command = std::string(PYTEST_SHARDS_CTEST_COMMAND) + " --test-dir '" + dir.string() +
                        "' -N " + option + " \"$(cat '" + (dir / "pattern.txt").string() +
                        "')\" 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::set<std::string> names;
  char line[4096];
  while (pipe && fgets(line, sizeof line, pipe)) {
    // "  Test  #3: <name>"
    std::smatch match;
    std::string text(line);
    if (std::regex_search(text, match, std::regex("Test +#[0-9]+: (.*)\n?$")))
      names.insert(match[1]);
  }
  if (pipe) pclose(pipe);
  return names;
}

TEST(CtestInvocation, SelectsWhatCtestSelects) {
  std::string pattern = (fs::temp_directory_path() / "ctest_invocation_test-XXXXXX").string();
  ASSERT_TRUE(mkdtemp(pattern.data()));
  fs::path dir = pattern;
  for (const char* regex :
       {"^s/a\\.py::t\\[1\\]$", "^(s/a\\.py::t\\[1\\]|s/b\\.py::u)$", "^s/b\\.py::u \\(x\\)$",
        "^s/c\\.py::v\\+w$", "a.py", "^s/dir/", "e\\.py::T::[fg]$", "t\\[[0-9]+\\]$", "u|v",
        "^(s|t)/a", "[^s]/a", "::t\\[2-1\\]", "(x)", "T::f$|^t/"}) {
    SCOPED_TRACE(regex);
    CtestInvocation ctest = CtestInvocation::FromArguments({"ctest", "-R", regex});
    EXPECT_TRUE(ctest.selects());
    std::set<std::string> ours;
    for (const std::string& name : kNames)
      if (ctest.MayRun(name)) ours.insert(name);
    std::set<std::string> theirs = CtestSelects(dir, regex);
    EXPECT_FALSE(theirs.empty());
    EXPECT_EQ(ours, theirs);
  }
  // -E, -L and -LE, as the report reads the entries ctest ran.
  for (const char* option : {"-E", "-L", "-LE"}) {
    for (const char* regex : {"a.py", "^s/dir/", "last-failed", "^serial$", "test", "u|v"}) {
      SCOPED_TRACE(std::string(option) + " " + regex);
      CtestInvocation ctest = CtestInvocation::FromArguments({"ctest", option, regex});
      std::set<std::string> ours;
      for (size_t i = 0; i < kNames.size(); ++i)
        if (ctest.Selects(kNames[i], Labels(i))) ours.insert(kNames[i]);
      EXPECT_EQ(ours, CtestSelects(dir, regex, option));
    }
  }
  // --rerun-failed, beside a -R that CTest ignores: the log's tests by
  // number (kNames keeps its order, so the names say the same).
  fs::create_directories(dir / "Testing" / "Temporary");
  std::ofstream(dir / "Testing" / "Temporary" / "LastTestsFailed.log")
      << "2:" << kNames[1] << "\n5:" << kNames[4] << "\n";
  CtestInvocation rerun = CtestInvocation::FromArguments({"ctest", "--rerun-failed", "-R", "^t/"},
                                                         {{kNames[1], kNames[4]}});
  std::set<std::string> ours;
  for (size_t i = 0; i < kNames.size(); ++i)
    if (rerun.Selects(kNames[i], Labels(i))) ours.insert(kNames[i]);
  EXPECT_EQ(ours, (std::set<std::string>{kNames[1], kNames[4]}));
  EXPECT_EQ(ours, CtestSelects(dir, "^t/", "--rerun-failed -R"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pytest_shards
