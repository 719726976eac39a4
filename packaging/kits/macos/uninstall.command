#!/bin/bash
# Overfit Lab's uninstaller for macOS: removes the app install.command made, and nothing else.
# Your runs (~/Library/Application Support/overfit-lab), settings and logs are kept.
set -u
APP="$HOME/Applications/Overfit Lab.app"
# An app of the kit's that this user moved to /Applications is removed there.
SYSTEM_APP="${OVERFIT_LAB_SYSTEM_APPS:-/Applications}/Overfit Lab.app"
if [ ! -d "$APP" ] && [ -f "$SYSTEM_APP/Contents/Resources/overfit-lab-kit.txt" ] && [ -O "$SYSTEM_APP" ]; then
    APP="$SYSTEM_APP"
fi
# The installer's lock (a flock on this file): taken here too, so neither runs during the other.
LOCK="${TMPDIR:-/tmp}/overfit-lab-install-$(id -u).lock"
LOCKED=1
if exec 9>>"$LOCK" 2>/dev/null && command -v perl >/dev/null 2>&1; then
    perl -MFcntl=:flock -e 'open(F, ">&=9") or exit 2; flock(F, LOCK_EX | LOCK_NB) or exit 1' || LOCKED=0
fi
INSTALLING="$(cat "$APP/Contents/Resources/.installing" 2>/dev/null)"
if [ "$LOCKED" = 0 ]; then
    echo "Overfit Lab is being installed: let the installer finish, then uninstall. Nothing was removed."
    exit 1
elif [ ! -d "$APP" ]; then
    echo "Overfit Lab is not installed for this user ($APP): nothing to remove."
elif [ ! -f "$APP/Contents/Resources/overfit-lab-kit.txt" ]; then
    echo "Left $APP alone: the kit's installer did not make it (it has no overfit-lab-kit.txt)."
    exit 1
elif [ -n "$INSTALLING" ] && kill -0 "$INSTALLING" 2>/dev/null; then
    echo "Overfit Lab is being installed (process $INSTALLING): let it finish, then uninstall. Nothing was removed."
    exit 1
elif pgrep -u "$(id -u)" -f "from main import main; sys.exit" >/dev/null 2>&1; then
    echo "Overfit Lab is running: quit it, then double-click uninstall.command again. Nothing was removed."
    exit 1
else
    cd "$HOME" && rm -rf "$APP" && echo "Overfit Lab is removed: $APP." || { echo "Could not remove $APP."; exit 1; }
fi
DATA="$HOME/Library/Application Support/overfit-lab"
[ -d "$DATA" ] && echo "Your runs are kept in $DATA."
exit 0
