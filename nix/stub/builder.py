"""lock2nix nix stub: the builder of every stub derivation that really builds.

Stands in for nixpkgs `pkgs/stdenv/generic/setup.sh` (genericBuild and its
phases) and for the Python setup hooks of
`pkgs/development/interpreters/python/hooks/` (wheel-unpack, pypa-build,
pypa-install, python-imports-check, python-metadata-check, python-output-dist)
and `wrapper.nix` (python.buildEnv).

Nix runs it as `<hostPython> -I -B builder.py` with the derivation's
attributes in the environment. Modes (attribute `stubMode`):

  interpreter  $out/bin/pythonX.Y, python3, python: wrappers around hostPython
               (fails when hostPython is not version X.Y)
  env          python.buildEnv / withPackages: merge prefixes, write wrappers
  (unset)      stdenv.mkDerivation: `buildCommand`, or the phases run by one
               bash script; Python steps call back `builder.py step NAME`.

Only the standard library is used.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile

ENV = os.environ


def fail(msg):
    sys.stderr.write("lock2nix nix stub: %s: %s\n" % (ENV.get("name", "?"), msg))
    sys.exit(1)


def flag(name):
    """A boolean derivation attribute (Nix passes true as "1", false as "")."""
    return ENV.get(name, "") not in ("", "0")


def host_python():
    return ENV["stubHostPython"]


def store_paths(var):
    return [p for p in ENV.get(var, "").split() if p]


def search_path(var):
    return [p for p in ENV.get(var, "").split(":") if p]


def strip_hash(path):
    base = os.path.basename(path.rstrip("/"))
    store = ENV.get("NIX_STORE", "/nix/store")
    if path.startswith(store + "/") and len(base) > 33 and base[32] == "-":
        return base[33:]
    return base


def canonical_name(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def base_path_env():
    dirs = []
    for var in ("nativeBuildInputs", "buildInputs", "propagatedBuildInputs"):
        for p in store_paths(var):
            b = os.path.join(p, "bin")
            if os.path.isdir(b) and b not in dirs:
                dirs.append(b)
    dirs.append(os.path.dirname(host_python()))
    dirs += ["/usr/local/bin", "/usr/bin", "/bin"]
    return ":".join(dirs)


def write_executable(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def site_dir():
    return os.path.join(ENV["out"], ENV["stubSitePackages"])


# --------------------------------------------------------------------- interpreter


def build_interpreter():
    want = ENV["pythonVersion"]
    have = "%d.%d" % sys.version_info[:2]
    if want != have:
        fail(
            "this is the stub of python%s but hostPython (%s) is Python %s; "
            "use pkgs.python%s (or pass a Python %s as hostPython)"
            % (want, host_python(), have, have.replace(".", ""), want)
        )
    out = ENV["out"]
    script = '#!/bin/sh\nexec %s "$@"\n' % shlex.quote(host_python())
    for prog in (ENV["executable"], "python3", "python"):
        write_executable(os.path.join(out, "bin", prog), script)
    os.makedirs(os.path.join(out, ENV["sitePackages"]), exist_ok=True)


# --------------------------------------------------------------------- env


def same_file(a, b):
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    except OSError:
        return False


def wrapper_arg_lines(args):
    """makeWrapper arguments -> (shell lines, extra interpreter flags)."""
    lines, flags = [], []
    i = 0

    def take(n):
        nonlocal i
        vals = args[i + 1 : i + 1 + n]
        if len(vals) != n:
            fail("makeWrapperArgs: %s needs %d arguments" % (args[i], n))
        i += n + 1
        return vals

    while i < len(args):
        a = args[i]
        q = shlex.quote
        if a == "--set":
            k, v = take(2)
            lines.append("export %s=%s" % (k, q(v)))
        elif a == "--set-default":
            k, v = take(2)
            lines.append('export %s="${%s-%s}"' % (k, k, v.replace('"', '\\"')))
        elif a == "--unset":
            (k,) = take(1)
            lines.append("unset %s" % k)
        elif a in ("--prefix", "--suffix"):
            k, sep, v = take(3)
            if a == "--prefix":
                lines.append('export %s=%s"${%s:+%s$%s}"' % (k, q(v), k, sep, k))
            else:
                lines.append('export %s="${%s:+$%s%s}"%s' % (k, k, k, sep, q(v)))
        elif a == "--run":
            (cmd,) = take(1)
            lines.append(cmd)
        elif a == "--chdir":
            (d,) = take(1)
            lines.append("cd %s" % q(d))
        elif a == "--add-flags":
            (f,) = take(1)
            flags.append(f)
        else:
            fail("makeWrapperArgs: %r is not supported by the stub" % a)
    return lines, flags


def build_env():
    out = ENV["out"]
    site_rel = ENV["stubSitePackages"]
    interpreter = ENV["stubInterpreter"]
    ignore = flag("ignoreCollisions")
    links, collisions = {}, []
    for prefix in store_paths("stubEnvPaths"):
        for root, dirs, files in os.walk(prefix, followlinks=True):
            rel_root = os.path.relpath(root, prefix)
            if rel_root.split(os.sep)[0] == "nix-support":
                dirs[:] = []
                continue
            for f in files:
                rel = os.path.normpath(os.path.join(rel_root, f))
                if prefix == interpreter and rel.startswith("bin" + os.sep):
                    continue
                source = os.path.join(root, f)
                if rel in links:
                    if not ignore and not same_file(links[rel], source):
                        collisions.append("collision between `%s' and `%s'" % (links[rel], source))
                    continue
                links[rel] = source
    if collisions:
        fail("python env: conflicting files (set ignoreCollisions = true to allow):\n  " + "\n  ".join(collisions))
    for rel, source in sorted(links.items()):
        dest = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.symlink(source, dest)
    os.makedirs(os.path.join(out, site_rel), exist_ok=True)
    os.makedirs(os.path.join(out, "bin"), exist_ok=True)

    env_site = os.path.join(out, site_rel)
    custom_dir = os.path.join(out, "lib", "lock2nix-stub-env")
    executable = os.path.join(out, "bin", ENV["executable"])
    os.makedirs(custom_dir, exist_ok=True)
    with open(os.path.join(custom_dir, "sitecustomize.py"), "w") as f:
        f.write(
            "# lock2nix nix stub: make this environment's site-packages the only one\n"
            "import site, sys\n"
            "_env_site = %r\n"
            "_host = set(site.getsitepackages())\n"
            "try:\n"
            "    _host.add(site.getusersitepackages())\n"
            "except Exception:\n"
            "    pass\n"
            "sys.path[:] = [p for p in sys.path if p not in _host]\n"
            "site.addsitedir(_env_site)\n"
            "sys.executable = %r\n" % (env_site, executable)
        )
    lines, flags = wrapper_arg_lines(json.loads(ENV.get("stubMakeWrapperArgs", "[]")))
    script = ["#!/bin/sh", "# lock2nix nix stub: python environment wrapper"]
    script.append(
        'export PYTHONPATH=%s"${PYTHONPATH:+:$PYTHONPATH}"' % shlex.quote(custom_dir + ":" + env_site)
    )
    if not flag("permitUserSite"):
        script.append("export PYTHONNOUSERSITE=true")
    script += lines
    script.append("exec %s %s\"$@\"" % (shlex.quote(host_python()), "".join(f + " " for f in flags)))
    text = "\n".join(script) + "\n"
    for prog in (ENV["executable"], "python3", "python"):
        path = os.path.join(out, "bin", prog)
        if os.path.lexists(path):
            os.unlink(path)
        write_executable(path, text)
    if ENV.get("postBuild"):
        run_bash(ENV["postBuild"], cwd=out)


# --------------------------------------------------------------------- generic build


def run_bash(script, cwd=None):
    bash = shutil.which("bash", path=ENV.get("PATH")) or shutil.which("bash", path="/usr/bin:/bin")
    if not bash:
        fail("bash is needed to run build phases")
    r = subprocess.run([bash, "-e", "-c", script], cwd=cwd)
    if r.returncode != 0:
        sys.exit(r.returncode)


PHASES = ["unpack", "patch", "configure", "build", "check", "install", "fixup", "installCheck", "dist"]


def cap(s):
    return s[0].upper() + s[1:]


def default_phase(phase):
    """Shell code of a phase's default implementation (with its hooks)."""
    fmt = ENV.get("stubPythonFormat", "")
    P = cap(phase)
    body = ""
    if phase == "unpack":
        if fmt == "wheel" and not flag("dontUseWheelUnpack"):
            body = 'mkdir -p dist && cp "$src" "dist/$stubSrcName" && chmod u+w "dist/$stubSrcName"'
        else:
            body = '__root="$(stubStep unpack)"; sourceRoot="${sourceRoot:-$__root}"'
    elif phase == "patch":
        body = 'for p in ${patches:-}; do echo "applying patch $p"; patch ${patchFlags:--p1} < "$p"; done'
    elif phase == "build":
        if fmt in ("pyproject", "setuptools") and not flag("dontUsePypaBuild"):
            body = "stubStep build-wheel"
    elif phase == "install":
        if fmt in ("wheel", "pyproject", "setuptools") and not flag("dontUsePypaInstall"):
            body = "stubStep install-wheels"
        elif fmt == "egg":
            body = "stubStep fail 'format = \"egg\" is not supported by the stub'"
        else:
            body = (
                "stubStep fail 'no installPhase: stdenv would run `make install` here, "
                "which the stub does not emulate; give an installPhase'"
            )
    lines = ["runHook pre%s" % P]
    if body:
        lines.append(body)
    lines.append("runHook post%s" % P)
    return "\n".join(lines)


