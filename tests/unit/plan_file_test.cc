#include "plan/plan_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_dir.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Entry MakeEntry(const std::string& name, std::vector<std::string> node_ids) {
  Entry entry;
  entry.name = name;
  entry.node_ids = std::move(node_ids);
  entry.cost = 1.25;
  return entry;
}

// Every field of an entry set to something other than its default.
Plan FullPlan() {
  Plan plan;
  plan.entries.push_back(MakeEntry("suite/shard-00", {"tests/a.py::t1", "tests/a.py::t2"}));
  Entry serial = MakeEntry("suite/shard-01", {"tests/b.py::TestK::t[1]"});
  serial.locks = {"db", "serial"};
  serial.labels = {"last-failed", "serial"};
  plan.entries.push_back(serial);
  Entry exclusive = MakeEntry("suite/shard-02", {"tests/c.py::t"});
  exclusive.exclusive = true;
  exclusive.locks = {"serial"};
  plan.entries.push_back(exclusive);
  Entry test = MakeEntry("suite/tests/d.py::t", {"tests/d.py::t"});
  test.source_line = "/src/tests/d.py:12";
  test.labels = {"slow"};
  plan.entries.push_back(test);
  Entry errors = MakeEntry("suite/collection-errors", {"tests/test_broken.py"});
  errors.collection_errors = true;
  plan.entries.push_back(errors);
  return plan;
}

// Four entries of one node ID each.
Plan SmallPlan() {
  Plan plan;
  for (int i = 0; i < 4; ++i)
    plan.entries.push_back(
        MakeEntry("suite/shard-0" + std::to_string(i), {"m.py::t" + std::to_string(i)}));
  return plan;
}

TEST(PlanFile, JsonRoundTrip) {
  PlanFile file;
  file.run_id = "20261126-abc";
  file.settings.suite = "suite";
  file.settings.suite_dir = "/build/pytest-shards/suite";
  file.settings.python = "/usr/bin/python3";
  file.settings.args = {"tests", "-k", "not slow"};
  file.settings.shards = 3;
  file.rootdir = "/src";
  file.xdist = true;
  file.ctest_pid = 4242;
  file.ctest_argv = {"ctest", "-R", "^suite/a$"};
  file.plan = FullPlan();
  file.module_paths = {{"tests/test_p.py", "/site/pkg/tests/test_p.py"}};
  file.slice = {2, 3};
  file.slice_source = "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)";
  file.session_outputs = {"coverage"};

  json document = PlanFileToJson(file);
  EXPECT_EQ(document.at("format"), "pytest-shards-plan/1");
  PlanFile back = PlanFileFromJson(json::parse(document.dump()));
  EXPECT_EQ(back.run_id, file.run_id);
  EXPECT_EQ(back.rootdir, "/src");
  EXPECT_TRUE(back.xdist);
  EXPECT_EQ(back.session_outputs, file.session_outputs);
  EXPECT_EQ(back.ctest_pid, 4242);
  EXPECT_EQ(back.ctest_argv, file.ctest_argv);
  EXPECT_EQ(back.ctest_last_failed, std::nullopt);
  file.ctest_last_failed = {{"suite/a"}};
  EXPECT_EQ(PlanFileFromJson(PlanFileToJson(file)).ctest_last_failed, file.ctest_last_failed);
  EXPECT_EQ(back.settings.suite, "suite");
  EXPECT_EQ(back.settings.args, file.settings.args);
  EXPECT_EQ(back.module_paths, file.module_paths);
  EXPECT_EQ(back.slice.index, 2);
  EXPECT_EQ(back.slice.count, 3);
  EXPECT_EQ(back.slice_source, "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)");
  ASSERT_EQ(back.plan.entries.size(), file.plan.entries.size());
  for (size_t i = 0; i < back.plan.entries.size(); ++i) {
    const Entry& a = file.plan.entries[i];
    const Entry& b = back.plan.entries[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.node_ids, b.node_ids);
    EXPECT_EQ(a.locks, b.locks);
    EXPECT_EQ(a.exclusive, b.exclusive);
    EXPECT_DOUBLE_EQ(a.cost, b.cost);
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.source_line, b.source_line);
    EXPECT_EQ(a.collection_errors, b.collection_errors);
  }
  EXPECT_EQ(PlanFileToJson(back).dump(), document.dump());
}

