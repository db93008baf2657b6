#include "run/tail_claims.h"

#include <fstream>
#include <iterator>

namespace pytest_shards {

namespace {

// A word past the end, or cut by it, is 0 (as the plugin reads it).
std::uint32_t WordAt(const std::string& bytes, std::size_t word) {
  if (bytes.size() < (word + 1) * 4) return 0;
  std::uint32_t value = 0;
  for (std::size_t b = 0; b < 4; ++b)
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[word * 4 + b])) << (8 * b);
  return value;
}

}  // namespace

TailClaims ReadTailClaims(const std::filesystem::path& path, std::size_t groups) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  TailClaims claims;
  claims.taken = WordAt(bytes, 0);
  claims.takers.resize(groups);
  for (std::size_t g = 0; g < groups; ++g) claims.takers[g] = WordAt(bytes, g + 1);
  return claims;
}

std::string TailClaimsText(const TailClaims& claims) {
  std::string bytes;
  auto put = [&bytes](std::uint32_t value) {
    for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<char>((value >> (8 * b)) & 0xff));
  };
  put(claims.taken);
  for (std::uint32_t taker : claims.takers) put(taker);
  return bytes;
}

}  // namespace pytest_shards