def generic_build():
    prelude = r"""
set -e
runHook() { local __h="$1"; if [ -n "${!__h:-}" ]; then eval "${!__h}"; fi; }
stripHash() { local b; b="$(basename "$1")"; if [ "${b:32:1}" = "-" ]; then echo "${b:33}"; else echo "$b"; fi; }
stubStep() { "$stubHostPython" -I -B "$stubBuilder" step "$@"; }
cd "$NIX_BUILD_TOP"
"""
    if ENV.get("buildCommand"):
        run_bash(prelude + 'eval "$buildCommand"\n')
        return
    selected = ENV.get("phases", "").split()
    parts = [prelude]
    for phase in PHASES:
        var = phase + "Phase"
        if selected and var not in selected:
            continue
        if not selected:
            if phase == "check" and not flag("doCheck"):
                continue
            if phase == "installCheck" and not flag("doInstallCheck"):
                continue
            if phase == "dist" and not flag("doDist"):
                continue
            if flag("dont" + cap(phase)):
                continue
        parts.append('echo "lock2nix nix stub: running %s"' % var)
        parts.append('if [ -n "${%s:-}" ]; then eval "$%s"; else\n%s\nfi' % (var, var, default_phase(phase)))
        if phase == "unpack":
            parts.append('cd "${sourceRoot:-.}"')
    if ENV.get("stubPythonKind"):
        # preDistPhases of a Python package: imports check, metadata check, dist output.
        if not flag("dontUsePythonImportsCheck"):
            parts.append("stubStep imports-check")
        if not flag("dontCheckPythonMetadata"):
            parts.append("stubStep metadata-check")
        if ENV.get("dist"):
            parts.append("stubStep output-dist")
    run_bash("\n".join(parts) + "\n")