TEST(PlanFile, TheSharedTailReachesEveryEntrysRunner) {
  PlanFile file;
  file.run_id = "1-2";
  file.settings.suite = "suite";
  file.rootdir = "/src";
  file.plan = FullPlan();
  file.plan.entries[1].shares_tail = true;
  file.plan.shared_tail = {{"t.py::x"}, {"t.py::y", "t.py::z"}};
  fs::path dir = FreshTestDir();
  std::vector<size_t> offsets;
  WriteFileAtomic(dir / "plan.json", PlanFileText(file, &offsets));
  // The runner of one entry reads the header and its line only.
  PlanEntry read = ReadPlanEntry(dir / "plan.json", 1, "fix", offsets[1]);
  ASSERT_TRUE(read.entry);
  EXPECT_TRUE(read.entry->shares_tail);
  EXPECT_EQ(read.file.plan.shared_tail, file.plan.shared_tail);
  EXPECT_FALSE(ReadPlanEntry(dir / "plan.json", 0, "fix", offsets[0]).entry->shares_tail);
  PlanFile back = PlanFileFromJson(PlanFileToJson(file));
  EXPECT_EQ(back.plan.shared_tail, file.plan.shared_tail);
  EXPECT_TRUE(back.plan.entries[1].shares_tail);
  // A plan without a tail says nothing of one.
  file.plan.shared_tail.clear();
  file.plan.entries[1].shares_tail = false;
  json text = PlanFileToJson(file);
  EXPECT_FALSE(text.contains("shared_tail"));
  EXPECT_FALSE(text["entries"][1].contains("shares_tail"));
}

TEST(PlanFile, APlanWithoutASliceHoldsTheWholeSuite) {
  json document = PlanFileToJson(PlanFile{});
  document.erase("slice");
  PlanFile back = PlanFileFromJson(document);
  EXPECT_EQ(back.slice.index, 1);
  EXPECT_EQ(back.slice.count, 1);
  EXPECT_EQ(back.slice_source, "");
}

TEST(ModulePaths, ListsOnlyModulesThatAreNotBelowTheRootdirAsNamed) {
  Collection c;
  c.rootdir = "/work/run";
  auto item = [](std::string node_id, std::string path) {
    Item i;
    i.node_id = std::move(node_id);
    i.path = std::move(path);
    return i;
  };
  c.items = {item("tests/test_a.py::test_one", "/work/run/tests/test_a.py"),
             item("tests/test_a.py::test_two", "/work/run/tests/test_a.py"),
             item("./tests/test_b.py::t", "/work/run/tests/test_b.py"),
             // --pyargs pkg with the rootdir outside pkg: relative to the package.
             item("tests/test_c.py::t", "/site/pkg/tests/test_c.py"),
             item("tests/test_c.py::u", "/site/pkg/tests/test_c.py"),
             item("test_d.py::Cls::t[a::b]", "/site/pkg/test_d.py"), item("test_e.py::t", "")};
  // Modules that failed to collect: the collection-errors entry runs them.
  auto error = [](std::string node_id, std::string path) {
    CollectionError e;
    e.node_id = std::move(node_id);
    e.path = std::move(path);
    return e;
  };
  c.errors = {error("tests/test_broken.py", "/work/run/tests/test_broken.py"),
              error("typing/test_alias.py", "/site/pkg/typing/test_alias.py"), error("", "")};
  std::map<std::string, std::string> expected = {
      {"tests/test_c.py", "/site/pkg/tests/test_c.py"},
      {"test_d.py", "/site/pkg/test_d.py"},
      {"typing/test_alias.py", "/site/pkg/typing/test_alias.py"}};
  EXPECT_EQ(ModulePaths(c), expected);
}

TEST(PlanFile, CorruptDocumentThrowsError) {
  PlanFile file;
  file.run_id = "r";
  file.plan = SmallPlan();
  json good = PlanFileToJson(file);
  EXPECT_NO_THROW(PlanFileFromJson(good));
  EXPECT_THROW(PlanFileFromJson(json::object()), Error);
  EXPECT_THROW(PlanFileFromJson(json::array()), Error);
  json bad_format = good;
  bad_format["format"] = "pytest-shards-plan/2";
  EXPECT_THROW(PlanFileFromJson(bad_format), Error);
  json no_entries = good;
  no_entries.erase("entries");
  EXPECT_THROW(PlanFileFromJson(no_entries), Error);
  json bad_entry = good;
  bad_entry["entries"][0]["node_ids"] = "a.py::t";
  EXPECT_THROW(PlanFileFromJson(bad_entry), Error);
  json nameless = good;
  nameless["entries"][1].erase("name");
  EXPECT_THROW(PlanFileFromJson(nameless), Error);
}

using PlanFileOnDisk = TestDirFixture;

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

