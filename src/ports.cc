#include "ports.h"

#include <optional>
#include <string>
#include <system_error>

#include "error.h"
#include "file_lock.h"
#include "platform.h"
#include "settings.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

constexpr int kLastPort = 65535;

}  // namespace

bool PortsFree(int first, int count) {
  for (int port = first; port < first + count; ++port) {
    if (!LoopbackPortFree(port)) return false;
  }
  return true;
}

PortLease::PortLease(const fs::path& lock_dir, int first, int count) : count_(count) {
  ValidatePortRange(first, count);
  std::error_code ec;
  fs::create_directories(lock_dir, ec);
  if (ec) {
    throw Error("cannot create port lock directory " + lock_dir.string() + ": " + ec.message() +
                "; make the build tree writable");
  }
  // Lock first, then probe: a slot another runner holds is never probed
  // while its tests may be binding those very ports.
  for (int base = first; base <= kLastPort - count + 1; base += count) {
    std::optional<FileLock> lock =
        FileLock::TryLock(lock_dir / (std::to_string(base) + ".lock"), FileLock::Mode::kExclusive);
    if (lock && PortsFree(base, count)) {
      lock_ = std::move(lock);
      base_ = base;
      return;
    }
  }
  throw Error("no free range of " + std::to_string(count) + " TCP ports between " +
              std::to_string(first) + " and 65535 (each is locked by another shard or has a" +
              " port in use); set PORT_BASE to a free area in pytest_shard_tests()");
}

PortLease::~PortLease() = default;

}  // namespace pytest_shards
