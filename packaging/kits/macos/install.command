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
APPS="$HOME/Applications"
APP="$APPS/Overfit Lab.app"
# An app of this kit's that this user moved to /Applications is the one to update there.
SYSTEM_APP="${OVERFIT_LAB_SYSTEM_APPS:-/Applications}/Overfit Lab.app"
if [ ! -d "$APP" ] && [ -f "$SYSTEM_APP/Contents/Resources/overfit-lab-kit.txt" ] && [ -O "$SYSTEM_APP" ] \
        && [ -w "$SYSTEM_APP/Contents/Resources" ]; then
    APP="$SYSTEM_APP"
    APPS="$(dirname "$APP")"
fi

kit_value() { sed -n "s/^$1=//p" "$KIT/kit.txt" 2>/dev/null | tr -d '\r' | head -n 1; }
WANT="$(kit_value python)"         # e.g. 3.12
VERSION="$(kit_value version)"
MIN_MACOS="$(kit_value min_macos)"  # e.g. 14
INSTALLER="$(kit_value python_installer_macos)"

# stop: say why, and that nothing changed. fail: also what this kit needs (the Mac or its Python).
stop() {
    echo
    echo "Overfit Lab was not installed: $1"
    echo "Nothing was changed. README.txt in $KIT says more."
    exit 1
}
fail() {
    echo
    echo "Overfit Lab was not installed: $1"
    echo "Nothing was changed. This kit needs macOS $MIN_MACOS or later on Apple silicon and Python $WANT"
    echo "from python.org ($INSTALLER); README.txt in $KIT says more."
    exit 1
}

if [ -z "$WANT" ] || [ -z "$MIN_MACOS" ]; then
    echo "Overfit Lab was not installed: this kit is incomplete (kit.txt is missing or damaged)."
    echo "Nothing was changed. Copy the whole kit folder again; README.txt in $KIT says more."
    exit 1
fi

# --- this Mac ---------------------------------------------------------------------------------
[ "$(uname -s)" = Darwin ] || fail "this kit is for macOS; this is $(uname -s)."
if [ "$(uname -m)" != arm64 ]; then
    # A Terminal running under Rosetta says x86_64 on Apple silicon: start again natively,
    # or the Python found below would run as Intel code and refuse the arm64 wheels.
    if [ "$(sysctl -n hw.optional.arm64 2>/dev/null)" = 1 ] && [ -z "${OVERFIT_LAB_NATIVE:-}" ]; then
        OVERFIT_LAB_NATIVE=1 exec arch -arm64 /bin/bash "$0" "$@"
    fi
    fail "this kit needs a Mac with Apple silicon (M1 or later); this Mac is $(uname -m). There is no PyTorch for Intel Macs in the versions Overfit Lab supports."
fi
OS_VERSION="$(sw_vers -productVersion)"
case "${OS_VERSION%%.*}" in
    ''|*[!0-9]*) fail "could not read the macOS version ('$OS_VERSION')." ;;
esac
[ "${OS_VERSION%%.*}" -ge "$MIN_MACOS" ] || fail "this Mac has macOS $OS_VERSION (PyTorch's wheels need macOS $MIN_MACOS)."

# --- a Python $WANT for arm64 -----------------------------------------------------------------
# python.org's installer puts it in /Library/Frameworks; Homebrew in /opt/homebrew.
PYTHON=""
SEEN=""
for candidate in "/Library/Frameworks/Python.framework/Versions/$WANT/bin/python$WANT" \
                 "/opt/homebrew/bin/python$WANT" "$(command -v "python$WANT" 2>/dev/null)" \
                 "$(command -v python3 2>/dev/null)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    # Apple's /usr/bin/python3 is a stub that offers to install the developer tools.
    [ "$candidate" = /usr/bin/python3 ] && continue
    # (From /, so no platform.py of the folder it was started in can answer instead.)
    found="$(cd / && "$candidate" -c 'import platform, sys; print("%d.%d %s" % (sys.version_info[0], sys.version_info[1], platform.machine()))' 2>/dev/null)" || continue
    case "$SEEN" in *"$candidate "*) continue ;; esac
    if [ "$found" != "$WANT arm64" ]; then
        SEEN="$SEEN $candidate (Python $found);"
    elif ! (cd / && "$candidate" -c 'import venv, ensurepip') 2>/dev/null; then
        SEEN="$SEEN $candidate (Python $found, without its venv module);"
    else
        PYTHON="$candidate"
        break
    fi
