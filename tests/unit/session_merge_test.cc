#include "session/session_merge.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "data/runs.h"
#include "test_dir.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class SessionMergeTest : public TestDirFixture {
 protected:
  // A job's session directory: run.json with `order` run by entries of
  // these indexes (pid 100 + index), a reports file and a coverage part
  // per entry.
  fs::path Job(const std::string& name, const json& order, const std::vector<int>& indexes,
               double start) {
    fs::path dir = dir_ / name;
    fs::create_directories(dir / "reports");
    fs::create_directories(dir / "coverage");
    json entries = json::array();
    for (int index : indexes) {
      entries.push_back({{"name", "s/shard-" + std::to_string(index)},
                         {"index", index},
                         {"pids", {100 + index}}});
      WriteFileAtomic(dir / "reports" / (std::to_string(index) + ".jsonl"),
                      name + " reports of " + std::to_string(index) + "\n");
      WriteFileAtomic(
          dir / "coverage" / (std::to_string(index) + "." + std::to_string(100 + index)),
          name + " coverage of " + std::to_string(index));
    }
    json run = {{"format", "pytest-shards-session/1"},
                {"start", start},
                {"order", order},
                {"pytest_ids", {{order[0].get<std::string>(), "pytest:" + name}}},
                {"entries", entries},
                {"results", {{order[0].get<std::string>(), {"crashed", name, 1.5}}}}};
    WriteFileAtomic(dir / "run.json", run.dump());
    return dir;
  }

  static Collection CollectionOf(const std::vector<std::string>& ids) {
    Collection collection;
    for (const std::string& id : ids) {
      Item item;
      item.node_id = id;
      collection.items.push_back(item);
    }
    return collection;
  }
};

TEST_F(SessionMergeTest, TestsComeInCollectionOrderAndEntriesAreRenumbered) {
  fs::path a = Job("a", {"t.py::x", "t.py::z"}, {0, 1}, 20.0);
  fs::path b = Job("b", {"t.py::y"}, {0}, 10.0);
  fs::path out = dir_ / "merged";
  json run = MergeSessionParts({ReadSessionParts(a), ReadSessionParts(b)},
                               CollectionOf({"t.py::x", "t.py::y", "t.py::z"}), out);
  EXPECT_EQ(run["order"], json({"t.py::x", "t.py::y", "t.py::z"}));
  EXPECT_EQ(run["start"], 10.0);
  ASSERT_EQ(run["entries"].size(), 3u);
  EXPECT_EQ(run["entries"][2]["index"], 2);
  EXPECT_EQ(run["entries"][2]["pids"], json({100}));
  EXPECT_NE(run["entries"][2]["name"].get<std::string>().find("shard-0 ["), std::string::npos);
  // b's entry 0 is entry 2 now; its files moved with it.
  EXPECT_EQ(ReadFile(out / "reports" / "2.jsonl"), "b reports of 0\n");
  EXPECT_EQ(ReadFile(out / "coverage" / "2.100"), "b coverage of 0");
  EXPECT_EQ(ReadFile(out / "reports" / "0.jsonl"), "a reports of 0\n");
  EXPECT_EQ(ReadFile(out / "coverage" / "1.101"), "a coverage of 1");
  EXPECT_EQ(run["pytest_ids"]["t.py::y"], "pytest:b");
  EXPECT_EQ(run["results"]["t.py::x"][1], "a");
}

TEST_F(SessionMergeTest, TestsTheCollectionLacksFollowInTheJobsOrder) {
  fs::path a = Job("a", {"gone.py::q", "t.py::x"}, {0}, 1.0);
  json run = MergeSessionParts({ReadSessionParts(a)}, CollectionOf({"t.py::x"}), dir_ / "m");
  EXPECT_EQ(run["order"], json({"t.py::x", "gone.py::q"}));
}

TEST_F(SessionMergeTest, ATestInTwoJobsIsAnError) {
  fs::path a = Job("a", {"t.py::x"}, {0}, 1.0);
  fs::path b = Job("b", {"t.py::x"}, {0}, 1.0);
  try {
    MergeSessionParts({ReadSessionParts(a), ReadSessionParts(b)}, CollectionOf({}), dir_ / "m");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.py::x ran in two jobs"), std::string::npos);
  }
}

TEST_F(SessionMergeTest, ADirectoryWithoutRunJsonIsNamed) {
  fs::create_directories(dir_ / "empty");
  try {
    ReadSessionParts(dir_ / "empty");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no run.json"), std::string::npos);
  }
  WriteFileAtomic(dir_ / "empty" / "run.json", "{\"format\": \"other\"}");
  EXPECT_THROW(ReadSessionParts(dir_ / "empty"), Error);
}

TEST_F(SessionMergeTest, CopySessionPartsCopiesTheRunsSessionDirectory) {
  fs::path suite = dir_ / "suite";
  fs::path session = RunSessionDir(suite, "r1");
  fs::create_directories(session / "reports");
  WriteFileAtomic(session / "run.json", "{}");
  WriteFileAtomic(session / "reports" / "0.jsonl", "x\n");
  CopySessionParts(suite, "r1", dir_ / "out");
  EXPECT_EQ(ReadFile(dir_ / "out" / "reports" / "0.jsonl"), "x\n");
  EXPECT_THROW(CopySessionParts(suite, "r2", dir_ / "out2"), Error);
}

}  // namespace
}  // namespace pytest_shards
