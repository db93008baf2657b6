// Markers as the collection records them (collection.h), for the
// planner's unit tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "data/collection.h"

namespace pytest_shards {

inline Marker MakeMarker(const std::string& name, nlohmann::json args = nlohmann::json::array(),
                         nlohmann::json kwargs = nlohmann::json::object()) {
  Marker marker;
  marker.name = name;
  marker.args = std::move(args);
  marker.kwargs = std::move(kwargs);
  return marker;
}

}  // namespace pytest_shards
