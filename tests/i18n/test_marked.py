"""Every text a user can see, in gui/ and in the engine's messages, is marked for translation
(a static check that stays in CI and can fail: the first test shows it failing)."""

from __future__ import annotations

from tests.i18n.marking import (
    hidden_in_tree,
    hides_the_translation_function,
    unmarked,
    unmarked_in_tree,
)

SAMPLE = '''
from engine.core.i18n import _, n_, N_
label = QLabel("Training examples")                  # 3: unmarked
button.setText(_("Start"))                           # marked
box.setToolTip(f"Stop after {n} epochs")             # 5: unmarked f-string
status.say("finished: " + what)                      # 6: glued, unmarked
plot.setLabel("left", "loss")                        # 7: the axis label, unmarked
plot.setLabel("left", _("loss"))                     # marked; "left" is a position
log.warning("the catalog %s could not be read", x)   # a log, not the screen
action.setText(n_("{count} run", "{count} runs", n).format(count=n))
dialog.setNameFilter(_("Settings") + " (*.toml *.json)")
curve = plot.plot(x, y, name="validation")           # 12: a legend name, unmarked
widget.setObjectName("run_toolbar")                  # not shown
box.setText("Debug only")  # i18n: not shown
raise ConfigError("optim.lr", lr, "must be positive")  # 15: (engine) unmarked
combo.addItem("Training examples")                   # 16: a combo box's item, unmarked
combo.addItem(_("Training examples"), "train")       # marked; its data is not shown
legend.addItem(curve, "validation")                  # 18: a legend's name, unmarked
box.setText(", ".join(["first run", "second run"]))  # 19: the items joined, unmarked
raise ConfigError("preset", name, _("one of {choices}"))  # the key is a key; the reason is marked
raise LessonError(path, 3, "lesson.step[1].pause_at", 9, "at most the last epoch")  # 21: (engine) unmarked
tell(TS.FAIL, message="not run: other workers took it")  # 22: (engine) a trial's message, unmarked
trial.set_user_attr("message", "its worker ended")   # 23: (engine) unmarked
trial.set_user_attr("host", "the host name")         # not a message
def stopped_by():
    return "the user, ended to go on with the plan"  # 26: (engine) a returned sentence, unmarked
def command():
    return "python main.py"                          # a command, not a sentence
'''


def test_the_check_finds_unmarked_texts_and_passes_marked_ones():
    gui = unmarked(SAMPLE, "sample.py", engine=False)
    assert sorted(int(line.split(":")[1]) for line in gui) == [3, 5, 6, 7, 12, 16, 18, 19], gui
    engine = unmarked(SAMPLE, "sample.py", engine=True)
    assert sorted(int(line.split(":")[1]) for line in engine) == [15, 21, 22, 23, 26], engine


def test_every_shown_text_in_gui_and_the_engine_messages_is_marked():
    found = unmarked_in_tree()
    assert not found, (f"{len(found)} shown text(s) not marked for translation (wrap in _() / n_() / C_(), "
                       "or end the line with '# i18n: not shown' if no user sees it):\n" + "\n".join(found))


def test_no_module_hides_the_translation_function_behind_a_throwaway_name():
    sample = ("from engine.core.i18n import _\n"
              "def f(a, *_):\n    return _('x')\n"                       # 2: an argument
              "def g(pairs):\n    for k, _ in pairs:\n        print(_('y'))\n"  # 5: a loop variable
              "def h(pairs):\n    return [k for k, _ in pairs], _('z')\n"  # the comprehension's own _: fine
              "cb = lambda _=False: None\n")                            # a lambda that does not translate: fine
    assert [int(f.split(":")[1]) for f in hides_the_translation_function(sample, "s.py")] == [2, 5]
    found = hidden_in_tree()
    assert not found, "rename the throwaway (e.g. `_unused`), or `_()` breaks there:\n" + "\n".join(found)
