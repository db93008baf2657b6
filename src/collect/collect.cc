#include "collect/collect.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>

#include "collect/depends.h"
#include "data/environment.h"
#include "data/runs.h"
#include "platform/platform.h"
#include "platform/subprocess.h"
#include "util/error.h"
#include "util/file_util.h"
#include "util/hash.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// Names in a directory that can change what pytest collects: Python files
// and subdirectories. Other files (logs, data written by tests) do not.
std::string ListingOf(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || name == "__pycache__") continue;
    if (entry.is_directory(ec) || entry.path().extension() == ".py") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::string listing;
  for (const std::string& name : names) listing += name + '\n';
  return ec ? "unreadable" : listing;
}

std::string ContentOf(const fs::path& file) {
  try {
    return ReadFile(file);
  } catch (const Error&) {
    return "missing";
  }
}

// The modules of the plugin package (python/pytest_shards_plugin), in name
// order: another plugin may collect differently.
std::string PluginContent(const fs::path& plugin_dir) {
  std::set<fs::path> modules;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(plugin_dir / "pytest_shards_plugin", ec))
    if (entry.path().extension() == ".py") modules.insert(entry.path());
  std::string content = ec ? "missing" : "";
  for (const fs::path& module : modules)
    content += module.filename().string() + '\n' + ContentOf(module) + '\n';
  return content;
}

// The settings that change what pytest collects; the rest (ports, labels,
// timeouts) only change how entries run.
std::string SettingsKey(const Settings& s) {
  Hasher hasher;
  hasher.Add(s.python);
  hasher.Add(s.workdir.string());
  hasher.Add(s.serial_marker);
  for (const std::string& arg : s.args) hasher.Add(arg);
  hasher.Add(PluginContent(s.plugin_dir));
  std::error_code ec;
  // Reinstalling the interpreter changes its mtime.
  auto python_time = fs::last_write_time(s.python, ec);
  hasher.Add(ec ? "?" : std::to_string(python_time.time_since_epoch().count()));
  return hasher.Hex();
}

// The directories whose listings decide what pytest finds: those it found
// modules in and, below the rootdir, the ones above them, where a new
// directory of tests beside the known ones shows up. Not the rootdir itself
// (unless it holds modules): a new build tree or docs folder there is no
// change of the tests.
std::set<std::string> WatchedDirs(const Collection& collection) {
  std::set<std::string> dirs(collection.dirs.begin(), collection.dirs.end());
  fs::path root = fs::path(collection.rootdir).lexically_normal();
  for (const std::string& dir : collection.dirs) {
    fs::path up = fs::path(dir).lexically_normal().parent_path();
    for (; up != root && up != up.parent_path(); up = up.parent_path()) {
      fs::path relative = up.lexically_relative(root);
      if (relative.empty() || *relative.begin() == "..") break;  // not below the rootdir
      dirs.insert(up.string());
    }
  }
  return dirs;
}

// One hash per file the collection read (its content) and per watched
// directory (its listing).
nlohmann::json Stamps(const Collection& collection) {
  nlohmann::json stamps = nlohmann::json::object();
  for (const std::string& file : collection.files) {
    Hasher hasher;
    hasher.Add(ContentOf(file));
    stamps[file] = hasher.Hex();
  }
  for (const std::string& dir : WatchedDirs(collection)) {
    Hasher hasher;
    hasher.Add(ListingOf(dir));
    stamps[dir] = hasher.Hex();
  }
  return stamps;
}