done
[ -n "$PYTHON" ] || fail "no Python $WANT for Apple silicon was found (found:${SEEN:- none}). Install $INSTALLER, then double-click install.command again."
# --- one install at a time; not while the app runs; not over an app it did not make -----------
# The lock is the open file on descriptor 9, flock()ed by the Python found above: held while
# this script (or anything it starts) keeps the descriptor open, gone when it exits, however.
LOCK="${TMPDIR:-/tmp}/overfit-lab-install-$(id -u).lock"
exec 9>>"$LOCK" || stop "could not open $LOCK."
(cd / && "$PYTHON" -c 'import fcntl; fcntl.flock(9, fcntl.LOCK_EX | fcntl.LOCK_NB)') 2>/dev/null \
    || stop "another install (or the uninstaller) of Overfit Lab is running; let it finish."
# The app's Python runs `-c '...from main import main; sys.exit(main())'` (its launcher, below).
if pgrep -u "$(id -u)" -f "from main import main; sys.exit" >/dev/null 2>&1; then
    stop "Overfit Lab is running: quit it, then double-click install.command again."
fi
if [ -e "$APP" ] && [ ! -f "$APP/Contents/Resources/overfit-lab-kit.txt" ]; then
    stop "$APP exists and this kit did not make it (a bundle?). Move it to the Trash first."
fi
[ -f "$KIT/verify_kit.py" ] || stop "this kit is incomplete: verify_kit.py is missing. Copy the whole kit folder again."
echo "Checking the kit's files ..."
CHECK="$("$PYTHON" -I "$KIT/verify_kit.py" 2>&1)" || stop "$CHECK"

# --- install into a new environment, then switch to it ----------------------------------------
RESOURCES="$APP/Contents/Resources"
ENV_DIR="$RESOURCES/env-$(date +%Y%m%d-%H%M%S)-$$"
[ -d "$APPS" ] && APPS_CREATED=0 || APPS_CREATED=1
[ -d "$APP" ] && CREATED=0 || CREATED=1
undo() {
    trap '' INT HUP TERM   # a second Ctrl-C must not cut the clean-up short
    rm -rf "$ENV_DIR" "$RESOURCES/.installing"
    [ "$CREATED" = 1 ] && rm -rf "$APP"
    [ "$APPS_CREATED" = 1 ] && rmdir "$APPS" 2>/dev/null
    stop "$1"
}
echo "Installing Overfit Lab $VERSION with $PYTHON"
echo "  into $ENV_DIR (about 1 GB; a few minutes) ..."
mkdir -p "$RESOURCES" "$APP/Contents/MacOS" || undo "could not make $APP."
# Marked as this kit's at once: an install cut short (Ctrl-C, a closed Terminal) is repaired
# by the next one, and the uninstaller can remove it. `.installing` says one is under way.
trap 'undo "the install was interrupted."' INT HUP TERM
{ [ -f "$RESOURCES/overfit-lab-kit.txt" ] || cat "$KIT/kit.txt" > "$RESOURCES/overfit-lab-kit.txt"; } \
    && echo $$ > "$RESOURCES/.installing" || undo "could not write into $APP."
"$PYTHON" -m venv "$ENV_DIR" || undo "'$PYTHON -m venv' failed (above)."
# No pip.conf of the user's or the system's (say, user = true) and no PIP_* setting applies:
# PIP_CONFIG_FILE=/dev/null skips every configuration file, --isolated the environment.
PIP_CONFIG_FILE=/dev/null "$ENV_DIR/bin/python" -m pip --isolated install --no-index --no-cache-dir --find-links "$KIT/wheels" \
    --require-hashes -r "$KIT/requirements.txt" --disable-pip-version-check --no-warn-script-location \
    || undo "pip could not install the kit's wheels (above)."
