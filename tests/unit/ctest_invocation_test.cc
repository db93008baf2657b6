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

std::set<std::string> CtestSelects(const fs::path& dir, const std::string& pattern) {
  std::string file;
  for (const std::string& name : kNames) file += "add_test([==[" + name + "]==] /bin/true)\n";
  std::ofstream(dir / "CTestTestfile.cmake") << file;
  std::ofstream(dir / "pattern.txt") << pattern;
  // The pattern travels through a file: no shell quoting to get wrong.
  std::string command = std::string(PYTEST_SHARDS_CTEST_COMMAND) + " --test-dir '" + dir.string() +
                        "' -N -R \"$(cat '" + (dir / "pattern.txt").string() + "')\" 2>&1";
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
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pytest_shards
