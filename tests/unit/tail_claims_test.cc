#include "run/tail_claims.h"

#include <gtest/gtest.h>

#include "test_dir.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

using TailClaimsFile = TestDirFixture;

TEST_F(TailClaimsFile, NoFileIsNothingTaken) {
  TailClaims claims = ReadTailClaims(dir_ / "missing.claims", 3);
  EXPECT_EQ(claims.taken, 0u);
  EXPECT_EQ(claims.takers, (std::vector<std::uint32_t>{0, 0, 0}));
  EXPECT_TRUE(claims.AnyLeft());
}

TEST_F(TailClaimsFile, ReadsTheTakersThePluginWrote) {
  // Groups 0 and 2 by entry 1, group 1 by entry 0; group 3 untaken.
  TailClaims written;
  written.taken = 3;
  written.takers = {2, 1, 2, 0};
  WriteFileAtomic(dir_ / "c", TailClaimsText(written));
  // The plugin's bytes: little-endian words, the count first.
  EXPECT_EQ(TailClaimsText(written).substr(0, 8), std::string("\x03\0\0\0\x02\0\0\0", 8));
  TailClaims claims = ReadTailClaims(dir_ / "c", 4);
  EXPECT_EQ(claims.taken, 3u);
  EXPECT_TRUE(claims.TakenBy(0, 1));
  EXPECT_TRUE(claims.TakenBy(1, 0));
  EXPECT_FALSE(claims.TakenBy(1, 1));
  EXPECT_FALSE(claims.TakenBy(3, 0));
  EXPECT_FALSE(claims.TakenBy(9, 1));
  EXPECT_TRUE(claims.AnyLeft());
  written.taken = 4;
  written.takers[3] = 1;
  WriteFileAtomic(dir_ / "c", TailClaimsText(written));
  EXPECT_FALSE(ReadTailClaims(dir_ / "c", 4).AnyLeft());
}

TEST_F(TailClaimsFile, AShortFileReadsAsUntakenGroups) {
  // A shard killed between its two writes: the taker, not the count.
  WriteFileAtomic(dir_ / "c", std::string("\x01\0\0\0\x01\0", 6));
  TailClaims claims = ReadTailClaims(dir_ / "c", 2);
  EXPECT_EQ(claims.taken, 1u);
  EXPECT_EQ(claims.takers, (std::vector<std::uint32_t>{0, 0}));  // a torn word is no claim
}

}  // namespace
}  // namespace pytest_shards
