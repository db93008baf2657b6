#include "data/durations.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "test_dir.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Item ItemWithId(const std::string& node_id) {
  Item item;
  item.node_id = node_id;
  item.file = node_id.substr(0, node_id.find("::"));
  return item;
}

TEST(DurationsEstimate, MeasuredValueWins) {
  Durations durations;
  durations.tests = {{"a.py::t1", 3.0}, {"a.py::t2", 5.0}};
  EXPECT_DOUBLE_EQ(durations.Estimate(ItemWithId("a.py::t1")), 3.0);
  EXPECT_DOUBLE_EQ(durations.Estimate(ItemWithId("a.py::t2")), 5.0);
}

TEST(DurationsEstimate, UnmeasuredTestTakesMeanOfItsFile) {
  Durations durations;
  // b.py's tests are far from a.py's, so a global mean would be visible.
  durations.tests = {{"a.py::t1", 1.0}, {"a.py::t2", 3.0}, {"b.py::t1", 100.0}};
  EXPECT_DOUBLE_EQ(durations.Estimate(ItemWithId("a.py::new")), 2.0);
  EXPECT_DOUBLE_EQ(durations.Estimate(ItemWithId("a.py::Cls::new[1]")), 2.0);
  EXPECT_DOUBLE_EQ(durations.Estimate(ItemWithId("b.py::new")), 100.0);
}

TEST(DurationsEstimate, FilePrefixDoesNotMatchOtherFiles) {
  Durations durations;
  // "a.py" must not match "a.pyx::..." or "a.py_extra.py::...".
  durations.tests = {{"a.pyx::t", 10.0}, {"a.py_extra.py::t", 20.0}};
  EXPECT_DOUBLE_EQ(durations.Estimate(ItemWithId("a.py::t")), 15.0);
}

TEST(DurationsEstimate, UnknownFileTakesMeanOfAllMeasured) {
  Durations durations;
  durations.tests = {{"a.py::t1", 1.0}, {"a.py::t2", 3.0}, {"b.py::t1", 8.0}};
  EXPECT_DOUBLE_EQ(durations.Estimate(ItemWithId("c.py::t")), 4.0);
}

TEST(DurationsEstimate, NothingMeasuredGivesDefault) {
  Durations durations;
  EXPECT_TRUE(durations.empty());
  EXPECT_DOUBLE_EQ(durations.Estimate(ItemWithId("c.py::t")), kDefaultTestSeconds);
}

TEST(DurationsJson, RoundTrip) {
  Durations durations;
  durations.tests = {{"a.py::t[x-1]", 0.25}, {"b.py::C::t", 1.5}};
  durations.startup = 0.75;
  durations.entries = {{"suite/shard-00", 12.5}};
  durations.failed = {"b.py::C::t", "a.py::t[x-1]"};
  json document = DurationsToJson(durations);
  EXPECT_EQ(document.at("format"), "pytest-shards-durations/1");
  Durations back = DurationsFromJson(document);
  EXPECT_EQ(back.tests, durations.tests);
  EXPECT_EQ(back.entries, durations.entries);
  EXPECT_EQ(back.failed, durations.failed);
  EXPECT_DOUBLE_EQ(back.startup, 0.75);
  EXPECT_EQ(DurationsToJson(back), document);
}

