#include "platform/platform.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_dir.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

using PlatformTest = TestDirFixture;

TEST_F(PlatformTest, AppendCreatesAppendsAndTruncates) {
  fs::path file = dir_ / "journal.jsonl";
  AppendToFile(file, "one\n", /*truncate=*/false);
  AppendToFile(file, "two\n", /*truncate=*/false);
  EXPECT_EQ(ReadFile(file), "one\ntwo\n");
  AppendToFile(file, "three\n", /*truncate=*/true);
  EXPECT_EQ(ReadFile(file), "three\n");
}

TEST_F(PlatformTest, AppendToAMissingDirectoryNamesTheFile) {
  fs::path file = dir_ / "no" / "journal.jsonl";
  try {
    AppendToFile(file, "x\n", false);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write " + file.string()), std::string::npos);
  }
}

TEST_F(PlatformTest, OutputFileIsEmptiedAndClosed) {
  fs::path file = dir_ / "log";
  AppendToFile(file, "old\n", false);
  {
    OutputFile out(file);
    EXPECT_GE(out.fd(), 0);
    out.Close();
    EXPECT_EQ(out.fd(), -1);
  }
  EXPECT_EQ(ReadFile(file), "");
  EXPECT_THROW(OutputFile(dir_ / "no" / "log"), Error);
}

TEST(Platform, ProcessIdAndExecutableAreThisProcess) {
  EXPECT_GT(CurrentProcessId(), 0);
  EXPECT_TRUE(fs::exists(ExecutablePath("platform_test")));
}

}  // namespace
}  // namespace pytest_shards
