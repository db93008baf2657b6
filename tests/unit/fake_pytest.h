// A fake pytest for the runner's tests, as ninja's build_test.cc fakes its
// CommandRunner: a script of what each node ID does (passes, fails,
// crashes, exits, hangs), a fake clock that each Wait() advances, and the
// plugin's journal records written as pytest would. It records every
// command it is given. Nothing sleeps and no Python runs.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "platform/platform.h"
#include "run/supervisor.h"
#include "util/error.h"

namespace pytest_shards {

using Ids = std::vector<std::string>;

// What a node ID does when the fake pytest runs it.
enum class Act { kPass, kFail, kCrash, kExit, kHang };

struct World {
  std::filesystem::path journal;
  double now = 1000;
  std::map<std::string, Act> acts;  // node IDs not listed pass
  int finish_status = -1;           // the finish record's exit status; -1: 0 or 1 by the results
  bool die_before_session = false;  // every run dies before pytest's session starts
  bool die_after_tests = false;     // every run dies after its last test, before finish
  std::string interrupt_at;         // the interrupt arrives while this test runs
  int interrupt_signal = 2;         // and is this signal
  std::string cannot_start;         // not empty: Start throws Error with this message
  // The node IDs a command runs; the command's argv unless set.
  std::function<Ids(const SpawnOptions&)> node_ids_of;
  // Called at each start, to check what the started pytest would see.
  std::function<void(const SpawnOptions&)> on_start;
  std::vector<Ids> runs;               // the node IDs of each start
  std::vector<SpawnOptions> commands;  // the command of each start
  int kills = 0;                       // Kill() calls, also after pytest ended
  std::string running;                 // the test the fake pytest runs now
  bool interrupted = false;

  void Record(nlohmann::json record) {
    record["time"] = now;
    AppendToFile(journal, record.dump() + "\n", false);
  }
};

class FakePytest : public PytestProcess {
 public:
  FakePytest(World& world, Ids node_ids) : world_(world), node_ids_(std::move(node_ids)) {}

  bool Wait(double seconds) override {
    if (exited_) return true;
    if (seconds < 0) {
      // Only a killed or interrupted pytest is waited for without limit.
      ADD_FAILURE() << "waited without limit for a running pytest";
      End(0, 9);
      return true;
    }
    if (Step()) return true;
    world_.now += seconds;
    return false;
  }
  void Interrupt(int signal) override { End(0, signal); }
  void Kill() override {
    ++world_.kills;
    if (!exited_) End(0, 9);
  }
  long MemoryKb() override { return 1000 + 100 * static_cast<long>(next_); }
  int exit_code() const override { return exit_code_; }
  int signal() const override { return signal_; }
  long peak_rss_kb() const override { return 500; }

 private:
  void End(int code, int signal) {
    world_.running.clear();
    exited_ = true;
    exit_code_ = code;
    signal_ = signal;
  }

  // One step of the script; true when pytest ended with it.
  bool Step() {
    if (!in_session_) {
      if (world_.die_before_session) {
        End(1, 0);
        return true;
      }
      in_session_ = true;
      world_.Record({{"event", "session"}, {"pid", 4242}});
      world_.now += 0.5;
      world_.Record({{"event", "collected"}, {"count", node_ids_.size()}});
      return false;
    }
    if (next_ == node_ids_.size()) {
      if (world_.die_after_tests) {
        End(0, 11);
        return true;
      }
      int status = world_.finish_status >= 0 ? world_.finish_status : failed_ ? 1 : 0;
      world_.Record({{"event", "finish"}, {"exitstatus", status}});
      End(status, 0);
      return true;
    }
    const std::string& id = node_ids_[next_];
    if (!started_) {
      world_.Record({{"event", "start"}, {"nodeid", id}});
      world_.running = id;
      started_ = true;
    }
    auto act = world_.acts.find(id);
    switch (act == world_.acts.end() ? Act::kPass : act->second) {
      case Act::kHang:
        return false;
      case Act::kCrash:
        End(0, 11);
        return true;
      case Act::kExit:
        End(3, 0);
        return true;
      case Act::kPass:
      case Act::kFail: {
        bool fail = act != world_.acts.end() && act->second == Act::kFail;
        failed_ = failed_ || fail;
        world_.now += 0.01;
        world_.Record({{"event", "result"},
                       {"nodeid", id},
                       {"outcome", fail ? "failed" : "passed"},
                       {"duration", 0.01},
                       {"message", fail ? "assert 1 == 2" : ""}});
        ++next_;
        started_ = false;
        world_.running.clear();
        return false;
      }
    }
    return false;
  }

  World& world_;
  Ids node_ids_;
  bool in_session_ = false;
  size_t next_ = 0;
  bool started_ = false;
  bool failed_ = false;
  bool exited_ = false;
  int exit_code_ = -1;
  int signal_ = 0;
};

class FakeProcessRunner : public ProcessRunner {
 public:
  explicit FakeProcessRunner(World& world) : world_(world) {}

  std::unique_ptr<PytestProcess> Start(const SpawnOptions& options) override {
    if (!world_.cannot_start.empty()) throw Error(world_.cannot_start);
    Ids node_ids = world_.node_ids_of ? world_.node_ids_of(options) : options.argv;
    world_.runs.push_back(node_ids);
    world_.commands.push_back(options);
    if (world_.on_start) world_.on_start(options);
    return std::make_unique<FakePytest>(world_, std::move(node_ids));
  }
  int Interrupted() override {
    if (!world_.interrupt_at.empty() && world_.running == world_.interrupt_at)
      world_.interrupted = true;
    return world_.interrupted ? world_.interrupt_signal : 0;
  }
  double WallTime() override { return world_.now; }
  double SteadyTime() override { return world_.now; }

 private:
  World& world_;
};

}  // namespace pytest_shards
