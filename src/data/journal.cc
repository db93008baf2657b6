#include "data/journal.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "platform/platform.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Error Corrupt(const fs::path& file, int line) {
  return Error("journal " + file.string() + " is corrupt at line " + std::to_string(line) +
               "; delete it and re-run the entry");
}

// A complete line as a record, or nullopt-like false when it is not JSON.
bool ParseRecord(std::string_view line, json* record) {
  *record = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  return record->is_object();
}

std::string Message(const json& record) {
  auto it = record.find("message");
  if (it == record.end() || it->is_null()) return "";
  return it->get<std::string>();
}

// Folds one record into the journal. Throws json::exception when a field the
// record must have is missing or has the wrong type.
void Apply(const json& r, ShardJournal* j) {
  const std::string event = r.at("event").get<std::string>();
  auto time = r.find("time");
  if (time != r.end() && time->is_number()) {
    j->end = std::max(j->end, time->get<double>());
    if (event == "run") j->start = time->get<double>();
  }
  if (event == "run") {
    j->run_id = r.value("run_id", "");
    j->entry = r.value("entry", "");
    j->index = r.value("index", -1);
  } else if (event == "start") {
    j->started.push_back(r.at("nodeid").get<std::string>());
  } else if (event == "result") {
    TestResult result;
    result.node_id = r.at("nodeid").get<std::string>();
    result.outcome = r.at("outcome").get<std::string>();
    result.duration = r.value("duration", 0.0);
    result.message = Message(r);
    result.interrupted = r.value("interrupted", 0);
    j->results.push_back(std::move(result));
  } else if (event == "teardown") {
    // An error after the test's result: as pytest's "error at teardown".
    std::string node_id = r.at("nodeid").get<std::string>();
    for (auto result = j->results.rbegin(); result != j->results.rend(); ++result) {
      if (result->node_id != node_id) continue;
      result->outcome = OutcomeName(Outcome::kError);
      result->message += (result->message.empty() ? "" : "\n") + Message(r);
      break;
    }
  } else if (event == "session") {
    Session session;
    session.time = r.value("time", 0.0);
    session.pid = r.value("pid", 0L);
    j->sessions.push_back(session);
  } else if (event == "collected" || event == "finish") {
    // Records of a session whose own record went missing count as a session.
    if (j->sessions.empty()) j->sessions.emplace_back();
    Session& session = j->sessions.back();
    if (event == "finish") {
      session.finished = true;
      session.exit_status = r.value("exitstatus", 0);
    } else if (session.collected_time == 0) {
      session.collected_time = r.value("time", 0.0);
    }
  } else if (event == "shard") {
    j->finished = true;
    j->wall = r.value("wall", 0.0);
    j->startup = r.value("startup", 0.0);
    j->peak_rss_kb = r.value("peak_rss_kb", 0L);
    j->exit_code = r.value("exit", 0);
    j->restarts = r.value("restarts", 0);
    j->cold = r.value("cold", "");
    j->interrupted = r.value("interrupted", 0);
  }
  // Events of newer writers carry nothing the readers need.
}

// Parses and applies one complete line; blank lines are skipped.
json ApplyLine(std::string_view line, const fs::path& file, int number, ShardJournal* j) {
  json record;
  if (line.empty()) return record;
  if (!ParseRecord(line, &record)) throw Corrupt(file, number);
  try {
    Apply(record, j);
  } catch (const json::exception&) {
    throw Corrupt(file, number);
  }
  return record;
}

}  // namespace

ShardJournal ReadJournal(const fs::path& file) {
  const std::string text = ReadFile(file);
  ShardJournal journal;
  size_t begin = 0;
  for (int number = 1; begin < text.size(); ++number) {
    size_t end = text.find('\n', begin);
    std::string_view line(text.data() + begin,
                          (end == std::string::npos ? text.size() : end) - begin);
    if (end == std::string::npos) {
      // The last line without its newline: whole if it parses, else torn.
      json record;
      if (ParseRecord(line, &record)) ApplyLine(line, file, number, &journal);
      break;
    }
    ApplyLine(line, file, number, &journal);
    begin = end + 1;
  }
  return journal;
}

