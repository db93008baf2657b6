// Advisory locks on files (flock), held for an object's lifetime.
#pragma once

#include <filesystem>
#include <optional>

namespace pytest_shards {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Locks `path` (created when missing) without waiting. nullopt when another
  // holder's lock conflicts; throws Error when the file cannot be opened.
  // flock belongs to the open file description, so two locks exclude each
  // other even inside one process, and the kernel drops them when we die.
  static std::optional<FileLock> TryLock(const std::filesystem::path& path, Mode mode);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace pytest_shards
