// The options of one pytest_shard_tests() call, as the CMake module passed
// them to `pytest-shards collect`. Stored as settings.json in the suite
// directory so that `plan` and `run` see exactly what configure saw.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace pytest_shards {

// How many node IDs one CTest entry holds.
enum class Granularity { kShard, kFile, kTest };
// What the planner may split apart (xdist's --dist modes).
enum class Distribution { kLoad, kFile, kScope, kGroup };
enum class DiscoveryMode { kConfigure, kPreTest };
// What a shard's pytest imports: the whole suite, as plain pytest's
// collection does (so import-time side effects are the same), or only the
// shard's own modules (faster; for suites known to have none).
enum class Imports { kSuite, kOwn };
// Whether entries fork their pytest from the run's warm interpreter (see
// warm.h): auto uses it for GRANULARITY file and test.
enum class Warm { kAuto, kOn, kOff };

// Parse user words ("shard", "load", "PRE_TEST"); throw Error naming the
// accepted values, the choices of the option in cmake/options.json.
Granularity ParseGranularity(const std::string& word);
Distribution ParseDistribution(const std::string& word);
DiscoveryMode ParseDiscoveryMode(const std::string& word);
Imports ParseImports(const std::string& word);
Warm ParseWarm(const std::string& word);
// "auto" gives 0; otherwise a positive count.
int ParseShards(const std::string& word);
const char* Name(Granularity granularity);
const char* Name(Distribution distribution);
const char* Name(DiscoveryMode mode);
const char* Name(Imports imports);
const char* Name(Warm warm);
// "on" or "off" (any case) of the option `option`.
bool ParseOnOff(const std::string& word, const char* option);

struct Settings {
  std::string suite;                  // the <name> of pytest_shard_tests()
  std::filesystem::path suite_dir;    // build-tree directory for this suite's files
  std::string python;                 // interpreter that runs pytest
  std::filesystem::path workdir;      // pytest's cwd
  std::filesystem::path plugin_dir;   // holds the pytest_shards_plugin package
  std::vector<std::string> args;      // pytest args for collection and run
  std::vector<std::string> run_args;  // extra pytest args at run time only
  int shards = 0;                     // 0: auto
  Granularity granularity = Granularity::kShard;
  Distribution distribution = Distribution::kLoad;
  Imports imports = Imports::kSuite;
  Warm warm = Warm::kAuto;
  bool warm_reuse = true;   // a forked child runs entries one after another
  bool shared_tail = true;  // shards end on groups any of them takes (shared_tail.h)
  std::string serial_marker = "serial";
  // DURATIONS_FILE: durations from elsewhere (merge --durations-out) that
  // seed planning and are the only durations CI slicing uses; empty: none.
  std::filesystem::path durations_file;
  int port_base = 20000;
  int ports_per_shard = 10;
  std::vector<std::string> environment;  // VAR=value with {placeholders}
  double timeout = 0;                    // per CTest entry; 0: none
  double test_timeout = 0;               // per test, enforced by the runner; 0: none
  std::vector<std::string> labels;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<std::string> fixtures_required;
  DiscoveryMode discovery_mode = DiscoveryMode::kConfigure;
  double discovery_timeout = 300;
  // DEPENDS: the targets the suite imports, each with the file it builds
  // (empty until the build step, which collects once they are built, says).
  std::vector<std::pair<std::string, std::string>> depends;
  // The project's source and build trees: a module the collection imported
  // from one of them (or from the rootdir) is stamped like a test file.
  std::vector<std::filesystem::path> watch_roots;

  // Files of suite_dir, as runs.h lays them out.
  std::filesystem::path SettingsFile() const;
  std::filesystem::path CollectionFile() const;
  std::filesystem::path DurationsFile() const;
  std::filesystem::path TmpRoot() const;
  std::filesystem::path PortLockFile() const;
};

// Throws Error naming the first option of pytest_shard_tests() that cannot
// work (PORT_BASE with PORTS_PER_SHARD, ENVIRONMENT) and how to fix it.
// `collect` checks at configure time, the runner again on what it reads.
void ValidateSettings(const Settings& settings);
// Throws Error unless the ports [first, first + count) are all in 1-65535.
void ValidatePortRange(int first, int count);
// The VAR and the value of an ENVIRONMENT entry; throws Error unless it is
// VAR=value.
std::pair<std::string, std::string> SplitAssignment(const std::string& assignment);

// The words `collect` was given for options of the table (options.h), by
// the option's name ("GRANULARITY"), as collect takes them ("shard").
using OptionWords = std::map<std::string, std::vector<std::string>>;

// A word that is not of its option's type (PORT_BASE 1.5): collect reports
// it as it reports its other malformed flags.
class InvalidOptionWord : public Error {
 public:
  InvalidOptionWord(const std::string& flag, const std::string& word)
      : Error("--" + flag + " '" + word + "'"), flag(flag), word(word) {}
  std::string flag, word;
};

// Sets every option of the table that has a flag from its words in `given`,
// else from its default. Throws Error for a word the option does not take,
// InvalidOptionWord for one that is no number where a number belongs.
void ApplyOptionWords(const OptionWords& given, Settings* settings);

nlohmann::json SettingsToJson(const Settings& settings);
// Throws Error ("settings file ... re-run cmake") on a malformed document.
Settings SettingsFromJson(const nlohmann::json& json);

}  // namespace pytest_shards
