// What pytest-shards needs from the operating system beyond C++17, in one
// place (as ninja's util.h): platform-posix.cc implements it. The other
// system-facing concepts have a header of their own and a -posix.cc file:
// subprocess.h (child processes, interrupts), file_lock.h (flock) and
// process_memory.h (/proc). A Windows port adds the four *-win32.cc files
// and changes no other file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pytest_shards {

// Between the directories of PATH and PYTHONPATH.
#ifdef _WIN32
constexpr char kPathListSeparator = ';';
#else
constexpr char kPathListSeparator = ':';
#endif

int CurrentProcessId();
// The process that started this one (for a CTest entry: ctest), or the one
// that adopted it when that one ended first.
int ParentProcessId();
// Whether process `pid` exists (it may belong to another user).
bool ProcessExists(int pid);
// The command line of process `pid` (Linux: /proc/<pid>/cmdline), argv[0]
// first, or none when the system cannot say.
std::vector<std::string> ProcessArguments(int pid);

// This program's own file (for the commands it writes into CTest files);
// `argv0` made absolute when the system cannot say.
std::filesystem::path ExecutablePath(const char* argv0);

// Whether stdout is a terminal, and its width in columns (0: unknown).
bool StdoutIsTerminal();
int TerminalColumns();

// CPUs in this process's affinity mask (sched_getaffinity); 0 when unknown.
int AffinityCores();

// True when `port` can be bound on 127.0.0.1 now, as a server binds it
// (SO_REUSEADDR: a port whose last connection lingers in TIME_WAIT is free).
bool LoopbackPortFree(int port);

// Appends `text` with a single write to the end of `path` (created when
// missing; emptied first when `truncate`), so that the lines of two
// processes appending to one file stay whole. Throws Error naming the file.
void AppendToFile(const std::filesystem::path& path, std::string_view text, bool truncate);

// A file created (or emptied) for a child process to write to: its handle
// goes into SpawnOptions::stdout_fd / stderr_fd. Closed on destruction.
class OutputFile {
 public:
  // Throws Error "cannot write <path>: <reason>; make the build tree writable".
  explicit OutputFile(const std::filesystem::path& path);
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  int fd() const { return fd_; }
  void Close();

 private:
  int fd_ = -1;
};

}  // namespace pytest_shards
