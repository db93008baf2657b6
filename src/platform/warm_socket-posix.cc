// WarmSocket on POSIX: AF_UNIX stream sockets, sendmsg with SCM_RIGHTS,
// poll for timeouts.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <utility>

#include "platform/warm_socket.h"
#include "util/error.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr size_t kHeaderSize = 4;
constexpr size_t kMaxFrame = size_t{64} << 20;

// The uid of the process at the other end, or -1 when the system cannot say.
long PeerUid(int fd) {
#ifdef SO_PEERCRED
  struct ucred credentials {};
  socklen_t size = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) return -1;
  return static_cast<long>(credentials.uid);
#else
  uid_t uid = 0;
  gid_t gid = 0;
  if (::getpeereid(fd, &uid, &gid) != 0) return -1;
  return static_cast<long>(uid);
#endif
}

// connect() to `path`; a path too long for sun_path goes through
// /proc/self/fd/<directory fd>/<name> (build trees can be deep).
bool ConnectTo(int fd, const fs::path& path) {
  struct sockaddr_un address {};
  address.sun_family = AF_UNIX;
  std::string name = path.string();
  int dir_fd = -1;
  if (name.size() >= sizeof address.sun_path) {
    dir_fd = ::open(path.parent_path().c_str(), O_RDONLY | O_CLOEXEC);
    if (dir_fd < 0) return false;
    name = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + path.filename().string();
    if (name.size() >= sizeof address.sun_path) {
      ::close(dir_fd);
      return false;
    }
  }
  std::memcpy(address.sun_path, name.c_str(), name.size() + 1);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof address);
  } while (rc != 0 && errno == EINTR);
  if (dir_fd >= 0) ::close(dir_fd);
  return rc == 0;
}

}  // namespace

std::string EncodeFrame(const json& message) {
  std::string body = message.dump(-1, ' ', false, json::error_handler_t::replace);
  uint32_t size = static_cast<uint32_t>(body.size());
  std::string frame(kHeaderSize, '\0');
  for (size_t i = 0; i < kHeaderSize; ++i)
    frame[i] = static_cast<char>((size >> (8 * (kHeaderSize - 1 - i))) & 0xff);
  return frame + body;
}

std::optional<json> FrameDecoder::Next() {
  if (buffer_.size() < kHeaderSize) return std::nullopt;
  size_t size = 0;
  for (size_t i = 0; i < kHeaderSize; ++i)
    size = (size << 8) | static_cast<unsigned char>(buffer_[i]);
  if (size > kMaxFrame)
    throw Error("the warm interpreter sent a frame of " + std::to_string(size) +
                " bytes; set PYTEST_SHARDS_WARM=0 and report this");
  if (buffer_.size() < kHeaderSize + size) return std::nullopt;
  json message = json::parse(buffer_.substr(kHeaderSize, size), nullptr, false);
  buffer_.erase(0, kHeaderSize + size);
  if (!message.is_object())
    throw Error(
        "the warm interpreter sent a message that is not a JSON object; "
        "set PYTEST_SHARDS_WARM=0 and report this");
  return message;
}

void MakePrivateDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw Error("cannot create " + dir.string() + ": " + std::strerror(errno) +
                "; make the build tree writable");
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::getuid() ||
      (info.st_mode & 077) != 0)
    throw Error(dir.string() + " is not a private (0700) directory of this user; remove it");
}

std::optional<WarmSocket> WarmSocket::Connect(const fs::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  WarmSocket socket(fd);
  if (!ConnectTo(fd, path)) return std::nullopt;
  // Only a server of our own user gets our stdout and our tests.
  if (PeerUid(fd) != static_cast<long>(::getuid())) return std::nullopt;
  return socket;
}

WarmSocket::WarmSocket(WarmSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      decoder_(std::move(other.decoder_)),
      closed_(other.closed_) {}

WarmSocket& WarmSocket::operator=(WarmSocket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    decoder_ = std::move(other.decoder_);
    closed_ = other.closed_;
  }
  return *this;
}

WarmSocket::~WarmSocket() { Close(); }

void WarmSocket::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool WarmSocket::Send(const json& message, const std::vector<int>& fds) {
  if (fd_ < 0) return false;
  std::string frame = EncodeFrame(message);
  size_t sent = 0;
  if (!fds.empty()) {
    struct iovec iov {};
    iov.iov_base = frame.data();
    iov.iov_len = frame.size();
    std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    struct cmsghdr* header = CMSG_FIRSTHDR(&msg);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
    ssize_t n;
    do {
      n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    sent = static_cast<size_t>(n);
  }
  while (sent < frame.size()) {
    ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

WarmSocket::Status WarmSocket::Receive(double seconds, json* message) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    if (std::optional<json> next = decoder_.Next()) {
      *message = std::move(*next);
      return Status::kMessage;
    }
    if (closed_ || fd_ < 0) return Status::kClosed;
    int timeout_ms = -1;
    if (seconds >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      timeout_ms = static_cast<int>(std::max<long long>(0, left.count()));
    }
    struct pollfd poll_fd {};
    poll_fd.fd = fd_;
    poll_fd.events = POLLIN;
    int ready = ::poll(&poll_fd, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) return Status::kTimeout;  // the caller looks at signals
    if (ready < 0) {
      closed_ = true;
      continue;
    }
    if (ready == 0) return Status::kTimeout;
    char buffer[65536];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      closed_ = true;
      continue;
    }
    decoder_.Feed(std::string_view(buffer, static_cast<size_t>(n)));
  }
}

}  // namespace pytest_shards
