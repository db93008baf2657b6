// The emitter: writes the CTest include file (a run's tests.cmake) for a plan.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data/settings.h"
#include "emit/ctest_invocation.h"
#include "plan/plan_file.h"

namespace pytest_shards {

// One CMake argument holding exactly `text`: [=[text]=] with the shortest
// guard whose closing bracket first occurs where text ends (text neither
// contains it nor ends with a piece of it such as "]"), and the newline that
// CMake drops after the opening bracket doubled. CMake's reader turns every
// CR LF of a file into LF before parsing, so text with a CR LF pair becomes a
// quoted argument with escape sequences instead (evaluated the same way under
// the cmake_policy(VERSION 3.25) that EmitTests sets). Throws Error for text
// with a NUL byte, which no CMake argument can hold.
std::string BracketArgument(std::string_view text);

// An element for a list-valued property (LABELS, RESOURCE_LOCK, ...). CTest
// splits such values at ';' unless escaped and not between '[' and ']', and
// drops empty elements: ';' becomes "\;" (CTest gives back ';'); '[', ']'
// and a backslash at the end become '_'; an empty element becomes "_".
std::string ListElement(std::string_view element);

// The suite's settings (its workdir is every entry's WORKING_DIRECTORY;
// TIMEOUT, 0: none; LABELS after "pytest" and "<suite>"; PROPERTIES;
// FIXTURES_REQUIRED), and what ctest start knows besides.
struct EmitOptions : Settings {
  std::string tool;       // absolute path of the pytest-shards executable
  std::string plan_file;  // absolute path of the run's plan.json
  // Under the parallel preset (presets/pytest-shards.json: -j 4096) every
  // entry asks for one slot of the "cores" resource, which the module's
  // resource spec file sizes to the machine's cores, so that ctest runs at
  // most that many at once while each entry keeps PROCESSORS 1. The module
  // has then wrapped add_test() and set_tests_properties() to give every
  // other test a slot too; the entries call the built-ins, _add_test() and
  // _set_tests_properties(), which cost ctest nothing more per entry.
  bool cores_resource = false;
  // MEMORY_BUDGET in MiB, 0 for none. With a budget every entry asks for
  // "memory:<MiB>" (see EntryMemoryMib) from the "memory" pool of the
  // resource spec file that the module sizes to the budget, so ctest never
  // runs entries together whose sum exceeds it. Both needs form one
  // resource group: "cores:1,memory:<MiB>".
  long memory_budget_mib = 0;
  std::map<std::string, long> peak_rss_kb;  // entry name -> its last measured peak
  // The plan has session outputs: one more entry, SessionEntryName(suite),
  // runs `<tool> session --plan <plan_file>` as the CTest fixture cleanup of
  // every other entry, so that ctest runs it once after them, also when it
  // runs only some of them (-R, -L, --rerun-failed).
  bool session = false;
  // What the ctest that includes the file does (ctest_invocation.h). Every
  // property of an entry costs CTest a look-up among all entries, so an
  // entry it neither runs nor lists gets its add_test() alone (which keeps
  // every entry's number, as --rerun-failed reads them), DEF_SOURCE_LINE is
  // set only for a listing, and a run of at most `cores` entries starts
  // them cold (`run --cold`): the warm interpreter would import the whole
  // suite, each cold entry imports its own modules, in parallel.
  CtestInvocation ctest;
  int cores = 1;
  // Whether the ctest shows DEF_SOURCE_LINE to anyone (its --show-only
  // lists custom properties since CMake 3.30): before, it is left out.
  bool source_lines = true;
  // The suite's include file comes before any other test of its directory
  // (directory_labels.h): the labels every entry shares may be set once.
  bool first_in_directory = false;
  // Where each entry's line starts in plan.json (PlanFileText), passed to
  // its runner as `--at`; empty: not passed.
  std::vector<size_t> entry_offsets;
};

// An entry's LABELS: "pytest", the suite, the suite's LABELS, then the
// plan's ("last-failed", "serial", markers). A LABELS in the suite's
// PROPERTIES replaces them.
std::vector<std::string> EntryLabels(const Settings& settings, const Entry& entry);

// "<suite>/session": the session step's CTest entry, and its fixture.
std::string SessionEntryName(const std::string& suite);

// What an entry that was never measured is assumed to need, when no entry
// of its suite was measured either: a few pytest interpreters' worth.
constexpr long kDefaultEntryMemoryMib = 256;

// The MiB an entry asks for: its last measured peak RSS, rounded up; when it
// was never measured (a new or renamed entry), the largest peak measured in
// its suite, else kDefaultEntryMemoryMib. At most the budget, so that the
// entry can run at all, and at least 1.
long EntryMemoryMib(const std::string& entry, const EmitOptions& options);

// add_test() and set_tests_properties() for every entry. Entry i runs
// `<tool> run --plan <plan_file> --entry <i>`; then the session entry, if
// options.session.
std::string EmitTests(const Plan& plan, const EmitOptions& options);

// A CTest file that registers one failing entry "<suite>/<name>" which runs
// `<tool> fail <message>` (prints message, exits 1): how a broken plan
// reaches the user through ctest.
std::string EmitFailingEntry(const std::string& tool, const std::string& suite,
                             const std::string& name, const std::string& message);

}  // namespace pytest_shards
