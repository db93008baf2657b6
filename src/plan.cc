#include "plan.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "error.h"
#include "json_reader.h"
#include "json_writer.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Marker truthiness as Python would see it; values that were not JSON
// serialisable arrive as their repr().
bool Truthy(const json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0;
  if (value.is_string()) return value.get<std::string>() == "True";
  return false;
}

std::string Word(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

}  // namespace

std::string SerialLock(const Marker& marker, bool* exclusive) {
  json name;
  if (marker.args.is_array() && !marker.args.empty()) name = marker.args[0];
  if (marker.kwargs.is_object() && marker.kwargs.contains("lock")) name = marker.kwargs["lock"];
  if (exclusive != nullptr)
    *exclusive = marker.kwargs.is_object() && marker.kwargs.contains("exclusive") &&
                 Truthy(marker.kwargs["exclusive"]);
  std::string lock = Word(name);
  return lock.empty() ? "serial" : lock;
}

namespace {

// Markers that say how a test is built, not what it is about: no label.
const std::set<std::string> kUnlabelledMarkers = {"parametrize", "usefixtures", "filterwarnings"};

// The module part of a node ID; Item::file when the collector gave it.
std::string_view FileKey(const Item& item) {
  if (!item.file.empty()) return item.file;
  return ModulePart(item.node_id);
}

// xdist's group name: xdist_group("name") or xdist_group(name="name");
// a bare marker is xdist's "default" group.
std::optional<std::string> GroupName(const Item& item) {
  const Marker* marker = item.FindMarker("xdist_group");
  if (marker == nullptr) return std::nullopt;
  json name;
  if (marker->args.is_array() && !marker->args.empty()) name = marker->args[0];
  if (marker->kwargs.is_object() && marker->kwargs.contains("name")) name = marker->kwargs["name"];
  std::string word = Word(name);
  return word.empty() ? "default" : word;
}

// What the planner knows about one item.
struct Info {
  const Item* item = nullptr;
  double cost = 0;  // estimated seconds
  bool serial = false;
  bool exclusive = false;
  // Sorted, unique: the serial locks, and the group's lock when a failed
  // member runs apart from the rest of its group.
  std::vector<std::string> locks;
  std::optional<std::string> group;
  bool failed = false;  // in the last run: goes to a last-failed entry
};

void SortUnique(std::vector<std::string>* words) {
  std::sort(words->begin(), words->end());
  words->erase(std::unique(words->begin(), words->end()), words->end());
}

// Every marker with the serial name counts (class and function marks
// accumulate), so a test marked twice holds both locks.
void ReadSerial(const Item& item, const std::string& serial_marker, Info* info) {
  for (const Marker& marker : item.markers) {
    if (marker.name != serial_marker) continue;
    bool exclusive = false;
    info->locks.push_back(SerialLock(marker, &exclusive));
    info->serial = true;
    info->exclusive = info->exclusive || exclusive;
  }
  SortUnique(&info->locks);
}

std::string GroupLock(const std::string& group) { return "xdist_group:" + group; }

// A failed test leaves its xdist group for a last-failed entry; a lock on
// every member keeps it from running beside the rest of the group, which is
// what xdist's one-worker-per-group guarantees.
void LockSplitGroups(std::vector<Info>* infos) {
  std::set<std::string> split;
  for (const Info& info : *infos)
    if (info.failed && info.group) split.insert(*info.group);
  for (Info& info : *infos) {
    if (!info.group || !split.count(*info.group)) continue;
    info.locks.push_back(GroupLock(*info.group));
    SortUnique(&info.locks);
  }
}

// The items in collection order, one per node ID: pytest runs every item of
// a node ID it is given, so a duplicate ID must not land in two entries.
std::vector<Info> ReadItems(const Collection& collection, const PlanOptions& options,
                            const Durations& durations) {
  std::vector<Info> infos;
  infos.reserve(collection.items.size());
  // Views into the collection, which outlives them.
  std::unordered_set<std::string_view> seen(collection.items.size());
  // An unmeasured item's estimate depends only on its module: compute it
  // once per module, not once per item (Estimate scans the store).
  std::unordered_map<std::string_view, double> module_estimates;
  for (const Item& item : collection.items) {
    if (!seen.insert(item.node_id).second) continue;
    Info info;
    info.item = &item;
    auto measured = durations.tests.find(item.node_id);
    if (measured != durations.tests.end()) {
      info.cost = measured->second;
    } else {
      auto [it, inserted] = module_estimates.emplace(ModulePart(item.node_id), 0.0);
      if (inserted) it->second = durations.Estimate(item);
      info.cost = it->second;
    }
    ReadSerial(item, options.serial_marker, &info);
    info.group = GroupName(item);
    info.failed = durations.failed.count(item.node_id) > 0;
    infos.push_back(std::move(info));
  }
  LockSplitGroups(&infos);
  return infos;
}

// Union-find over item positions; the root of a set is its smallest
// position, i.e. its first item in collection order.
class DisjointSets {
 public:
  explicit DisjointSets(size_t size) : parent_(size) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  int Find(int i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  void Union(int a, int b) {
    a = Find(a);
    b = Find(b);
    if (a > b) std::swap(a, b);
    parent_[b] = a;
  }

 private:
  std::vector<int> parent_;
};

// An atomic group of items: never split across entries.
struct Unit {
  std::vector<int> items;  // positions, ascending
  double cost = 0;
  bool serial = false;
  bool exclusive = false;
  std::vector<std::string> locks;
};

// What DISTRIBUTION keeps together besides xdist groups; empty: nothing.
std::string BaseKey(const Item& item, Distribution distribution) {
  switch (distribution) {
    case Distribution::kFile:
      return std::string(FileKey(item));
    case Distribution::kScope:  // xdist loadscope: the class, else the module
      return std::string(FileKey(item)) + (item.cls.empty() ? "" : "::" + item.cls);
    case Distribution::kLoad:
    case Distribution::kGroup:
      break;
  }
  return "";
}

// The units of the items at `positions` (ascending), in order of their
// first item.
std::vector<Unit> MakeUnits(const std::vector<Info>& infos, const std::vector<int>& positions,
                            Distribution distribution) {
  DisjointSets sets(infos.size());
  std::unordered_map<std::string, int> first;
  auto join = [&](const std::string& key, int i) {
    auto [it, inserted] = first.emplace(key, i);
    if (!inserted) sets.Union(it->second, i);
  };
  for (int i : positions) {
    std::string base = BaseKey(*infos[i].item, distribution);
    if (!base.empty()) join("unit:" + base, i);
    if (infos[i].group) join("group:" + *infos[i].group, i);
  }
  std::vector<Unit> units;
  std::unordered_map<int, size_t> unit_of_root;
  for (int i : positions) {
    auto [it, inserted] = unit_of_root.emplace(sets.Find(i), units.size());
    if (inserted) units.emplace_back();
    Unit& unit = units[it->second];
    const Info& info = infos[i];
    unit.items.push_back(i);
    unit.cost += info.cost;
    unit.serial = unit.serial || info.serial;
    unit.exclusive = unit.exclusive || info.exclusive;
    unit.locks.insert(unit.locks.end(), info.locks.begin(), info.locks.end());
  }
  for (Unit& unit : units) SortUnique(&unit.locks);
  return units;
}

// A set of items packed as one; a bin is a shard being filled.
struct Piece {
  std::vector<int> items;  // positions, ascending
  double cost = 0;
};

// Longest processing time first: the largest piece goes to the least loaded
// bin (lowest index on a tie). Equal costs are ordered by first node ID so
// that the result does not depend on anything but the inputs.
std::vector<Piece> PackLpt(std::vector<Piece> pieces, int bins, const std::vector<Info>& infos) {
  std::stable_sort(pieces.begin(), pieces.end(), [&](const Piece& a, const Piece& b) {
    if (a.cost != b.cost) return a.cost > b.cost;
    return infos[a.items.front()].item->node_id < infos[b.items.front()].item->node_id;
  });
  std::vector<Piece> result(bins);
  using Load = std::pair<double, int>;
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> least;
  for (int i = 0; i < bins; ++i) least.push({0.0, i});
  for (const Piece& piece : pieces) {
    auto [load, index] = least.top();
    least.pop();
    Piece& bin = result[index];
    bin.items.insert(bin.items.end(), piece.items.begin(), piece.items.end());
    bin.cost = load + piece.cost;
    least.push({bin.cost, index});
  }
  for (Piece& bin : result) std::sort(bin.items.begin(), bin.items.end());
  return result;
}

double Makespan(const std::vector<Piece>& bins) {
  double most = 0;
  for (const Piece& bin : bins) most = std::max(most, bin.cost);
  return most;
}

Piece PieceOf(const Unit& unit) { return {unit.items, unit.cost}; }

// DISTRIBUTION load keeps a module's tests together unless that hurts
// balance. The rule:
//   1. The finest packing (every test or xdist group alone) is the
//      reference balance: its LPT makespan M.
//   2. Modules are packed whole, except that a module costing more than a
//      threshold is cut, in collection order, into consecutive runs costing
//      at most the threshold (numpy's test_umath.py becomes a few runs of
//      neighbouring tests, not 4406 scattered ones). LPT then places the
//      big pieces first and fills up with the small ones.
//   3. The threshold starts at the per-shard target T/N. If the makespan is
//      within kBalanceTolerance of M, that packing wins; else the threshold
//      halves and big modules are cut finer, down to the finest packing.
// An xdist group counts towards the module of its first test.
constexpr double kBalanceTolerance = 1.05;
constexpr int kMaxCutRounds = 40;

std::vector<Piece> CutModules(const std::vector<std::vector<const Unit*>>& modules,
                              double threshold) {
  std::vector<Piece> pieces;
  for (const auto& module : modules) {
    double cost = 0;
    for (const Unit* unit : module) cost += unit->cost;
    bool whole = cost <= threshold;
    Piece run;
    for (const Unit* unit : module) {
      if (!whole && !run.items.empty() && run.cost + unit->cost > threshold)
        pieces.push_back(std::exchange(run, Piece{}));
      run.items.insert(run.items.end(), unit->items.begin(), unit->items.end());
      run.cost += unit->cost;
    }
    if (!run.items.empty()) pieces.push_back(std::move(run));
  }
  for (Piece& piece : pieces) std::sort(piece.items.begin(), piece.items.end());
  return pieces;
}

std::vector<Piece> PackLoad(const std::vector<Unit>& units, int bins,
                            const std::vector<Info>& infos) {
  std::vector<std::vector<const Unit*>> modules;
  std::unordered_map<std::string_view, size_t> module_index;
  double total = 0;
  std::vector<Piece> atoms;
  for (const Unit& unit : units) {
    std::string_view module = FileKey(*infos[unit.items.front()].item);
    auto [it, inserted] = module_index.emplace(module, modules.size());
    if (inserted) modules.emplace_back();
    modules[it->second].push_back(&unit);
    total += unit.cost;
    atoms.push_back(PieceOf(unit));
  }
  size_t atom_count = atoms.size();
  std::vector<Piece> finest = PackLpt(std::move(atoms), bins, infos);
  double best = Makespan(finest);
  double threshold = total / bins;
  for (int round = 0; round < kMaxCutRounds; ++round, threshold /= 2) {
    std::vector<Piece> pieces = CutModules(modules, threshold);
    if (pieces.size() == atom_count) break;  // as fine as it gets
    std::vector<Piece> packed = PackLpt(std::move(pieces), bins, infos);
    if (Makespan(packed) <= best * kBalanceTolerance) return packed;
  }
  return finest;
}

// SHARDS auto: N = c k shards for c cores, k per core. With T the estimated
// seconds of tests and s the start-up of one pytest process (interpreter,
// imports, collecting its share; measured, averaged over the last shards),
// each core runs about T/c of tests plus k s of start-ups, and the run ends
// late by about e T/(c k) when the estimate of the last shard is off by a
// fraction e. k s + e T/(c k) is least at k = sqrt(e T / (c s)).
//   - e is kTimedError once the suite's tests were timed, kGuessedError
//     while the costs are guesses: then more, smaller shards absorb them.
//   - k is rounded and kept in [1, kShardsPerCore]; N is a whole multiple of
//     c because LPT makes the shards equally long: 7 equal shards on 2 cores
//     take 4 rounds, 4/7 T instead of T/2.
//   - no more shards than units, and at least 1.
// Why: the first rule, N = clamp(T / (4 s), c, 4 c), gave networkx (5221
// tests on 2 cores; a shard's start-up, mostly importing numpy, scipy and
// pandas and collecting, measured at 6-9% of T/c) 5 to 7 shards: up to 7
// start-ups more than needed, in odd counts that leave a core idle at the
// end. This rule gives it 2. tools/bench/bench.py measures it against
// pytest -n 2.
constexpr double kTimedError = 0.1;
constexpr double kGuessedError = 1.0;
constexpr int kShardsPerCore = 4;

int AutoShards(double total, double startup, bool timed, int cores, size_t units) {
  double error = timed ? kTimedError : kGuessedError;
  double per_core = std::sqrt(error * total / (cores * startup));
  int k = std::clamp(static_cast<int>(std::lround(per_core)), 1, kShardsPerCore);
  size_t shards = std::min<size_t>(static_cast<size_t>(k) * cores, units);
  return static_cast<int>(std::max<size_t>(shards, 1));
}

double Startup(const Durations& durations) {
  return durations.startup > 0 ? durations.startup : kDefaultStartupSeconds;
}

// The builder of one plan: the inputs and the items they describe.
class Planner {
 public:
  Planner(const Collection& collection, const PlanOptions& options, const Durations& durations)
      : collection_(collection),
        options_(options),
        startup_(Startup(durations)),
        timed_(!durations.empty()),
        infos_(ReadItems(collection, options, durations)) {}

