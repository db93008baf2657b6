// Errors a user can act on.
#pragma once

#include <stdexcept>
#include <string>

namespace pytest_shards {

// A problem with the user's input or environment. what() is one line that
// names the problem and the fix; the CLI prints it as "pytest-shards: <what>"
// and exits non-zero.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace pytest_shards
