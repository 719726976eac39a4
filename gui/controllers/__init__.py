"""What a menu or toolbar request does: evaluations, experiments and their dialogs, search,
exports, settings files. Each is handed what it needs, not the whole window."""
