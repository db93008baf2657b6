#include "data/settings.h"

#include <gtest/gtest.h>

#include "data/options.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

TEST(Settings, JsonRoundTripKeepsEveryField) {
  Settings s;
  s.suite = "app";
  s.suite_dir = "/b/pytest-shards/app";
  s.python = "/usr/bin/python3";
  s.workdir = "/src";
  s.plugin_dir = "/share";
  s.args = {"--pyargs", "pkg", "-m", "not slow"};
  s.run_args = {"-x"};
  s.shards = 7;
  s.granularity = Granularity::kTest;
  s.distribution = Distribution::kScope;
  s.serial_marker = "exclusive_db";
  s.port_base = 30000;
  s.ports_per_shard = 4;
  s.environment = {"DATABASE_URL=postgresql:///app_{shard}"};
  s.timeout = 120;
  s.test_timeout = 5.5;
  s.labels = {"python"};
  s.properties = {{"ENVIRONMENT_MODIFICATION", "A=set:1"}};
  s.fixtures_required = {"db"};
  s.discovery_mode = DiscoveryMode::kPreTest;
  s.discovery_timeout = 60;
  s.imports = Imports::kOwn;
  s.warm = Warm::kOn;
  s.warm_reuse = false;
  s.depends = {{"ext", "/b/ext.so"}, {"gen", ""}};
  s.watch_roots = {"/src", "/b"};
  Settings t = SettingsFromJson(SettingsToJson(s));
  EXPECT_EQ(t.depends, s.depends);
  EXPECT_EQ(t.watch_roots, s.watch_roots);
  EXPECT_EQ(t.imports, Imports::kOwn);
  EXPECT_EQ(t.warm, Warm::kOn);
  EXPECT_FALSE(t.warm_reuse);
  EXPECT_EQ(SettingsToJson(t), SettingsToJson(s));
  EXPECT_EQ(t.granularity, Granularity::kTest);
  EXPECT_EQ(t.distribution, Distribution::kScope);
  EXPECT_EQ(t.discovery_mode, DiscoveryMode::kPreTest);
  EXPECT_EQ(t.properties, s.properties);
}

TEST(Settings, ParseShards) {
  EXPECT_EQ(ParseShards("auto"), 0);
  EXPECT_EQ(ParseShards("12"), 12);
  for (const char* bad : {"0", "-1", "", "4x", "many"}) {
    try {
      ParseShards(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("or auto"), std::string::npos);
    }
  }
}

TEST(Settings, UnknownWordsNameTheAcceptedOnes) {
  try {
    ParseGranularity("module");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown GRANULARITY 'module'; use one of: shard, file, test");
  }
  EXPECT_THROW(ParseDistribution("each"), Error);
  EXPECT_THROW(ParseDiscoveryMode("pre_test"), Error);
  EXPECT_EQ(ParseDistribution("group"), Distribution::kGroup);
  EXPECT_EQ(ParseImports("own"), Imports::kOwn);
  try {
    ParseImports("all");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown IMPORTS 'all'; use one of: suite, own");
  }
  EXPECT_TRUE(ParseOnOff("ON", "WARM_REUSE"));
  EXPECT_FALSE(ParseOnOff("off", "WARM_REUSE"));
  try {
    ParseOnOff("yes", "WARM_REUSE");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown WARM_REUSE 'yes'; use one of: on, off");
  }
}

// Every choice of the table has its implementation, and collect's
// defaults (the table's) are those of a Settings left alone.
TEST(Settings, TheTableOfOptionsIsImplemented) {
  for (const char* option :
       {"GRANULARITY", "DISTRIBUTION", "IMPORTS", "WARM", "WARM_REUSE", "DISCOVERY_MODE"}) {
    for (const std::string& choice : FindOption(option).choices) {
      Settings s;
      EXPECT_NO_THROW(ApplyOptionWords({{option, {choice}}}, &s)) << option << " " << choice;
    }
  }
  Settings defaults;
  ApplyOptionWords({}, &defaults);
  EXPECT_EQ(SettingsToJson(defaults), SettingsToJson(Settings{}));
}

