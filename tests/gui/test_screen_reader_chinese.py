"""A screen reader's names in Chinese: a control named by its tooltip is named by the
tooltip's first sentence, cut at a full-width mark (。：；！？, no space after them) as an
English one is cut at ". ", and a row label's full-width colon is not spoken."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from gui.window import language
from gui.window.accessibility import _plain

FULL_WIDTH = "。：；！？"


def test_names_taken_from_tooltips_and_labels_stop_at_full_width_marks(qtbot, qapp, request):
    language.install(qapp, "zh_CN")
    window = request.getfixturevalue("window")  # built as the `window` fixture does, after the language
    qtbot.wait(200)
    from_tips = [(w.accessibleName(), _plain(w.toolTip())) for w in window.findChildren(QWidget)
                 if w.toolTip() and w.accessibleName() and _plain(w.toolTip()).startswith(w.accessibleName())]
    assert any(any(mark in tip for mark in FULL_WIDTH) for _name, tip in from_tips), from_tips
    for name, tip in from_tips:
        assert not any(mark in name for mark in FULL_WIDTH), (name, tip)
        if any(mark in tip for mark in FULL_WIDTH):
            assert len(name) < len(tip), (name, tip)
    spoken = [w.accessibleName() for w in window.findChildren(QWidget) if w.accessibleName()]
    assert not [name for name in spoken if name.endswith("：")], spoken