TEST_F(PlanFileOnDisk, RoundTripsStrangeNodeIdsWithOneLinePerEntry) {
  PlanFile file;
  file.run_id = "1-2";
  file.settings.suite = "su\xc3\xafte";
  file.rootdir = "/src";
  file.module_paths = {{"tests/t\xc3\xbcst.py", "/site/t\xc3\xbcst.py"}};
  for (std::string node_id :
       {"tests/test_a.py::test_x[\\xfc\\\\\"0\"\\t]", "tests/test_a.py::test_x[\n\x01\x1f]",
        "tests/t\xc3\xbcst.py::test_\xe2\x82\xac[\xf0\x9f\x98\x80]",
        "tests/test_a.py::t[a{}[],:]"}) {
    Entry entry = MakeEntry(file.settings.suite + "/" + node_id, {node_id});
    entry.locks = {"d\"b"};
    file.plan.entries.push_back(entry);
  }
  fs::path path = dir_ / "plan.json";
  WriteFileAtomic(path, PlanFileText(file));
  PlanFile back = ReadPlanFile(path, "re-run ctest");
  EXPECT_EQ(PlanFileText(back), PlanFileText(file));
  for (size_t i = 0; i < file.plan.entries.size(); ++i) {
    EXPECT_EQ(back.plan.entries[i].name, file.plan.entries[i].name);
    EXPECT_EQ(back.plan.entries[i].node_ids, file.plan.entries[i].node_ids);
    EXPECT_EQ(back.plan.entries[i].locks, file.plan.entries[i].locks);
  }
  EXPECT_EQ(back.settings.suite, file.settings.suite);
  EXPECT_EQ(back.module_paths, file.module_paths);
  // What nlohmann_json reads (the plugin, the e2e checks) is the same.
  EXPECT_EQ(json::parse(ReadFile(path)), PlanFileToJson(file));
  // Each entry on a line of its own.
  std::string text = ReadFile(path);
  for (size_t i = 0; i < file.plan.entries.size(); ++i)
    EXPECT_NE(text.find("\n{\"index\":" + std::to_string(i) +
                        ",\"name\":" + json(file.plan.entries[i].name).dump() + ","),
              std::string::npos);
}

// ReadPlanEntry's result for every index of the plan in `path`, as text.
std::vector<std::string> EveryEntryRead(const fs::path& path, size_t count) {
  std::vector<std::string> texts;
  for (size_t i = 0; i <= count; ++i) {
    PlanEntry read = ReadPlanEntry(path, i, "re-run ctest");
    EXPECT_EQ(read.count, count);
    EXPECT_TRUE(read.file.plan.entries.empty());
    EXPECT_EQ(read.entry.has_value(), i < count);
    if (!read.entry) break;
    read.file.plan.entries = {*read.entry};
    texts.push_back(PlanFileText(read.file));
  }
  return texts;
}

// What ReadPlanEntry must give: each entry of `file` alone in its plan.
std::vector<std::string> EveryEntryAlone(PlanFile file) {
  std::vector<std::string> texts;
  std::vector<Entry> entries = file.plan.entries;
  for (const Entry& entry : entries) {
    file.plan.entries = {entry};
    texts.push_back(PlanFileText(file));
  }
  return texts;
}

TEST_F(PlanFileOnDisk, ReadPlanEntryReadsEachEntryAndTheCount) {
  PlanFile file;
  file.run_id = "1-2";
  file.settings.suite = "suite";
  file.rootdir = "/src";
  file.module_paths = {{"tests/a.py", "/site/a.py"}};
  file.plan = FullPlan();
  // Node IDs with what JSON escapes: a newline must not end an entry's line.
  file.plan.entries[0].node_ids.push_back("tests/a.py::t[\n\"],\n{]");
  fs::path path = dir_ / "plan.json";
  WriteFileAtomic(path, PlanFileText(file));
  EXPECT_EQ(EveryEntryRead(path, file.plan.entries.size()), EveryEntryAlone(file));
}

TEST_F(PlanFileOnDisk, ReadPlanEntryDoesNotReadTheOtherEntries) {
  PlanFile file;
  file.run_id = "r";
  file.plan = SmallPlan();
  fs::path path = dir_ / "plan.json";
  // Entry 2's line is not JSON: only a reader of that line can notice.
  std::string text = PlanFileText(file);
  text = ReplaceAll(text, "\"m.py::t2\"", "\"m.py::t2");
  ASSERT_NE(text, PlanFileText(file));
  WriteFileAtomic(path, text);
  EXPECT_THROW(ReadPlanFile(path, "re-run ctest"), Error);
  EXPECT_EQ(ReadPlanEntry(path, 3, "re-run ctest").entry->name, "suite/shard-03");
  EXPECT_EQ(ReadPlanEntry(path, 0, "re-run ctest").entry->node_ids,
            std::vector<std::string>{"m.py::t0"});
  EXPECT_THROW(ReadPlanEntry(path, 2, "re-run ctest"), Error);
}

