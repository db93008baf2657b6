// A file's bytes mapped read-only into memory, for the lifetime of the
// object. Every per-test entry's runner reads one line of its run's
// plan.json, which holds every entry (11 MB for numpy's 29,277): mapped,
// only the pages up to that line are touched, and nothing is copied.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace pytest_shards {

class MappedFile {
 public:
  // Throws Error when the file cannot be opened or mapped. An empty file
  // maps to an empty view.
  explicit MappedFile(const std::filesystem::path& path);
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view text() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pytest_shards
