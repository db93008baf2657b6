// Warm interpreters on POSIX: the start lock, starting the server, and the
// child's messages (run/protocol.h; python/pytest_shards_plugin/warm.py is the
// other side).
#include "warm/warm.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <system_error>
#include <thread>

#include "data/runs.h"
#include "platform/file_lock.h"
#include "platform/platform.h"
#include "platform/subprocess.h"
#include "run/protocol.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// After asking the server to kill a child, how long its status may take.
constexpr double kKillGraceSeconds = 10;
constexpr auto kLockPause = std::chrono::milliseconds(10);

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void RecordUnavailable(const fs::path& dir, const std::string& reason) {
  try {
    WriteFileAtomic(dir / "unavailable", reason + "\n");
  } catch (const Error&) {
    // Then the next entry tries again: slower, not wrong.
  }
}

// Starts the server and waits until it listens. "" when it does; else why not.
std::string StartServer(const WarmServerSpec& spec) {
  fs::path log = spec.dir / "start.log";
  SpawnOptions options;
  options.argv = spec.argv;
  options.env = spec.env;
  options.cwd = spec.cwd;
  std::unique_ptr<Subprocess> starter;
  {
    // Never ctest's pipes: ctest waits for every holder of them to end.
    OutputFile output(log);
    options.stdout_fd = output.fd();
    options.stderr_fd = output.fd();
    starter = std::make_unique<Subprocess>(options);
  }
  // The starter exits once the server listens (it detached itself first).
  Clock::time_point start = Clock::now();
  while (!starter->Wait(0.05)) {
    if (int signal = InterruptHandlers::Received())
      return "interrupted by signal " + std::to_string(signal) + " while it started";
    if (SecondsSince(start) > spec.start_timeout)
      return "it did not start within " + std::to_string(static_cast<int>(spec.start_timeout)) +
             " s; see " + (spec.dir / "server.log").string();
  }
  if (starter->exit_code() == 0) return "";
  std::string reason = LastLine(log);
  if (reason.empty())
    reason = "its starter ended with status " + std::to_string(starter->exit_code());
  return reason;
}

}  // namespace

std::unique_ptr<WarmChild> WarmChild::Start(WarmSocket socket, const WarmRequest& request,
                                            double seconds, std::string* why, bool* stale) {
  *stale = false;
  if (!socket.Send(WarmRunMessage(request.argv, request.env, request.cwd), request.fds)) {
    *why = "the warm interpreter closed the connection";
    return nullptr;
  }
  json reply;
  WarmSocket::Status status = socket.Receive(seconds, &reply);
  if (status != WarmSocket::Status::kMessage) {
    *why = status == WarmSocket::Status::kTimeout ? "the warm interpreter did not answer"
                                                  : "the warm interpreter closed the connection";
    return nullptr;
  }
  WarmEvent event = ParseWarmEvent(reply);
  switch (event.kind) {
    case WarmEvent::Kind::kStarted:
      return std::unique_ptr<WarmChild>(new WarmChild(std::move(socket), event.pid));
    case WarmEvent::Kind::kStale:
      *stale = true;
      *why = "the warm interpreter is out of date: " + event.file + " changed";
      break;
    case WarmEvent::Kind::kStopping:
      *why = "the warm interpreter is stopping";
      break;
    default:
      *why = "the warm interpreter refused: " + event.why;
  }
  return nullptr;
}

WarmChild::~WarmChild() {
  if (exited_) return;
  Kill(SIGKILL);
  Wait(kKillGraceSeconds);
}

bool WarmChild::Wait(double seconds) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (!exited_) {
    double left =
        seconds < 0 ? -1
                    : std::max(0.0, std::chrono::duration<double>(deadline - Clock::now()).count());
    json message;
    WarmSocket::Status status = socket_.Receive(left, &message);
    if (status == WarmSocket::Status::kClosed) {
      // The server is gone, and its child with it (PR_SET_PDEATHSIG).
      exited_ = lost_ = true;
      signal_ = SIGKILL;
    } else if (status == WarmSocket::Status::kMessage) {
      WarmEvent event = ParseWarmEvent(message);
      if (event.kind != WarmEvent::Kind::kExited) continue;
      exited_ = true;
      exit_code_ = event.exit_code;
      signal_ = event.signal;
      peak_rss_kb_ = event.peak_rss_kb;
    } else if (status == WarmSocket::Status::kTimeout && seconds >= 0 && Clock::now() >= deadline) {
      return false;
    }
  }
  return true;
}

void WarmChild::Kill(int signal) {
  if (exited_) return;
  socket_.Send(WarmKillMessage(signal));
}

std::optional<WarmSocket> ConnectWarmServer(const WarmServerSpec& spec, std::string* why) {
  fs::path socket_path = spec.dir / "socket";
  if (std::optional<WarmSocket> socket = WarmSocket::Connect(socket_path)) return socket;
  try {
    MakePrivateDir(spec.dir);
  } catch (const Error& e) {
    *why = e.what();
    return std::nullopt;
  }
  if (std::optional<std::string> reason = WarmUnavailable(spec.dir)) {
    *why = *reason;
    return std::nullopt;
  }
  // One entry starts the server; the others wait here until it listens.
  Clock::time_point start = Clock::now();
  std::optional<FileLock> lock;
  while (!(lock = FileLock::TryLock(spec.dir / "start.lock", FileLock::Mode::kExclusive))) {
    if (InterruptHandlers::Received() || SecondsSince(start) > spec.start_timeout) {
      *why = "another entry is still starting it";
      return std::nullopt;
    }
    std::this_thread::sleep_for(kLockPause);
  }
  if (std::optional<WarmSocket> socket = WarmSocket::Connect(socket_path)) return socket;
  if (std::optional<std::string> reason = WarmUnavailable(spec.dir)) {
    *why = *reason;
    return std::nullopt;
  }
  std::string failure;
  try {
    if (spec.before_start) spec.before_start();
    failure = StartServer(spec);
  } catch (const Error& e) {
    failure = e.what();
  }
  if (failure.empty()) {
    if (std::optional<WarmSocket> socket = WarmSocket::Connect(socket_path)) return socket;
    failure =
        "it started but does not accept connections; see " + (spec.dir / "server.log").string();
  }
  // An interrupted start is not the suite's fault: the next run tries again.
  if (!InterruptHandlers::Received()) RecordUnavailable(spec.dir, failure);
  *why = failure;
  return std::nullopt;
}

void PruneWarmDirs(const fs::path& suite_dir) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(suite_dir / "warm", ec)) {
    std::string run_id = entry.path().filename().string();
    if (fs::exists(RunDir(suite_dir, run_id), ec)) continue;
    if (WarmSocket::Connect(entry.path() / "socket")) continue;
    fs::remove_all(entry.path(), ec);
  }
}

}  // namespace pytest_shards
