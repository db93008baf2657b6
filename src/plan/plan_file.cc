#include "plan/plan_file.h"

#include <optional>
#include <utility>

#include "platform/mapped_file.h"
#include "util/error.h"
#include "util/json_reader.h"
#include "util/json_writer.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kPlanFormat = "pytest-shards-plan/1";

void WriteEntry(JsonWriter& writer, const Entry& entry, size_t index) {
  writer.BeginObject();
  writer.Key("index");
  writer.Integer(static_cast<long long>(index));
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
  if (entry.shares_tail) {
    writer.Key("shares_tail");
    writer.Bool(true);
  }
  writer.EndObject();
}

std::vector<std::string> ReadStrings(JsonReader& reader) {
  std::vector<std::string> strings;
  reader.BeginArray();
  while (reader.NextElement()) strings.push_back(reader.String());
  return strings;
}

// `index`, when given, gets the entry's "index" member (-1 without one).
Entry ReadEntry(JsonReader& reader, long long* index = nullptr) {
  Entry entry;
  bool named = false, has_node_ids = false;
  if (index) *index = -1;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (key == "index" && index) {
      *index = reader.Integer();
    } else if (key == "name") {
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
    } else if (key == "shares_tail") {
      entry.shares_tail = reader.Bool();
    } else {
      reader.Skip();
    }
  }
  if (!named) throw JsonReader::ShapeError("an entry has no name");
  if (!has_node_ids) throw JsonReader::ShapeError("entry " + entry.name + " has no node_ids");
  return entry;
}

void ReadSlice(JsonReader& reader, PlanFile* file) {
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (key == "index") {
      file->slice.index = static_cast<int>(reader.Integer());
    } else if (key == "count") {
      file->slice.count = static_cast<int>(reader.Integer());
    } else if (key == "source") {
      file->slice_source = reader.String();
    } else {
      reader.Skip();
    }
  }
}

// Reads a plan. With `entries_at`, it stops where the entries begin instead
// and sets *entries_at to their offset in the text (npos: the plan has none,
// or members that follow them), and *count to "entry_count" (npos without).
PlanFile ReadDocument(JsonReader& reader, std::string* format, size_t* entries_at = nullptr,
                      size_t* count = nullptr) {
  PlanFile file;
  bool has_run_id = false, has_settings = false, has_rootdir = false, has_entries = false;
  if (entries_at) *entries_at = *count = std::string_view::npos;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (entries_at && key == "entries") {
      if (has_run_id && has_settings && has_rootdir && !format->empty())
        *entries_at = reader.offset();
      return file;
    }
    if (count && key == "entry_count") {
      *count = static_cast<size_t>(reader.Integer());
      continue;
    }
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
    } else if (key == "session") {
      file.session_outputs = ReadStrings(reader);
    } else if (key == "ctest_pid") {
      file.ctest_pid = static_cast<int>(reader.Integer());
    } else if (key == "ctest_argv") {
      file.ctest_argv = ReadStrings(reader);
    } else if (key == "ctest_last_failed") {
      file.ctest_last_failed = ReadStrings(reader);
    } else if (key == "module_paths") {
      reader.BeginObject();
      for (std::string part; reader.NextKey(&part);) file.module_paths[part] = reader.String();
    } else if (key == "slice") {
      ReadSlice(reader, &file);
    } else if (key == "shared_tail") {
      reader.BeginArray();
      while (reader.NextElement()) file.plan.shared_tail.push_back(ReadStrings(reader));
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
  return ReadVersioned(
      text, kPlanFormat, "plan file", "corrupt", "re-run cmake",
      [](JsonReader& reader, std::string* format) { return ReadDocument(reader, format); });
}

// ReadPlanEntry's way through a plan as PlanFileText writes it: the header,
// then a memchr from line to line (JSON strings hold no raw newline) to the
// entry's, or straight to the line at `at`, which must say it is entry
// `index`. Nothing when the text is laid out otherwise.
std::optional<PlanEntry> ReadOneEntry(std::string_view text, size_t index,
                                      std::optional<size_t> at) {
  JsonReader reader(text);
  std::string format;
  size_t entries_at = 0, count = 0;
  PlanEntry read;
  read.file = ReadDocument(reader, &format, &entries_at, &count);
  if (format != kPlanFormat || entries_at == text.npos || count == text.npos) return std::nullopt;
  read.count = count;
  if (index >= count) return read;
  size_t line_end = text.npos;
  if (at) {
    if (*at <= entries_at || *at >= text.size() || text[*at - 1] != '\n') return std::nullopt;
    line_end = *at - 1;
  } else {
    line_end = text.find('\n', entries_at);  // after "["
    for (size_t i = 0; i < index && line_end != text.npos; ++i)
      line_end = text.find('\n', line_end + 1);
  }
  if (line_end == text.npos) return std::nullopt;
  std::string_view line = text.substr(line_end + 1);
  line = line.substr(0, line.find('\n'));
  JsonReader entry_reader(line);
  long long found = -1;
  Entry entry = ReadEntry(entry_reader, &found);
  // After it: "," before the next entry's line, "]}" after the last.
  std::string_view rest = line.substr(entry_reader.offset());
  if (rest != "," && rest != "]}") return std::nullopt;
  if (found < 0 || static_cast<size_t>(found) != index) return std::nullopt;
  read.entry = std::move(entry);
  return read;
}

