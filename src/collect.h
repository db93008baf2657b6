// The collector: runs pytest's collection once for a suite, in the user's
// interpreter, with the project's plugin writing every item as JSON.
#pragma once

#include <ostream>
#include <string>

#include "collection.h"
#include "settings.h"

namespace pytest_shards {

// The collection for `settings`: reused from collection.json when nothing it
// depends on changed (the interpreter, the settings that reach pytest, the
// contents of the files it read, the listings of the directories it found
// modules in), else collected anew and written atomically with those stamps.
// Says which on `out`. Throws Error for a missing interpreter or working
// directory, pytest not importable, arguments pytest rejects, or a pytest
// that produced no collection.
Collection Collect(const Settings& settings, std::ostream& out);

// Writes collection.json and the stamps of what it depends on.
void WriteCollection(const Settings& settings, const Collection& collection);

// Whether `collection` is out of date; `why` names the first file or
// directory that changed.
bool CollectionIsStale(const Settings& settings, const Collection& collection, std::string* why);

}  // namespace pytest_shards
