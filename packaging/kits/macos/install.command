#!/bin/bash
# Overfit Lab's offline installer for macOS 14 or later on Apple silicon. Double-click it.
#
# It makes ~/Applications/Overfit Lab.app: a virtual environment from the Python named in
# kit.txt (already on this Mac), with the wheels of this kit installed into it with no index
# and no network (each checked against the hash in requirements.txt), and a launcher that
# starts the window with no Terminal. No administrator rights are needed.
# Run again, it repairs or updates: a new environment is made beside the old one, and the
# old one is removed only once the new one works. If it stops, it says why and changes nothing.
set -u
KIT="$(cd "$(dirname "$0")" && pwd)"
APP="$HOME/Applications/Overfit Lab.app"

kit_value() { sed -n "s/^$1=//p" "$KIT/kit.txt" | head -n 1; }
WANT="$(kit_value python)"         # e.g. 3.12
VERSION="$(kit_value version)"
MIN_MACOS="$(kit_value min_macos)"  # e.g. 14
INSTALLER="$(kit_value python_installer_macos)"

fail() {
    echo
    echo "Overfit Lab was not installed: $1"
    echo "Nothing was changed. README.txt in $KIT says what this kit needs."
    exit 1
}

# --- this Mac ---------------------------------------------------------------------------------
[ "$(uname -s)" = Darwin ] || fail "this kit is for macOS; this is $(uname -s)."
# A Terminal running under Rosetta says x86_64; the hardware still has arm64.
if [ "$(uname -m)" != arm64 ] && [ "$(sysctl -n hw.optional.arm64 2>/dev/null)" != 1 ]; then
    fail "this kit needs a Mac with Apple silicon (M1 or later); this Mac is $(uname -m). There is no PyTorch for Intel Macs in the versions Overfit Lab supports."
fi
OS_VERSION="$(sw_vers -productVersion)"
case "${OS_VERSION%%.*}" in
    ''|*[!0-9]*) fail "could not read the macOS version ('$OS_VERSION')." ;;
esac
[ "${OS_VERSION%%.*}" -ge "$MIN_MACOS" ] || fail "this kit needs macOS $MIN_MACOS or later (PyTorch's wheels do); this Mac has macOS $OS_VERSION."

# --- a Python $WANT ---------------------------------------------------------------------------
# python.org's installer puts it in /Library/Frameworks; Homebrew in /opt/homebrew.
PYTHON=""
SEEN=""
for candidate in "/Library/Frameworks/Python.framework/Versions/$WANT/bin/python$WANT" \
                 "/opt/homebrew/bin/python$WANT" "$(command -v "python$WANT" 2>/dev/null)" \
                 "$(command -v python3 2>/dev/null)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    # Apple's /usr/bin/python3 is a stub that offers to install the developer tools.
    [ "$candidate" = /usr/bin/python3 ] && continue
    found="$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" || continue
    SEEN="$SEEN $candidate (Python $found);"
    if [ "$found" = "$WANT" ] && "$candidate" -c 'import venv, ensurepip' 2>/dev/null; then
        PYTHON="$candidate"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    fail "this kit needs Python $WANT from python.org ($INSTALLER; README.txt says where to get it). Install it, then double-click install.command again. Found:${SEEN:- no Python.}"
fi

# --- install into a new environment, then switch to it ----------------------------------------
STAMP="$(date +%Y%m%d-%H%M%S)-$$"
RESOURCES="$APP/Contents/Resources"
ENV_DIR="$RESOURCES/env-$STAMP"
CREATED=0
[ -d "$APP" ] || CREATED=1
undo() {
    rm -rf "$ENV_DIR"
    [ "$CREATED" = 1 ] && rm -rf "$APP"
    fail "$1"
}
echo "Installing Overfit Lab $VERSION with $PYTHON"
echo "  into $ENV_DIR (about 1 GB; a few minutes) ..."
mkdir -p "$RESOURCES" "$APP/Contents/MacOS" || fail "could not make $APP."
"$PYTHON" -m venv "$ENV_DIR" || undo "'$PYTHON -m venv' failed (above)."
"$ENV_DIR/bin/python" -m pip install --no-index --find-links "$KIT/wheels" --require-hashes \
    -r "$KIT/requirements.txt" --disable-pip-version-check --no-warn-script-location \
    || undo "pip could not install the kit's wheels (above). Is the kit complete, and is $PYTHON built for Apple silicon (python.org's universal2 installer is)? Copy the kit again."
"$ENV_DIR/bin/python" -c "import engine, gui, torch, PySide6.QtWidgets" \
    || undo "the new environment does not import (above)."

# The app's launcher, icon and description: one app, however often this runs.
cp "$KIT/overfit-lab.icns" "$RESOURCES/overfit-lab.icns"
cp "$KIT/uninstall.command" "$RESOURCES/uninstall.command"
cp "$KIT/kit.txt" "$RESOURCES/overfit-lab-kit.txt"   # marks the app as the kit's (uninstall)
cat > "$APP/Contents/MacOS/overfit-lab" <<'LAUNCHER'
#!/bin/bash
# Starts the window from the environment the installer last made.
HERE="$(cd "$(dirname "$0")/../Resources" && pwd)"
exec "$HERE/current/bin/overfit-lab" "$@"
LAUNCHER
chmod +x "$APP/Contents/MacOS/overfit-lab"
cat > "$APP/Contents/Info.plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>CFBundleName</key><string>Overfit Lab</string>
    <key>CFBundleDisplayName</key><string>Overfit Lab</string>
    <key>CFBundleIdentifier</key><string>org.overfit-lab.app</string>
    <key>CFBundleExecutable</key><string>overfit-lab</string>
    <key>CFBundleIconFile</key><string>overfit-lab.icns</string>
    <key>CFBundlePackageType</key><string>APPL</string>
    <key>CFBundleShortVersionString</key><string>$VERSION</string>
    <key>LSMinimumSystemVersion</key><string>$MIN_MACOS.0</string>
    <key>NSHighResolutionCapable</key><true/>
</dict>
</plist>
PLIST
ln -sfn "env-$STAMP" "$RESOURCES/current" || undo "could not switch $APP to the new environment."

# Only now the older environments go (a failed update above left them working).
for old in "$RESOURCES"/env-*; do
    [ "$old" = "$ENV_DIR" ] || rm -rf "$old"
done
touch "$APP"   # Finder and Launchpad notice the new icon
LSREGISTER=/System/Library/Frameworks/CoreServices.framework/Frameworks/LaunchServices.framework/Support/lsregister
[ -x "$LSREGISTER" ] && "$LSREGISTER" -f "$APP" >/dev/null 2>&1

echo
echo "Overfit Lab $VERSION is installed: $APP (Launchpad, Spotlight, or Finder > Applications)."
echo "  The command line: \"$RESOURCES/current/bin/overfit-lab-cli\" --help"
echo "  Remove it: uninstall.command in this kit, or drag the app to the Bin (your runs are kept)."
exit 0