  // The tests that failed in the last run come first, in entries of their
  // own labelled last-failed (pytest --ff; `ctest -L last-failed` is
  // pytest --lf). GRANULARITY test keeps its order, which IDEs rely on:
  // there the failed tests' entries only get the label and the priority.
  Plan Make() {
    std::vector<int> failed, rest;
    for (int i = 0; i < static_cast<int>(infos_.size()); ++i)
      (infos_[i].failed ? failed : rest).push_back(i);
    switch (options_.granularity) {
      case Granularity::kShard:
        AddShards(failed, "last-failed-");
        AddShards(rest, "shard-");
        break;
      case Granularity::kFile:
        AddShards(failed, "last-failed-");
        AddFiles(rest);
        break;
      case Granularity::kTest:
        AddTests();
        break;
    }
    AddCollectionErrors();
    return std::move(plan_);
  }

 private:
  Entry NewEntry(const std::vector<int>& items) {
    Entry entry;
    entry.cost = startup_;
    for (int i : items) {
      const Info& info = infos_[i];
      entry.node_ids.push_back(info.item->node_id);
      entry.cost += info.cost;
      entry.exclusive = entry.exclusive || info.exclusive;
      entry.locks.insert(entry.locks.end(), info.locks.begin(), info.locks.end());
      if (info.serial) entry.labels.push_back("serial");
      if (info.failed) entry.labels.push_back("last-failed");
    }
    SortUnique(&entry.locks);
    SortUnique(&entry.labels);
    return entry;
  }

