// The claims file of a run's shared tail (plan/shared_tail.h): how the
// shards of one ctest run take its groups, each group by exactly one. The
// plugin takes them (python/pytest_shards_plugin/tail.py): under an
// exclusive flock of the file, it reads the count of groups taken, writes
// its own entry as the taker of the next group and the count plus one.
// The runner reads it after its pytest ended, to restart on what is left
// and to journal as missing what its entry took and never ran.
//
// Layout: little-endian 32-bit words. Word 0: how many groups are taken;
// word 1 + g: the taker of group g, as its entry index + 1 (0: nobody).
// Missing bytes read as 0: a run starts with no file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pytest_shards {

struct TailClaims {
  std::uint32_t taken = 0;
  std::vector<std::uint32_t> takers;  // one per group

  // Groups that no entry took yet.
  bool AnyLeft() const { return taken < takers.size(); }
  bool TakenBy(std::size_t group, int entry) const {
    return group < takers.size() && takers[group] == static_cast<std::uint32_t>(entry) + 1;
  }
};

// The claims of `groups` groups at `path`; all untaken when there is no
// file. Read without the lock: a word is written in one aligned write, and
// the runner reads after its own pytest ended, when its own claims are
// final (another shard's may still grow, which a restart then finds).
TailClaims ReadTailClaims(const std::filesystem::path& path, std::size_t groups);

// The file's bytes for `claims` (tests write claims as the plugin would).
std::string TailClaimsText(const TailClaims& claims);

}  // namespace pytest_shards
