#include "file_util.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "error.h"

namespace pytest_shards {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void WriteFileAtomic(const fs::path& path, std::string_view content) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  // The pid keeps two processes writing the same file from sharing a temp file.
  fs::path temp = path;
  temp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      fs::remove(temp, ec);
      throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
  }
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw Error("cannot write " + path.string() + ": " + ec.message());
  }
}

nlohmann::json ReadJsonFile(const fs::path& path, std::string_view what, std::string_view fix) {
  std::string text;
  try {
    text = ReadFile(path);
  } catch (const Error&) {
    throw Error(std::string(what) + " file " + path.string() + " is missing or unreadable; " +
                std::string(fix));
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(std::string(what) + " file " + path.string() + " is corrupt (" +
                std::string(e.what()).substr(0, 80) + "); " + std::string(fix));
  }
}

}  // namespace pytest_shards
