"""The settings panel's number fields speak the language's format: a window built under a
German locale shows 0,3, takes "0,5" typed, and names a range as 0,999; English takes "0.5"."""

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtTest import QTest


@pytest.fixture
def locale_window(request):
    """A window built under QLocale(request.param); the previous default restored afterwards,
    whatever the test did."""
    previous = QLocale()
    QLocale.setDefault(QLocale(request.param))
    try:
        yield request.getfixturevalue("window")
    finally:
        QLocale.setDefault(previous)


def type_into(qtbot, panel, key, text):
    field = panel.widgets[key]
    panel.window().activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    field.lineEdit().selectAll()
    QTest.keyClicks(field, text)
    QTest.keyClick(field, Qt.Key.Key_Return)
    return field


@pytest.mark.parametrize("locale_window", ["de", "fr"], indirect=True)
def test_a_number_is_shown_and_typed_in_the_languages_format(qtbot, locale_window):
    panel = locale_window.settings_panel
    panel.set_config(panel.config().with_updates({"data.label_noise": 0.3}))
    field = panel.widgets["data.label_noise"]
    assert field.lineEdit().text() == "0,3"

    with qtbot.waitSignal(panel.setting_changed, timeout=5000):
        type_into(qtbot, panel, "data.label_noise", "0,5")
    assert panel.config().data.label_noise == 0.5
    assert field.lineEdit().text() == "0,5"

    type_into(qtbot, panel, "regularization.dropout", "1,5")  # out of range: set to the nearest, said
    note = panel.errors["regularization.dropout"]
    assert panel.config().regularization.dropout == panel.widgets["regularization.dropout"].maximum()
    assert note.isVisibleTo(panel), "the refusal is said"
    assert "1,5 is above the maximum 0,999: set to 0,999" in note.text()
    assert "a number from 0 to 0,999" in note.text()


@pytest.mark.parametrize("locale_window", ["en_US"], indirect=True)
def test_english_typing_still_takes_a_decimal_point(qtbot, locale_window):
    panel = locale_window.settings_panel
    field = type_into(qtbot, panel, "data.label_noise", "0.5")
    assert panel.config().data.label_noise == 0.5
    assert field.lineEdit().text() == "0.5"
    type_into(qtbot, panel, "data.train_size", "1,000")
    assert panel.config().data.train_size == 1000


@pytest.mark.parametrize("locale_window", ["de", "pt_BR", "fr", "es"], indirect=True)
def test_a_learning_rate_typed_with_a_point_is_not_read_as_thousands(qtbot, locale_window):
    """Every tutorial writes lr = 0.001: in German and Portuguese Qt read the '.' as the group
    separator and set 1 (1000x), silently. A '.' is the decimal point of the English form;
    the language's own comma is taken too, and neither is ever a group separator here."""
    panel = locale_window.settings_panel
    for typed, value, shown in (("0.001", 0.001, "0,001"), ("0,001", 0.001, "0,001"),
                                ("0.100", 0.1, "0,1"), ("1.250", 1.25, "1,25"), ("6e-4", 6e-4, "0,0006")):
        field = type_into(qtbot, panel, "optim.lr", typed)
        assert panel.config().optim.lr == value, typed
        assert field.lineEdit().text() == shown, typed
    type_into(qtbot, panel, "optim.lr", "1.000,5")  # grouped: not taken, the field keeps its value, said
    assert panel.config().optim.lr == 6e-4
    assert "“1.000,5” is not a number: kept 0,0006" in panel.errors["optim.lr"].text()


@pytest.mark.parametrize("locale_window", ["de", "pt_BR"], indirect=True)
def test_a_whole_number_field_takes_a_point_as_thousands_only_where_it_groups_them(qtbot, locale_window):
    """Qt's own whole-number field dropped every '.': "1.0" typed in German set 10 epochs,
    silently. Well grouped ("1.000") it is one thousand, as the field shows it; elsewhere the
    '.' is a decimal point: "1.0" is 1, "2.5" is refused as not whole, saying so."""
    panel = locale_window.settings_panel
    for typed, value in (("1.0", 1), ("3", 3), ("1.000", 1000), ("12.500", 12500), ("2.0", 2)):
        type_into(qtbot, panel, "data.train_size", typed)
        assert panel.config().data.train_size == value, typed
    type_into(qtbot, panel, "data.train_size", "2.5")
    assert panel.config().data.train_size == 2
    assert "“2.5” is not a whole number: kept 2" in panel.errors["data.train_size"].text()


@pytest.mark.parametrize("locale_window", ["en_US"], indirect=True)
def test_an_english_whole_number_field_refuses_a_comma_that_groups_nothing(qtbot, locale_window):
    panel = locale_window.settings_panel
    type_into(qtbot, panel, "data.train_size", "12,500")
    assert panel.config().data.train_size == 12500
    type_into(qtbot, panel, "data.train_size", "1,0")  # not 10
    assert panel.config().data.train_size == 12500
    assert "“1,0” is not a whole number: kept 12,500" in panel.errors["data.train_size"].text()


@pytest.mark.parametrize("locale_window", ["fr"], indirect=True)
def test_a_french_whole_number_field_takes_a_typed_space_as_the_group_separator(qtbot, locale_window):
    """French groups thousands with a narrow no-break space ("12 500" as shown); a plain space or
    a no-break space typed is the same separator, as Qt's own field took it."""
    panel = locale_window.settings_panel
    field = type_into(qtbot, panel, "data.train_size", "12 500")
    assert panel.config().data.train_size == 12500
    for pasted in ("12\u00a0400", "12\u202f300"):  # pasted (no key types them): as Edit ▸ Paste inserts it
        field.lineEdit().selectAll()
        field.lineEdit().insert(pasted)
        QTest.keyClick(field, Qt.Key.Key_Return)
        assert panel.config().data.train_size == int(pasted[:2] + pasted[3:]), ascii(pasted)
