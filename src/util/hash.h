// Content hashes for the collection cache (xxHash's XXH3, 128 bits: fast
// enough to hash a whole test tree at every ctest start).
#pragma once

#include <xxhash.h>

#include <string>
#include <string_view>

namespace pytest_shards {

class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  // Adds `data` and its length, so that ("ab","c") and ("a","bc") differ.
  void Add(std::string_view data);
  // 32 hex digits.
  std::string Hex() const;

 private:
  XXH3_state_t* state_;
};

}  // namespace pytest_shards
