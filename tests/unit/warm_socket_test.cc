#include "platform/warm_socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "test_dir.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

TEST(FrameDecoderTest, ReadsAFrameFedByteByByte) {
  std::string frame = EncodeFrame({{"event", "started"}, {"pid", 42}});
  FrameDecoder decoder;
  for (size_t i = 0; i + 1 < frame.size(); ++i) {
    decoder.Feed(frame.substr(i, 1));
    EXPECT_FALSE(decoder.Next()) << "a message after " << i + 1 << " of " << frame.size();
  }
  decoder.Feed(frame.substr(frame.size() - 1));
  std::optional<json> message = decoder.Next();
  ASSERT_TRUE(message);
  EXPECT_EQ((*message)["pid"], 42);
  EXPECT_FALSE(decoder.Next());
}

TEST(FrameDecoderTest, SplitsFramesThatArriveTogether) {
  FrameDecoder decoder;
  decoder.Feed(EncodeFrame({{"n", 1}}) + EncodeFrame({{"n", "2 \xc3\xa9"}}));
  EXPECT_EQ((*decoder.Next())["n"], 1);
  EXPECT_EQ((*decoder.Next())["n"], "2 \xc3\xa9");
  EXPECT_FALSE(decoder.Next());
}

TEST(FrameDecoderTest, TheLengthIsBigEndian) {
  std::string frame = EncodeFrame(json::object());  // "{}"
  EXPECT_EQ(frame, std::string("\0\0\0\2{}", 6));
}

TEST(FrameDecoderTest, RejectsHugeFramesAndNonObjects) {
  FrameDecoder huge;
  huge.Feed(std::string("\x7f\0\0\0", 4));
  EXPECT_THROW(huge.Next(), Error);
  FrameDecoder list;
  list.Feed(std::string("\0\0\0\2[]", 6));
  EXPECT_THROW(list.Next(), Error);
}

class WarmSocketTest : public TestDirFixture {};

TEST_F(WarmSocketTest, PassesFileDescriptorsWithTheFirstByte) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  WarmSocket client = WarmSocket::Adopt(pair[0]);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ASSERT_TRUE(client.Send({{"op", "run"}}, {pipe_fds[1]}));
  ::close(pipe_fds[1]);

  char byte;
  struct iovec iov {
    &byte, 1
  };
  char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ASSERT_EQ(::recvmsg(pair[1], &msg, 0), 1);
  struct cmsghdr* header = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(header, nullptr);
  ASSERT_EQ(header->cmsg_type, SCM_RIGHTS);
  int received;
  std::memcpy(&received, CMSG_DATA(header), sizeof received);
  // The received descriptor writes into our pipe.
  ASSERT_EQ(::write(received, "x", 1), 1);
  ::close(received);
  char got = 0;
  ASSERT_EQ(::read(pipe_fds[0], &got, 1), 1);
  EXPECT_EQ(got, 'x');
  ::close(pipe_fds[0]);

  // The rest of the frame follows as ordinary bytes.
  WarmSocket server = WarmSocket::Adopt(pair[1]);
  EXPECT_TRUE(server.Send({{"event", "pong"}}));
  json message;
  EXPECT_EQ(client.Receive(5, &message), WarmSocket::Status::kMessage);
  EXPECT_EQ(message["event"], "pong");
}

TEST_F(WarmSocketTest, ReceiveTimesOutThenSeesTheEnd) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  WarmSocket client = WarmSocket::Adopt(pair[0]);
  json message;
  EXPECT_EQ(client.Receive(0.05, &message), WarmSocket::Status::kTimeout);
  std::string frame = EncodeFrame({{"event", "exited"}});
  ASSERT_EQ(::write(pair[1], frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
  ::close(pair[1]);
  // What came before the end is still read.
  EXPECT_EQ(client.Receive(5, &message), WarmSocket::Status::kMessage);
  EXPECT_EQ(client.Receive(5, &message), WarmSocket::Status::kClosed);
  EXPECT_FALSE(client.Send({{"op", "kill"}}));
}

// A listening socket at `path` (any length), as the server makes it.
int Listen(const fs::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  int dir_fd = ::open(path.parent_path().c_str(), O_RDONLY);
  std::string name = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + path.filename().string();
  struct sockaddr_un address {};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, name.c_str(), name.size() + 1);
  int rc = ::bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof address);
  ::close(dir_fd);
  if (rc != 0 || ::listen(fd, 4) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_F(WarmSocketTest, ConnectsToAServerOfOurUserAlsoAtALongPath) {
  EXPECT_FALSE(WarmSocket::Connect(dir_ / "socket")) << "nothing listens yet";
  fs::path deep = dir_ / std::string(60, 'd') / std::string(60, 'e');
  fs::create_directories(deep);
  fs::path path = deep / "socket";
  ASSERT_GT(path.string().size(), sizeof(sockaddr_un::sun_path));
  int listener = Listen(path);
  ASSERT_GE(listener, 0) << std::strerror(errno);
  std::optional<WarmSocket> client = WarmSocket::Connect(path);
  EXPECT_TRUE(client);
  ::close(listener);
}

TEST_F(WarmSocketTest, MakesPrivateDirectoriesAndRefusesOthers) {
  fs::path dir = dir_ / "warm" / "run";
  MakePrivateDir(dir);
  struct stat info {};
  ASSERT_EQ(::stat(dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  MakePrivateDir(dir);  // again: it is ours

  fs::path open_dir = dir_ / "open";
  fs::create_directories(open_dir);
  fs::permissions(open_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  EXPECT_THROW(MakePrivateDir(open_dir), Error);

  fs::path link = dir_ / "link";
  fs::create_directory_symlink(dir, link);
  EXPECT_THROW(MakePrivateDir(link), Error);
}

}  // namespace
}  // namespace pytest_shards
