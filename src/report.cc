#include "report.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <string_view>

#include "error.h"
#include "file_util.h"
#include "hash.h"
#include "report_export.h"
#include "runs.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The order outcomes appear in the totals line; unknown ones follow.
const char* const kOutcomeOrder[] = {"passed",  "failed",  "error",   "crashed", "timeout",
                                     "missing", "skipped", "xfailed", "xpassed"};

// Outcomes whose duration is a real measurement of the test. A crash, a
// timeout or a missing test says nothing about how long the test takes.
bool IsMeasured(const std::string& outcome) {
  return outcome == "passed" || outcome == "failed" || outcome == "error" || outcome == "skipped" ||
         outcome == "xfailed" || outcome == "xpassed";
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// Cuts to at most `limit` bytes on a UTF-8 character boundary.
std::string Shorten(std::string line, std::size_t limit) {
  if (line.size() <= limit) return line;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return line.substr(0, cut) + "...";
}

}  // namespace

// Public (report.h): watch's failure lines show it too.
std::string KeyLine(const std::string& message, std::size_t limit) {
  std::string first;
  std::istringstream lines(message);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t begin = line.find_first_not_of(" \t");
    if (begin == std::string::npos) continue;
    if (line.compare(0, 2, "E ") == 0)
      return Shorten(line.substr(line.find_first_not_of(" ", 1)), limit);
    if (first.empty()) first = line.substr(begin);
  }
  return Shorten(first, limit);
}

namespace {

// ---- Building the report --------------------------------------------------

// The plan entry a journal belongs to, or -1.
int EntryIndex(const Plan& plan, const ShardJournal& journal) {
  int count = static_cast<int>(plan.entries.size());
  if (journal.index >= 0 && journal.index < count) return journal.index;
  for (int i = 0; i < count; ++i)
    if (plan.entries[i].name == journal.entry) return i;
  return -1;
}

// The test a journal without its closing record was running when its
// writers were killed: the last one that started and has no result.
std::string RunningTest(const ShardJournal& journal) {
  std::set<std::string> done;
  for (const TestResult& result : journal.results) done.insert(result.node_id);
  for (auto it = journal.started.rbegin(); it != journal.started.rend(); ++it)
    if (!done.count(*it)) return *it;
  return "";
}

EntryRow MakeRow(const Entry& entry, const std::vector<const ShardJournal*>& journals) {
  EntryRow row;
  row.name = entry.name;
  row.tests = entry.node_ids.size();
  row.collection_errors = entry.collection_errors;
  row.ran = !journals.empty();
  for (const ShardJournal* journal : journals) {
    if (journal->start > 0 && (row.start == 0 || journal->start < row.start))
      row.start = journal->start;
    row.end = std::max(row.end, journal->end);
    if (!journal->finished) {
      row.running = RunningTest(*journal);
      continue;
    }
    row.finished = true;
    row.wall = journal->wall;
    row.startup = journal->startup;
    row.peak_rss_kb = journal->peak_rss_kb;
    row.exit_code = journal->exit_code;
    row.restarts = journal->restarts;
  }
  return row;
}

bool HasFailure(const EntryRow& row) {
  for (const auto& [outcome, count] : row.counts)
    if (count > 0 && IsFailure(outcome)) return true;
  return false;
}

void Add(Report* report, EntryRow* row, TestResult result) {
  ++row->counts[result.outcome];
  ++report->totals[result.outcome];
  report->results.push_back({row->name, std::move(result)});
}

// Why a module of the collection-errors entry has no result: pytest's
// error from the collection when known.
std::string CollectionMessage(const Entry& entry, const std::string& module,
                              const std::vector<CollectionError>& errors) {
  for (const CollectionError& error : errors)
    if (error.node_id == module && !error.message.empty()) return error.message;
  return "failed to collect; see the output of " + entry.name;
}

// Results for the planned node IDs that have none: a "missing" result for a
// test, an "error" for a module of the collection-errors entry (its journal
// may hold nothing when pytest stopped at the import error).
void AddUnaccounted(Report* report, EntryRow* row, const Entry& entry,
                    const std::map<std::string, int>& seen,
                    const std::vector<CollectionError>& collection_errors) {
  std::set<std::string> listed;
  for (const std::string& node_id : entry.node_ids) {
    auto found = seen.find(node_id);
    int count = found == seen.end() ? 0 : found->second;
    if (entry.collection_errors) {
      if (count == 0)
        Add(report, row,
            {node_id, "error", 0, CollectionMessage(entry, node_id, collection_errors)});
      continue;
    }
    if (count == 0) {
      report->never_ran.push_back(node_id);
      std::string why =
          row->ran ? "its journal has no result for it" : "the entry did not run in this ctest run";
      std::string message = "never ran: " + why + " (" + entry.name + ")";
      if (row->ran && node_id == row->running)
        message = "did not finish: it was running when " + entry.name + " was killed";
      Add(report, row, {node_id, "missing", 0, message});
    } else if (count > 1 && listed.insert(node_id).second) {
      report->ran_twice.push_back(node_id);
    }
  }
}

// ---- XML --------------------------------------------------------------------

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
  if (outcome == "error") return "error";
  if (outcome == "skipped" || outcome == "xfailed") return "skipped";
  if (outcome == "passed" || outcome == "xpassed") return nullptr;
  return IsFailure(outcome) ? "failure" : nullptr;
}

