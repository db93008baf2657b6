// What pytest-shards needs from the operating system beyond C++17, in one
// place (as ninja's util.h): platform-posix.cc implements it; a Windows port
// adds platform-win32.cc (and subprocess-win32.cc, file_lock-win32.cc,
// process_memory-win32.cc) and changes no other file.
#pragma once

namespace pytest_shards {

// Between the directories of PATH and PYTHONPATH.
#ifdef _WIN32
constexpr char kPathListSeparator = ';';
#else
constexpr char kPathListSeparator = ':';
#endif

}  // namespace pytest_shards
