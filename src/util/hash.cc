#include "util/hash.h"

#include <cstdint>
#include <cstdio>

namespace pytest_shards {

Hasher::Hasher() : state_(XXH3_createState()) { XXH3_128bits_reset(state_); }

Hasher::~Hasher() { XXH3_freeState(state_); }

void Hasher::Add(std::string_view data) {
  uint64_t size = data.size();
  XXH3_128bits_update(state_, &size, sizeof size);
  XXH3_128bits_update(state_, data.data(), data.size());
}

std::string Hasher::Hex() const {
  XXH128_hash_t hash = XXH3_128bits_digest(state_);
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(hash.high64),
                static_cast<unsigned long long>(hash.low64));
  return text;
}

}  // namespace pytest_shards
