"""The evaluation panel fed a report: no engine, no torch."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.core.events import Evaluated
from gui.panels.evaluation import EvaluationPanel

REPORT = Evaluated(split="test", weights="best", accuracy=0.7, loss=0.8, class_names=["cat", "dog", "owl"],
                   precision=[0.5, 0.9, 0.7], recall=[0.6, 0.8, 20 / 30], f1=[0.55, 0.85, 0.67],
                   support=[10, 20, 30], confusion_matrix=[[6, 3, 1], [2, 16, 2], [8, 2, 20]],
                   macro_f1=0.69, ece=0.12, reliability=[[0.45, 0.4, 10], [0.75, 0.6, 20], [0.95, 0.8, 30]],
                   pr_curves=[[[0.2, 0.5, 1.0], [1.0, 0.6, 0.1]]] * 3)


def test_the_report_is_shown_sortable_and_the_matrix_as_counts_or_recall(qtbot):
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    panel.show_report(REPORT, "#1 overfit", dataset_has_test_split=True)
    assert "#1 overfit: accuracy 70.00%" in panel.headline.text() and "60 examples" in panel.headline.text()
    assert "calibration error 0.120" in panel.headline.text()
    panel.table.sortItems(2, Qt.SortOrder.AscendingOrder)  # by recall, as a click on its header does
    assert [panel.table.item(r, 0).text() for r in range(3)] == ["cat", "owl", "dog"]
    assert np.array_equal(panel.matrix(), np.array(REPORT.confusion_matrix, dtype=float))
    assert panel.cell_texts.texts()[:3] == ["6", "3", "1"]
    panel.as_recall.setChecked(True)
    rows = panel.matrix()
    assert np.allclose(rows.sum(1), 1) and np.allclose(np.diag(rows), REPORT.recall)
    assert panel.cell_texts.texts()[0] == "0.60"
    assert "owl taken for cat (8×)" in panel.confused.text()
    x, y = panel.reliability_points.getData()
    assert list(x) == pytest.approx([0.45, 0.75, 0.95]) and list(y) == pytest.approx([0.4, 0.6, 0.8])
    qtbot.waitUntil(lambda: len(panel.pr_curves) == 3)  # drawn in the event loop's next turn
    assert [c.name() for c in panel.pr_curves] == ["cat", "dog", "owl"]
    x, y = panel.pr_curves[0].getData()  # recall across, precision up
    assert list(x) == pytest.approx([1.0, 0.6, 0.1]) and list(y) == pytest.approx([0.2, 0.5, 1.0])
    panel.show_report(REPORT, "again")  # a second report replaces the curves
    qtbot.wait(10)
    assert len(panel.pr_curves) == 3 and len(panel.pr.getPlotItem().legend.items) == 3


def test_the_gallery_shows_a_cells_errors_most_confident_first_a_page_at_a_time(qtbot):
    from dataclasses import replace

    from engine.core.events import Thumbnails
    from gui.panels.evaluation import GALLERY_PAGE

    errors = [[i, 2, 0, 0.99 - i * 0.001] for i in range(30)] + [[100, 0, 1, 0.5]]
    report = replace(REPORT, errors=errors, confusion_matrix=[[6, 3, 1], [2, 16, 2], [40, 2, 20]])
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    asked = []
    panel.thumbnails_wanted.connect(lambda split, idx: asked.append((split, idx)))
    panel.show_report(report, "run")
    assert asked[-1] == ("test", [e[0] for e in errors[:GALLERY_PAGE]])  # all, one page
    panel.select_errors(2, 0)  # owl taken for cat
    # 40 owls taken for cats, the report keeps the 30 most confident of them
    assert panel.gallery_title.text() == ("owl taken for cat: 30 of 40 (the report keeps the most "
                                          "confident), most confident first")
    page = asked[-1][1]
    assert page == list(range(GALLERY_PAGE)) and not panel.more.isEnabled()  # until the page comes
    panel.show_thumbnails(Thumbnails("test", page, (2, 2, 1), [bytes([i, 0, 0, 255]) for i in page]))
    assert panel.gallery.count() == GALLERY_PAGE and panel.more.isEnabled()
    first = panel.gallery.item(0)
    assert "owl → cat" in first.text() and "99%" in first.text()
    panel.more.click()
    assert asked[-1][1] == list(range(GALLERY_PAGE, 30))
    panel.show_thumbnails(Thumbnails("test", asked[-1][1], (2, 2, 1), [bytes(4)] * 6))
    assert panel.gallery.count() == 30 and not panel.more.isEnabled()


def test_more_clicked_twice_before_its_page_comes_fetches_it_once(qtbot):
    from dataclasses import replace

    from engine.core.events import Thumbnails
    from gui.panels.evaluation import GALLERY_PAGE

    errors = [[i, 2, 0, 0.99 - i * 0.001] for i in range(3 * GALLERY_PAGE)]
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    panel.show()
    asked = []
    panel.thumbnails_wanted.connect(lambda split, idx: asked.append(idx))
    panel.show_report(replace(REPORT, errors=errors), "run")

    def arrive(page):
        panel.show_thumbnails(Thumbnails("test", page, (2, 2, 1), [bytes(4)] * len(page)))

    arrive(asked[-1])
    qtbot.mouseClick(panel.more, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.more, Qt.MouseButton.LeftButton)  # again, before the second page is here
    assert len(asked) == 2
    arrive(asked[-1])
    arrive(asked[-1])  # a page delivered twice is shown once
    assert panel.gallery.count() == 2 * GALLERY_PAGE
    indices = [panel.gallery.item(i).data(Qt.ItemDataRole.UserRole) for i in range(panel.gallery.count())]
    assert indices == list(range(2 * GALLERY_PAGE))  # each example once, in order
