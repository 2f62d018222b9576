"""Sphinx extension: a chapter's first use of a glossary term links to its entry.

``book/glossary.md`` fixes the course's vocabulary (torch's own names: ``lr``, ``T_max``,
``eta_min``...), but no chapter linked to it. On each page other than the glossary, the first
inline literal whose text is a glossary term (``T_max`` written as code) becomes a link to that
term; later uses stay plain, so a page is not a sea of links. Code blocks, headings and text that
already links somewhere are left alone.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

#: Where the glossary lives (its own page is not linked to itself).
GLOSSARY_DOCNAME = "book/glossary"


def _skipped(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, (nodes.reference, addnodes.pending_xref, nodes.title, nodes.raw)):
            return True
        parent = parent.parent
    return False


class LinkGlossaryTerms(SphinxPostTransform):
    """Wrap each page's first inline literal naming a glossary term in a ``term`` reference."""

    # Before sphinx's ReferencesResolver (priority 10), which then resolves the new references.
    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        docname = self.env.docname
        terms = getattr(self.env.get_domain("std"), "_terms", {})
        if docname == GLOSSARY_DOCNAME or not terms:
            return
        linked: set[str] = set()
        for literal in list(self.document.findall(nodes.literal)):
            text = literal.astext().strip()
            key = text.lower()
            if key not in terms or key in linked or _skipped(literal):
                continue
            linked.add(key)
            reference = addnodes.pending_xref(
                "",
                refdomain="std",
                reftype="term",
                reftarget=text,
                refexplicit=True,
                refwarn=True,
                refdoc=docname,
                classes=["lrc-glossary-link"],
            )
            literal.replace_self(reference)
            reference += literal


def setup(app: Any) -> dict[str, Any]:
    """Register the post-transform."""
    app.add_post_transform(LinkGlossaryTerms)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