void AddTestcase(pugi::xml_node suite, const TestResult& test, JunitCounts* counts) {
  pugi::xml_node testcase = suite.append_child("testcase");
  auto [classname, name] = JunitNames(test.node_id);
  SetAttribute(testcase, "classname", classname);
  SetAttribute(testcase, "name", name);
  SetAttribute(testcase, "time", Fixed(test.duration, 3));
  ++counts->tests;
  counts->time += test.duration;
  const char* element = JunitElement(test.outcome);
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

std::set<std::string> CollectionErrorEntries(const Report& report) {
  std::set<std::string> names;
  for (const EntryRow& row : report.entries)
    if (row.collection_errors) names.insert(row.name);
  return names;
}

}  // namespace

// ---- Summary ----------------------------------------------------------------

std::string FormatTotals(const std::map<std::string, int>& totals) {
  auto count = [&](const std::string& outcome) {
    auto found = totals.find(outcome);
    return found == totals.end() ? 0 : found->second;
  };
  std::string line =
      std::to_string(count("passed")) + " passed, " + std::to_string(count("failed")) + " failed";
  std::set<std::string> done = {"passed", "failed"};
  auto add = [&](const std::string& outcome) {
    if (!done.insert(outcome).second || count(outcome) == 0) return;
    line += ", " + std::to_string(count(outcome)) + " " + outcome;
  };
  for (const char* outcome : kOutcomeOrder) add(outcome);
  for (const auto& [outcome, n] : totals) add(outcome);
  return line;
}

