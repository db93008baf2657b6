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
#include "plan/planned_test.h"
#include "plan/shared_tail.h"
#include "util/disjoint_sets.h"

namespace pytest_shards {

using nlohmann::json;

namespace {

// Markers that say how a test is built, not what it is about: no label.
const std::set<std::string> kUnlabelledMarkers = {"parametrize", "usefixtures", "filterwarnings"};

// A per-file or per-test entry whose tests take this long starts before the
// others, out of collection order (Planner::KeepCollectionOrder).
constexpr double kLongEntrySeconds = 1.0;

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
        tests_(ReadPlannedTests(collection, options.serial_marker, durations)) {}

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
    if (options_.granularity != Granularity::kShard) KeepCollectionOrder();
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

    std::vector<Piece> bins = PackNormal(normal);
    std::vector<Bundle> tail;
    if (prefix == "shard-" && options_.shared_tail) tail = TakeTail(&normal, &bins);
    std::vector<std::vector<int>> entries;
    for (Piece& bin : bins)
      if (!bin.items.empty()) entries.push_back(std::move(bin.items));
    size_t sharing = tail.empty() ? 0 : entries.size();
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
      entry.shares_tail = i < sharing;
      plan_.entries.push_back(std::move(entry));
    }
    AddTail(tail, sharing);
  }

  // The shared tail (shared_tail.h) of the shards in `bins`, packed from
  // `normal`: its bundles leave `normal`, and the rest is packed again into
  // as many shards. Empty (and nothing changed) for fewer than 2 shards.
  std::vector<Bundle> TakeTail(std::vector<Bundle>* normal, std::vector<Piece>* bins) {
    int shards = 0;
    for (const Piece& bin : *bins) shards += bin.items.empty() ? 0 : 1;
    std::vector<TailCandidate> candidates;
    for (const Bundle& bundle : *normal) {
      const Item& first = *tests_[bundle.items.front()].item;
      // A module skipped as a whole is journaled by every shard that
      // collects it: it stays in one.
      bool module_only = first.node_id.find("::") == std::string::npos;
      candidates.push_back({bundle.cost, !bundle.serial && !module_only});
    }
    std::vector<int> chosen = ChooseSharedTail(candidates, shards);
    if (chosen.empty()) return {};
    std::vector<Bundle> tail, kept;
    size_t next = 0;
    for (size_t i = 0; i < normal->size(); ++i) {
      bool in_tail = next < chosen.size() && static_cast<size_t>(chosen[next]) == i;
      if (in_tail) ++next;
      (in_tail ? tail : kept).push_back(std::move((*normal)[i]));
    }
    *normal = std::move(kept);
    *bins = Pack(*normal, shards);
    return tail;
  }

  // The tail's groups, in collection order, and their share of the cost
  // on each of the `sharing` shards (the first ones of the plan).
  void AddTail(const std::vector<Bundle>& tail, size_t sharing) {
    if (tail.empty() || sharing == 0) return;
    double cost = 0;
    for (const Bundle& bundle : tail) {
      std::vector<std::string>& group = plan_.shared_tail.emplace_back();
      for (int i : bundle.items) group.push_back(tests_[i].item->node_id);
      cost += bundle.cost;
    }
    for (Entry& entry : plan_.entries)
      if (entry.shares_tail) entry.cost += cost / static_cast<double>(sharing);
  }

  std::vector<Piece> PackNormal(const std::vector<Bundle>& bundles) {
    if (bundles.empty()) return {};
    double total = 0;
    for (const Bundle& bundle : bundles) total += bundle.cost;
    auto pack = [&](int shards) { return Pack(bundles, shards); };
    if (options_.shards > 0)
      return pack(static_cast<int>(std::min<size_t>(options_.shards, bundles.size())));
    int cores = std::max(options_.cores, 1);
    int shards = AutoShards(total, startup_, timed_, cores, bundles.size());
    // A schedule of guessed costs says nothing: more shards absorb the guesses.
    return timed_ ? PackForCores(pack, shards, cores, startup_) : pack(shards);
  }

  std::vector<Piece> Pack(const std::vector<Bundle>& bundles, int shards) const {
    ItemName node_id = [this](int i) -> const std::string& { return tests_[i].item->node_id; };
    if (options_.distribution == Distribution::kLoad)
      return PackLoad(ByModule(bundles), shards, node_id);
    std::vector<Piece> pieces;
    for (const Bundle& bundle : bundles) pieces.push_back({bundle.items, bundle.cost});
    return PackLpt(std::move(pieces), shards, node_id);
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

  // CTest starts the entry of the highest COST first. Per-file and per-test
  // entries run in workers forked from the warm interpreter, and a worker
  // takes a next entry only if it comes later in collection order (as an
  // xdist worker's tests do; warm_pool.py): in cost order most entries would
  // pay a fork of their own. So each entry of its own tests shorter than
  // kLongEntrySeconds gets a COST below that, falling with its place; longer
  // entries keep theirs and still start first, so that no core idles at the
  // end. The last-failed ones are lifted above all later
  // (PrioritiseLastFailed).
  void KeepCollectionOrder() {
    double count = static_cast<double>(plan_.entries.size());
    for (std::size_t i = 0; i < plan_.entries.size(); ++i) {
      Entry& entry = plan_.entries[i];
      if (entry.cost - startup_ >= kLongEntrySeconds) continue;
      entry.cost = kLongEntrySeconds * (count - static_cast<double>(i)) / (count + 1);
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
  std::vector<PlannedTest> tests = ReadPlannedTests(collection, options.serial_marker, durations);
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
