// FileLock on POSIX: flock on a file descriptor. RangeLockFile: open file
// description locks (F_OFD_SETLK, Linux 3.15 and newer); a port to a system
// without them would lock one file per range instead.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "platform/file_lock.h"
#include "util/error.h"

namespace pytest_shards {

std::optional<FileLock> FileLock::TryLock(const std::filesystem::path& path, Mode mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw Error("cannot create lock file " + path.string() + ": " + std::strerror(errno) +
                "; make the build tree writable");
  }
  int operation = (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB;
  while (::flock(fd, operation) != 0) {
    if (errno == EINTR) continue;
    ::close(fd);
    return std::nullopt;
  }
  return FileLock(fd);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

[[noreturn]] void ThrowUnusable(const std::filesystem::path& path, const std::string& why) {
  throw Error("cannot use lock file " + path.string() + ": " + why);
}

// O_NOFOLLOW: a link planted at the path is refused, not opened; O_NONBLOCK:
// opening a FIFO planted there does not wait for a writer.
constexpr int kRangeLockFlags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;

// Without O_CREAT first: in a sticky directory such as /tmp, Linux refuses
// O_CREAT on another user's file (fs.protected_regular) even when it exists.
int OpenOrCreate(const std::filesystem::path& path, RangeLockFile::Sharing sharing) {
  int fd = ::open(path.c_str(), kRangeLockFlags);
  if (fd >= 0 || errno != ENOENT) return fd;
  fd = ::open(path.c_str(), kRangeLockFlags | O_CREAT | O_EXCL, 0666);
  if (fd < 0) return errno == EEXIST ? ::open(path.c_str(), kRangeLockFlags) : fd;
  // Only a file we have just created changes its mode: never another's.
  if (sharing == RangeLockFile::Sharing::kEveryUser) ::fchmod(fd, 0666);
  return fd;
}

bool SetLock(int fd, short type, int64_t first, int64_t count) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(first);
  lock.l_len = static_cast<off_t>(count);
  while (::fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

}  // namespace

RangeLockFile RangeLockFile::Open(const std::filesystem::path& path, Sharing sharing) {
  int fd = OpenOrCreate(path, sharing);
  if (fd < 0) ThrowUnusable(path, std::strerror(errno));
  struct stat info {};
  std::string wrong;
  if (::fstat(fd, &info) != 0) {
    wrong = std::strerror(errno);
  } else if (!S_ISREG(info.st_mode)) {
    wrong = "not a regular file";
  } else if (info.st_nlink != 1) {
    wrong = "it has other names (hard links)";
  }
  if (!wrong.empty()) {
    ::close(fd);
    ThrowUnusable(path, wrong);
  }
  // Touched, so that cleaners of old files in /tmp (systemd-tmpfiles) never
  // take it while it is in use; best effort.
  ::futimens(fd, nullptr);
  return RangeLockFile(fd, path);
}

bool RangeLockFile::TryLock(int64_t first, int64_t count) {
  if (SetLock(fd_, F_WRLCK, first, count)) return true;
  int error = errno;
  if (error == EAGAIN || error == EACCES) return false;
  ThrowUnusable(path_, "locking bytes " + std::to_string(first) + "+" + std::to_string(count) +
                           ": " + std::strerror(error));
}

void RangeLockFile::Unlock(int64_t first, int64_t count) { SetLock(fd_, F_UNLCK, first, count); }

RangeLockFile::RangeLockFile(RangeLockFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

RangeLockFile& RangeLockFile::operator=(RangeLockFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

RangeLockFile::~RangeLockFile() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace pytest_shards