# --------------------------------------------------------------------- python steps


def step_unpack():
    sources = store_paths("srcs") or store_paths("src")
    if not sources:
        fail("variable $src or $srcs should point to the source")
    before = set(os.listdir("."))
    for source in sources:
        name = strip_hash(source)
        if os.path.isdir(source):
            shutil.copytree(source, name, symlinks=True)
        elif tarfile.is_tarfile(source):
            with tarfile.open(source) as t:
                if hasattr(tarfile, "data_filter"):
                    t.extractall(".", filter="data")
                else:
                    t.extractall(".")
        elif zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as z:
                z.extractall(".")
        else:
            fail("do not know how to unpack source archive %s" % source)
    new_dirs = sorted(d for d in set(os.listdir(".")) - before if os.path.isdir(d))
    # Writable sources, and ensureNewerSourcesForZipFilesHook: ZIP (so wheels)
    # cannot store timestamps before 1980.
    for root, dirs, files in os.walk("."):
        for n in dirs + files:
            p = os.path.join(root, n)
            if not os.path.islink(p):
                st = os.stat(p)
                os.chmod(p, st.st_mode | 0o200)
                if st.st_mtime < ZIP_EPOCH:
                    os.utime(p, (ZIP_EPOCH, ZIP_EPOCH))
    if ENV.get("sourceRoot"):
        print(ENV["sourceRoot"])
    elif len(new_dirs) == 1:
        print(new_dirs[0])
    else:
        fail("unpacker produced %s directories: %s; set sourceRoot" % (len(new_dirs), new_dirs))


