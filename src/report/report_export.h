// One run's results as a JSON document ("pytest-shards-results/1"):
// `pytest-shards report --export FILE`. It names every test both ways, by
// pytest-shards' unique node ID and by pytest's (module path, node ID), so
// that other tools can compare it with a plain pytest run
// (tools/bench/parity.py) or merge the jobs of a CI matrix.
//
//   {"format": "pytest-shards-results/1",
//    "suites": [{"suite", "run_id", "collection": hash of the node IDs,
//                "collected": [{"id", "nodeid", "path"}]: every collected
//                             node ID, this job's slice or not,
//                "slice": {"index", "count", "source"} (see ci_slice.h),
//                "tests": [{"id", "nodeid", "path", "outcome", "duration",
//                           "message", "entry"[, "interrupted"]}],
//                "entries": [{"name", "status", "tests", "wall", "startup",
//                             "peak_rss_kb", "exit", "restarts"}]
//                [, "interrupted"]}]}
//
// A test an interrupt kept from running (TestResult::NotRun) has the
// outcome "not run" and the signal as "interrupted"; the suite of an
// interrupted run (Report::interrupted) has the signal as "interrupted".
// Neither key is there otherwise.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "data/collection.h"
#include "plan/plan_file.h"
#include "report/report.h"

namespace pytest_shards {

// The document's "format".
inline constexpr const char* kExportFormat = "pytest-shards-results/1";
// The outcome of a test an interrupt kept from running: not a journal's
// word (outcome.h), which calls it "missing" with the signal.
inline constexpr const char* kNotRunOutcome = "not run";

// The suite's part of the document. `collection` is the one the plan was
// made from (collection.json): it gives pytest's node ID and the module
// path of each test; a test it does not know gets its module path from the
// plan (module_paths, else <rootdir>/<module part>).
nlohmann::json ExportSuite(const Report& report, const PlanFile& plan,
                           const Collection& collection);

// The whole document of one or more suites.
nlohmann::json ExportDocument(const std::vector<nlohmann::json>& suites);

// 32 hex digits that two jobs share exactly when they collected the same
// node IDs (in any order).
std::string CollectionIdentity(const Collection& collection);

}  // namespace pytest_shards
