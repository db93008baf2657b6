#include "report/html_markup.h"

#include <ctime>

#include "report/report_junit.h"
#include "report/report_summary.h"

namespace pytest_shards {

void Attr(pugi::xml_node node, const char* name, const std::string& value) {
  node.append_attribute(name).set_value(XmlSafe(value).c_str());
}

void Attr(pugi::xml_node node, const char* name, double value) {
  node.append_attribute(name).set_value(Fixed(value, 1).c_str());
}

pugi::xml_node Element(pugi::xml_node parent, const char* name, const std::string& cls) {
  pugi::xml_node node = parent.append_child(name);
  if (!cls.empty()) Attr(node, "class", cls);
  return node;
}

pugi::xml_node TextElement(pugi::xml_node parent, const char* name, const std::string& text,
                           const std::string& cls) {
  pugi::xml_node node = Element(parent, name, cls);
  node.append_child(pugi::node_pcdata).set_value(XmlSafe(text).c_str());
  return node;
}

void Row(pugi::xml_node table, const std::vector<std::string>& cells,
         const std::vector<std::string>& classes, const char* cell) {
  pugi::xml_node tr = Element(table, "tr");
  for (std::size_t i = 0; i < cells.size(); ++i)
    TextElement(tr, cell, cells[i], i < classes.size() ? classes[i] : "");
}

// At most `chars` characters (not bytes) of `text`, "…" marking a cut.
std::string Fit(const std::string& text, std::size_t chars) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (++count > chars) return text.substr(0, i) + "\xE2\x80\xA6";
  }
  return text;
}

// pugixml leaves ">" in attribute values as it is, which XML and HTML allow;
// escaped, no node ID can put a "]]>" or a tag-like "<x>" anywhere in the
// page. Inside a tag every quote opens or closes a value: pugixml escapes
// quotes within values, and "<" and ">" within text.
std::string EscapeGreaterInValues(const std::string& markup) {
  std::string out;
  out.reserve(markup.size());
  bool in_tag = false, in_value = false;
  for (char c : markup) {
    if (!in_tag && c == '<') in_tag = true;
    if (in_tag && c == '"') in_value = !in_value;
    if (in_tag && !in_value && c == '>') in_tag = false;
    if (in_value && c == '>') {
      out += "&gt;";
      continue;
    }
    out += c;
  }
  return out;
}

// The UTC date and time of `seconds` since the epoch.
std::string UtcTime(double seconds) {
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  char text[32];
  if (!gmtime_r(&time, &utc) || !std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc))
    return "";
  return text;
}

}  // namespace pytest_shards
