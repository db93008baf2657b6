#include "plan/planned_test.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "marker_fixtures.h"

namespace pytest_shards {
namespace {

using nlohmann::json;

Item MakeItem(const std::string& node_id, std::vector<Marker> markers = {}) {
  Item item;
  item.node_id = node_id;
  item.file = node_id.substr(0, node_id.find("::"));
  item.markers = std::move(markers);
  return item;
}

TEST(PlannedTest, SerialLockNamesTheLock) {
  bool exclusive = true;
  EXPECT_EQ(SerialLock(MakeMarker("serial"), &exclusive), "serial");
  EXPECT_FALSE(exclusive);
  EXPECT_EQ(SerialLock(MakeMarker("serial", json::array({"db"})), &exclusive), "db");
  EXPECT_FALSE(exclusive);
  EXPECT_EQ(SerialLock(MakeMarker("serial", json::array(), {{"lock", "db"}}), &exclusive), "db");
  EXPECT_EQ(SerialLock(MakeMarker("serial", json::array(), {{"exclusive", true}}), &exclusive),
            "serial");
  EXPECT_TRUE(exclusive);
  EXPECT_EQ(
      SerialLock(MakeMarker("serial", json::array({"gpu"}), {{"exclusive", false}}), &exclusive),
      "gpu");
  EXPECT_FALSE(exclusive);
  EXPECT_EQ(SerialLock(MakeMarker("serial", json::array({"x"})), nullptr), "x");
}

TEST(PlannedTest, OnePerNodeIdInCollectionOrder) {
  Collection c;
  c.items = {MakeItem("t_b.py::b"), MakeItem("t_a.py::a"), MakeItem("t_b.py::b")};
  std::vector<PlannedTest> tests = ReadPlannedTests(c, "serial", Durations());
  ASSERT_EQ(tests.size(), 2u);
  EXPECT_EQ(tests[0].item->node_id, "t_b.py::b");
  EXPECT_EQ(tests[1].item->node_id, "t_a.py::a");
}

TEST(PlannedTest, CostIsTheMeasuredDurationElseTheEstimate) {
  Collection c;
  c.items = {MakeItem("t_a.py::timed"), MakeItem("t_a.py::new"), MakeItem("t_b.py::new")};
  Durations d;
  d.tests["t_a.py::timed"] = 2;
  std::vector<PlannedTest> tests = ReadPlannedTests(c, "serial", d);
  EXPECT_DOUBLE_EQ(tests[0].cost, 2);
  EXPECT_DOUBLE_EQ(tests[1].cost, d.Estimate(c.items[1]));
  EXPECT_DOUBLE_EQ(tests[2].cost, d.Estimate(c.items[2]));
}

TEST(PlannedTest, SerialMarkersGiveLocksAndAFailedMemberLocksItsGroup) {
  Collection c;
  c.items = {MakeItem("t.py::a", {MakeMarker("db_only", json::array({"db"})),
                                  MakeMarker("db_only", json::array(), {{"exclusive", true}})}),
             MakeItem("t.py::b", {MakeMarker("xdist_group", json::array({"g"}))}),
             MakeItem("t.py::c", {MakeMarker("xdist_group", json::array({"g"}))}),
             MakeItem("t.py::d", {MakeMarker("serial")})};
  Durations d;
  d.failed = {"t.py::b"};
  std::vector<PlannedTest> tests = ReadPlannedTests(c, "db_only", d);
  EXPECT_TRUE(tests[0].serial);
  EXPECT_TRUE(tests[0].exclusive);
  EXPECT_EQ(tests[0].locks, (std::vector<std::string>{"db", "serial"}));
  EXPECT_TRUE(tests[1].failed);
  EXPECT_FALSE(tests[2].failed);
  EXPECT_EQ(tests[2].group, "g");
  EXPECT_EQ(tests[2].locks, std::vector<std::string>{"xdist_group:g"});
  EXPECT_FALSE(tests[3].serial);  // not SERIAL_MARKER here
}

}  // namespace
}  // namespace pytest_shards
