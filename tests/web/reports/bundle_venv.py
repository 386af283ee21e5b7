"""Following a results bundle's README by the letter: its commands in a clean virtual environment
with exactly the packages it names, shared by the tests of one session (pip takes half a minute)."""
import hashlib
import io
import re
import subprocess
import zipfile
from pathlib import Path

#: what a reader has: the system's own tools, no project on any path
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1", "HOME": "/root", "LANG": "C.UTF-8"}
_venvs: dict[str, Path] = {}


def readme_commands(readme: str) -> list[str]:
    """The English section's commands (indented four spaces after "To recompute")."""
    section = readme.split("To recompute", 1)[1].split("Both lines print", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ") and line.strip()]


def unpack(bundle: bytes, folder: Path) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(bundle))
    files = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return files


def follow_readme(bundle: bytes, folder: Path, cache: Path) -> tuple[str, list[str]]:
    """Run the README's commands in `folder`: the venv and pip lines once per set of packages
    (in `cache`, linked in), the rest as written. Returns sha256 of recomputed.json and the
    README's pip line."""
    files = unpack(bundle, folder)
    commands = readme_commands(files["README.txt"].decode("utf-8"))
    setup = [c for c in commands if c.startswith(("python3 -m venv", "venv/bin/pip "))]
    rest = [c for c in commands if c not in setup]
    key = hashlib.sha256("\n".join(setup).encode()).hexdigest()[:12]
    if key not in _venvs:
        home = cache / f"bundle-venv-{key}"
        home.mkdir(parents=True, exist_ok=True)
        for command in setup:
            done = subprocess.run(command, shell=True, cwd=home, env=CLEAN_ENV, capture_output=True, text=True)
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        _venvs[key] = home / "venv"
    (folder / "venv").symlink_to(_venvs[key])
    outputs = []
    for command in rest:
        done = subprocess.run(command, shell=True, cwd=folder, env=CLEAN_ENV, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        outputs.append(done.stdout)
    return hashlib.sha256((folder / "recomputed.json").read_bytes()).hexdigest(), setup, "".join(outputs)


def installed(venv: Path) -> set[str]:
    """The distributions in a venv besides pip and setuptools, as name==version."""
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "freeze", "--all"], capture_output=True,
                          text=True, env=CLEAN_ENV, check=True)
    return {line.strip().lower() for line in done.stdout.splitlines()
            if line.strip() and not re.match(r"(pip|setuptools|wheel)==", line.strip().lower())}