  std::string Name(const std::string& tail) const { return options_.suite + "/" + tail; }

  // Shards named <prefix>NN of the items at `positions`.
  void AddShards(const std::vector<int>& positions, const std::string& prefix) {
    std::vector<Unit> units = MakeUnits(infos_, positions, options_.distribution);
    std::vector<Unit> normal;
    std::map<std::vector<std::string>, std::vector<int>> by_locks;
    std::vector<int> exclusive;
    for (Unit& unit : units) {
      if (!unit.serial) {
        normal.push_back(std::move(unit));
      } else {
        auto& items = unit.exclusive ? exclusive : by_locks[unit.locks];
        items.insert(items.end(), unit.items.begin(), unit.items.end());
      }
    }

    std::vector<std::vector<int>> entries;
    for (Piece& bin : PackNormal(normal))
      if (!bin.items.empty()) entries.push_back(std::move(bin.items));
    // Serial entries after the shards: by lock set, the exclusive one last.
    for (auto& [locks, items] : by_locks) entries.push_back(std::move(items));
    if (!exclusive.empty()) entries.push_back(std::move(exclusive));

    if (entries.empty()) return;
    size_t width = std::max<size_t>(2, std::to_string(entries.size() - 1).size());
    for (size_t i = 0; i < entries.size(); ++i) {
      std::sort(entries[i].begin(), entries[i].end());
      Entry entry = NewEntry(entries[i]);
      std::string number = std::to_string(i);
      entry.name = Name(prefix + std::string(width - number.size(), '0') + number);
      plan_.entries.push_back(std::move(entry));
    }
  }

