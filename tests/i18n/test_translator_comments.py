"""A `# i18n: not shown` exemption never reaches a translator: Babel takes an `# i18n:` comment
on the line before a message as that message's translator comment, so an exemption trailing
one line would tell the translator of the next line's message that it is not shown."""

from __future__ import annotations

import catalogs


def test_no_message_carries_a_not_shown_exemption_as_its_translator_comment():
    found = [(m.id, m.locations[:1], m.auto_comments) for m in catalogs.extract()
             if any(c.lower().startswith("not shown") for c in m.auto_comments)]
    assert not found, found
