# Debian package of the install tree (cmake/Install.cmake): `cpack -G DEB` in
# the build tree writes pytest-shards_<version>-1_<architecture>.deb, which
# installs under /usr. dpkg-shlibdeps (dpkg-dev) derives the dependencies of
# the executable from the shared libraries it links.
set(PYTEST_SHARDS_DEB_MAINTAINER
  "pytest-shards maintainers <maintainers@pytest-shards.invalid>"
  CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pytest-shards)
set(CPACK_PACKAGE_CONTACT "${PYTEST_SHARDS_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# One line of the Debian extended description per line (CPack indents them).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "pytest-shards collects the node IDs of a pytest suite at configure time,"
  "plans shards from measured durations and registers one CTest entry per"
  "shard, so that `ctest -j` runs the suite in parallel. The package holds"
  "the pytest-shards executable, its pytest plugin, the CMake package"
  "(find_package(PytestShards)) and CMake preset fragments.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

# pytest-shards_<version>-<release>_<dpkg --print-architecture>.deb
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What the executable does not link: the interpreter and pytest run the
# plugin; CMake loads the package, whose module needs 3.25 (cmake_policy).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3, python3-pytest, cmake (>= 3.25)")

include(CPack)
