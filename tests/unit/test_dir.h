// A fresh directory for each unit test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace pytest_shards {

// An empty directory named after the running test (and this process, so
// that concurrent runs of one test do not meet).
inline std::filesystem::path FreshTestDir() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("pytest_shards_test-" + std::to_string(::getpid()) +
                                                "-" + test->test_suite_name() + "." + test->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Fixture base: dir_ is the test's fresh directory, removed afterwards
// unless the test failed (to look at what it left).
class TestDirFixture : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshTestDir(); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
};

}  // namespace pytest_shards
