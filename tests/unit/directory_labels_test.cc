#include "emit/directory_labels.h"

#include <gtest/gtest.h>

#include "test_dir.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

const char kHead[] =
    "# CMake generated Testfile for \n"
    "# Source directory: /src\n"
    "\n";

TEST(DirectoryLabels, TheSuitesIncludeBeforeAnyTest) {
  fs::path suite = "/b/pytest-shards/app/include.cmake";
  // As CMake writes it: the cores file first in the top directory, then the
  // directory's include files, then its tests and subdirectories.
  EXPECT_TRUE(IncludedBeforeAnyTest(std::string(kHead) +
                                        "include(\"/b/pytest-shards/cores.cmake\")\n"
                                        "include(\"/b/pytest-shards/app/include.cmake\")\n"
                                        "add_test([=[unit]=] \"/b/unit\")\n"
                                        "subdirs(\"src\")\n",
                                    suite));
  EXPECT_TRUE(IncludedBeforeAnyTest("include(\"/b/pytest-shards/app/include.cmake\")\r\n", suite));
  // Another suite, or another tool's include file, may add tests first.
  EXPECT_FALSE(
      IncludedBeforeAnyTest("include(\"/b/pytest-shards/lib/include.cmake\")\n"
                            "include(\"/b/pytest-shards/app/include.cmake\")\n",
                            suite));
  EXPECT_FALSE(
      IncludedBeforeAnyTest("include(\"/b/unit[1]_include.cmake\")\n"
                            "include(\"/b/pytest-shards/app/include.cmake\")\n",
                            suite));
  EXPECT_FALSE(
      IncludedBeforeAnyTest("add_test([=[unit]=] \"/b/unit\")\n"
                            "include(\"/b/pytest-shards/app/include.cmake\")\n",
                            suite));
  // Not included at all.
  EXPECT_FALSE(IncludedBeforeAnyTest(kHead, suite));
  EXPECT_FALSE(IncludedBeforeAnyTest("", suite));
}

class SuiteTestsComeFirstTest : public TestDirFixture {};

TEST_F(SuiteTestsComeFirstTest, ReadsTheDirectorysTestFile) {
  fs::path suite_dir = dir_ / "pytest-shards" / "app";
  EXPECT_FALSE(SuiteTestsComeFirst(suite_dir));  // no test file
  WriteFileAtomic(dir_ / "CTestTestfile.cmake",
                  "include(\"" + (suite_dir / "include.cmake").string() + "\")\n");
  EXPECT_TRUE(SuiteTestsComeFirst(suite_dir));
  EXPECT_FALSE(SuiteTestsComeFirst(dir_ / "pytest-shards" / "lib"));
}

}  // namespace
}  // namespace pytest_shards
