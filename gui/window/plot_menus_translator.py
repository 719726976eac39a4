"""pyqtgraph's own texts in the window's language: a plot's right-click menu (View All, X axis,
Mouse Mode, Plot Options and its panels, Export...) and the export dialog.

pyqtgraph asks Qt for them (QCoreApplication.translate("ViewBox", "View All")) but ships no Qt
catalog. This translator answers from the window's gettext catalog, where they are extracted
with the context "pyqtgraph <Qt context>" (packaging/i18n/pyqtgraph_messages.py), so one
catalog and one translation workflow serve them too. pyqtgraph builds these menus when a plot
is made, so the translator is installed with the language, before the window is built.
"""

from __future__ import annotations

from PySide6.QtCore import QTranslator

from engine.core.i18n import C_

CONTEXT_PREFIX = "pyqtgraph "


def catalog_context(qt_context: str) -> str:
    """The gettext context of a text pyqtgraph translates in `qt_context` ("ViewBox", "Form"...)."""
    return CONTEXT_PREFIX + qt_context


class PlotMenusTranslator(QTranslator):
    """Answers Qt's translate() for pyqtgraph's contexts from the gettext catalog."""

    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: ARG002 (Qt's signature)
        if not context or not source_text:
            return None
        translated = C_(catalog_context(context), source_text)
        # None (a null QString), not "": Qt asks the next translator, then shows the source
        # text; an empty answer would blank the menu entry.
        return translated if translated != source_text else None

    def isEmpty(self) -> bool:  # noqa: N802 (Qt's name)
        return False
