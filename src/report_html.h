// The timeline of the last run (`pytest-shards report --html`): one
// self-contained HTML page, inline SVG and CSS and nothing fetched, that
// draws each CTest entry of the run as a bar on the lane it ran on, at the
// times its journal recorded (journal.h), with the entries that did not run,
// the idle time and the slowest tests beside it.
#pragma once

#include <string>
#include <vector>

#include "report.h"

namespace pytest_shards {

// The page for the reports of a build tree's suites, one report each.
//
// The last run: the suites of one ctest run share its cores, so their
// entries share the lanes. Suites whose entries ran more than a minute
// apart from those of the newest run came from an earlier ctest: they are
// listed, not drawn.
//
// Lanes: the entries in start order, each on the free lane that was freed
// last (where CTest put it when an entry ended), a new lane when none is
// free; so there are as many lanes as entries ever ran at once, the run's
// observed parallelism. Idle time of a lane: the run's wall time (first
// start to last end) minus the time its entries ran.
//
// Critical path: the lane of the entry that ended last. Each entry on it
// started when the one before it ended, so that chain of entries (and the
// idle gaps between them) is what the run's wall time was made of.
//
// The markup is XHTML-compatible XML (it parses as XML), holds no URL, and
// any node ID text is escaped.
std::string TimelineHtml(const std::vector<Report>& reports);

}  // namespace pytest_shards
