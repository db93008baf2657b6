// json_bench: why the documents that hold every node ID are read with our own
// pull parser (src/util/json_reader.h) and not with nlohmann_json. A
// benchmark, not a test: built on demand (`cmake --build BUILD --target
// json_bench`).
//
// It writes the collection of a synthetic suite of --items tests (the suite
// plan_bench plans) and reads it back, in one process, --rounds times each:
//   pull     ReadCollection, what every ctest start runs: JsonReader straight
//            into the structs;
//   DOM      nlohmann::json::parse, then CollectionFromJson: the DOM first;
//   SAX      nlohmann::json::sax_parse with a handler that only copies each
//            key and string out, as a reader filling the structs through
//            nlohmann_json's SAX interface would have to at least: a lower
//            bound for that design, since it builds no struct.
// Prints the median wall time of each and its ratio to pull. With --reader,
// it only reads the file already in DIR (written when missing) with that one
// reader, for farm-bench to time whole processes against each other:
//   farm-bench --vs 'json_bench --reader sax' -- json_bench --reader pull
//
// usage: json_bench [--items N] [--rounds N] [--dir DIR] [--reader pull|dom|sax]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/collection.h"
#include "synthetic_suite.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

// Copies what a struct-filling reader keeps; counts the rest.
struct CopyingSax : nlohmann::json_sax<nlohmann::json> {
  std::vector<std::string> strings;
  size_t values = 0;
  bool null() override { return ++values; }
  bool boolean(bool) override { return ++values; }
  bool number_integer(number_integer_t) override { return ++values; }
  bool number_unsigned(number_unsigned_t) override { return ++values; }
  bool number_float(number_float_t, const string_t&) override { return ++values; }
  bool string(string_t& value) override { return strings.push_back(value), true; }
  bool binary(binary_t&) override { return ++values; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t& value) override { return strings.push_back(value), true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    std::fprintf(stderr, "json_bench: %s\n", e.what());
    std::exit(1);
  }
};

// The median of `rounds` wall times of `read`, in milliseconds.
double MedianMs(int rounds, const std::function<size_t()>& read) {
  std::vector<double> ms;
  size_t check = 0;
  for (int i = 0; i < rounds; ++i) {
    auto start = std::chrono::steady_clock::now();
    check += read();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  if (check == 0) std::fprintf(stderr, "json_bench: nothing was read\n");
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int Main(int argc, char** argv) {
  int items = 100000, rounds = 5;
  fs::path dir = fs::temp_directory_path() / "json_bench";
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--items")
      items = std::atoi(argv[i + 1]);
    else if (flag == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else if (flag == "--dir")
      dir = argv[i + 1];
    else if (flag == "--reader")
      only = argv[i + 1];
    else
      return std::fprintf(stderr, "json_bench: unknown option %s\n", flag.c_str()), 2;
  }
  fs::create_directories(dir);
  fs::path file = dir / "collection.json";
  if (only.empty() || !fs::exists(file))
    WriteFileAtomic(file, CollectionToJson(SyntheticCollection(items, "/src")).dump(1) + "\n");
  if (only.empty())
    std::printf("%d tests, %.1f MB of collection JSON, median of %d rounds\n", items,
                fs::file_size(file) / 1e6, rounds);

  std::map<std::string, std::function<size_t()>> readers = {
      {"pull", [&] { return ReadCollection(file).items.size(); }},
      {"dom",
       [&] { return CollectionFromJson(nlohmann::json::parse(ReadFile(file))).items.size(); }},
      {"sax",
       [&] {
         CopyingSax handler;
         nlohmann::json::sax_parse(ReadFile(file), &handler);
         return handler.strings.size();
       }},
  };
  if (!only.empty()) {
    if (!readers.count(only))
      return std::fprintf(stderr, "json_bench: no reader %s\n", only.c_str()), 2;
    return MedianMs(rounds, readers[only]) >= 0 ? 0 : 1;
  }
  double pull = MedianMs(rounds, readers["pull"]);
  double dom = MedianMs(rounds, readers["dom"]);
  double sax = MedianMs(rounds, readers["sax"]);
  std::printf("| reader | ms | ratio to pull |\n| --- | ---: | ---: |\n");
  std::printf("| pull (JsonReader into the structs) | %.0f | 1.00 |\n", pull);
  std::printf("| DOM (nlohmann parse + CollectionFromJson) | %.0f | %.2f |\n", dom, dom / pull);
  std::printf("| SAX lower bound (nlohmann sax_parse, strings copied) | %.0f | %.2f |\n", sax,
              sax / pull);
  return 0;
}

}  // namespace
}  // namespace pytest_shards

int main(int argc, char** argv) { return pytest_shards::Main(argc, argv); }
