// Reports for the report's unit tests, from the plans and journals of
// journal_fixtures.h.
#pragma once

#include <string>

#include "journal_fixtures.h"
#include "report/report.h"

namespace pytest_shards {

inline int Count(const Report& report, const std::string& outcome) {
  auto found = report.totals.find(outcome);
  return found == report.totals.end() ? 0 : found->second;
}

inline const ReportResult* FindResult(const Report& report, const std::string& node_id) {
  for (const ReportResult& result : report.results)
    if (result.test.node_id == node_id) return &result;
  return nullptr;
}

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace pytest_shards
