"""End-to-end: the Debian package, with one CMake (run it once per CMake
version).

- `cpack -G DEB` on the build tree, staging in --work, writes
  pytest-shards_<project version>-1_<dpkg architecture>.deb and leaves no
  package or staging directory in the build tree;
- its control fields: Package, Version, Architecture, Maintainer,
  Description; Depends names only Debian packages that exist, among them the
  one owning each shared library the executable links (dpkg -S), python3,
  python3-pytest and cmake; `apt-get install --simulate ./<deb>` resolves them;
- it holds exactly the files of `cmake --install`, under /usr;
- unpacked with `dpkg -x` into a temporary root, it serves a consumer project
  (deb/) configured with CMAKE_PREFIX_PATH=<root>/usr: `ctest -j 2` passes,
  every collected node ID passed once per suite, run by the unpacked
  executable and plugin, and nothing of the build tree is used.
"""
import os
import pathlib
import re
import shutil
import time

from harness import (HERE, REPO, arguments, check, check_once, collected_node_ids, configure,
                     install, listed_tests, read_evidence, run, start)


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def project_version():
    text = (REPO / "CMakeLists.txt").read_text()
    return re.search(r"project\(PytestShards VERSION (\S+)", text).group(1)


def build_package(args, work):
    """cpack -G DEB; returns the .deb."""
    cpack = pathlib.Path(args.cmake).with_name("cpack")
    build = args.build_dir
    started = time.time()
    run(cpack, "-G", "DEB", "--config", build / "CPackConfig.cmake", "-B", work / "cpack")
    arch = run("dpkg", "--print-architecture").stdout.strip()
    name = f"pytest-shards_{project_version()}-1_{arch}.deb"
    debs = sorted(p.name for p in (work / "cpack").glob("*.deb"))
    check(debs == [name], f"cpack -G DEB wrote {name} (project version, dpkg architecture)", debs)
    # (A `cpack` run in the build tree by hand leaves older ones there.)
    left = [p.name for p in build.iterdir()
            if (p.suffix == ".deb" or p.name == "_CPack_Packages")
            and p.stat().st_mtime >= started]
    check(not left, "cpack -B wrote no package and no _CPack_Packages in the build tree", left)
    return work / "cpack" / name


def field(deb, name):
    return run("dpkg-deb", "-f", deb, name).stdout.strip()


def depends_names(depends):
    """Package names of a Depends field: alternatives split, versions dropped."""
    names = []
    for relation in depends.split(","):
        for alternative in relation.split("|"):
            names.append(re.match(r"\s*([^\s(:]+)", alternative).group(1))
    return names


def package_exists(name):
    installed = run("dpkg-query", "-W", "-f=${Status}", name, check=False)
    return ("install ok installed" in installed.stdout
            or run("apt-cache", "show", name, check=False).returncode == 0)


