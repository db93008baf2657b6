#include "report/report_junit.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <pugixml.hpp>
#include <sstream>

#include "data/outcome.h"
#include "report/report_summary.h"

namespace pytest_shards {

namespace {

bool IsXmlChar(std::uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

void AppendHex(std::string* out, std::uint32_t value) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "#x%02X", static_cast<unsigned>(value));
  out->append(buffer);
}

// Decodes one UTF-8 character at text[i]; returns its length, or 0 when the
// bytes there are not valid UTF-8 (truncated, overlong, surrogate).
std::size_t DecodeUtf8(std::string_view text, std::size_t i, std::uint32_t* code) {
  static const std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  unsigned char lead = static_cast<unsigned char>(text[i]);
  std::size_t length = lead < 0x80             ? 1
                       : (lead & 0xE0) == 0xC0 ? 2
                       : (lead & 0xF0) == 0xE0 ? 3
                       : (lead & 0xF8) == 0xF0 ? 4
                                               : 0;
  if (length == 0 || i + length > text.size()) return 0;
  std::uint32_t c = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    unsigned char next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    c = (c << 6) | (next & 0x3F);
  }
  if (c < kMin[length] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *code = c;
  return length;
}

}  // namespace

std::string XmlSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t code = 0;
    std::size_t length = DecodeUtf8(text, i, &code);
    if (length == 0) {
      AppendHex(&out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (IsXmlChar(code))
      out.append(text.substr(i, length));
    else
      AppendHex(&out, code);
    i += length;
  }
  return out;
}

namespace {

void SetAttribute(pugi::xml_node node, const char* name, const std::string& value) {
  node.append_attribute(name).set_value(XmlSafe(value).c_str());
}

void SetAttribute(pugi::xml_node node, const char* name, std::size_t value) {
  node.append_attribute(name).set_value(std::to_string(value).c_str());
}

struct JunitCounts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
  void Set(pugi::xml_node node) const {
    SetAttribute(node, "tests", tests);
    SetAttribute(node, "failures", failures);
    SetAttribute(node, "errors", errors);
    SetAttribute(node, "skipped", skipped);
    SetAttribute(node, "time", Fixed(time, 3));
  }
};

// The child element a result's outcome gets: <failure>, <error>, <skipped>
// or nothing (a pass).
const char* JunitElement(const std::string& outcome) {
  std::optional<Outcome> known = ParseOutcome(outcome);
  if (!known) return "failure";  // a word this version does not know
  switch (*known) {
    case Outcome::kError:
      return "error";
    case Outcome::kSkipped:
    case Outcome::kXfailed:
      return "skipped";
    case Outcome::kPassed:
    case Outcome::kXpassed:
      return nullptr;
    case Outcome::kFailed:
    case Outcome::kCrashed:
    case Outcome::kTimeout:
    case Outcome::kMissing:
      return "failure";
  }
  return "failure";
}

void AddTestcase(pugi::xml_node suite, const TestResult& test, JunitCounts* counts) {
  pugi::xml_node testcase = suite.append_child("testcase");
  auto [classname, name] = JunitNames(test.node_id);
  SetAttribute(testcase, "classname", classname);
  SetAttribute(testcase, "name", name);
  SetAttribute(testcase, "time", Fixed(test.duration, 3));
  ++counts->tests;
  counts->time += test.duration;
  // A test the interrupt kept from running did not fail: as a skip.
  const char* element = test.NotRun() ? "skipped" : JunitElement(test.outcome);
  if (!element) return;
  std::string element_name = element;
  if (element_name == "failure") ++counts->failures;
  if (element_name == "error") ++counts->errors;
  if (element_name == "skipped") ++counts->skipped;
  pugi::xml_node child = testcase.append_child(element);
  std::string message = KeyLine(test.message, 200);
  SetAttribute(child, "message", message.empty() ? test.outcome : message);
  SetAttribute(child, "type", test.outcome);
  if (!test.message.empty() && element_name != "skipped")
    child.append_child(pugi::node_pcdata).set_value(XmlSafe(test.message).c_str());
}

}  // namespace

std::pair<std::string, std::string> JunitNames(const std::string& node_id) {
  std::size_t separator = node_id.find("::");
  std::string module = node_id.substr(0, separator);
  if (module.size() > 3 && module.compare(module.size() - 3, 3, ".py") == 0)
    module.resize(module.size() - 3);
  std::replace(module.begin(), module.end(), '/', '.');
  std::replace(module.begin(), module.end(), '\\', '.');
  if (separator == std::string::npos) return {"", module};  // a module: collection error
  // Parameters ("[a::b]") may hold anything, "::" included: split before them.
  std::string rest = node_id.substr(separator + 2);
  std::size_t bracket = rest.find('[');
  std::string head = rest.substr(0, bracket);
  std::string params = bracket == std::string::npos ? "" : rest.substr(bracket);
  std::size_t last = head.rfind("::");
  if (last == std::string::npos) return {module, rest};
  std::string classes = head.substr(0, last);
  for (std::size_t at = classes.find("::"); at != std::string::npos; at = classes.find("::", at))
    classes.replace(at, 2, ".");
  return {module + "." + classes, head.substr(last + 2) + params};
}

std::string JunitXml(const Report& report, const std::string& suite) {
  pugi::xml_document document;
  pugi::xml_node declaration = document.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  pugi::xml_node root = document.append_child("testsuites");
  SetAttribute(root, "name", suite);
  JunitCounts total;
  for (const EntryRow& row : report.entries) {
    pugi::xml_node node = root.append_child("testsuite");
    SetAttribute(node, "name", row.name);
    JunitCounts counts;
    for (const ReportResult& result : report.results)
      if (result.entry == row.name) AddTestcase(node, result.test, &counts);
    if (row.finished) counts.time = row.wall;
    counts.Set(node);
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
    total.time += counts.time;
  }
  total.Set(root);
  std::ostringstream out;
  document.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace pytest_shards
