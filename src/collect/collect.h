// The collector: runs pytest's collection once for a suite, in the user's
// interpreter, with the project's plugin writing every item as JSON.
#pragma once

#include <ostream>
#include <string>

#include "data/collection.h"
#include "data/settings.h"

namespace pytest_shards {

// Runs pytest's collection now (RunPytestCollection below). The real one is
// PytestCollector, which the composition root (`pytest-shards collect` and
// `plan`) hands down; planning's unit tests hand a fake, as ninja's tests
// hand the Builder a fake CommandRunner.
class Collector {
 public:
  virtual ~Collector() = default;
  virtual Collection Collect(const Settings& settings, std::ostream& out) = 0;
};

// The collection for `settings`: reused from collection.json when nothing it
// depends on changed (the interpreter, the settings that reach pytest, the
// contents of the files it read, the listings of the directories it found
// modules in), else collected anew and written atomically with those stamps.
// Says which on `out`. Throws Error for a missing interpreter or working
// directory, pytest not importable, arguments pytest rejects, a pytest
// that produced no collection, or a plugin the GRANULARITY cannot honour
// (RefuseUnkeptOrder).
// `collector` runs pytest when the cache does not do.
Collection RefreshCollection(const Settings& settings, Collector& collector, std::ostream& out);

// Throws Error naming the first test with an `order` mark when pytest-order
// would order tests that GRANULARITY test runs in sessions of their own.
void RefuseUnkeptOrder(const Settings& settings, const Collection& collection);

// Runs pytest's collection now (pytest --collect-only with the plugin),
// without the cache and without writing it. Throws Error as
// RefreshCollection.
Collection RunPytestCollection(const Settings& settings, std::ostream& out);

class PytestCollector : public Collector {
 public:
  Collection Collect(const Settings& settings, std::ostream& out) override {
    return RunPytestCollection(settings, out);
  }
};

// What differs between two collections that matters to a plan (node IDs,
// their markers, modules that fail to collect), in a few words; empty when
// nothing does.
std::string DescribeChange(const Collection& before, const Collection& after);

// Writes collection.json and the stamps of what it depends on.
void WriteCollection(const Settings& settings, const Collection& collection);

// Whether `collection` is out of date; `why` names the first file or
// directory that changed.
bool CollectionIsStale(const Settings& settings, const Collection& collection, std::string* why);

}  // namespace pytest_shards