def library_owners(executable):
    """Debian package of each shared library the executable links (NEEDED)."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        run("readelf", "-d", executable).stdout)
    if not needed:
        return {}  # linked statically (PYTEST_SHARDS_STATIC): ldd refuses it
    paths = dict(re.findall(r"^\s*(\S+) => (/\S+)", run("ldd", executable).stdout, re.M))
    owners = {}
    for library in needed:
        path = paths.get(library)
        if path is None:
            check(False, f"ldd does not resolve {library}")
        # Merged /usr: ldd may say /lib/... where dpkg recorded /usr/lib/... (or
        # the reverse), and a soname may be a symlink dpkg knows by its target.
        other = path[len("/usr"):] if path.startswith("/usr/") else "/usr" + path
        for candidate in (path, other, os.path.realpath(path)):
            found = run("dpkg", "-S", candidate, check=False)
            if found.returncode == 0:
                owners[library] = found.stdout.split(":")[0]
                break
        if library not in owners:
            check(False, f"dpkg -S knows no package of {library} ({path})")
    return owners


def check_control(deb):
    check(field(deb, "Package") == "pytest-shards"
          and field(deb, "Version") == f"{project_version()}-1"
          and field(deb, "Architecture") == run("dpkg", "--print-architecture").stdout.strip(),
          "Package pytest-shards, Version <project version>-1, Architecture of dpkg")
    maintainer, description = field(deb, "Maintainer"), field(deb, "Description")
    check(re.fullmatch(r".+ <[^ @]+@[^ @]+>", maintainer) and len(description.splitlines()) > 1
          and all(len(line) < 80 for line in description.splitlines()),
          f"Maintainer {maintainer!r}; a summary and an extended description in lines < 80")
    depends = field(deb, "Depends")
    names = depends_names(depends)
    missing = [n for n in names if not package_exists(n)]
    check(names and not missing, f"Depends names {len(names)} Debian packages that exist "
                                 f"(dpkg-query / apt-cache show): {depends}", missing)
    # What the README says to do, simulated: the system is left as it is.
    result = run("apt-get", "install", "--simulate", deb.resolve(), check=False)
    check(result.returncode == 0 and re.search(r"^Inst pytest-shards ", result.stdout, re.M),
          "apt-get install --simulate ./<deb> resolves every dependency",
          result.stdout[-3000:] + result.stderr[-2000:])
    return names


def check_contents(args, work, deb, names):
    root = work / "root"
    run("dpkg", "-x", deb, root)
    prefix = install(args)
    check([p.name for p in root.iterdir()] == ["usr"]
          and files_under(root / "usr") == files_under(prefix),
          f"the package holds exactly the {len(files_under(prefix))} files of cmake --install, "
          f"under /usr", f"{files_under(root)}\n{files_under(prefix)}")
    owners = library_owners(root / "usr" / "bin" / "pytest-shards")
    unlisted = {lib: pkg for lib, pkg in owners.items() if pkg not in names}
    check(not unlisted, f"Depends holds the package of each of the {len(owners)} libraries "
                        f"the executable links ({sorted(set(owners.values()))})", unlisted)
    needed = {"python3", "python3-pytest", "cmake"}
    check(needed <= set(names), f"Depends holds {sorted(needed)}")
    return root


def check_consumer(args, work, root):
    src, build = work / "src", work / "build"
    shutil.copytree(HERE / "deb", src)
    configure(args, src, build, root / "usr")
    cache = (build / "CMakeCache.txt").read_text()
    found = re.search(r"^PytestShards_DIR:[A-Z]+=(.*)$", cache, re.M).group(1)
    check(pathlib.Path(found).is_relative_to(root / "usr"),
          f"find_package found the unpacked package (PytestShards_DIR={found})")
    run(args.cmake, "--build", build)
    executable = str(root / "usr" / "bin" / "pytest-shards")
    listed = listed_tests(args.ctest, build)
    commands = {t["command"][0] for t in listed}
    check(commands == {executable}, f"each of the {len(listed)} CTest entries runs "
                                    f"<root>/usr/bin/pytest-shards", commands)
    result = run(args.ctest, "--test-dir", build, "-j", "2", "--output-on-failure", check=False)
    check(result.returncode == 0, "ctest -j 2 in the consumer project passed",
          result.stdout[-5000:] + result.stderr[-2000:])

    expected = collected_node_ids(args.python, src / "suite")
    plugin = str(root / "usr" / "share" / "pytest-shards" / "pytest_shards_plugin" / "__init__.py")
    for suite in ("packaged", "packaged-ide"):
        records = read_evidence(build / "evidence" / suite)
        check_once((r["nodeid"] for r in records), expected,
                   f"{suite}: each of the {len(expected)} collected node IDs passed exactly once")
        plugins = {r["plugin"] for r in records}
        check(plugins == {plugin}, f"{suite}: the tests ran with the unpacked plugin", plugins)


def main():
    args = start(arguments(__doc__))
    work = args.work
    deb = build_package(args, work)
    names = check_control(deb)
    root = check_contents(args, work, deb, names)
    check_consumer(args, work, root)
    version = run(args.cmake, "--version").stdout.split()[2]
    print(f"Debian package end-to-end (CMake {version}): all checks passed")


if __name__ == "__main__":
    main()
