// Tests of what watch draws: failure lines, and the terminal and log
// displays.
#include "watch/watch_display.h"

#include <gtest/gtest.h>

#include <sstream>

#include "watch_fixtures.h"

namespace pytest_shards {
namespace {

TEST(FailureLine, OutcomeNodeIdAndKeyLine) {
  EXPECT_EQ(FailureLine({"t.py::a", "failed", 0.1,
                         "    def test_a():\n>       assert 1 == 2\nE       assert 1 == 2\n"}),
            "FAILED t.py::a - assert 1 == 2");
  EXPECT_EQ(FailureLine({"t.py::b", "crashed", 0, "crashed: signal 11 while running t.py::b"}),
            "CRASHED t.py::b - crashed: signal 11 while running t.py::b");
  EXPECT_EQ(FailureLine({"t.py::c", "error", 0, ""}), "ERROR t.py::c");
}

TEST(Printable, EscapesControlCharactersAndExpandsTabs) {
  EXPECT_EQ(Printable("t.py::a[\x1b[31m]"), "t.py::a[\\x1B[31m]");
  EXPECT_EQ(Printable("a\nb\rc\x7f"), "a\\x0Ab\\x0Dc\\x7F");
  EXPECT_EQ(Printable("\t  1 - suite/shard-00"), "          1 - suite/shard-00");
  EXPECT_EQ(Printable("ab\tc"), "ab      c");
  EXPECT_EQ(Printable("\xc3\xa9\tx"), "\xc3\xa9       x");  // é is one column
  EXPECT_EQ(Printable("csi\xc2\x9b"
                      "2J"),
            "csi\\u009B2J");
  EXPECT_EQ(Printable("plain"), "plain");
}

// ---- Display ------------------------------------------------------------------

TEST(Display, LogGetsOneProgressLinePerInterval) {
  std::ostringstream out;
  Display display(out, /*tty=*/false, 0, /*interval=*/5);
  display.Update("p1", 1);
  EXPECT_EQ(out.str(), "");
  display.Update("p2", 5);
  display.Update("p3", 7);
  display.Update("p4", 10.5);
  EXPECT_EQ(out.str(), "p2\np4\n");
  display.Line("FAILED t.py::a");
  display.Finish("p5");
  EXPECT_EQ(out.str(), "p2\np4\nFAILED t.py::a\np5\n");
}

TEST(Display, LogHasNoControlCharacters) {
  std::ostringstream out;
  Display display(out, /*tty=*/false, 80, 1);
  display.Update("1/3 tests", 1);
  display.Line(FailureLine({"t.py::test[\x1b[2J\r\t\x07]", "failed", 0, "E   bad\x1b[0m"}));
  display.Lines("The following tests FAILED:\n\t  1 - suite/shard-00 (Failed)\r\n");
  display.Update("2/3 tests", 2);
  display.Finish("3/3 tests");
  EXPECT_FALSE(HasControlCharacter(out.str())) << out.str();
  EXPECT_TRUE(Contains(out.str(), "FAILED t.py::test[\\x1B[2J\\x0D   \\x07] - bad\\x1B[0m\n"))
      << out.str();
  EXPECT_TRUE(Contains(out.str(), "\n          1 - suite/shard-00 (Failed)\n")) << out.str();
}

TEST(Display, TerminalRedrawsInPlace) {
  std::ostringstream out;
  Display display(out, /*tty=*/true, 0, 5);
  display.Update("1/3 tests", 0.2);
  EXPECT_EQ(out.str(), "\r\x1b[K1/3 tests");
  display.Update("1/3 tests", 0.4);  // unchanged: not drawn again
  EXPECT_EQ(out.str(), "\r\x1b[K1/3 tests");
  display.Update("2/3 tests", 0.6);
  // A failure erases the line, stands on its own, and the line comes back.
  display.Line("FAILED t.py::b");
  display.Finish("3/3 tests");
  EXPECT_EQ(
      out.str(),
      "\r\x1b[K1/3 tests\r\x1b[K2/3 tests\r\x1b[KFAILED t.py::b\n2/3 tests\r\x1b[K3/3 tests\n");
}

TEST(Display, TerminalLineFitsTheWidth) {
  std::ostringstream out;
  Display display(out, /*tty=*/true, 10, 5);
  display.Update("0123456789abcdef", 1);
  EXPECT_EQ(out.str(), "\r\x1b[K012345678");
}

}  // namespace
}  // namespace pytest_shards
