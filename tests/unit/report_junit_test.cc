#include "report/report_junit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "report_fixtures.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(JunitNames, SplitsModuleClassAndName) {
  using Names = std::pair<std::string, std::string>;
  EXPECT_EQ(JunitNames("tests/test_a.py::test_x"), Names("tests.test_a", "test_x"));
  EXPECT_EQ(JunitNames("tests/test_a.py::TestX::test_y[p]"),
            Names("tests.test_a.TestX", "test_y[p]"));
  EXPECT_EQ(JunitNames("t.py::A::B::test[a::b/c.py]"), Names("t.A.B", "test[a::b/c.py]"));
  EXPECT_EQ(JunitNames("t.py::test[x]::y"), Names("t", "test[x]::y"));
  EXPECT_EQ(JunitNames("tests/test_broken.py"), Names("", "tests.test_broken"));
}

// True when `text` is UTF-8 made only of characters XML 1.0 allows.
bool OnlyXmlChars(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (lead >= 0x80 && lead < 0xC2) return false;
    if (lead > 0xF4 || i + length > text.size()) return false;
    std::uint32_t c = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      c = (c << 6) | (next & 0x3F);
    }
    bool ok = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
              (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
    if (!ok) return false;
    i += length;
  }
  return true;
}

TEST(JunitXml, HostileNodeIdsGiveWellFormedXml) {
  const std::vector<std::string> hostile = {
      "t.py::test_amp[a&b<c>\"d\"'e']", "t.py::test_cdata[]]>]",
      "t.py::test_ctrl[\x01\x1b\x7f]",  std::string("t.py::test_nul[a") + '\0' + "b]",
      "t.py::test_badutf8[\xff\xc3]",   "t.py::test_unicode[\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80]",
      "t.py::test_newline[a\nb\r\tc]",  "t.py::test_comment[<!-- x -->]",
  };
  PlanFile plan = MakePlan({MakeEntry("suite/shard-<00>&", hostile)});
  std::vector<TestResult> results;
  for (const std::string& node_id : hostile)
    results.push_back({node_id, "failed", 0.25, "E   assert '\x02]]>' == '<&>'\n\xff"});
  results[0].outcome = "passed";
  results[1].outcome = "error";
  results[2].outcome = "skipped";
  results[3].outcome = "crashed";
  results[4].outcome = "xfailed";
  Report report = BuildReport(plan, {MakeJournal(0, "suite/shard-<00>&", results)});
  std::string xml = JunitXml(report, "suite\x03\"");

  EXPECT_TRUE(OnlyXmlChars(xml)) << xml;
  EXPECT_EQ(xml.find("\x01"), std::string::npos);
  pugi::xml_document document;
  pugi::xml_parse_result parsed = document.load_string(xml.c_str());
  ASSERT_TRUE(parsed) << parsed.description() << "\n" << xml;

  pugi::xml_node root = document.child("testsuites");
  EXPECT_STREQ(root.attribute("name").value(), "suite#x03\"");
  EXPECT_EQ(root.attribute("tests").as_int(), 8);
  pugi::xml_node suite = root.child("testsuite");
  EXPECT_STREQ(suite.attribute("name").value(), "suite/shard-<00>&");
  EXPECT_EQ(suite.attribute("tests").as_int(), 8);
  EXPECT_EQ(suite.attribute("failures").as_int(), 4);  // 3 failed + 1 crashed
  EXPECT_EQ(suite.attribute("errors").as_int(), 1);
  EXPECT_EQ(suite.attribute("skipped").as_int(), 2);  // skipped + xfailed

  std::vector<std::string> names;
  for (pugi::xml_node testcase : suite.children("testcase")) {
    EXPECT_STREQ(testcase.attribute("classname").value(), "t");
    names.push_back(testcase.attribute("name").value());
  }
  ASSERT_EQ(names.size(), 8u);
  EXPECT_EQ(names[0], "test_amp[a&b<c>\"d\"'e']");
  EXPECT_EQ(names[1], "test_cdata[]]>]");
  EXPECT_EQ(names[2], "test_ctrl[#x01#x1B\x7f]");
  EXPECT_EQ(names[3], "test_nul[a#x00b]");
  EXPECT_EQ(names[4], "test_badutf8[#xFF#xC3]");
  EXPECT_EQ(names[5], "test_unicode[\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80]");
  EXPECT_EQ(names[7], "test_comment[<!-- x -->]");

  pugi::xml_node error = suite.find_child_by_attribute("testcase", "name", "test_cdata[]]>]");
  ASSERT_TRUE(error.child("error")) << xml;
  EXPECT_STREQ(error.child("error").attribute("message").value(), "assert '#x02]]>' == '<&>'");
  EXPECT_EQ(std::string(error.child("error").text().get()), "E   assert '#x02]]>' == '<&>'\n#xFF");
  EXPECT_TRUE(suite.find_child_by_attribute("testcase", "name", "test_amp[a&b<c>\"d\"'e']")
                  .first_child()
                  .empty());
}

TEST(JunitXml, OneSuitePerEntryWithNeverRanAsFailure) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"a/b.py::TestC::test_d", "a/b.py::e"}),
                            MakeEntry("suite/shard-01", {"a/c.py::f"})});
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00",
                                     {Passed("a/b.py::TestC::test_d", 1.5), Passed("a/b.py::e")})});
  pugi::xml_document document;
  ASSERT_TRUE(document.load_string(JunitXml(report, "suite").c_str()));
  pugi::xml_node root = document.child("testsuites");
  EXPECT_EQ(root.attribute("tests").as_int(), 3);
  EXPECT_EQ(root.attribute("failures").as_int(), 1);
  pugi::xml_node first = root.child("testsuite");
  EXPECT_STREQ(first.attribute("name").value(), "suite/shard-00");
  EXPECT_DOUBLE_EQ(first.attribute("time").as_double(), 2.5);
  pugi::xml_node testcase = first.child("testcase");
  EXPECT_STREQ(testcase.attribute("classname").value(), "a.b.TestC");
  EXPECT_STREQ(testcase.attribute("name").value(), "test_d");
  EXPECT_DOUBLE_EQ(testcase.attribute("time").as_double(), 1.5);
  pugi::xml_node second = first.next_sibling("testsuite");
  EXPECT_STREQ(second.attribute("name").value(), "suite/shard-01");
  EXPECT_EQ(second.attribute("failures").as_int(), 1);
  pugi::xml_node failure = second.child("testcase").child("failure");
  ASSERT_TRUE(failure);
  EXPECT_TRUE(Contains(failure.attribute("message").value(), "never ran"));
}

TEST(JunitXml, TestsAnInterruptKeptFromRunningAreSkippedNotFailed) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"a/b.py::e", "a/b.py::f"}),
                            MakeEntry("suite/shard-01", {"a/c.py::g"})});
  TestResult f{"a/b.py::f", "missing", 0, "never ran: a/b.py::f"};
  f.interrupted = 2;
  Report report = BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("a/b.py::e"), f})});
  pugi::xml_document document;
  ASSERT_TRUE(document.load_string(JunitXml(report, "suite").c_str()));
  pugi::xml_node root = document.child("testsuites");
  EXPECT_EQ(root.attribute("tests").as_int(), 3);
  EXPECT_EQ(root.attribute("failures").as_int(), 0);
  EXPECT_EQ(root.attribute("skipped").as_int(), 2);
}

}  // namespace
}  // namespace pytest_shards
