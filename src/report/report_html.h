// The timeline of the last run drawn (`pytest-shards report --html`): one
// self-contained HTML page, inline SVG and CSS and nothing fetched, that
// draws each CTest entry of the run as a bar on the lane it ran on
// (timeline.h), at the times its journal recorded (journal.h), with the
// entries that did not run, the idle time and the slowest tests beside it;
// above it when the run started and the ctest command that ran it, below it
// every failure with pytest's message and traceback.
#pragma once

#include <string>
#include <vector>

#include "report/report.h"

namespace pytest_shards {

// The page for the reports of a build tree's suites, one report each.
//
// The last run, its lanes, idle time and critical path are computed as
// timeline.h says; suites of an earlier ctest run are listed, not drawn.
//
// The markup is XHTML-compatible XML (it parses as XML), holds no URL, and
// any node ID text is escaped.
std::string TimelineHtml(const std::vector<Report>& reports);

}  // namespace pytest_shards
