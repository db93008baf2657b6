// The ProcessRunner of the real runner (supervisor.h): pytest as a
// Subprocess in a process group of its own, the interrupts this process
// receives, and the system's clocks. `pytest-shards run` makes one and
// hands it to RunEntry (run.h), as ninja's main hands its RealCommandRunner
// to the Builder; the unit tests hand RunEntry a fake instead.
#pragma once

#include <memory>

#include "platform/subprocess.h"
#include "run/supervisor.h"

namespace pytest_shards {

class RealProcessRunner : public ProcessRunner {
 public:
  std::unique_ptr<PytestProcess> Start(const SpawnOptions& options) override;
  int Interrupted() override;
  double WallTime() override;
  double SteadyTime() override;

 private:
  // SIGINT/SIGTERM/SIGHUP while the runner waits: pytest runs in its own
  // process group, so the terminal's Ctrl-C or CTest's kill reach only us;
  // we pass the signal on instead of leaving pytest behind.
  InterruptHandlers handlers_;
};

}  // namespace pytest_shards
