#include "emit/directory_labels.h"

#include <fstream>
#include <sstream>

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// The path an include("...") line names, as CMake writes it (quoted, no
// escapes in build-tree paths); empty for any other line.
std::string IncludedPath(const std::string& line) {
  const std::string open = "include(\"";
  if (line.rfind(open, 0) != 0) return "";
  size_t close = line.find("\")", open.size());
  if (close == std::string::npos) return "";
  return line.substr(open.size(), close - open.size());
}

bool IsCoresFile(const fs::path& path) {
  return path.filename() == "cores.cmake" && path.parent_path().filename() == "pytest-shards";
}

}  // namespace

bool IncludedBeforeAnyTest(const std::string& testfile_text, const fs::path& include_file) {
  std::istringstream in(testfile_text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::string path = IncludedPath(line);
    if (path.empty()) return false;  // add_test(), subdirs(), anything else
    if (fs::path(path) == include_file) return true;
    if (!IsCoresFile(path)) return false;
  }
  return false;
}

bool SuiteTestsComeFirst(const fs::path& suite_dir) {
  std::ifstream in(suite_dir.parent_path().parent_path() / "CTestTestfile.cmake", std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  return IncludedBeforeAnyTest(text.str(), suite_dir / "include.cmake");
}

}  // namespace pytest_shards
