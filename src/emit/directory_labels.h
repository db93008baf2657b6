// Labels set once for a whole suite. CTest finds the test of every
// set_tests_properties() name by walking all the tests it has read, so a
// LABELS per entry costs a number of string comparisons that grows with the
// square of the entries: 1.8 s of CPU at each start of a ctest over 29,277
// per-test entries. CTest's set_directory_properties(PROPERTIES LABELS ...)
// adds labels to every test read so far whose directory is the current
// one, in one walk: the suite's common labels ("pytest", the suite, its
// LABELS) can be set so when the suite's tests are the first of their
// directory, and each entry then names only its own (markers,
// "last-failed", "serial").
#pragma once

#include <filesystem>
#include <string>

namespace pytest_shards {

// Whether, in the text of a directory's CTestTestfile.cmake, the include()
// of `include_file` comes before any command that can add a test: only
// comments, blank lines, and include()s of pytest-shards' cores file
// (<build>/pytest-shards/cores.cmake, which adds none) precede it. CMake
// writes a directory's TEST_INCLUDE_FILES before its add_test() and
// subdirs() calls; another include file may add tests of its own (another
// suite, gtest_discover_tests()).
bool IncludedBeforeAnyTest(const std::string& testfile_text,
                           const std::filesystem::path& include_file);

// The same for a suite's include file (<suite_dir>/include.cmake) in the
// CTestTestfile.cmake of the build directory that holds <suite_dir>
// (<dir>/pytest-shards/<suite>); false when that file cannot be read.
bool SuiteTestsComeFirst(const std::filesystem::path& suite_dir);

}  // namespace pytest_shards