def step_build_wheel():
    py = host_python()
    if subprocess.run([py, "-c", "import pip"], capture_output=True).returncode != 0:
        fail("building from source (pyproject/setuptools) needs pip in hostPython %s" % py)
    env = dict(ENV)
    env["PYTHONPATH"] = ":".join(search_path("stubBuildPythonPath") + search_path("PYTHONPATH"))
    env["HOME"] = ENV.get("TMPDIR", ENV["NIX_BUILD_TOP"])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    cmd = [py, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--no-cache-dir", "-w", "dist", "."]
    print("lock2nix nix stub: " + " ".join(cmd), file=sys.stderr)
    r = subprocess.run(cmd, env=env)
    if r.returncode != 0:
        fail("building the wheel failed (the build backend must be importable by hostPython or be in build-system)")


ZIP_EPOCH = 315619200  # 1980-01-02, as ensureNewerSourcesForZipFilesHook

WHEEL_RE = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-(?P<build>[0-9][^-]*))?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$")


def script_preamble(paths):
    # nixpkgs' wrapPythonPrograms goes through site.addsitedir, so .pth files (editable
    # installs) of the program's dependencies take effect.
    return "import site, sys\nsys.path[0:0] = %r\nfor _p in %r: site.addsitedir(_p)\n" % (paths, paths)


def runtime_paths():
    return [site_dir()] + search_path("stubRuntimePythonPath")