void RepairJournal(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return;
  const std::string text = ReadFile(file);
  if (text.empty() || text.back() == '\n') return;
  size_t keep = text.rfind('\n');
  keep = keep == std::string::npos ? 0 : keep + 1;
  json record;
  if (ParseRecord(std::string_view(text).substr(keep), &record)) {
    // Only the newline was lost: keep the record.
    std::ofstream out(file, std::ios::binary | std::ios::app);
    out << '\n';
    if (!out) throw Error("cannot write " + file.string() + "; check the build tree's permissions");
    return;
  }
  fs::resize_file(file, keep, ec);
  if (ec) throw Error("cannot repair " + file.string() + ": " + ec.message() + "; delete it");
}

JournalTail::JournalTail(fs::path path) : path_(std::move(path)) {}

void JournalTail::TrackRunning(const json& record, int number) {
  try {
    const std::string event = record.at("event").get<std::string>();
    if (event == "start") {
      running_ = record.at("nodeid").get<std::string>();
      running_since_ = record.value("time", 0.0);
    } else if ((event == "result" && record.at("nodeid") == running_) || event == "session" ||
               event == "finish") {
      running_.clear();
      running_since_ = 0;
    }
  } catch (const json::exception&) {
    throw Corrupt(path_, number);
  }
}

void JournalTail::Poll() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;  // not written yet
  in.seekg(0, std::ios::end);
  long long size = in.tellg();
  if (size < offset_) *this = JournalTail(path_);  // replaced by a new file
  if (size <= offset_) return;
  in.seekg(offset_);
  std::string text(static_cast<size_t>(size - offset_), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  size_t begin = 0;
  for (size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1) {
    json record =
        ApplyLine(std::string_view(text).substr(begin, end - begin), path_, line_ + 1, &journal_);
    ++line_;
    offset_ += static_cast<long long>(end + 1 - begin);
    if (!record.is_null()) TrackRunning(record, line_);
  }
}

std::map<std::string, std::string> JournalTail::LatestOutcomes() const {
  std::map<std::string, std::string> outcomes;
  for (const TestResult& result : journal_.results) outcomes[result.node_id] = result.outcome;
  return outcomes;
}

JournalWriter::JournalWriter(fs::path path, std::function<double()> now)
    : path_(std::move(path)), now_(std::move(now)), tail_(path_) {}

void JournalWriter::Append(json record, bool truncate) {
  record["time"] = now_();
  AppendToFile(path_, record.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", truncate);
}

void JournalWriter::WriteRun(const std::string& run_id, const std::string& entry, int index) {
  std::error_code ec;  // Append names the problem
  fs::create_directories(path_.parent_path(), ec);
  Append({{"event", "run"}, {"run_id", run_id}, {"entry", entry}, {"index", index}},
         /*truncate=*/true);
}

void JournalWriter::WriteResult(const std::string& node_id, Outcome outcome, double duration,
                                const std::string& message, int interrupted) {
  json record = {{"event", "result"},
                 {"nodeid", node_id},
                 {"outcome", OutcomeName(outcome)},
                 {"duration", duration},
                 {"message", message}};
  if (interrupted != 0) record["interrupted"] = interrupted;
  Append(std::move(record));
}

void JournalWriter::CatchUp() {
  RepairJournal(path_);
  tail_.Poll();
}

bool JournalWriter::WriteRunningTest(Outcome outcome, const std::string& message, int interrupted) {
  CatchUp();
  if (tail_.running().empty()) return false;
  WriteResult(tail_.running(), outcome, now_() - tail_.running_since(), message, interrupted);
  tail_.Poll();
  return true;
}

void JournalWriter::WriteMissing(const std::vector<std::string>& node_ids, int interrupted) {
  std::map<std::string, std::string> outcomes = tail_.LatestOutcomes();
  for (const std::string& id : node_ids) {
    if (!outcomes.count(id)) WriteResult(id, Outcome::kMissing, 0, "never ran: " + id, interrupted);
  }
  tail_.Poll();
}

void JournalWriter::WriteShard(const ShardJournal& summary) {
  json record = {{"event", "shard"},
                 {"entry", summary.entry},
                 {"wall", summary.wall},
                 {"startup", summary.startup},
                 {"peak_rss_kb", summary.peak_rss_kb},
                 {"exit", summary.exit_code},
                 {"restarts", summary.restarts}};
  if (!summary.cold.empty()) record["cold"] = summary.cold;
  if (summary.interrupted != 0) record["interrupted"] = summary.interrupted;
  Append(std::move(record));
}

}  // namespace pytest_shards
