#include "data/options.h"

#include <gtest/gtest.h>

#include <set>

#include "util/error.h"

namespace pytest_shards {
namespace {

using nlohmann::json;

json Table(json options) {
  return {{"format", "pytest-shards-options/1"},
          {"types", {{"number", {{"pattern", "^[0-9]+$"}, {"hint", "use a number"}}}}},
          {"options", options}};
}

TEST(ParseOptions, ReadsEveryFieldAndLowersWhatCollectTakesLowered) {
  std::vector<Option> options = ParseOptions(
      Table({{{"name", "WARM"},
              {"values", "one"},
              {"type", "choice"},
              {"choices", {"AUTO", "ON", "OFF"}},
              {"lower", true},
              {"default", "AUTO"},
              {"flag", "warm"},
              {"help", "auto, on or off"},
              {"since", "1.0"}},
             {{"name", "LABELS"}, {"values", "many"}, {"type", "number"}, {"help", "labels"}}}));
  ASSERT_EQ(options.size(), 2u);
  EXPECT_EQ(options[0].name, "WARM");
  EXPECT_FALSE(options[0].many);
  EXPECT_EQ(options[0].choices, (std::vector<std::string>{"auto", "on", "off"}));
  EXPECT_EQ(options[0].default_value, "auto");
  EXPECT_EQ(options[0].flag, "warm");
  EXPECT_EQ(options[0].help, "auto, on or off");
  EXPECT_EQ(options[0].since, "1.0");
  EXPECT_TRUE(options[1].many);
  EXPECT_TRUE(options[1].choices.empty());
  EXPECT_EQ(options[1].default_value, "");
  EXPECT_EQ(options[1].flag, "");  // CMake passes it another way, or not at all
}

TEST(ParseOptions, NamesWhatIsMalformed) {
  EXPECT_THROW(ParseOptions({{"format", "other"}}), Error);
  try {
    ParseOptions(Table({{{"name", "X"}, {"values", "one"}, {"type", "colour"}, {"help", ""}}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "option X has the unknown type colour");
  }
  try {
    ParseOptions(Table({{{"name", "X"}, {"values", "one"}, {"type", "choice"}, {"help", ""}}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "option X is a choice without choices");
  }
  try {
    ParseOptions(Table({{{"name", "X"}, {"values", "one"}, {"type", "number"}}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("option 1 of the table of options is malformed"),
              std::string::npos);
  }
}

// The embedded cmake/options.json: what collect's flags and words rest on.
TEST(Options, EmbedsTheTableOfTheModule) {
  std::set<std::string> names, flags;
  for (const Option& option : Options()) {
    EXPECT_TRUE(names.insert(option.name).second) << option.name;
    if (!option.flag.empty()) {
      EXPECT_TRUE(flags.insert(option.flag).second) << option.flag;
    }
    EXPECT_FALSE(option.help.empty()) << option.name;
  }
  EXPECT_EQ(FindOption("DISTRIBUTION").choices,
            (std::vector<std::string>{"load", "file", "scope", "group"}));
  EXPECT_EQ(FindOption("WARM").default_value, "auto");
  EXPECT_EQ(FindOption("DISCOVERY_MODE").default_value, "CONFIGURE");
  EXPECT_EQ(FindOption("ENVIRONMENT").flag, "env");
  EXPECT_TRUE(FindOption("LABELS").many);
  EXPECT_TRUE(FindOption("MEMORY_BUDGET").flag.empty());
  EXPECT_THROW(FindOption("SHRADS"), Error);
}

}  // namespace
}  // namespace pytest_shards
