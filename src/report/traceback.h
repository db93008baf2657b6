// A failure's traceback in one of pytest's --tb styles. The journal keeps
// pytest's longrepr text as the entry's pytest wrote it (report --junit
// puts it in <failure>): in pytest's default style, the first and last
// frames long (their source, the arguments, "E" lines, then "path:N:
// Type") and the others short ("path:N: in f", the line). `watch --tb`
// shows it in the style asked for, derived from that text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pytest_shards {

// pytest's names: long (the text as journalled), short (each frame as
// "path:N: in f", its line, and the "E" lines), line (one line: where it
// failed and the error's first line), no (nothing).
enum class TracebackStyle { kLong, kShort, kLine, kNo };

// The style pytest's --tb calls `word`; nullopt for another word.
std::optional<TracebackStyle> ParseTracebackStyle(std::string_view word);

// `message` (a result's longrepr text) in `style`, "" for kNo. A message
// that is no traceback (a crash, a timeout, pytest.fail(pytrace=False))
// stays as it is in long and short style; line style gives its key line
// (KeyLine, report_summary.h).
std::string FormatTraceback(const std::string& message, TracebackStyle style);

}  // namespace pytest_shards
