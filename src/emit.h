// The emitter: writes the CTest include file (tests.cmake) for a plan.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plan.h"

namespace pytest_shards {

// A CMake bracket argument holding exactly `text`: [=[text]=] with a guard
// longer than any "]=...=]" inside, and the newline that CMake drops after
// the opening bracket doubled. Throws Error for text with a NUL byte, which
// no CMake argument can hold.
std::string BracketArgument(std::string_view text);

struct EmitOptions {
  std::string tool;       // absolute path of the pytest-shards executable
  std::string plan_file;  // absolute path of plan.json
  std::string workdir;    // WORKING_DIRECTORY of every entry
  double timeout = 0;     // TIMEOUT; 0: none
  std::vector<std::string> labels;  // user LABELS, after "pytest" and "<suite>"
  std::vector<std::pair<std::string, std::string>> properties;  // user PROPERTIES
  std::vector<std::string> fixtures_required;
  std::string suite;
  // PROCESSORS of every entry. ctest --preset test passes -j <cap> and the
  // plan sets cap / cores here, so that all cores and no more are busy.
  int processors = 1;
};

// add_test() and set_tests_properties() for every entry. Entry i runs
// `<tool> run --plan <plan_file> --entry <i>`.
std::string EmitTests(const Plan& plan, const EmitOptions& options);

// A CTest file that registers one failing entry "<suite>/<name>" which
// prints `message`: how a broken plan reaches the user through ctest.
std::string EmitFailingEntry(const std::string& suite, const std::string& name,
                             const std::string& message);

}  // namespace pytest_shards
