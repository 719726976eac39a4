#!/bin/bash
# Overfit Lab's uninstaller for macOS: removes the app install.command made, and nothing else.
# The runs, settings and logs (~/Library/Application Support/overfit-lab, ~/Library/Logs/
# overfit-lab) are kept: they are yours.
set -u
APP="$HOME/Applications/Overfit Lab.app"
if [ ! -d "$APP" ]; then
    echo "Overfit Lab is not installed for this user ($APP): nothing to remove."
elif [ ! -f "$APP/Contents/Resources/overfit-lab-kit.txt" ]; then
    echo "Left $APP alone: the kit's installer did not make it (it has no overfit-lab-kit.txt)."
    exit 1
else
    cd "$HOME" && rm -rf "$APP" && echo "Overfit Lab is removed: $APP." || { echo "Could not remove $APP."; exit 1; }
fi
DATA="$HOME/Library/Application Support/overfit-lab"
[ -d "$DATA" ] && echo "Your runs and settings are kept in $DATA."
exit 0