"$ENV_DIR/bin/python" -I -c "import main, engine, gui, torch, PySide6.QtWidgets" \
    || undo "the new environment does not import (above)."

# The app's launcher, icon and description: one app, however often this runs. `cat` copies
# without extended attributes (a quarantined kit must not quarantine the app).
cat "$KIT/overfit-lab.icns" > "$RESOURCES/overfit-lab.icns" \
    && cat "$KIT/uninstall.command" > "$RESOURCES/uninstall.command" && chmod +x "$RESOURCES/uninstall.command" \
    && cat "$KIT/kit.txt" > "$RESOURCES/overfit-lab-kit.txt" \
    || undo "could not write into $APP."
cat > "$APP/Contents/MacOS/overfit-lab" <<'LAUNCHER' || undo "could not write the app's launcher."
#!/bin/bash
# Starts the window from the environment the installer last made. Its Python is started
# directly (not a script with an absolute path in it), so the app still works when moved.
HERE="$(cd "$(dirname "$0")/../Resources" && pwd)"
PY="$HERE/current/bin/python"
if ! "$PY" -c "" 2>/dev/null; then
    osascript -e 'display alert "Overfit Lab cannot start" message "Its Python environment is missing or broken (was the Python it was installed with removed?). Run install.command from the kit again." as critical' >/dev/null 2>&1
    exit 1
fi
ARGS=()
for arg in "$@"; do
    case "$arg" in -psn_*) ;; *) ARGS+=("$arg") ;; esac  # Finder's process serial number
done
# -I: neither the folder it starts in nor PYTHON* settings decide what `main` is.
exec "$PY" -I -c 'import sys; from main import main; sys.exit(main())' ${ARGS[@]+"${ARGS[@]}"}
LAUNCHER
chmod +x "$APP/Contents/MacOS/overfit-lab"
cat > "$APP/Contents/Info.plist" <<PLIST || undo "could not write the app's Info.plist."
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>CFBundleInfoDictionaryVersion</key><string>6.0</string>
    <key>CFBundleName</key><string>Overfit Lab</string>
    <key>CFBundleDisplayName</key><string>Overfit Lab</string>
    <key>CFBundleIdentifier</key><string>org.overfit-lab.app</string>
    <key>CFBundleExecutable</key><string>overfit-lab</string>
    <key>CFBundleIconFile</key><string>overfit-lab.icns</string>
    <key>CFBundlePackageType</key><string>APPL</string>
    <key>CFBundleShortVersionString</key><string>$VERSION</string>
    <key>CFBundleVersion</key><string>$VERSION</string>
    <key>LSMinimumSystemVersion</key><string>$MIN_MACOS.0</string>
    <key>NSHighResolutionCapable</key><true/>
</dict>
</plist>
PLIST
ln -sfn "$(basename "$ENV_DIR")" "$RESOURCES/current" || undo "could not switch $APP to the new environment."
# Switched: from here an interruption must not undo (the new environment is the one in use);
# the few seconds of clean-up below finish whatever the signal.
trap '' INT HUP TERM

# Only now the older environments go (a failed update above left them working).
for old in "$RESOURCES"/env-*; do
    [ "$old" = "$ENV_DIR" ] || rm -rf "$old"
done
rm -f "$RESOURCES/.installing"
trap - INT HUP TERM
touch "$APP"   # Finder and Launchpad notice the new icon
LSREGISTER=/System/Library/Frameworks/CoreServices.framework/Frameworks/LaunchServices.framework/Support/lsregister
[ -x "$LSREGISTER" ] && "$LSREGISTER" -f "$APP" >/dev/null 2>&1

echo
echo "Overfit Lab $VERSION is installed: $APP (Launchpad, Spotlight, or Finder > Applications)."
echo "  The command line: \"$APP/Contents/MacOS/overfit-lab\" --help (train, cv, search, ...)"
echo "  Remove it: uninstall.command in this kit, or drag the app to the Trash (your runs are kept)."
exit 0
