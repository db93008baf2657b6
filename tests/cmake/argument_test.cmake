# Test of _pytest_shards_argument (cmake/PytestShardsAddTests.cmake), the one
# quoting of the CMake code that PytestShards generates: every nasty text reads
# back exactly, both through cmake_language(EVAL) (the wrapped add_test()) and
# from a file (the generated include files).
#
#   cmake -DMODULE_DIR=<cmake/> -DWORK_DIR=<scratch dir> -P argument_test.cmake

include("${MODULE_DIR}/PytestShardsAddTests.cmake")
set(failures 0)

function(check_reads_back text)
  _pytest_shards_argument(quoted "${text}")
  unset(back)
  cmake_language(EVAL CODE "set(back ${quoted})")
  set(through_file "${WORK_DIR}/argument_case.cmake")
  file(WRITE "${through_file}" "set(from_file ${quoted})\n")
  unset(from_file)
  include("${through_file}")
  if(NOT "${back}" STREQUAL "${text}" OR NOT "${from_file}" STREQUAL "${text}")
    string(REPLACE "\n" "\\n" shown "${text}")
    string(REPLACE "\r" "\\r" shown "${shown}")
    message(SEND_ERROR "'${shown}' quoted as ${quoted} reads back as '${back}' (EVAL), "
      "'${from_file}' (file)")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  endif()
endfunction()

check_reads_back("")
check_reads_back("plain /usr/bin/pytest-shards")
check_reads_back("a]")
check_reads_back("a]=")
check_reads_back("a]==")
check_reads_back("]=]")
check_reads_back("x]==]y]=]z]===")
check_reads_back("]]")
check_reads_back("[=[open")
check_reads_back("\nleading newline")
check_reads_back("\n\ntwo leading newlines")
check_reads_back("trailing newline\n")
check_reads_back("cr\r\nlf")
check_reads_back("cr lf at the end\r\n")
check_reads_back("a lone \r")
check_reads_back("back\\slash\\")
check_reads_back("\${HOME} and $ENV{HOME}")
check_reads_back("semi;colon;")
check_reads_back("quote\" and \\\"")
check_reads_back("@AT@ # not a comment")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} texts did not read back")
endif()
message(STATUS "every text read back exactly")