def install_wheel(wheel):
    out = ENV["out"]
    site = site_dir()
    fname = os.path.basename(wheel)
    m = WHEEL_RE.match(fname)
    if not m:
        fail("%s is not a valid wheel file name" % fname)
    wrap = not flag("dontWrapPythonPrograms")
    shebang = "#!" + host_python()
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        tops = {n.split("/")[0] for n in names}
        dist_infos = sorted(t for t in tops if t.endswith(".dist-info"))
        if len(dist_infos) != 1:
            fail("%s: expected exactly one .dist-info directory, found %s" % (fname, dist_infos))
        dist_info = dist_infos[0]
        di_name = dist_info[: -len(".dist-info")].rsplit("-", 1)[0]
        if canonical_name(di_name) != canonical_name(m.group("name")):
            fail("%s: .dist-info directory %s does not match the wheel file name" % (fname, dist_info))
        data_dir = dist_info[: -len(".dist-info")] + ".data"
        for info in z.infolist():
            n = info.filename
            if n.endswith("/"):
                continue
            parts = n.split("/")
            if n.startswith("/") or ".." in parts:
                fail("%s: unsafe path %s" % (fname, n))
            is_script = False
            if parts[0] == data_dir:
                kind, rest = parts[1], parts[2:]
                if kind in ("purelib", "platlib"):
                    dest = os.path.join(site, *rest)
                elif kind == "scripts":
                    dest = os.path.join(out, "bin", *rest)
                    is_script = True
                elif kind == "data":
                    dest = os.path.join(out, *rest)
                elif kind == "headers":
                    dest = os.path.join(out, "include", "python" + ENV["stubPythonVersion"], di_name, *rest)
                else:
                    fail("%s: unknown .data subdirectory %s" % (fname, kind))
            else:
                dest = os.path.join(site, *parts)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            data = z.read(info)
            mode = (info.external_attr >> 16) & 0o777
            if is_script:
                if data.startswith(b"#!python"):
                    first, _, body = data.partition(b"\n")
                    pre = script_preamble(runtime_paths()).encode() if wrap else b""
                    data = shebang.encode() + b"\n" + pre + body
                mode |= 0o755
            with open(dest, "wb") as f:
                f.write(data)
            if mode & 0o111:
                os.chmod(dest, 0o755)
    with open(os.path.join(site, dist_info, "INSTALLER"), "w") as f:
        f.write("lock2nix-nix-stub\n")
    # console_scripts / gui_scripts entry points (installer + wrapPythonPrograms).
    ep_file = os.path.join(site, dist_info, "entry_points.txt")
    if os.path.exists(ep_file):
        section = None
        for raw in open(ep_file, encoding="utf-8"):
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]").strip()
                continue
            if section not in ("console_scripts", "gui_scripts") or "=" not in line:
                continue
            script_name, target = (s.strip() for s in line.split("=", 1))
            target = target.split("[")[0].strip()
            module, _, attr = target.partition(":")
            text = shebang + "\n# generated by the lock2nix nix stub\n"
            if wrap:
                text += script_preamble(runtime_paths())
            text += (
                "import importlib, sys\n"
                "_obj = importlib.import_module(%r)\n"
                "for _part in %r:\n"
                "    _obj = getattr(_obj, _part)\n"
                "if __name__ == '__main__':\n"
                "    sys.exit(_obj())\n" % (module.strip(), [p for p in attr.strip().split(".") if p])
            )
            write_executable(os.path.join(out, "bin", script_name), text)


def step_install_wheels():
    wheels = sorted(f for f in os.listdir("dist") if f.endswith(".whl")) if os.path.isdir("dist") else []
    if not wheels:
        fail("no wheel in ./dist to install")
    for w in wheels:
        print("lock2nix nix stub: installing %s" % w, file=sys.stderr)
        install_wheel(os.path.join("dist", w))


def isolated_python_code(body):
    """Code run with `python -S`: only the package and its dependencies are importable."""
    paths = runtime_paths()
    return "import sys, site\nsys.path[0:0] = %r\nfor _p in %r:\n    site.addsitedir(_p)\n%s" % (paths, paths, body)


def step_imports_check():
    modules = ENV.get("pythonImportsCheck", "").split()
    if not modules:
        return
    print("lock2nix nix stub: checking imports %s" % " ".join(modules), file=sys.stderr)
    code = isolated_python_code("import importlib\nfor _m in %r:\n    importlib.import_module(_m)\n" % (modules,))
    r = subprocess.run([host_python(), "-S", "-B", "-c", code], cwd=ENV["out"])
    if r.returncode != 0:
        fail("pythonImportsCheck failed")


def parse_metadata(path):
    fields = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                break
            if ":" in line and not line.startswith((" ", "\t")):
                k, v = line.split(":", 1)
                fields.setdefault(k.strip().lower(), v.strip())
    return fields