TEST(Settings, OptionWordsSetTheirSettings) {
  Settings s;
  ApplyOptionWords({{"SHARDS", {"3"}},
                    {"DISTRIBUTION", {"scope"}},
                    {"WARM", {"off"}},
                    {"WARM_REUSE", {"off"}},
                    {"PORT_BASE", {"30000"}},
                    {"TEST_TIMEOUT", {"2.5"}},
                    {"LABELS", {"a", "b"}},
                    {"PROPERTIES", {"COST=3", "X=a=b"}},
                    {"DURATIONS_FILE", {"/d.json"}}},
                   &s);
  EXPECT_EQ(s.shards, 3);
  EXPECT_EQ(s.distribution, Distribution::kScope);
  EXPECT_EQ(s.warm, Warm::kOff);
  EXPECT_FALSE(s.warm_reuse);
  EXPECT_EQ(s.port_base, 30000);
  EXPECT_EQ(s.test_timeout, 2.5);
  EXPECT_EQ(s.labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.properties,
            (std::vector<std::pair<std::string, std::string>>{{"COST", "3"}, {"X", "a=b"}}));
  EXPECT_EQ(s.durations_file, "/d.json");
  EXPECT_EQ(s.granularity, Granularity::kShard);  // the default
  EXPECT_THROW(ApplyOptionWords({{"PROPERTIES", {"=x"}}}, &s), Error);
  try {
    ApplyOptionWords({{"PORT_BASE", {"1.5"}}}, &s);
    FAIL();
  } catch (const InvalidOptionWord& e) {
    EXPECT_EQ(e.flag, "port-base");
    EXPECT_EQ(e.word, "1.5");
  }
  EXPECT_THROW(ApplyOptionWords({{"TIMEOUT", {"soon"}}}, &s), InvalidOptionWord);
}

TEST(Settings, SettingsWrittenBeforeImportsExistedImportTheSuite) {
  nlohmann::json old = SettingsToJson(Settings{});
  old.erase("imports");
  EXPECT_EQ(SettingsFromJson(old).imports, Imports::kSuite);
}

TEST(Settings, WrongFormatAsksToRerunCmake) {
  try {
    SettingsFromJson({{"format", "other"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("re-run cmake"), std::string::npos);
  }
  nlohmann::json broken = SettingsToJson(Settings{});
  broken.erase("python");
  EXPECT_THROW(SettingsFromJson(broken), Error);
}

TEST(ValidateSettings, AcceptsTheDefaultsAndTheLastPort) {
  Settings s;
  s.environment = {"A=1", "B=", "C=x=y"};
  EXPECT_NO_THROW(ValidateSettings(s));
  s.port_base = 65535;
  s.ports_per_shard = 1;
  EXPECT_NO_THROW(ValidateSettings(s));
}

TEST(ValidateSettings, NamesThePortsThatDoNotFit) {
  Settings s;
  s.port_base = 65535;
  s.ports_per_shard = 2;
  try {
    ValidateSettings(s);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "PORT_BASE 65535 with PORTS_PER_SHARD 2 does not fit below port 65536; choose "
                 "smaller values in pytest_shard_tests()");
  }
  s.port_base = 0;
  s.ports_per_shard = 1;
  EXPECT_THROW(ValidateSettings(s), Error);
  s.port_base = 20000;
  s.ports_per_shard = 0;
  EXPECT_THROW(ValidateSettings(s), Error);
}

TEST(ValidateSettings, NamesTheEnvironmentEntryThatIsNoAssignment) {
  Settings s;
  for (const char* bad : {"JUSTANAME", "=value"}) {
    s.environment = {"OK=1", bad};
    try {
      ValidateSettings(s);
      FAIL() << "expected an Error for " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), std::string("ENVIRONMENT entry '") + bad +
                                           "' is not VAR=value; fix it in pytest_shard_tests() "
                                           "and re-run cmake");
    }
  }
  EXPECT_EQ(SplitAssignment("C=x=y"), std::make_pair(std::string("C"), std::string("x=y")));
}

}  // namespace
}  // namespace pytest_shards
