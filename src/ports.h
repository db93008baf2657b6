// A private range of TCP ports for one running CTest entry.
#pragma once

#include <filesystem>
#include <optional>

#include "file_lock.h"

namespace pytest_shards {

// Holds the ports [base(), base() + count()) for its lifetime. Slot k of the
// configured range covers [first + k*count, first + (k+1)*count); a lease
// takes the first slot whose lock file `<lock_dir>/<slot's first port>.lock`
// it can flock (so concurrent runners, in any suite of the build tree, never
// share a slot) and whose ports can all be bound on 127.0.0.1 right now (so
// ports other programs hold are skipped). The lock goes with the lease.
class PortLease {
 public:
  // Throws Error when no slot below 65536 is free.
  PortLease(const std::filesystem::path& lock_dir, int first, int count);
  PortLease(const PortLease&) = delete;
  PortLease& operator=(const PortLease&) = delete;
  ~PortLease();

  int base() const { return base_; }
  int count() const { return count_; }

 private:
  std::optional<FileLock> lock_;
  int base_ = 0;
  int count_ = 0;
};

// True when every port of [first, first + count) can be bound on 127.0.0.1
// now (without SO_REUSEADDR, so a port in TIME_WAIT counts as taken).
bool PortsFree(int first, int count);

}  // namespace pytest_shards
