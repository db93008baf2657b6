# Install tree: bin/pytest-shards, share/pytest-shards/pytest_shards_plugin/
# (the plugin package), lib/cmake/PytestShards/ (package config, version file,
# the module, its table of options and its ctest-time script).
include(CMakePackageConfigHelpers)

set(PYTEST_SHARDS_DATADIR "${CMAKE_INSTALL_DATADIR}/pytest-shards")
set(PYTEST_SHARDS_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/PytestShards")

install(TARGETS pytest-shards RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(DIRECTORY python/pytest_shards_plugin DESTINATION "${PYTEST_SHARDS_DATADIR}"
  FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
# Preset fragments for users' CMakePresets.json ("include").
install(FILES presets/pytest-shards.json presets/pytest-shards-4.3.json
  DESTINATION "${PYTEST_SHARDS_DATADIR}/presets")

configure_package_config_file(cmake/PytestShardsConfig.cmake.in
  "${PROJECT_BINARY_DIR}/PytestShardsConfig.cmake"
  INSTALL_DESTINATION "${PYTEST_SHARDS_CMAKEDIR}"
  PATH_VARS CMAKE_INSTALL_BINDIR PYTEST_SHARDS_DATADIR)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/PytestShardsConfigVersion.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/PytestShardsConfig.cmake"
  "${PROJECT_BINARY_DIR}/PytestShardsConfigVersion.cmake"
  cmake/PytestShards.cmake
  cmake/options.json
  cmake/PytestShardsAddTests.cmake
  cmake/PytestShardsTestFast.cmake
  DESTINATION "${PYTEST_SHARDS_CMAKEDIR}")
