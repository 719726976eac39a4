"""Checks this kit before anything is installed: the files the installer needs are here,
and each wheel that requirements.txt pins is in wheels/ with one of its hashes. The
installers run it with the Python they found; it prints what is wrong and exits 1."""

import hashlib
import re
import sys
from pathlib import Path

KIT = Path(__file__).resolve().parent


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text):
    """name -> (version, hashes) for each `name==version --hash=sha256:...` entry."""
    found, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", line)
        if m:
            current = normalize(m.group(1))
            found[current] = (m.group(2), set())
        for digest in re.findall(r"--hash=sha256:([0-9a-f]{64})", line):
            if current:
                found[current][1].add(digest)
    return found


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problems():
    info = dict(line.split("=", 1) for line in (KIT / "kit.txt").read_text().splitlines() if "=" in line)
    out = [f"{name} is missing" for name in info.get("files", "").split(",") if name and not (KIT / name).is_file()]
    requirements = KIT / "requirements.txt"
    if not requirements.is_file():
        return out if "requirements.txt is missing" in out else [*out, "requirements.txt is missing"]
    wheels = {}
    for wheel in (KIT / "wheels").glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        wheels.setdefault((normalize(name), version), []).append(wheel)
    for name, (version, hashes) in sorted(pins(requirements.read_text()).items()):
        candidates = wheels.get((name, version), [])
        if not candidates:
            out.append(f"wheels/ has no {name} {version}")
        elif not any(sha256(w) in hashes for w in candidates):
            out.append(f"wheels/{candidates[0].name} is damaged (its SHA-256 is not the one requirements.txt pins)")
    return out


if __name__ == "__main__":
    found = problems()
    if found:
        print("this kit is incomplete or damaged: " + "; ".join(found) + ". Copy the whole kit folder again.")
        sys.exit(1)