PlanEntry ParsePlanEntry(std::string_view text, size_t index) {
  try {
    if (std::optional<PlanEntry> read = ReadOneEntry(text, index, std::nullopt))
      return std::move(*read);
  } catch (const std::exception&) {
    // Whatever is wrong, the whole read below says it as it should.
  }
  PlanEntry read;
  read.file = ParsePlanFile(text);
  std::vector<Entry>& entries = read.file.plan.entries;
  read.count = entries.size();
  if (index < entries.size()) read.entry = std::move(entries[index]);
  entries.clear();
  return read;
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
  // The collection-errors entry runs pytest on these modules' files.
  for (const CollectionError& error : collection.errors) {
    if (error.path.empty() || error.node_id.empty() || paths.count(error.node_id)) continue;
    if ((root / error.node_id).lexically_normal() != fs::path(error.path).lexically_normal())
      paths[error.node_id] = error.path;
  }
  return paths;
}

std::string ModuleFile(const PlanFile& plan, const std::string& part) {
  auto found = plan.module_paths.find(part);
  return found != plan.module_paths.end() ? found->second
                                          : (fs::path(plan.rootdir) / part).string();
}

std::string PlanFileText(const PlanFile& file, std::vector<size_t>* entry_offsets) {
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
  writer.Key("session");
  writer.Strings(file.session_outputs);
  writer.Key("ctest_pid");
  writer.Integer(file.ctest_pid);
  writer.Key("ctest_argv");
  writer.Strings(file.ctest_argv);
  if (file.ctest_last_failed) {
    writer.Key("ctest_last_failed");
    writer.Strings(*file.ctest_last_failed);
  }
  writer.Key("module_paths");
  writer.BeginObject();
  for (const auto& [part, path] : file.module_paths) {
    writer.Key(part);
    writer.String(path);
  }
  writer.EndObject();
  writer.Key("slice");
  writer.BeginObject();
  writer.Key("index");
  writer.Integer(file.slice.index);
  writer.Key("count");
  writer.Integer(file.slice.count);
  writer.Key("source");
  writer.String(file.slice_source);
  writer.EndObject();
  if (!file.plan.shared_tail.empty()) {
    writer.Key("shared_tail");
    writer.BeginArray();
    for (const std::vector<std::string>& group : file.plan.shared_tail) writer.Strings(group);
    writer.EndArray();
  }
  // Last, and before the entries: ReadPlanEntry stops at them.
  writer.Key("entry_count");
  writer.Integer(static_cast<long long>(file.plan.entries.size()));
  writer.Key("entries");
  writer.BeginArray();
  if (entry_offsets) entry_offsets->clear();
  for (size_t i = 0; i < file.plan.entries.size(); ++i) {
    if (entry_offsets) entry_offsets->push_back(text.size());
    WriteEntry(writer, file.plan.entries[i], i);
  }
  writer.EndArray();
  writer.EndObject();
  text += '\n';
  // Each entry's line starts after the first line end the writer put
  // before it.
  if (entry_offsets)
    for (size_t& offset : *entry_offsets) offset = text.find('\n', offset) + 1;
  return text;
}

json PlanFileToJson(const PlanFile& file) { return json::parse(PlanFileText(file)); }

PlanFile PlanFileFromJson(const json& json) { return ParsePlanFile(json.dump()); }

namespace {

// Reads `path` with `parse(text)`: every Error names the file.
template <typename Parse>
auto ReadPlanText(const fs::path& path, std::string_view fix, Parse parse) {
  try {
    return ParseJsonFile(path, "plan", std::string(fix), parse);
  } catch (const Error& e) {
    // The parser knows what is wrong, not which file it read.
    std::string what = e.what();
    if (what.find(path.string()) != std::string::npos) throw;
    throw Error(path.string() + ": " + what);
  }
}

}  // namespace

PlanFile ReadPlanFile(const fs::path& path, std::string_view fix) {
  return ReadPlanText(path, fix, ParsePlanFile);
}

PlanEntry ReadPlanEntry(const fs::path& path, size_t index, std::string_view fix,
                        std::optional<size_t> at) {
  // Every per-test entry's runner comes here. Mapped, and with the line's
  // offset, only the header's pages and the entry's are read: 0.2-0.4 ms for
  // numpy's plan of 29,277 entries (11 MB), against 2.4-2.5 ms to copy it
  // whole. Without the offset, the copy: scanning a mapping for line ends
  // faults in every page before the entry.
  if (at) {
    try {
      MappedFile mapped(path);
      if (std::optional<PlanEntry> read = ReadOneEntry(mapped.text(), index, at))
        return std::move(*read);
    } catch (const std::exception&) {
      // Whatever is wrong, the whole read below says it as it should.
    }
  }
  return ReadPlanText(path, fix,
                      [index](std::string_view text) { return ParsePlanEntry(text, index); });
}

}  // namespace pytest_shards
