// A private range of TCP ports for one running CTest entry, private on the
// whole machine: across build trees, users and ctest runs.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "platform/file_lock.h"

namespace pytest_shards {

// Where leases lock their ranges: ports are the byte offsets of lock files
// (RangeLockFile), so ranges of any base and length exclude each other
// exactly where they overlap.
struct PortLocks {
  // The build tree's lock file: always used, so runs in one tree exclude
  // each other also when one of them cannot use the machine's.
  std::filesystem::path tree_file;
  // Shared by every build tree and user of the machine (MachinePortLockFile);
  // empty: none.
  std::filesystem::path machine_file;
};

// /tmp/pytest-shards-ports.lock: a fixed path, not TMPDIR, which differs
// between users and sessions.
std::filesystem::path MachinePortLockFile();

// Whether the ports [first, first + count) are free to lease now.
using PortProbe = std::function<bool(int first, int count)>;

// True when every port of [first, first + count) can be bound on 127.0.0.1
// now, as a server binds it (LoopbackPortFree).
bool PortsFree(int first, int count);

// Holds the ports [base(), base() + count()) for its lifetime. Slot k of the
// configured range covers [first + k*count, first + (k+1)*count); a lease
// takes the first slot that it can lock in both lock files and whose ports
// the probe finds free (so ports that programs outside pytest-shards hold
// are skipped). Locks never wait: a slot another holder has is skipped.
class PortLease {
 public:
  // Throws Error when no slot below 65536 is free or the tree's lock file
  // cannot be used. A machine lock file that cannot be used is left out, and
  // note() says so: the lease then holds in the build tree only.
  PortLease(const PortLocks& locks, int first, int count, const PortProbe& probe = PortsFree);
  PortLease(const PortLease&) = delete;
  PortLease& operator=(const PortLease&) = delete;
  ~PortLease();

  int base() const { return base_; }
  int count() const { return count_; }
  // One line for the entry's output when the lease is not machine-wide;
  // empty when it is.
  const std::string& note() const { return note_; }

 private:
  bool TryMachine(int base);

  std::optional<RangeLockFile> tree_;
  std::optional<RangeLockFile> machine_;
  int base_ = 0;
  int count_ = 0;
  std::string note_;
};

}  // namespace pytest_shards