TEST(DurationsJson, MalformedDocumentsThrowError) {
  json good = DurationsToJson(Durations{});
  EXPECT_NO_THROW(DurationsFromJson(good));

  EXPECT_THROW(DurationsFromJson(json::array()), Error);
  json wrong_format = good;
  wrong_format["format"] = "pytest-shards-durations/0";
  EXPECT_THROW(DurationsFromJson(wrong_format), Error);
  json no_tests = good;
  no_tests.erase("tests");
  EXPECT_THROW(DurationsFromJson(no_tests), Error);
  json tests_not_object = good;
  tests_not_object["tests"] = json::array({1, 2});
  EXPECT_THROW(DurationsFromJson(tests_not_object), Error);
  json text_seconds = good;
  text_seconds["tests"] = {{"a.py::t", "slow"}};
  EXPECT_THROW(DurationsFromJson(text_seconds), Error);
  json negative = good;
  negative["tests"] = {{"a.py::t", -1.0}};
  EXPECT_THROW(DurationsFromJson(negative), Error);
  json bad_startup = good;
  bad_startup["startup"] = "x";
  EXPECT_THROW(DurationsFromJson(bad_startup), Error);
  json bad_failed = good;
  bad_failed["failed"] = json::array({1});
  EXPECT_THROW(DurationsFromJson(bad_failed), Error);
  // Stores written before the failed set existed read as "none failed".
  json no_failed = good;
  no_failed.erase("failed");
  EXPECT_TRUE(DurationsFromJson(no_failed).failed.empty());
}

using DurationsFile = TestDirFixture;

TEST_F(DurationsFile, MissingFileIsEmpty) {
  Durations durations = ReadDurations(dir_ / "durations.json");
  EXPECT_TRUE(durations.empty());
  EXPECT_TRUE(durations.entries.empty());
  EXPECT_DOUBLE_EQ(durations.startup, 0);
}

TEST_F(DurationsFile, ReadsWhatWasWritten) {
  Durations durations;
  durations.tests = {{"a.py::t", 2.0}};
  durations.startup = 0.4;
  WriteFileAtomic(dir_ / "durations.json", DurationsToJson(durations).dump());
  Durations back = ReadDurations(dir_ / "durations.json");
  EXPECT_EQ(back.tests, durations.tests);
  EXPECT_DOUBLE_EQ(back.startup, 0.4);
}

TEST_F(DurationsFile, CorruptFileThrowsErrorNamingTheFile) {
  fs::path file = dir_ / "durations.json";
  WriteFileAtomic(file, "{\"format\": \"pytest-shards-durations/1\", \"tests\": {");
  try {
    ReadDurations(file);
    FAIL() << "no Error for a torn durations file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  WriteFileAtomic(file, R"({"format": "pytest-shards-durations/1", "tests": {"a": null}})");
  try {
    ReadDurations(file);
    FAIL() << "no Error for a durations file with a null duration";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

TEST_F(DurationsFile, RoundTripsStrangeNamesAndTheFoldedRun) {
  Durations durations;
  std::string strange = "t\xc3\xbcst.py::t[\\xfc\\\\\"0\"\\t\x01\n\xf0\x9f\x98\x80]";
  durations.tests = {{strange, 0.125}, {"a.py::t", 7.7577944407375075}};
  durations.entries = {{"suite/" + strange, 3.5}};
  durations.peak_rss_kb = {{"suite/" + strange, 123456789012L}};
  durations.failed = {strange};
  durations.folded = "1796114771104703-4159 0123abcd";
  fs::path file = dir_ / "durations.json";
  WriteFileAtomic(file, DurationsToJson(durations).dump(2));
  Durations back = ReadDurations(file);
  EXPECT_EQ(back.tests, durations.tests);
  EXPECT_EQ(back.entries, durations.entries);
  EXPECT_EQ(back.peak_rss_kb, durations.peak_rss_kb);
  EXPECT_EQ(back.failed, durations.failed);
  EXPECT_EQ(back.folded, durations.folded);
  // Stores written before the folded run was recorded read as "none".
  json old = DurationsToJson(durations);
  old.erase("folded");
  EXPECT_EQ(DurationsFromJson(old).folded, "");
}

TEST_F(DurationsFile, AnotherFormatIsNamedAsSuch) {
  fs::path file = dir_ / "durations.json";
  WriteFileAtomic(file, R"({"tests": [1, 2], "format": "pytest-shards-durations/2"})");
  try {
    ReadDurations(file);
    FAIL() << "no Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not in format pytest-shards-durations/1"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pytest_shards
