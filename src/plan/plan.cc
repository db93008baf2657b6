#include "plan/plan.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "plan/pack.h"
#include "util/disjoint_sets.h"

namespace pytest_shards {

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

// A marker argument as the name it gives (a lock, a group): a string as it
// is, anything else as its JSON text.
std::string MarkerArgument(const json& value) {
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
  std::string lock = MarkerArgument(name);
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
  std::string group = MarkerArgument(name);
  return group.empty() ? "default" : group;
}

// What the planner knows about one test (one collected item): what it
// costs, which locks it holds, its xdist group, whether it failed last time.
struct PlannedTest {
  const Item* item = nullptr;
  double cost = 0;  // estimated seconds
  bool serial = false;
  bool exclusive = false;
  // Sorted, unique: the serial locks, and the group's lock when a failed
  // member runs apart from the rest of its group.
  std::vector<std::string> locks;
  std::optional<std::string> group;
  // The module, when pytest-order orders its tests by their marks: they
  // share an entry, where one pytest session runs them in that order.
  std::optional<std::string> ordered_module;
  bool failed = false;  // in the last run: goes to a last-failed entry
};

void SortUnique(std::vector<std::string>* words) {
  std::sort(words->begin(), words->end());
  words->erase(std::unique(words->begin(), words->end()), words->end());
}

// Every marker with the serial name counts (class and function marks
// accumulate), so a test marked twice holds both locks.
void ReadSerial(const Item& item, const std::string& serial_marker, PlannedTest* test) {
  for (const Marker& marker : item.markers) {
    if (marker.name != serial_marker) continue;
    bool exclusive = false;
    test->locks.push_back(SerialLock(marker, &exclusive));
    test->serial = true;
    test->exclusive = test->exclusive || exclusive;
  }
  SortUnique(&test->locks);
}

std::string GroupLock(const std::string& group) { return "xdist_group:" + group; }

// A failed test leaves its xdist group for a last-failed entry; a lock on
// every member keeps it from running beside the rest of the group, which is
// what xdist's one-worker-per-group guarantees.
void LockSplitGroups(std::vector<PlannedTest>* tests) {
  std::set<std::string> split;
  for (const PlannedTest& test : *tests)
    if (test.failed && test.group) split.insert(*test.group);
  for (PlannedTest& test : *tests) {
    if (!test.group || !split.count(*test.group)) continue;
    test.locks.push_back(GroupLock(*test.group));
    SortUnique(&test.locks);
  }
}

// Under pytest-order, a module with an `order` mark is kept whole: its
// tests share a bundle, and when one of them failed last time, all of them
// go to the last-failed entry, so that they still run in one session.
void KeepOrderedModules(const Collection& collection, std::vector<PlannedTest>* tests) {
  if (!collection.pytest_order) return;
  std::set<std::string> ordered, failed;
  for (const PlannedTest& test : *tests)
    if (test.item->FindMarker("order") != nullptr) ordered.emplace(FileKey(*test.item));
  for (PlannedTest& test : *tests) {
    std::string module(FileKey(*test.item));
    if (!ordered.count(module)) continue;
    test.ordered_module = module;
    if (test.failed) failed.insert(module);
  }
  for (PlannedTest& test : *tests)
    if (test.ordered_module && failed.count(*test.ordered_module)) test.failed = true;
}

// The items in collection order, one per node ID: pytest runs every item of
// a node ID it is given, so a duplicate ID must not land in two entries.
std::vector<PlannedTest> ReadItems(const Collection& collection, const PlanOptions& options,
                                   const Durations& durations) {
  std::vector<PlannedTest> tests;
  tests.reserve(collection.items.size());
  // Views into the collection, which outlives them.
  std::unordered_set<std::string_view> seen(collection.items.size());
  // An unmeasured item's estimate depends only on its module: compute it
  // once per module, not once per item (Estimate scans the store).
  std::unordered_map<std::string_view, double> module_estimates;
  for (const Item& item : collection.items) {
    if (!seen.insert(item.node_id).second) continue;
    PlannedTest test;
    test.item = &item;
    auto measured = durations.tests.find(item.node_id);
    if (measured != durations.tests.end()) {
      test.cost = measured->second;
    } else {
      auto [it, inserted] = module_estimates.emplace(ModulePart(item.node_id), 0.0);
      if (inserted) it->second = durations.Estimate(item);
      test.cost = it->second;
    }
    ReadSerial(item, options.serial_marker, &test);
    test.group = GroupName(item);
    test.failed = durations.failed.count(item.node_id) > 0;
    tests.push_back(std::move(test));
  }
  KeepOrderedModules(collection, &tests);
  LockSplitGroups(&tests);
  return tests;
}

// A TestBundle (plan.h) as item positions. Packing (pack.h) places a
// bundle as one Piece.
struct Bundle {
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

// The bundles of the items at `positions` (ascending), in order of their
// first item.
std::vector<Bundle> MakeBundles(const std::vector<PlannedTest>& tests,
                                const std::vector<int>& positions, Distribution distribution) {
  DisjointSets sets(tests.size());
  std::unordered_map<std::string, int> first;
  auto join = [&](const std::string& key, int i) {
    auto [it, inserted] = first.emplace(key, i);
    if (!inserted) sets.Union(it->second, i);
  };
  for (int i : positions) {
    std::string base = BaseKey(*tests[i].item, distribution);
    if (!base.empty()) join("bundle:" + base, i);
    if (tests[i].group) join("group:" + *tests[i].group, i);
    if (tests[i].ordered_module) join("order:" + *tests[i].ordered_module, i);
  }
  std::vector<Bundle> bundles;
  std::unordered_map<int, size_t> bundle_of_root;
  for (int i : positions) {
    auto [it, inserted] = bundle_of_root.emplace(sets.Find(i), bundles.size());
    if (inserted) bundles.emplace_back();
    Bundle& bundle = bundles[it->second];
    const PlannedTest& test = tests[i];
    bundle.items.push_back(i);
    bundle.cost += test.cost;
    bundle.serial = bundle.serial || test.serial;
    bundle.exclusive = bundle.exclusive || test.exclusive;
    bundle.locks.insert(bundle.locks.end(), test.locks.begin(), test.locks.end());
  }
  for (Bundle& bundle : bundles) SortUnique(&bundle.locks);
  return bundles;
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
        tests_(ReadItems(collection, options, durations)) {}

  // The tests that failed in the last run come first, in entries of their
  // own labelled last-failed (pytest --ff; `ctest -L last-failed` is
  // pytest --lf). GRANULARITY test keeps its order, which IDEs rely on:
  // there the failed tests' entries only get the label and the priority.
  Plan Make() {
    std::vector<int> failed, rest;
    for (int i = 0; i < static_cast<int>(tests_.size()); ++i)
      (tests_[i].failed ? failed : rest).push_back(i);
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
      const PlannedTest& test = tests_[i];
      entry.node_ids.push_back(test.item->node_id);
      entry.cost += test.cost;
      entry.exclusive = entry.exclusive || test.exclusive;
      entry.locks.insert(entry.locks.end(), test.locks.begin(), test.locks.end());
      if (test.serial) entry.labels.push_back("serial");
      if (test.failed) entry.labels.push_back("last-failed");
    }
    SortUnique(&entry.locks);
    SortUnique(&entry.labels);
    return entry;
  }

