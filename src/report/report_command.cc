#include "report/report_command.h"

#include <utility>

#include "data/runs.h"
#include "report/report_export.h"
#include "report/report_junit.h"
#include "report/report_summary.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using nlohmann::json;

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
  ReportedRun run = ReadRun(suite_dir, run_id);
  out << FormatSummary(run.report);
  if (!junit_file.empty())
    WriteFileAtomic(junit_file, JunitXml(run.report, run.plan_file.settings.suite));
  if (exported) *exported = ExportSuite(run.report, run.plan_file, run.collection);
  RecordDurations(suite_dir, run);
  int status = run.report.Ok() ? 0 : 1;
  if (report_out) *report_out = std::move(run.report);
  return status;
}

}  // namespace pytest_shards
