// `pytest-shards report`: reads a run (report.h), prints its summary
// (report_summary.h), writes JUnit XML (report_junit.h) and the results
// export (report_export.h) when asked, and records its durations.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "report/report.h"

namespace pytest_shards {

// Reports run `run_id` of the suite (see runs.h): prints the summary to
// `out`, writes JUnit XML to junit_file unless it is empty, updates
// durations.json. Returns 0 when Ok(), 1 otherwise; throws Error when the
// run has no readable plan. With `exported`, also sets it to the suite's
// part of the results export (report_export.h). With `report`, also stores
// the report there (for the timeline, report_html.h).
int ReportRun(const std::filesystem::path& suite_dir, const std::string& run_id,
              const std::string& junit_file, std::ostream& out, nlohmann::json* exported = nullptr,
              Report* report = nullptr);

// `pytest-shards report`: ReportRun of the last run that ran (a ctest that
// only listed tests does not count); throws Error when there is no plan.
int ReportMain(const std::filesystem::path& suite_dir, const std::string& junit_file,
               std::ostream& out, nlohmann::json* exported = nullptr, Report* report = nullptr);

}  // namespace pytest_shards
