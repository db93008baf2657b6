// The runner's connection to a warm interpreter (python/pytest_shards_plugin/warm.py;
// the messages are in run/protocol.h):
// a unix stream socket carrying frames of a 4-byte big-endian length and a
// JSON object, with file descriptors passed along (SCM_RIGHTS), and the
// peer's uid checked (SO_PEERCRED), so that only our own server is trusted;
// and the private directory the socket lives in.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pytest_shards {

// One frame: the length, then the JSON text.
std::string EncodeFrame(const nlohmann::json& message);

// Splits a byte stream into messages.
class FrameDecoder {
 public:
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole message, or nullopt until more bytes come. Throws Error
  // on a frame that is too large or not a JSON object.
  std::optional<nlohmann::json> Next();

 private:
  std::string buffer_;
};

// Creates `dir` (and its parents) readable by us alone, or checks that it
// is: a directory (no symlink), ours, mode 0700. Throws Error otherwise.
void MakePrivateDir(const std::filesystem::path& dir);

class WarmSocket {
 public:
  enum class Status { kMessage, kTimeout, kClosed };

  // Connects to the server listening at `path` and checks that it runs as
  // our user. nullopt when nothing listens there (or someone else does).
  static std::optional<WarmSocket> Connect(const std::filesystem::path& path);
  // Takes over a connected socket (tests: one end of a socketpair).
  static WarmSocket Adopt(int fd) { return WarmSocket(fd); }

  WarmSocket(WarmSocket&& other) noexcept;
  WarmSocket& operator=(WarmSocket&& other) noexcept;
  WarmSocket(const WarmSocket&) = delete;
  WarmSocket& operator=(const WarmSocket&) = delete;
  ~WarmSocket();

  // Sends one message, `fds` attached to its first byte. False when the
  // peer is gone.
  bool Send(const nlohmann::json& message, const std::vector<int>& fds = {});
  // Waits up to `seconds` (negative: without limit) for the next message.
  Status Receive(double seconds, nlohmann::json* message);

  int fd() const { return fd_; }

 private:
  explicit WarmSocket(int fd) : fd_(fd) {}
  void Close();

  int fd_ = -1;
  FrameDecoder decoder_;
  bool closed_ = false;  // the peer closed its end
};

}  // namespace pytest_shards
