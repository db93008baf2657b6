// Reading and writing the files pytest-shards keeps in the build tree.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace pytest_shards {

// The whole file. Throws Error naming the file when it cannot be read.
std::string ReadFile(const std::filesystem::path& path);

// The last non-empty line of a file, without its line end; "" when the file
// cannot be read.
std::string LastLine(const std::filesystem::path& path);

// Writes through a temporary file in the same directory and renames it over
// `path`, so readers never see a half-written file. Creates parent
// directories. Throws Error on failure and leaves no temporary behind.
void WriteFileAtomic(const std::filesystem::path& path, std::string_view content);

// Parses a JSON file. `what` names the file for the user ("plan",
// "collection"); `fix` says what to do when it is missing or corrupt
// ("re-run cmake"). Throws Error with both.
nlohmann::json ReadJsonFile(const std::filesystem::path& path, std::string_view what,
                            std::string_view fix);

}  // namespace pytest_shards
