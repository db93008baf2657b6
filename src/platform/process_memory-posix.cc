// ProcessGroupRssKb from Linux's /proc; 0 on other POSIX systems.
#include "platform/process_memory.h"

#ifdef __linux__
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#endif

namespace pytest_shards {

#ifdef __linux__

namespace {

// Reads /proc/<pid>/stat into `buffer`; false when the process is gone.
bool ReadStat(const char* pid, char* buffer, size_t size) {
  // A /proc entry name is at most NAME_MAX (255) bytes.
  char path[sizeof "/proc//stat" + 256];
  std::snprintf(path, sizeof path, "/proc/%s/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t length = ::read(fd, buffer, size - 1);
  ::close(fd);
  if (length <= 0) return false;
  buffer[length] = '\0';
  return true;
}

// The process group and the resident pages in a stat line. The command
// name (field 2) may hold spaces and ')': the fields after it follow the
// last ')'. From there, field 5 (pgrp) is the 2nd and field 24 (rss) the
// 21st space-separated word after the state.
bool ParseStat(const char* stat, long* group, long* rss_pages) {
  const char* cursor = std::strrchr(stat, ')');
  if (cursor == nullptr) return false;
  ++cursor;
  for (int field = 3; field <= 24; ++field) {
    char* end = nullptr;
    while (*cursor == ' ') ++cursor;
    if (*cursor == '\0') return false;
    if (field == 5) *group = std::strtol(cursor, &end, 10);
    if (field == 24) *rss_pages = std::strtol(cursor, &end, 10);
    while (*cursor != ' ' && *cursor != '\0') ++cursor;
  }
  return true;
}

}  // namespace

long ProcessGroupRssKb(int group) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return 0;
  static const long kPageKb = ::sysconf(_SC_PAGESIZE) / 1024;
  long total_kb = 0;
  char stat[1024];
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    long process_group = -1, rss_pages = 0;
    if (!ReadStat(entry->d_name, stat, sizeof stat)) continue;
    if (!ParseStat(stat, &process_group, &rss_pages)) continue;
    if (process_group == group && rss_pages > 0) total_kb += rss_pages * kPageKb;
  }
  ::closedir(proc);
  return total_kb;
}

#else

long ProcessGroupRssKb(int) { return 0; }

#endif

}  // namespace pytest_shards