TEST_F(PlanFileOnDisk, ReadPlanEntryAtItsOffsetReadsNoLineBeforeIt) {
  PlanFile file;
  file.run_id = "r";
  file.plan = SmallPlan();
  std::vector<size_t> offsets;
  std::string text = PlanFileText(file, &offsets);
  ASSERT_EQ(offsets.size(), file.plan.entries.size());
  for (size_t i = 0; i < offsets.size(); ++i)
    EXPECT_EQ(text.compare(offsets[i], 10 + std::to_string(i).size(),
                           "{\"index\":" + std::to_string(i) + ","),
              0)
        << i;
  // Entry 1's line is broken, and split in two: a reader that counts lines
  // lands on entry 2 for entry 3, then reads the whole file, which fails.
  text = ReplaceAll(text, "\"m.py::t1\"", "\n\"m.py::t1");
  size_t at = text.find("\n{\"index\":3,") + 1;
  fs::path path = dir_ / "plan.json";
  WriteFileAtomic(path, text);
  EXPECT_THROW(ReadPlanEntry(path, 3, "re-run ctest"), Error);
  EXPECT_EQ(ReadPlanEntry(path, 3, "re-run ctest", at).entry->name, "suite/shard-03");
  // An offset that is not entry 3's line costs the scan, not the answer.
  EXPECT_EQ(ReadPlanEntry(path, 0, "re-run ctest", at).entry->name, "suite/shard-00");
  EXPECT_EQ(ReadPlanEntry(path, 0, "re-run ctest", 5).entry->name, "suite/shard-00");
  EXPECT_EQ(ReadPlanEntry(path, 0, "re-run ctest", text.size() + 7).entry->name, "suite/shard-00");
}

TEST_F(PlanFileOnDisk, ReadPlanEntryReadsPlansOfAnotherLayoutWhole) {
  PlanFile file;
  file.run_id = "r";
  file.plan = FullPlan();
  fs::path path = dir_ / "plan.json";
  json document = PlanFileToJson(file);
  // On one line; then also without the members ReadPlanEntry looks for, as
  // a plan written by hand would be.
  WriteFileAtomic(path, document.dump());
  EXPECT_EQ(EveryEntryRead(path, file.plan.entries.size()), EveryEntryAlone(file));
  document.erase("entry_count");
  for (json& entry : document["entries"]) entry.erase("index");
  WriteFileAtomic(path, document.dump(1));
  EXPECT_EQ(EveryEntryRead(path, file.plan.entries.size()), EveryEntryAlone(file));
  // One line per entry, but lines swapped: each says it is another entry.
  std::string text = PlanFileText(file);
  size_t first = text.find("\n{\"index\":0,") + 1, second = text.find("\n{\"index\":1,") + 1;
  size_t end = text.find('\n', second) + 1;  // both lines end in ",\n"
  std::string swapped = text.substr(0, first) + text.substr(second, end - second) +
                        text.substr(first, second - first) + text.substr(end);
  WriteFileAtomic(path, swapped);
  std::swap(file.plan.entries[0], file.plan.entries[1]);
  EXPECT_EQ(EveryEntryRead(path, file.plan.entries.size()), EveryEntryAlone(file));
}

TEST_F(PlanFileOnDisk, BadFilesGiveOneLineNamingTheFileAndTheFix) {
  fs::path path = dir_ / "plan.json";
  auto error_of = [&] {
    try {
      ReadPlanFile(path, "re-run ctest");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no Error");
  };
  EXPECT_EQ(error_of(), "plan file " + path.string() + " is missing or unreadable; re-run ctest");
  PlanFile file;
  file.run_id = "r";
  file.plan = SmallPlan();
  std::string good = PlanFileText(file);
  for (std::string bad : {good.substr(0, good.size() / 2), std::string("[1, 2, 3]\n"),
                          ReplaceAll(good, "\"node_ids\"", "\"nodes\""),
                          ReplaceAll(good, "pytest-shards-plan/1", "pytest-shards-plan/0")}) {
    WriteFileAtomic(path, bad);
    std::string what = error_of();
    EXPECT_NE(what.find(path.string()), std::string::npos) << what;
    EXPECT_NE(what.find("re-run"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace pytest_shards
