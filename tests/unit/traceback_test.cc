#include "report/traceback.h"

#include <gtest/gtest.h>

namespace pytest_shards {
namespace {

// pytest 7.2's longrepr text of a failure three frames deep, in its default
// style (the journal's message): the first and last frames long, the middle
// one short.
constexpr const char* kDeep =
    "tmp_path = PosixPath('/tmp/pytest-of-root/pytest-217/test_deep0')\n"
    "\n"
    "    def test_deep(tmp_path):\n"
    ">       helper(1)\n"
    "\n"
    "test_tb.py:15: \n"
    "_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ \n"
    "test_tb.py:5: in helper\n"
    "    return inner(y)\n"
    "_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ \n"
    "\n"
    "y = 2\n"
    "\n"
    "    def inner(y):\n"
    ">       assert y == 5, \"y is wrong\"\n"
    "E       AssertionError: y is wrong\n"
    "E       assert 2 == 5\n"
    "E         +2\n"
    "\n"
    "test_tb.py:8: AssertionError";

// What pytest --tb=short prints for it (but the diff line, which pytest 7.2
// does not add here).
constexpr const char* kDeepShort =
    "test_tb.py:15: in test_deep\n"
    "    helper(1)\n"
    "test_tb.py:5: in helper\n"
    "    return inner(y)\n"
    "test_tb.py:8: in inner\n"
    "    assert y == 5, \"y is wrong\"\n"
    "E   AssertionError: y is wrong\n"
    "E   assert 2 == 5\n"
    "E     +2\n";

TEST(FormatTraceback, ShortIsPytestsShortStyle) {
  EXPECT_EQ(FormatTraceback(kDeep, TracebackStyle::kShort), kDeepShort);
}

TEST(FormatTraceback, ShortOfAShortTracebackIsTheSame) {
  EXPECT_EQ(FormatTraceback(kDeepShort, TracebackStyle::kShort), kDeepShort);
}

TEST(FormatTraceback, ChainedExceptionsKeepTheirDescription) {
  // The first line of pytest's text has no indentation (longreprtext is
  // stripped).
  std::string chained =
      "def test_chain():\n"
      "        try:\n"
      ">           deeper(0)\n"
      "\n"
      "test_tb.py:24: \n"
      "_ _ _ _ _ _ _ _ _ _ \n"
      "\n"
      "n = 0\n"
      "\n"
      "    def deeper(n):\n"
      ">           raise ValueError(\"bottom\")\n"
      "E           ValueError: bottom\n"
      "\n"
      "test_tb.py:19: ValueError\n"
      "\n"
      "The above exception was the direct cause of the following exception:\n"
      "\n"
      "    def test_chain():\n"
      ">           raise RuntimeError(\"wrapped\") from e\n"
      "E           RuntimeError: wrapped\n"
      "\n"
      "test_tb.py:26: RuntimeError";
  EXPECT_EQ(FormatTraceback(chained, TracebackStyle::kShort),
            "test_tb.py:24: in test_chain\n"
            "    deeper(0)\n"
            "test_tb.py:19: in deeper\n"
            "    raise ValueError(\"bottom\")\n"
            "E   ValueError: bottom\n"
            "\n"
            "The above exception was the direct cause of the following exception:\n"
            "test_tb.py:26: in test_chain\n"
            "    raise RuntimeError(\"wrapped\") from e\n"
            "E   RuntimeError: wrapped\n");
  EXPECT_EQ(FormatTraceback(chained, TracebackStyle::kLine),
            "test_tb.py:26: RuntimeError: wrapped\n");
}

TEST(FormatTraceback, LineIsWhereItFailedAndTheError) {
  EXPECT_EQ(FormatTraceback(kDeep, TracebackStyle::kLine),
            "test_tb.py:8: AssertionError: y is wrong\n");
}

TEST(FormatTraceback, LongIsTheTextAsJournalledAndNoIsNothing) {
  EXPECT_EQ(FormatTraceback(kDeep, TracebackStyle::kLong), std::string(kDeep) + "\n");
  EXPECT_EQ(FormatTraceback(kDeep, TracebackStyle::kNo), "");
}

TEST(FormatTraceback, AMessageThatIsNoTracebackStaysAsItIs) {
  const std::string crash = "crashed: signal 11 while running t.py::a";
  EXPECT_EQ(FormatTraceback(crash, TracebackStyle::kShort), crash + "\n");
  EXPECT_EQ(FormatTraceback(crash, TracebackStyle::kLine), crash + "\n");
  EXPECT_EQ(FormatTraceback("", TracebackStyle::kShort), "");
}

TEST(FormatTraceback, AnImportErrorKeepsItsHeading) {
  std::string import_error =
      "ImportError while importing test module '/s/tests/test_x.py'.\n"
      "Traceback:\n"
      "tests/test_x.py:1: in <module>\n"
      "    import nope\n"
      "E   ModuleNotFoundError: No module named 'nope'";
  EXPECT_EQ(FormatTraceback(import_error, TracebackStyle::kShort), import_error + "\n");
}

TEST(ParseTracebackStyle, PytestsNames) {
  EXPECT_EQ(ParseTracebackStyle("short"), TracebackStyle::kShort);
  EXPECT_EQ(ParseTracebackStyle("long"), TracebackStyle::kLong);
  EXPECT_EQ(ParseTracebackStyle("line"), TracebackStyle::kLine);
  EXPECT_EQ(ParseTracebackStyle("no"), TracebackStyle::kNo);
  EXPECT_EQ(ParseTracebackStyle("auto"), std::nullopt);
}

}  // namespace
}  // namespace pytest_shards