  std::vector<Piece> PackNormal(const std::vector<Unit>& units) {
    if (units.empty()) return {};
    double total = 0;
    for (const Unit& unit : units) total += unit.cost;
    int shards =
        options_.shards > 0
            ? static_cast<int>(std::min<size_t>(options_.shards, units.size()))
            : AutoShards(total, startup_, timed_, std::max(options_.cores, 1), units.size());
    if (options_.distribution == Distribution::kLoad) return PackLoad(units, shards, infos_);
    std::vector<Piece> pieces;
    for (const Unit& unit : units) pieces.push_back(PieceOf(unit));
    return PackLpt(std::move(pieces), shards, infos_);
  }

  // One entry per module. A group spanning modules joins them; the entry is
  // then named after all of them ("a.py+b.py") in collection order.
  void AddFiles(const std::vector<int>& positions) {
    for (const Unit& unit : MakeUnits(infos_, positions, Distribution::kFile)) {
      std::vector<std::string> files;
      for (int i : unit.items) {
        std::string file(FileKey(*infos_[i].item));
        if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
      }
      std::string name;
      for (const std::string& file : files) name += (name.empty() ? "" : "+") + file;
      Entry entry = NewEntry(unit.items);
      entry.name = Name(name);
      plan_.entries.push_back(std::move(entry));
    }
  }

