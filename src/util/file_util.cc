#include "util/file_util.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>

#include "platform/platform.h"
#include "util/error.h"

namespace pytest_shards {

namespace fs = std::filesystem;

// Straight into a string of the file's size: a stream buffer copied into a
// string held a 30 MB collection three times over.
std::string ReadFile(const fs::path& path) {
  auto fail = [&](int error) {
    return Error("cannot read " + path.string() + ": " + std::strerror(error));
  };
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw fail(errno);
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw fail(EISDIR);
  uintmax_t size = fs::file_size(path, ec);
  std::string content(ec ? 0 : static_cast<size_t>(size), '\0');
  size_t got = std::fread(content.data(), 1, content.size(), file.get());
  // A file that grows or shrinks meanwhile (or a /proc file sized 0): read on.
  content.resize(got);
  char buffer[65536];
  while ((got = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) content.append(buffer, got);
  if (std::ferror(file.get())) throw fail(errno);
  return content;
}

std::string LastLine(const fs::path& path) {
  std::string text;
  try {
    text = ReadFile(path);
  } catch (const Error&) {
    return "";
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t newline = text.rfind('\n');
  return newline == std::string::npos ? text : text.substr(newline + 1);
}

void WriteFileAtomic(const fs::path& path, std::string_view content) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  // The pid keeps two processes writing the same file from sharing a temp file.
  fs::path temp = path;
  temp += ".tmp." + std::to_string(CurrentProcessId());
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
