#include "platform/mapped_file.h"

#include <gtest/gtest.h>

#include "test_dir.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

class MappedFileTest : public TestDirFixture {};

TEST_F(MappedFileTest, ViewsTheFilesBytes) {
  std::string bytes = std::string("line\n", 5) + std::string(1, '\0') + std::string(70000, 'x');
  WriteFileAtomic(dir_ / "f", bytes);
  MappedFile mapped(dir_ / "f");
  EXPECT_EQ(mapped.text(), bytes);
  WriteFileAtomic(dir_ / "empty", "");
  EXPECT_EQ(MappedFile(dir_ / "empty").text(), "");
}

TEST_F(MappedFileTest, AMissingFileIsAnError) {
  try {
    MappedFile mapped(dir_ / "missing");
    FAIL() << "mapped a missing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pytest_shards