def version_class():
    try:
        from packaging.version import Version  # type: ignore

        return Version
    except ImportError:
        pass
    try:
        from pip._vendor.packaging.version import Version  # type: ignore

        return Version
    except ImportError:
        return None


def step_metadata_check():
    pname = ENV.get("pname")
    version = ENV.get("version")
    if not pname or not version:
        return
    site = site_dir()
    found = None
    if os.path.isdir(site):
        for d in sorted(os.listdir(site)):
            meta = os.path.join(site, d, "METADATA")
            if d.endswith(".dist-info") and os.path.isfile(meta):
                fields = parse_metadata(meta)
                if canonical_name(fields.get("name", "")) == canonical_name(pname):
                    found = fields
                    break
    if found is None:
        fail(
            "pythonMetadataCheckHook: PackageNotFoundError: No package metadata was found for %s in %s; "
            "the derivation's pname does not correspond to the project name of the installed "
            "distribution (set dontCheckPythonMetadata = true for a package that installs none)" % (pname, site)
        )
    meta_version = found.get("version", "")
    Version = version_class()
    if Version is not None:
        try:
            want = Version(version)
        except Exception:
            fail("pythonMetadataCheckHook: the derivation's version '%s' is not a valid PEP 440 version" % version)
        try:
            same = want == Version(meta_version)
        except Exception:
            same = False
    else:
        same = version.lower() == meta_version.lower()
    if not same:
        fail(
            "pythonMetadataCheckHook: The '%s' derivation has version '%s' but .dist-info/METADATA "
            "specifies version '%s'." % (pname, version, meta_version)
        )


def step_editable_wheel():
    """mkPythonEditablePackage's wheel: the .pth pointer, metadata and entry points."""
    pname, version = ENV["pname"], ENV["version"]
    dist = re.sub(r"[-_.]+", "_", pname)
    info = "%s-%s.dist-info" % (dist, version)
    entry_points = json.loads(ENV.get("stubEditableEntryPoints", "{}"))
    files = {
        "_%s.pth" % pname: 'import os.path, sys; sys.path.insert(0, os.path.expandvars("%s"))\n'
        % ENV["stubEditableRoot"],
        info + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (pname, version),
        info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: lock2nix-nix-stub\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        info
        + "/entry_points.txt": "".join(
            "[%s]\n%s\n" % (group, "".join("%s = %s\n" % kv for kv in sorted(items.items())))
            for group, items in sorted(entry_points.items())
            if items
        ),
    }
    files[info + "/RECORD"] = "".join("%s,,\n" % n for n in sorted(files)) + info + "/RECORD,,\n"
    os.makedirs("dist", exist_ok=True)
    with zipfile.ZipFile("dist/%s-%s-py3-none-any.whl" % (dist, version), "w") as z:
        for name, text in sorted(files.items()):
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 2, 0, 0, 0)), text)


def step_output_dist():
    if not os.path.isdir("dist"):
        fail("The build contains no ./dist directory")
    shutil.move("dist", ENV["dist"])


STEPS = {
    "unpack": step_unpack,
    "build-wheel": step_build_wheel,
    "install-wheels": step_install_wheels,
    "imports-check": step_imports_check,
    "metadata-check": step_metadata_check,
    "output-dist": step_output_dist,
    "editable-wheel": step_editable_wheel,
}


def main(argv):
    if len(argv) >= 2 and argv[0] == "step":
        if argv[1] == "fail":
            fail(" ".join(argv[2:]))
        STEPS[argv[1]]()
        return
    ENV["PATH"] = base_path_env()
    ENV.setdefault("HOME", "/homeless-shelter")
    ENV.setdefault("SOURCE_DATE_EPOCH", "315532800")  # as stdenv's setup.sh
    mode = ENV.get("stubMode", "")
    if mode == "interpreter":
        build_interpreter()
    elif mode == "env":
        build_env()
    else:
        generic_build()


if __name__ == "__main__":
    main(sys.argv[1:])
