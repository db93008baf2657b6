// The report as JUnit XML (`pytest-shards report --junit FILE`), for CI
// systems: one <testsuite> per CTest entry, one <testcase> per result. The
// only user of pugixml besides the timeline (report_html.h), in a library
// of its own so that the planner does not link it.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "report/report.h"

namespace pytest_shards {

// JUnit XML: <testsuites name=suite> holding one <testsuite> per entry and
// one <testcase> per result. Any node ID text gives well-formed XML 1.0:
// characters XML cannot hold are written as "#xHH".
std::string JunitXml(const Report& report, const std::string& suite);

// The JUnit (classname, name) of a node ID:
// "tests/test_a.py::TestX::test_y[p]" -> ("tests.test_a.TestX", "test_y[p]").
std::pair<std::string, std::string> JunitNames(const std::string& node_id);

// Text XML 1.0 can hold: what it cannot (control characters, invalid UTF-8)
// becomes "#xHH", as pytest's own junitxml does, so distinct node IDs stay
// distinct. The markup characters are left to the XML writer to escape.
std::string XmlSafe(std::string_view text);

}  // namespace pytest_shards