  std::string Name(const std::string& tail) const { return options_.suite + "/" + tail; }

  // Shards named <prefix>NN of the items at `positions`.
  void AddShards(const std::vector<int>& positions, const std::string& prefix) {
    std::vector<Bundle> bundles = MakeBundles(tests_, positions, options_.distribution);
    std::vector<Bundle> normal;
    std::map<std::vector<std::string>, std::vector<int>> by_locks;
    std::vector<int> exclusive;
    for (Bundle& bundle : bundles) {
      if (!bundle.serial) {
        normal.push_back(std::move(bundle));
      } else {
        auto& items = bundle.exclusive ? exclusive : by_locks[bundle.locks];
        items.insert(items.end(), bundle.items.begin(), bundle.items.end());
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

  std::vector<Piece> PackNormal(const std::vector<Bundle>& bundles) {
    if (bundles.empty()) return {};
    double total = 0;
    for (const Bundle& bundle : bundles) total += bundle.cost;
    ItemName node_id = [this](int i) -> const std::string& { return tests_[i].item->node_id; };
    auto pack = [&](int shards) {
      if (options_.distribution == Distribution::kLoad)
        return PackLoad(ByModule(bundles), shards, node_id);
      std::vector<Piece> pieces;
      for (const Bundle& bundle : bundles) pieces.push_back({bundle.items, bundle.cost});
      return PackLpt(std::move(pieces), shards, node_id);
    };
    if (options_.shards > 0)
      return pack(static_cast<int>(std::min<size_t>(options_.shards, bundles.size())));
    int cores = std::max(options_.cores, 1);
    int shards = AutoShards(total, startup_, timed_, cores, bundles.size());
    // A schedule of guessed costs says nothing: more shards absorb the guesses.
    return timed_ ? PackForCores(pack, shards, cores, startup_) : pack(shards);
  }

  // The bundles as pieces, by module in order of their first bundle, for
  // DISTRIBUTION load (pack.h). An xdist group counts towards the module of
  // its first test.
  std::vector<std::vector<Piece>> ByModule(const std::vector<Bundle>& bundles) const {
    std::vector<std::vector<Piece>> modules;
    std::unordered_map<std::string_view, size_t> module_index;
    for (const Bundle& bundle : bundles) {
      std::string_view module = FileKey(*tests_[bundle.items.front()].item);
      auto [it, inserted] = module_index.emplace(module, modules.size());
      if (inserted) modules.emplace_back();
      modules[it->second].push_back({bundle.items, bundle.cost});
    }
    return modules;
  }

  // One entry per module. A group spanning modules joins them; the entry is
  // then named after all of them ("a.py+b.py") in collection order.
  void AddFiles(const std::vector<int>& positions) {
    for (const Bundle& bundle : MakeBundles(tests_, positions, Distribution::kFile)) {
      std::vector<std::string> files;
      for (int i : bundle.items) {
        std::string file(FileKey(*tests_[i].item));
        if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
      }
      std::string name;
      for (const std::string& file : files) name += (name.empty() ? "" : "+") + file;
      Entry entry = NewEntry(bundle.items);
      entry.name = Name(name);
      plan_.entries.push_back(std::move(entry));
    }
  }

  // One entry per node ID, for IDEs. Members of an xdist group cannot share
  // an entry here; a RESOURCE_LOCK per group keeps them from running at the
  // same time, which is what xdist's one-worker-per-group guarantees too.
  void AddTests() {
    for (int i = 0; i < static_cast<int>(tests_.size()); ++i) {
      const Item& item = *tests_[i].item;
      Entry entry = NewEntry({i});
      entry.name = Name(item.node_id);
      if (tests_[i].group) entry.locks.push_back("xdist_group:" + *tests_[i].group);
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
  std::vector<PlannedTest> tests_;
  Plan plan_;
};

}  // namespace

Plan MakePlan(const Collection& collection, const PlanOptions& options,
              const Durations& durations) {
  return Planner(collection, options, durations).Make();
}

std::vector<TestBundle> MakeTestBundles(const Collection& collection, const PlanOptions& options,
                                        const Durations& durations) {
  std::vector<PlannedTest> tests = ReadItems(collection, options, durations);
  std::vector<int> all(tests.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<TestBundle> bundles;
  for (Bundle& bundle : MakeBundles(tests, all, options.distribution)) {
    TestBundle& out = bundles.emplace_back();
    for (int i : bundle.items) out.node_ids.push_back(tests[i].item->node_id);
    out.cost = bundle.cost;
    out.exclusive = bundle.exclusive;
    out.locks = std::move(bundle.locks);
  }
  return bundles;
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

}  // namespace pytest_shards
