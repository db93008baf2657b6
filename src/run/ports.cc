#include "run/ports.h"

#include <string>
#include <system_error>

#include "data/settings.h"
#include "platform/platform.h"
#include "util/error.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

constexpr int kLastPort = 65535;

RangeLockFile OpenTreeFile(const fs::path& file) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) {
    throw Error("cannot create port lock directory " + file.parent_path().string() + ": " +
                ec.message() + "; make the build tree writable");
  }
  try {
    return RangeLockFile::Open(file, RangeLockFile::Sharing::kUmask);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + "; make the build tree writable");
  }
}

std::string TreeOnlyNote(const Error& why) {
  return std::string(why.what()) + "; port ranges are private in this build tree only";
}

}  // namespace

fs::path MachinePortLockFile() { return "/tmp/pytest-shards-ports.lock"; }

bool PortsFree(int first, int count) {
  for (int port = first; port < first + count; ++port) {
    if (!LoopbackPortFree(port)) return false;
  }
  return true;
}

PortLease::PortLease(const PortLocks& locks, int first, int count, const PortProbe& probe)
    : count_(count) {
  ValidatePortRange(first, count);
  tree_ = OpenTreeFile(locks.tree_file);
  if (!locks.machine_file.empty()) {
    try {
      machine_ = RangeLockFile::Open(locks.machine_file, RangeLockFile::Sharing::kEveryUser);
    } catch (const Error& e) {
      note_ = TreeOnlyNote(e);
    }
  }
  // Lock first, then probe: a slot another runner holds is never probed
  // while its tests may be binding those very ports.
  for (int base = first; base <= kLastPort - count + 1; base += count) {
    if (!tree_->TryLock(base, count)) continue;
    if (TryMachine(base) && probe(base, count)) {
      base_ = base;
      return;
    }
    tree_->Unlock(base, count);
    if (machine_) machine_->Unlock(base, count);
  }
  throw Error("no free range of " + std::to_string(count) + " TCP ports between " +
              std::to_string(first) + " and 65535 (each is leased by another shard on this" +
              " machine or has a port in use); set PORT_BASE to a free area in" +
              " pytest_shard_tests()");
}

// Whether the machine-wide lock of the slot at `base` is ours now, or there
// is none to take (any more).
bool PortLease::TryMachine(int base) {
  if (!machine_) return true;
  try {
    return machine_->TryLock(base, count_);
  } catch (const Error& e) {
    note_ = TreeOnlyNote(e);
    machine_.reset();
    return true;
  }
}

PortLease::~PortLease() = default;

}  // namespace pytest_shards
