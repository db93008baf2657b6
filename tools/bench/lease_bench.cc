// lease_bench: what a port lease costs at entry start. A benchmark, not a
// test: it asserts nothing and is built on demand
// (`cmake --build BUILD --target lease_bench`).
//
// Takes and drops --leases port leases one after another, as that many
// entries (10,000 per-test entries of a ctest run) would, each at entry
// start, while --held leases of other runs stay held (each new lease scans
// past them). With --tree-only the leases use the build tree's lock file
// alone (the cost without the machine-wide one), else both. The ports are
// probed for real (PortsFree) unless --no-probe (the locks' cost alone).
// Prints microseconds per lease.
//
// usage: lease_bench [--leases N] [--held N] [--tree-only] [--no-probe] [--dir DIR]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "run/ports.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

// Below Linux's ephemeral ports, and apart from the defaults of suites.
constexpr int kFirstPort = 31000;
constexpr int kPorts = 10;

int Main(int argc, char** argv) {
  int leases = 10000;
  int held = 0;
  bool tree_only = false;
  PortProbe probe = PortsFree;
  fs::path dir = fs::temp_directory_path() / ("lease_bench-" + std::to_string(::getpid()));
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--leases" && i + 1 < argc) {
      leases = std::atoi(argv[++i]);
    } else if (arg == "--held" && i + 1 < argc) {
      held = std::atoi(argv[++i]);
    } else if (arg == "--tree-only") {
      tree_only = true;
    } else if (arg == "--no-probe") {
      probe = [](int, int) { return true; };
    } else if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: lease_bench [--leases N] [--held N] [--tree-only] [--no-probe]"
                   " [--dir DIR]\n");
      return 2;
    }
  }
  PortLocks locks{dir / "pytest-shards" / "ports.lock",
                  tree_only ? fs::path() : MachinePortLockFile()};
  std::vector<std::unique_ptr<PortLease>> others;
  for (int i = 0; i < held; ++i) {
    others.push_back(std::make_unique<PortLease>(locks, kFirstPort, kPorts, probe));
  }
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < leases; ++i) PortLease lease(locks, kFirstPort, kPorts, probe);
  std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  std::printf("%d leases (%s, %d held by others): %.1f us each\n", leases,
              tree_only ? "tree only" : "tree and machine", held, took.count() / leases);
  others.clear();
  fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace pytest_shards

int main(int argc, char** argv) { return pytest_shards::Main(argc, argv); }