std::string LastLine(const std::string& text) {
  std::istringstream lines(text);
  std::string line, last;
  while (std::getline(lines, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

// The line of pytest's output that names the exception behind a failed
// collection: an internal error's own (the last of its traceback, below any
// exception it was raised from), else the first collection error's `E`
// line, else a bare traceback's last exception. Empty when none is there:
// pytest's last line ("1165 tests collected") would read like success.
std::string ExceptionLine(const std::string& output) {
  static const std::regex exception(R"(([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*))");
  static const std::regex internal(R"(^INTERNALERROR>\s*)");
  static const std::regex error_line(R"(^E\s+)");
  std::string internal_error, first_error, bare;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::smatch prefix, found;
    if (std::regex_search(line, prefix, internal)) {
      std::string rest = prefix.suffix();
      if (std::regex_match(rest, found, exception)) internal_error = found[1];
    } else if (std::regex_search(line, prefix, error_line)) {
      std::string rest = prefix.suffix();
      if (first_error.empty() && std::regex_match(rest, found, exception)) first_error = found[1];
    } else if (std::regex_match(line, found, exception) && line.find(": ") != std::string::npos) {
      bare = found[1];
    }
  }
  if (!internal_error.empty()) return internal_error;
  return first_error.empty() ? bare : first_error;
}

std::string ConsumeLog(const fs::path& log) {
  try {
    return ReadFile(log);
  } catch (const Error&) {
    return "";
  }
}

std::vector<std::string> CollectCommand(const Settings& s, const fs::path& json_file) {
  std::vector<std::string> argv = {
      s.python, "-m", "pytest", "-p", "pytest_shards_plugin", "--collect-only", "-q",
      "--continue-on-collection-errors",
      // The cache plugin stays, so that its options (--lf) parse and the
      // plugin can refuse them; it writes nothing of the user's.
      "-o", "cache_dir=" + (s.suite_dir / "collect-cache").string(),
      "--shards-collect-json=" + json_file.string(), "--shards-serial-marker=" + s.serial_marker,
      "--shards-rewrite-cache=" + RewriteCacheDir(s.suite_dir).string()};
  // The session outputs that RUN_ARGS ask for are known at configure too.
  if (!s.run_args.empty()) argv.push_back("--shards-run-args=" + nlohmann::json(s.run_args).dump());
  for (const fs::path& root : s.watch_roots) argv.push_back("--shards-watch-root=" + root.string());
  argv.insert(argv.end(), s.args.begin(), s.args.end());
  return argv;
}

std::vector<std::string> CollectEnvironment(const Settings& s) {
  std::vector<std::string> env = CurrentEnvironment();
  PrependPythonPath(env, s.plugin_dir);
  return env;
}

// Turns a pytest run that wrote no collection into one line the user can act on.
[[noreturn]] void ExplainFailure(const Settings& s, const std::string& output, int status,
                                 const fs::path& log) {
  if (output.find("No module named pytest") != std::string::npos)
    throw Error(s.python +
                " cannot import pytest; install pytest for it or pass PYTHON <exe> to "
                "pytest_shard_tests()");
  if (output.find("No module named pytest_shards_plugin") != std::string::npos)
    throw Error("the plugin package pytest_shards_plugin is not in " + s.plugin_dir.string() +
                "; reinstall pytest-shards");
  if (std::string missing = ExplainMissingImport(s, output); !missing.empty()) throw Error(missing);
  std::string last = LastLine(output);
  if (status == 4) {
    // pytest's usage errors say "<prog>: error: <what>" on one of their lines.
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);)
      if (size_t at = line.find("error: "); at != std::string::npos) last = line.substr(at + 7);
    throw Error("pytest rejected the arguments (" + last + "); fix ARGS of pytest_shard_tests()");
  }
  std::string cause = ExceptionLine(output);
  throw Error("pytest collection failed with exit status " + std::to_string(status) + " (" +
              (cause.empty() ? last : cause) + "); see " + log.string());
}

}  // namespace

