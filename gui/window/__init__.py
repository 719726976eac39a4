"""The main window: composition, event dispatch, run state, keys, menus, status, closing and
what it remembers between sessions."""
