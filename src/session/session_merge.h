// The session outputs of a CI matrix as one. Each job's session step
// writes its own slice's outputs; the job keeps its session directory
// (`pytest-shards report --session-parts DIR` copies it out). A last job
// merges those directories into one run's session directory, and the
// session step run there writes what one plain pytest run of every job's
// tests would: one JUnit file, coverage combined from every job, one
// threshold verdict (`pytest-shards session --parts DIR...`).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/collection.h"

namespace pytest_shards {

// One job's session directory: run.json and the entries' parts.
struct SessionParts {
  std::filesystem::path dir;
  nlohmann::json run;  // its run.json (session.h's SessionInput)
};

// Reads DIR/run.json. Throws Error naming the directory when it has none
// (the job's session step did not run) or it is not a session input.
SessionParts ReadSessionParts(const std::filesystem::path& dir);

// Copies every job's reports/<i>.jsonl and coverage/<i>.<pid> into
// `session_dir`, renumbering the entries so that no two jobs' collide, and
// returns the run.json of them all: the tests in `collection`'s order (then
// any it lacks, in the jobs' order), every job's pytest names, entries and
// runner verdicts, the earliest start. Throws Error naming both jobs when a
// test ran in two of them.
nlohmann::json MergeSessionParts(const std::vector<SessionParts>& jobs,
                                 const Collection& collection,
                                 const std::filesystem::path& session_dir);

// Copies run `run_id`'s session directory of the suite to `out`, for
// MergeSessionParts on another machine. Throws Error when the run has none
// (its suite writes no session outputs, or its session step did not run).
void CopySessionParts(const std::filesystem::path& suite_dir, const std::string& run_id,
                      const std::filesystem::path& out);

}  // namespace pytest_shards
