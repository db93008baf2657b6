# The suites every consumer project registers, whichever way it got
# pytest_shard_tests(): the same node IDs as shards, one entry per file and
# one entry per node ID (what IDE test explorers show).
set(WORLD_EVIDENCE "${CMAKE_BINARY_DIR}/evidence" CACHE PATH "where the suite's conftest writes")
set(WORLD_PYTHON "" CACHE FILEPATH "PYTHON for pytest_shard_tests(); empty: discover")
set(python)
if(WORLD_PYTHON)
  set(python PYTHON "${WORLD_PYTHON}")
endif()
set(suite "${CMAKE_CURRENT_LIST_DIR}/suite")

pytest_shard_tests(world ${python}
  WORKING_DIRECTORY "${suite}"
  SHARDS 3
  ENVIRONMENT "EVIDENCE_DIR=${WORLD_EVIDENCE}/world"
  TIMEOUT 300)
pytest_shard_tests(world-file ${python}
  WORKING_DIRECTORY "${suite}"
  GRANULARITY file
  ENVIRONMENT "EVIDENCE_DIR=${WORLD_EVIDENCE}/world-file"
  TIMEOUT 300)
pytest_shard_tests(world-ide ${python}
  WORKING_DIRECTORY "${suite}"
  GRANULARITY test
  ENVIRONMENT "EVIDENCE_DIR=${WORLD_EVIDENCE}/world-ide"
  TIMEOUT 300)