Collection RunPytestCollection(const Settings& s, std::ostream& out) {
  // Two ctests starting at once may both collect: each in files of its own.
  std::string pid = std::to_string(CurrentProcessId());
  fs::path json_file = s.suite_dir / ("collection.new." + pid + ".json");
  fs::path own_log = s.suite_dir / ("collect." + pid + ".log");
  fs::path log = CollectLogFile(s.suite_dir);
  std::error_code ec;
  fs::remove(json_file, ec);
  std::optional<OutputFile> log_file;
  try {
    log_file.emplace(own_log);
  } catch (const Error&) {
    throw Error("cannot write " + own_log.string() + "; check the build directory");
  }
  auto start = std::chrono::steady_clock::now();
  int status = 0;
  {
    SpawnOptions options;
    options.argv = CollectCommand(s, json_file);
    options.env = CollectEnvironment(s);
    options.cwd = s.workdir.string();
    options.stdout_fd = log_file->fd();
    options.stderr_fd = log_file->fd();
    std::unique_ptr<Subprocess> pytest;
    try {
      pytest = std::make_unique<Subprocess>(options);
    } catch (const Error&) {
      log_file->Close();
      fs::remove(own_log, ec);
      throw Error("Python interpreter '" + s.python +
                  "' cannot be started; pass PYTHON <exe> to pytest_shard_tests()");
    }
    bool done = pytest->Wait(s.discovery_timeout > 0 ? s.discovery_timeout : -1);
    log_file->Close();
    if (!done) {
      fs::rename(own_log, log, ec);
      throw Error("pytest collection did not finish within " +
                  std::to_string(static_cast<int>(s.discovery_timeout)) +
                  " s; raise DISCOVERY_TIMEOUT or see " + log.string());
    }
    status = pytest->signal() ? 128 + pytest->signal() : pytest->exit_code();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string output = ConsumeLog(own_log);
  fs::rename(own_log, log, ec);  // the latest collection's output, for the user
  if (!fs::exists(json_file)) {
    out << output;
    ExplainFailure(s, output, status, log);
  }
  Collection collection = ReadCollection(json_file);
  fs::remove(json_file, ec);
  collection.seconds = seconds;
  // A DEPENDS target's file is stamped even when nothing imported it (yet).
  for (const auto& [target, file] : s.depends)
    if (!file.empty() &&
        std::find(collection.files.begin(), collection.files.end(), file) == collection.files.end())
      collection.files.push_back(file);
  return collection;
}

bool CollectionIsStale(const Settings& settings, const Collection& collection, std::string* why) {
  nlohmann::json recorded;
  try {
    recorded = ReadJsonFile(CollectionStampsFile(settings.suite_dir), "stamps", "");
  } catch (const Error&) {
    *why = "no record of the collected files";
    return true;
  }
  if (recorded.value("settings", "") != SettingsKey(settings)) {
    *why = "the interpreter, the plugin or the suite's ARGS changed";
    return true;
  }
  nlohmann::json now = Stamps(collection);
  for (const auto& [path, stamp] : now.items()) {
    if (recorded["stamps"].value(path, "") == stamp.get<std::string>()) continue;
    *why = fs::is_directory(path) ? "test files were added to or removed from " + path
                                  : path + " changed";
    return true;
  }
  return false;
}

std::string DescribeChange(const Collection& before, const Collection& after) {
  std::map<std::string, const Item*> old_items;
  for (const Item& item : before.items) old_items[item.node_id] = &item;
  std::set<std::string> new_ids;
  for (const Item& item : after.items) {
    new_ids.insert(item.node_id);
    auto it = old_items.find(item.node_id);
    if (it == old_items.end()) return "new test " + item.node_id;
    // Markers decide locks, groups and labels.
    if (it->second->markers != item.markers) return "the markers of " + item.node_id + " changed";
  }
  for (const Item& item : before.items)
    if (!new_ids.count(item.node_id)) return item.node_id + " no longer exists";
  if (before.errors.size() != after.errors.size()) return "modules that fail to collect changed";
  return "";
}

void WriteCollection(const Settings& settings, const Collection& collection) {
  nlohmann::json record = {{"settings", SettingsKey(settings)}, {"stamps", Stamps(collection)}};
  WriteFileAtomic(settings.CollectionFile(), CollectionToJson(collection).dump(1) + "\n");
  WriteFileAtomic(CollectionStampsFile(settings.suite_dir), record.dump(1) + "\n");
}

void RefuseUnkeptOrder(const Settings& settings, const Collection& collection) {
  if (!collection.pytest_order || settings.granularity != Granularity::kTest) return;
  for (const Item& item : collection.items)
    if (item.FindMarker("order") != nullptr)
      throw Error("pytest-order's order marks (" + item.node_id +
                  ") cannot be honoured in GRANULARITY test, where every test is a pytest "
                  "session of its own; use GRANULARITY file or shard, which run a module with "
                  "order marks in one entry");
}

namespace {

Collection CachedOrFreshCollection(const Settings& settings, Collector& collector,
                                   std::ostream& out) {
  std::error_code ec;
  if (!fs::is_directory(settings.workdir, ec))
    throw Error("WORKING_DIRECTORY " + settings.workdir.string() +
                " does not exist; pass an existing directory to pytest_shard_tests()");
  if (fs::exists(settings.CollectionFile())) {
    try {
      Collection cached = ReadCollection(settings.CollectionFile());
      std::string why;
      if (!CollectionIsStale(settings, cached, &why)) {
        out << "pytest-shards: " << settings.suite << ": test files unchanged, reused the "
            << "collection of " << cached.items.size() << " tests (no pytest run)\n";
        return cached;
      }
    } catch (const Error&) {
      // A corrupt cache is just a cache miss.
    }
  }
  Collection collection = collector.Collect(settings, out);
  WriteCollection(settings, collection);
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f", collection.seconds);
  out << "pytest-shards: " << settings.suite << ": collected " << collection.items.size()
      << " tests in " << seconds << " s with " << collection.python << " (pytest "
      << collection.pytest_version << ")\n";
  if (!collection.errors.empty())
    out << "pytest-shards: " << settings.suite << ": warning: " << collection.errors.size()
        << " module(s) failed to collect, first " << collection.errors.front().node_id
        << "; they run as " << settings.suite << "/collection-errors\n";
  return collection;
}

}  // namespace

Collection RefreshCollection(const Settings& settings, Collector& collector, std::ostream& out) {
  Collection collection = CachedOrFreshCollection(settings, collector, out);
  RefuseUnkeptOrder(settings, collection);
  return collection;
}

}  // namespace pytest_shards