namespace {

std::string Pad(const std::string& text, std::size_t width, bool right) {
  if (text.size() >= width) return text;
  std::string fill(width - text.size(), ' ');
  return right ? fill + text : text + fill;
}

std::string Table(const Report& report) {
  std::size_t width = 5;
  for (const EntryRow& row : report.entries) width = std::max(width, row.name.size());
  std::ostringstream out;
  out << Pad("entry", width, false) << "  tests  wall s  start-up s  peak RSS MiB  result\n";
  for (const EntryRow& row : report.entries) {
    auto number = [&](double value, int decimals) {
      return row.finished ? Fixed(value, decimals) : std::string("-");
    };
    out << Pad(row.name, width, false) << "  " << Pad(std::to_string(row.tests), 5, true) << "  "
        << Pad(number(row.wall, 2), 6, true) << "  " << Pad(number(row.startup, 2), 10, true)
        << "  " << Pad(number(row.peak_rss_kb / 1024.0, 1), 12, true) << "  " << row.Status();
    // The exit status only when no failing result explains it.
    if (row.finished && row.exit_code != 0 && !HasFailure(row))
      out << " (exit " << row.exit_code << ")";
    if (row.restarts > 0)
      out << " (" << row.restarts << (row.restarts == 1 ? " restart)" : " restarts)");
    out << "\n";
  }
  return out.str();
}

// At most this many node IDs per list; the JUnit file has them all.
constexpr std::size_t kListLimit = 100;

void List(std::ostream& out, const std::string& title, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  out << title << " (" << lines.size() << "):\n";
  for (std::size_t i = 0; i < lines.size() && i < kListLimit; ++i) out << "  " << lines[i] << "\n";
  if (lines.size() > kListLimit) out << "  ... and " << lines.size() - kListLimit << " more\n";
}

// The heading a failing outcome is listed under.
std::string FailureTitle(const std::string& outcome) {
  if (outcome == "failed" || outcome == "error") return "failed";
  if (outcome == "timeout") return "timed out";
  if (outcome == "missing") return "missing (not collected at run time)";
  return outcome;
}

void Failures(std::ostream& out, const Report& report) {
  std::set<std::string> never_ran(report.never_ran.begin(), report.never_ran.end());
  std::set<std::string> collection_entries = CollectionErrorEntries(report);
  std::vector<std::string> titles;
  std::map<std::string, std::vector<std::string>> lists;
  for (const ReportResult& result : report.results) {
    const TestResult& test = result.test;
    if (!IsFailure(test.outcome)) continue;
    // Listed with the accounting problems instead.
    if (test.outcome == "missing" && never_ran.count(test.node_id)) continue;
    if (collection_entries.count(result.entry)) continue;
    std::string title = FailureTitle(test.outcome);
    if (!lists.count(title)) titles.push_back(title);
    std::string line = test.node_id + "  [" + result.entry + "]";
    std::string message = KeyLine(test.message, 160);
    if (!message.empty()) line += "  " + message;
    lists[title].push_back(line);
  }
  for (const std::string& title : titles) List(out, title, lists[title]);
}

void EntryProblems(std::ostream& out, const Report& report) {
  std::vector<std::string> killed, not_run;
  for (const EntryRow& row : report.entries) {
    if (!row.ran)
      not_run.push_back(row.name);
    else if (!row.finished)
      killed.push_back(row.name + "  (no closing record: killed mid-run" +
                       (row.running.empty() ? "" : " while running " + row.running) + ")");
  }
  List(out, "entries that did not finish", killed);
  List(out, "entries that did not run", not_run);
}

// ---- Files ----------------------------------------------------------------

}  // namespace

// Public (report.h): watch reads the plan of the run it follows.
PlanFile ReadPlan(const fs::path& suite_dir, const std::string& run_id) {
  return ReadPlanFile(RunPlanFile(suite_dir, run_id),
                      "run ctest first: a plan is written at each ctest start");
}

namespace {

// The journals of the plan's entries that exist. A corrupt journal throws
// unless `skip_corrupt`.
std::vector<ShardJournal> ReadJournals(const PlanFile& plan, const fs::path& suite_dir,
                                       bool skip_corrupt) {
  std::vector<ShardJournal> journals;
  // The suite directory given wins over the one recorded in the plan should
  // the build tree have moved.
  for (std::size_t i = 0; i < plan.plan.entries.size(); ++i) {
    fs::path file = JournalFile(suite_dir, plan.run_id, i);
    std::error_code ec;
    if (!fs::exists(file, ec)) continue;
    try {
      journals.push_back(ReadJournal(file));
    } catch (const Error&) {
      if (!skip_corrupt) throw;
    }
  }
  return journals;
}

// Some entry of the plan has run (and written its journal).
bool Ran(const PlanFile& plan, const std::vector<ShardJournal>& journals) {
  return std::any_of(journals.begin(), journals.end(),
                     [&](const ShardJournal& journal) { return journal.run_id == plan.run_id; });
}

// collection.json, if it is readable: it only adds collection errors'
// messages and pytest's names of tests, so a missing or stale file costs
// nothing.
Collection ReadCollectionIfAny(const fs::path& suite_dir) {
  std::error_code ec;
  if (!fs::exists(CollectionFile(suite_dir), ec)) return {};
  try {
    return ReadCollection(CollectionFile(suite_dir));
  } catch (const Error&) {
    return {};
  }
}

// The run and the state of its journals (names, sizes, modification times):
// Durations::folded. The runner and the plugin only append to a journal, so
// any new record changes it. Taken before the journals are read: records
// written meanwhile then make the next fold read them again.
std::string FoldStamp(const fs::path& suite_dir, const std::string& run_id) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(RunJournalDir(suite_dir, run_id), ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code stat_ec;
    auto size = fs::file_size(it->path(), stat_ec);
    auto time = fs::last_write_time(it->path(), stat_ec);
    files.push_back(it->path().filename().string() + " " + std::to_string(size) + " " +
                    std::to_string(time.time_since_epoch().count()) + (stat_ec ? " ?" : ""));
  }
  std::sort(files.begin(), files.end());
  Hasher hasher;
  for (const std::string& file : files) hasher.Add(file);
  return run_id + " " + hasher.Hex();
}