  // One entry per node ID, for IDEs. Members of an xdist group cannot share
  // an entry here; a RESOURCE_LOCK per group keeps them from running at the
  // same time, which is what xdist's one-worker-per-group guarantees too.
  void AddTests() {
    for (int i = 0; i < static_cast<int>(infos_.size()); ++i) {
      const Item& item = *infos_[i].item;
      Entry entry = NewEntry({i});
      entry.name = Name(item.node_id);
      if (infos_[i].group) entry.locks.push_back("xdist_group:" + *infos_[i].group);
      SortUnique(&entry.locks);
      for (const Marker& marker : item.markers)
        if (kUnlabelledMarkers.count(marker.name) == 0) entry.labels.push_back(marker.name);
      SortUnique(&entry.labels);
      if (!item.path.empty())
        entry.source_line = item.line > 0 ? item.path + ":" + std::to_string(item.line) : item.path;
      plan_.entries.push_back(std::move(entry));
    }
  }

  void AddCollectionErrors() {
    if (collection_.errors.empty()) return;
    Entry entry;
    entry.name = Name("collection-errors");
    entry.collection_errors = true;
    entry.cost = startup_;
    for (const CollectionError& error : collection_.errors) {
      // An error outside any module (a broken conftest at the root) has an
      // empty node ID: re-collecting the rootdir shows it again.
      std::string node_id = error.node_id.empty() ? "." : error.node_id;
      if (std::find(entry.node_ids.begin(), entry.node_ids.end(), node_id) == entry.node_ids.end())
        entry.node_ids.push_back(node_id);
    }
    plan_.entries.push_back(std::move(entry));
  }

  const Collection& collection_;
  const PlanOptions& options_;
  double startup_;
  bool timed_;  // durations were measured: costs are not all guesses
  std::vector<Info> infos_;
  Plan plan_;
};

}  // namespace

Plan MakePlan(const Collection& collection, const PlanOptions& options,
              const Durations& durations) {
  return Planner(collection, options, durations).Make();
}

namespace {

bool IsLastFailed(const Entry& entry) {
  return std::find(entry.labels.begin(), entry.labels.end(), "last-failed") != entry.labels.end();
}

}  // namespace

// ctest starts the entries with the highest COST first, with -j 1 too:
// lifting every last-failed entry above all others (keeping their relative
// order) starts them first without reordering the plan.
void PrioritiseLastFailed(Plan* plan) {
  double others = 0;
  for (const Entry& entry : plan->entries)
    if (!IsLastFailed(entry)) others = std::max(others, entry.cost);
  for (Entry& entry : plan->entries)
    if (IsLastFailed(entry)) entry.cost += others;
}

namespace {

constexpr const char* kPlanFormat = "pytest-shards-plan/1";

void WriteEntry(JsonWriter& writer, const Entry& entry) {
  writer.BeginObject();
  writer.Key("name");
  writer.String(entry.name);
  writer.Key("node_ids");
  writer.Strings(entry.node_ids);
  writer.Key("locks");
  writer.Strings(entry.locks);
  writer.Key("exclusive");
  writer.Bool(entry.exclusive);
  writer.Key("cost");
  writer.Number(entry.cost);
  writer.Key("labels");
  writer.Strings(entry.labels);
  writer.Key("source_line");
  writer.String(entry.source_line);
  writer.Key("collection_errors");
  writer.Bool(entry.collection_errors);
  writer.EndObject();
}

std::vector<std::string> ReadStrings(JsonReader& reader) {
  std::vector<std::string> strings;
  reader.BeginArray();
  while (reader.NextElement()) strings.push_back(reader.String());
  return strings;
}

Entry ReadEntry(JsonReader& reader) {
  Entry entry;
  bool named = false, has_node_ids = false;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (key == "name") {
      entry.name = reader.String();
      named = true;
    } else if (key == "node_ids") {
      entry.node_ids = ReadStrings(reader);
      has_node_ids = true;
    } else if (key == "locks") {
      entry.locks = ReadStrings(reader);
    } else if (key == "exclusive") {
      entry.exclusive = reader.Bool();
    } else if (key == "cost") {
      entry.cost = reader.Number();
    } else if (key == "labels") {
      entry.labels = ReadStrings(reader);
    } else if (key == "source_line") {
      entry.source_line = reader.String();
    } else if (key == "collection_errors") {
      entry.collection_errors = reader.Bool();
    } else {
      reader.Skip();
    }
  }
  if (!named) throw JsonReader::ShapeError("an entry has no name");
  if (!has_node_ids) throw JsonReader::ShapeError("entry " + entry.name + " has no node_ids");
  return entry;
}

PlanFile ReadDocument(JsonReader& reader, std::string* format) {
  PlanFile file;
  bool has_run_id = false, has_settings = false, has_rootdir = false, has_entries = false;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (key == "format") {
      *format = reader.String();
    } else if (key == "run_id") {
      file.run_id = reader.String();
      has_run_id = true;
    } else if (key == "settings") {
      file.settings = SettingsFromJson(reader.Value());
      has_settings = true;
    } else if (key == "rootdir") {
      file.rootdir = reader.String();
      has_rootdir = true;
    } else if (key == "xdist") {
      file.xdist = reader.Bool();
    } else if (key == "module_paths") {
      reader.BeginObject();
      for (std::string part; reader.NextKey(&part);) file.module_paths[part] = reader.String();
    } else if (key == "entries") {
      reader.BeginArray();
      while (reader.NextElement()) file.plan.entries.push_back(ReadEntry(reader));
      has_entries = true;
    } else {
      reader.Skip();
    }
  }
  if (!has_run_id || !has_settings || !has_rootdir || !has_entries)
    throw JsonReader::ShapeError("run_id, settings, rootdir or entries missing");
  return file;
}

