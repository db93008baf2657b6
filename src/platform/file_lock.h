// Advisory locks on files, held for an object's lifetime: a whole file
// (flock) or byte ranges of one (open file description locks).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>

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

// One open of a file whose byte ranges serve as locks: a range is held by at
// most one open of the file at a time, on the whole machine. Like flock, the
// locks belong to this open, so ranges of two RangeLockFiles exclude each
// other even inside one process, and the kernel drops them when the file is
// closed or its process dies; ranges of one RangeLockFile never conflict.
class RangeLockFile {
 public:
  // Who may lock ranges of a file that Open creates: the build tree's users
  // (the umask decides), or every user of the machine.
  enum class Sharing { kUmask, kEveryUser };

  // Opens `path` for locking, creating it when missing. Never follows a
  // symbolic link at `path` and never waits (a FIFO is refused); throws
  // Error naming the file and why when it is not a regular file with one
  // name or cannot be opened for writing (which range locks need).
  static RangeLockFile Open(const std::filesystem::path& path, Sharing sharing);

  // Locks the bytes [first, first + count) without waiting: false when
  // another open of the file holds a lock that overlaps them. Throws Error
  // when the system refuses the lock for another reason.
  bool TryLock(int64_t first, int64_t count);
  void Unlock(int64_t first, int64_t count);

  RangeLockFile(RangeLockFile&& other) noexcept;
  RangeLockFile& operator=(RangeLockFile&& other) noexcept;
  RangeLockFile(const RangeLockFile&) = delete;
  RangeLockFile& operator=(const RangeLockFile&) = delete;
  ~RangeLockFile();

 private:
  RangeLockFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace pytest_shards
