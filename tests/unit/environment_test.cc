#include "data/environment.h"

#include <gtest/gtest.h>

#include "platform/platform.h"

namespace pytest_shards {
namespace {

using Env = std::vector<std::string>;

TEST(Environment, SetReplacesAndGetReadsOnlyTheExactName) {
  Env env = {"PATHX=1", "PATH=/bin"};
  SetVariable(env, "PATH", "/usr/bin");
  EXPECT_EQ(env, (Env{"PATHX=1", "PATH=/usr/bin"}));
  EXPECT_EQ(GetVariable(env, "PATH"), "/usr/bin");
  EXPECT_EQ(GetVariable(env, "PAT"), "");
  SetVariable(env, "NEW", "");
  EXPECT_EQ(env.back(), "NEW=");
}

TEST(Environment, UnsetRemovesEveryCopyAndNothingElse) {
  Env env = {"JOBS=1", "JOBS_CAP=2", "JOBS=3"};
  UnsetVariable(env, "JOBS");
  EXPECT_EQ(env, (Env{"JOBS_CAP=2"}));
}

TEST(Environment, PythonPathGetsTheDirectoryFirst) {
  Env env = {"HOME=/h"};
  PrependPythonPath(env, "/share/plugin");
  EXPECT_EQ(GetVariable(env, "PYTHONPATH"), "/share/plugin");
  Env empty = {"PYTHONPATH="};
  PrependPythonPath(empty, "/share/plugin");
  EXPECT_EQ(empty, (Env{"PYTHONPATH=/share/plugin"}));
  Env user = {"PYTHONPATH=/mine"};
  PrependPythonPath(user, "/share/plugin");
  EXPECT_EQ(GetVariable(user, "PYTHONPATH"),
            std::string("/share/plugin") + kPathListSeparator + "/mine");
}

}  // namespace
}  // namespace pytest_shards