// The store is a cache of measurements: a corrupt one is rebuilt.
Durations StoredDurations(const fs::path& suite_dir) {
  try {
    return ReadDurations(DurationsFile(suite_dir));
  } catch (const Error&) {
    return {};
  }
}

Durations UpdateDurations(const fs::path& suite_dir, Durations store, const Report& report,
                          const std::string& folded) {
  store = FoldDurations(std::move(store), report);
  store.folded = folded;
  WriteFileAtomic(DurationsFile(suite_dir), DurationsToJson(store).dump(2) + "\n");
  return store;
}

}  // namespace

std::string EntryRow::Status() const {
  if (!ran) return "not run";
  if (!finished) return "killed";
  if (exit_code != 0 || HasFailure(*this)) return "failed";
  return "passed";
}

bool Report::Ok() const {
  if (!never_ran.empty() || !ran_twice.empty()) return false;
  for (const EntryRow& row : entries)
    if (row.Status() != "passed") return false;
  return true;
}

Report BuildReport(const PlanFile& plan, const std::vector<ShardJournal>& journals,
                   const std::vector<CollectionError>& collection_errors) {
  Report report;
  report.suite = plan.settings.suite;
  report.run_id = plan.run_id;
  const std::vector<Entry>& entries = plan.plan.entries;
  std::vector<std::vector<const ShardJournal*>> by_entry(entries.size());
  std::map<std::string, int> seen;  // node ID -> results in this run
  for (const ShardJournal& journal : journals) {
    if (journal.run_id != plan.run_id) continue;
    int index = EntryIndex(plan.plan, journal);
    if (index < 0) continue;
    by_entry[index].push_back(&journal);
    for (const TestResult& result : journal.results) ++seen[result.node_id];
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EntryRow row = MakeRow(entries[i], by_entry[i]);
    for (const ShardJournal* journal : by_entry[i])
      for (const TestResult& result : journal->results) Add(&report, &row, result);
    AddUnaccounted(&report, &row, entries[i], seen, collection_errors);
    report.entries.push_back(std::move(row));
  }
  return report;
}

std::string FormatSummary(const Report& report) {
  std::ostringstream out;
  out << "pytest-shards report: " << report.suite << " (run " << report.run_id << ")\n";
  out << Table(report);
  out << FormatTotals(report.totals) << "\n";
  Failures(out, report);
  std::set<std::string> collection_entries = CollectionErrorEntries(report);
  std::vector<std::string> collection_errors;
  for (const ReportResult& result : report.results) {
    if (!collection_entries.count(result.entry)) continue;
    std::string message = KeyLine(result.test.message, 160);
    collection_errors.push_back(result.test.node_id + (message.empty() ? "" : "  " + message));
  }
  List(out, "modules that failed to collect", collection_errors);
  List(out, "never ran", report.never_ran);
  List(out, "ran more than once", report.ran_twice);
  EntryProblems(out, report);
  out << (report.Ok() ? "OK" : "FAILED") << "\n";
  return out.str();
}

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