// Every PlanFile read is made here. Throws JsonReader::SyntaxError for text
// that is not JSON and Error for JSON that is not a plan.
PlanFile ParsePlanFile(std::string_view text) {
  return ReadVersioned(text, kPlanFormat, "plan file", "corrupt", "re-run cmake", ReadDocument);
}

}  // namespace

std::map<std::string, std::string> ModulePaths(const Collection& collection) {
  std::map<std::string, std::string> paths;
  fs::path root(collection.rootdir);
  std::string_view last_part, last_path;
  for (const Item& item : collection.items) {
    // A module's items are adjacent: compare its paths once, not per item.
    if (ModulePart(item.node_id) == last_part && item.path == last_path) continue;
    last_part = ModulePart(item.node_id);
    last_path = item.path;
    std::string part(last_part);
    if (item.path.empty() || paths.count(part)) continue;
    if ((root / part).lexically_normal() != fs::path(item.path).lexically_normal())
      paths[part] = item.path;
  }
  return paths;
}

std::string PlanFileText(const PlanFile& file) {
  std::string text;
  JsonWriter writer(&text, /*line_depth=*/2);
  writer.BeginObject();
  writer.Key("format");
  writer.String(kPlanFormat);
  writer.Key("run_id");
  writer.String(file.run_id);
  writer.Key("settings");
  writer.Value(SettingsToJson(file.settings));
  writer.Key("rootdir");
  writer.String(file.rootdir);
  writer.Key("xdist");
  writer.Bool(file.xdist);
  writer.Key("module_paths");
  writer.BeginObject();
  for (const auto& [part, path] : file.module_paths) {
    writer.Key(part);
    writer.String(path);
  }
  writer.EndObject();
  writer.Key("entries");
  writer.BeginArray();
  for (const Entry& entry : file.plan.entries) WriteEntry(writer, entry);
  writer.EndArray();
  writer.EndObject();
  text += '\n';
  return text;
}

json PlanFileToJson(const PlanFile& file) { return json::parse(PlanFileText(file)); }

PlanFile PlanFileFromJson(const json& json) { return ParsePlanFile(json.dump()); }

PlanFile ReadPlanFile(const fs::path& path, std::string_view fix) {
  try {
    return ParseJsonFile(path, "plan", std::string(fix), ParsePlanFile);
  } catch (const Error& e) {
    // ParsePlanFile knows what is wrong, not which file it read.
    std::string what = e.what();
    if (what.find(path.string()) != std::string::npos) throw;
    throw Error(path.string() + ": " + what);
  }
}

}  // namespace pytest_shards
