#include "run/real_process_runner.h"

#include <chrono>

#include "platform/process_memory.h"

namespace pytest_shards {

namespace {

// pytest as a Subprocess in a process group of its own.
class RealPytest : public PytestProcess {
 public:
  explicit RealPytest(const SpawnOptions& options) : child_(options) {}
  bool Wait(double seconds) override { return child_.Wait(seconds); }
  void Interrupt(int signal) override { child_.Kill(signal); }
  void Kill() override { child_.Kill(); }
  long MemoryKb() override { return ProcessGroupRssKb(child_.pid()); }
  int exit_code() const override { return child_.exit_code(); }
  int signal() const override { return child_.signal(); }
  long peak_rss_kb() const override { return child_.peak_rss_kb(); }

 private:
  Subprocess child_;
};

}  // namespace

std::unique_ptr<PytestProcess> RealProcessRunner::Start(const SpawnOptions& options) {
  return std::make_unique<RealPytest>(options);
}

int RealProcessRunner::Interrupted() { return InterruptHandlers::Received(); }

double RealProcessRunner::WallTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double RealProcessRunner::SteadyTime() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace pytest_shards