Durations FoldDurations(Durations store, const Report& report) {
  std::set<std::string> collection_entries = CollectionErrorEntries(report);
  // An entry that did not run (ctest -L/-R chose others) says nothing about
  // its node IDs: they keep their last outcome, as with pytest --lf.
  std::set<std::string> ran;
  for (const EntryRow& row : report.entries)
    if (row.ran) ran.insert(row.name);
  for (const ReportResult& result : report.results) {
    if (collection_entries.count(result.entry) || !ran.count(result.entry)) continue;
    const TestResult& test = result.test;
    if (IsMeasured(test.outcome)) store.tests[test.node_id] = test.duration;
    if (IsFailure(test.outcome))
      store.failed.insert(test.node_id);
    else
      store.failed.erase(test.node_id);
  }
  double startup_sum = 0;
  int startups = 0;
  for (const EntryRow& row : report.entries) {
    if (!row.finished) continue;
    if (row.wall > 0) store.entries[row.name] = row.wall;
    if (row.peak_rss_kb > 0) store.peak_rss_kb[row.name] = row.peak_rss_kb;
    if (row.startup > 0) {
      startup_sum += row.startup;
      ++startups;
    }
  }
  if (startups > 0) store.startup = startup_sum / startups;
  return store;
}

int ReportMain(const fs::path& suite_dir, const std::string& junit_file, std::ostream& out,
               json* exported, Report* report_out) {
  // The last run that ran something; else the newest plan, all "not run".
  std::string run_id = LastRun(suite_dir);
  if (run_id.empty()) run_id = NewestRun(suite_dir);
  if (run_id.empty()) {
    throw Error("no plan in " + RunsDir(suite_dir).string() +
                "; run ctest first: a plan is written at each ctest start");
  }
  return ReportRun(suite_dir, run_id, junit_file, out, exported, report_out);
}

int ReportRun(const fs::path& suite_dir, const std::string& run_id, const std::string& junit_file,
              std::ostream& out, json* exported, Report* report_out) {
  std::string stamp = FoldStamp(suite_dir, run_id);
  PlanFile plan = ReadPlan(suite_dir, run_id);
  std::vector<ShardJournal> journals = ReadJournals(plan, suite_dir, /*skip_corrupt=*/false);
  Collection collection = ReadCollectionIfAny(suite_dir);
  Report report = BuildReport(plan, journals, collection.errors);
  out << FormatSummary(report);
  if (!junit_file.empty()) WriteFileAtomic(junit_file, JunitXml(report, plan.settings.suite));
  if (exported) *exported = ExportSuite(report, plan, collection);
  UpdateDurations(suite_dir, StoredDurations(suite_dir), report, stamp);
  int status = report.Ok() ? 0 : 1;
  if (report_out) *report_out = std::move(report);
  return status;
}

namespace {

// Folds the run's journals into *store and writes it; false when there is
// nothing to learn from.
bool FoldRun(const fs::path& suite_dir, const std::string& run_id, const std::string& stamp,
             Durations* store) {
  PlanFile plan;
  try {
    plan = ReadPlan(suite_dir, run_id);
  } catch (const Error&) {
    return false;
  }
  std::vector<ShardJournal> journals = ReadJournals(plan, suite_dir, /*skip_corrupt=*/true);
  if (!Ran(plan, journals)) return false;
  *store = UpdateDurations(suite_dir, std::move(*store), BuildReport(plan, journals), stamp);
  return true;
}

}  // namespace

Durations FoldJournalsIntoDurations(const fs::path& suite_dir) {
  std::string run_id = LastRun(suite_dir);
  // Every ctest start after a run comes here; only the first has news.
  std::string stamp = run_id.empty() ? "" : FoldStamp(suite_dir, run_id);
  Durations store;
  bool readable = true;
  try {
    store = ReadDurations(DurationsFile(suite_dir));
  } catch (const Error&) {
    readable = false;  // rebuilt if there is a run to fold
  }
  if (readable && (run_id.empty() || store.folded == stamp)) return store;
  if (!run_id.empty() && FoldRun(suite_dir, run_id, stamp, &store)) return store;
  return ReadDurations(DurationsFile(suite_dir));  // as it is: Error when corrupt
}

}  // namespace pytest_shards
