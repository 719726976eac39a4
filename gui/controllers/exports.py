"""File ▸ Export: the window as a picture, the run's epoch metrics as CSV, the evaluation
report as CSV or JSON, the Examples tab's suspects as CSV. Each file is written whole or not at all (engine.runs.export); a path
that cannot be written is named in the status bar and the log."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog

from engine.core.i18n import _
from gui.controllers.settings_files import documents

log = logging.getLogger("overfit_lab")


class Exports(QObject):
    """Handed what it saves: the window (as a picture), the plots, the gallery, the Examples
    tab (its ranking), and `say` for the status line."""

    def __init__(self, window, *, plots, gallery, say, examples=None):
        super().__init__(window)
        self.window, self.plots, self.gallery, self.say = window, plots, gallery, say
        self.examples = examples
        self.run_dir: str | None = None  # the current run's folder, once its run has started
        self.report = None  # the last evaluation shown

    @Slot(object)
    def set_report(self, report) -> None:
        self.report = report

    def on_trial_started(self, event) -> None:
        self.run_dir = event.run_dir

    def _ask_then(self, save, title: str, name: str, kinds: str, folder=None) -> None:
        """The save dialog opens in `folder` (else the user's documents) on `name`."""
        path, _kind = QFileDialog.getSaveFileName(self.window, title, str(Path(folder or documents()) / name), kinds)
        if path:
            save(path)

    @Slot()
    def window_png(self) -> None:
        self._ask_then(self.save_window, _("Export the window as PNG"), "overfit-lab.png", _("PNG image") + " (*.png)")

    def save_window(self, path: str) -> bool:
        return self._save_picture(_("window saved to {path}"), self.window, path)

    def _save_picture(self, saved: str, widget, path: str) -> bool:
        """A widget as PNG, written to a temp file beside `path` and renamed into place."""
        import os
        import tempfile

        folder = Path(path).parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{Path(path).name}.", suffix=".png", dir=folder)
            os.close(fd)
        except OSError as exc:
            return self._failed(_("{path}: cannot write it ({why})").format(path=path, why=exc.strerror or exc))
        if not widget.grab().save(tmp, "PNG"):
            Path(tmp).unlink(missing_ok=True)
            return self._failed(_("{path}: cannot write it").format(path=path))
        os.replace(tmp, path)
        self.say(saved.format(path=path))
        return True

    @Slot()
    def plots_svg(self) -> None:
        self._ask_then(self.save_plots_svg, _("Export the plots as SVG"), "plots.svg", "SVG (*.svg)")

    def save_plots_svg(self, path: str) -> bool:
        """The training plots as a vector picture, rendered by Qt's own SVG generator
        (pyqtgraph 0.14's SVG exporter fails on Qt 6.11's path data here)."""
        import os
        import tempfile

        from PySide6.QtCore import QPoint, QRect, QSize
        from PySide6.QtGui import QPainter
        from PySide6.QtSvg import QSvgGenerator

        widget = self.plots
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{Path(path).name}.", suffix=".svg", dir=Path(path).parent)
            os.close(fd)
        except OSError as exc:
            return self._failed(_("{path}: cannot write it ({why})").format(path=path, why=exc.strerror or exc))
        generator = QSvgGenerator()
        generator.setFileName(tmp)
        generator.setSize(QSize(widget.width(), widget.height()))
        generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
        generator.setTitle("Overfit Lab plots")  # i18n: not shown (the SVG file's own title)
        painter = QPainter(generator)
        widget.render(painter, QPoint(0, 0))
        painter.end()
        os.replace(tmp, path)
        self.say(_("plots saved to {path}").format(path=path))
        return True

    @Slot()
    def gallery_png(self) -> None:
        self._ask_then(self.save_gallery, _("Export the gallery as a contact sheet"), "misclassified.png",
                       _("PNG image") + " (*.png)")

    def save_gallery(self, path: str) -> bool:
        """The gallery's thumbnails with their captions, as one picture (all fetched so far)."""
        gallery = self.gallery
        if gallery.count() == 0:
            return self._failed(self._why_no_gallery())
        return self._save_picture(_("gallery saved to {path}"), gallery, path)

    def _why_no_gallery(self) -> str:
        """Why there is no picture to save, as the evaluation shown tells it."""
        report = self.report
        if report is None:
            return _("the gallery is empty: evaluate a run first")
        if not report.image_data:
            return _("the gallery is empty: a toy run's mistakes are 2-D points, ringed on the decision boundary")
        if not report.errors:
            # i18n: {split} is the split's name as the engine writes it: test or validation
            return _("the gallery is empty: no mistake to show, every example of the {split} split "
                     "was classified correctly").format(split=report.split)
        return _("the gallery is empty: its pictures are still on their way, or no cell with mistakes is selected")

    @Slot()
    def metrics_csv(self) -> None:
        if self.run_dir is None:
            self.say(_("no run to export yet: train one first"))
        else:
            self._ask_then(self.save_metrics, _("Export the run's epoch metrics"), "metrics.csv", "CSV (*.csv)")

    def save_metrics(self, path: str) -> bool:
        from engine.runs.export import write_csv
        from engine.runs.reader import read_run

        return self._write(_("epoch metrics saved to {path}"), lambda p: write_csv(read_run(self.run_dir), p), path)

    @Slot()
    def report_file(self) -> None:
        if self.report is None:
            self.say(_("no evaluation to export yet: evaluate a run first"))
        else:
            self._ask_then(self.save_report, _("Export the evaluation report"),
                           f"evaluation-{self.report.split}.csv", "CSV (*.csv);;JSON (*.json)")

    def save_report(self, path: str) -> bool:
        from engine.runs.export import write_report

        return self._write(_("evaluation report saved to {path}"), lambda p: write_report(self.report, p), path)

    def suspects_action_follows_the_tab(self, action) -> None:
        """The menu entry is enabled while the Examples tab shows a run's examples (hidden, the
        tab is not redrawn, but its tally grows)."""
        action.setEnabled(False)
        self.examples.ranking_shown.connect(action.setEnabled)

    @Slot()
    def suspects_csv(self) -> None:
        view = self.examples
        if view is None or view.tally is None:
            self.say(_("no suspects to export yet: train a run, or open one in the Examples tab"))
        elif not view.tally.epochs:
            self.say(_("no suspects to export yet: they are ranked after the run's first epoch"))
        else:
            import os

            score = view.score_box.currentData() or view.score_box.currentText()  # the score's name, whatever is shown
            run = Path(view.run_folder) if view.run_folder else None  # the run shown: its file beside it
            folder = run if run is not None and run.is_dir() and os.access(run, os.W_OK) else None
            self._ask_then(self.save_suspects, _("Export the suspects as CSV"),
                           f"{run.name}-suspects-{score}.csv" if run else f"suspects-{score}.csv", "CSV (*.csv)",
                           folder)

    def save_suspects(self, path: str) -> bool:
        """The Examples tab's ranking as shown (its score), most suspect first, UTF-8."""
        from engine.core.files import atomic_write_text

        view = self.examples
        text = suspects_table(view.tally, view.score_box.currentData() or view.score_box.currentText())
        return self._write(_("suspects saved to {path}"), lambda p: atomic_write_text(p, text), path)

    def _write(self, saved: str, write, path: str) -> bool:
        try:
            write(path)
        except OSError as exc:  # the message names the path
            return self._failed(str(exc))
        self.say(saved.format(path=path))
        return True

    def _failed(self, text: str) -> bool:
        log.error("export: %s", text)
        self.say(_("export failed: {why}").format(why=text))
        return False


def suspects_table(tally, score: str) -> str:
    """CSV text: rank, the example's index in the training split (and its file, for an image
    folder), given and predicted class (number and name; predicted at the last scoring epoch:
    the lowest validation loss, at least the MIN_SCORED-th), the other class (the one that beat
    the given label most often over the scoring epochs, what Relabel gives it, as the gallery
    captions it; empty where the given label always led), the score (higher: more suspect), and
    where labels were corrupted on purpose, the true class."""
    import csv
    import io

    from engine.runs.scores import NO_OTHER

    names, files, corrupted = tally.class_names, tally.files, tally.corrupted_on_purpose
    values, predicted, other = tally.score(score), tally.predicted_at_turn(), tally.other_class()
    out = io.StringIO()
    table = csv.writer(out, lineterminator="\n")
    table.writerow(["rank", "index", *(["file"] if files else []), "given", "given_name", "predicted",
                    "predicted_name", "other",
                    "other_name", score, *(["true", "true_name", "corrupted"] if corrupted else [])])
    for rank, i in enumerate(tally.order(score), 1):
        row = [rank, int(tally.positions[i]), *([files[i]] if files else []), int(tally.given[i]),
               names[tally.given[i]], int(predicted[i]), names[predicted[i]],
               *((int(other[i]), names[other[i]]) if other[i] != NO_OTHER else ("", "")), f"{values[i]:.6g}"]
        if corrupted:
            row += [int(tally.true[i]), names[tally.true[i]], int(tally.corrupted[i])]
        table.writerow(row)
    return out.getvalue()
