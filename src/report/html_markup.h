// The markup helpers of the HTML report (report_html.h), over pugixml:
// every text and attribute value made safe for XML 1.0 (XmlSafe), numbers
// written as the report writes them.
#pragma once

#include <cstddef>
#include <pugixml.hpp>
#include <string>
#include <vector>

namespace pytest_shards {

void Attr(pugi::xml_node node, const char* name, const std::string& value);
// `value` with one decimal.
void Attr(pugi::xml_node node, const char* name, double value);
// A child element, of CSS class `cls` unless empty.
pugi::xml_node Element(pugi::xml_node parent, const char* name, const std::string& cls = "");
// A child element holding `text`.
pugi::xml_node TextElement(pugi::xml_node parent, const char* name, const std::string& text,
                           const std::string& cls = "");
// A table row of `cell` elements, the i-th of class classes[i] if any.
void Row(pugi::xml_node table, const std::vector<std::string>& cells,
         const std::vector<std::string>& classes, const char* cell = "td");

// At most `chars` characters (not bytes) of `text`, "…" marking a cut.
std::string Fit(const std::string& text, std::size_t chars);

// `markup` with every ">" inside an attribute value escaped as "&gt;".
std::string EscapeGreaterInValues(const std::string& markup);

// The UTC date and time of `seconds` since the epoch
// ("2026-12-05 20:41:09 UTC"); "" when it has none.
std::string UtcTime(double seconds);

}  // namespace pytest_shards
