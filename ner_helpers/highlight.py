"""Show predicted entities inline in their text as coloured HTML marks, with a legend.

Taught in notebook 05_inference.
"""
from __future__ import annotations

import html
from typing import Any, Mapping, Sequence

# Fixed colours for WNUT 17's types, so a type looks the same in every text of a notebook.
WNUT17_COLORS: dict[str, str] = {
    "corporation": "#ffd166",
    "creative-work": "#c3a6ff",
    "group": "#8fd3fe",
    "location": "#a0e7a0",
    "person": "#ffadad",
    "product": "#ffc6ff",
}
# For types outside WNUT 17, given out in sorted order of the types in one text (repeating after 8).
EXTRA_COLORS: tuple[str, ...] = ("#fdffb6", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffb4a2", "#d4a373", "#e9edc9", "#cdb4db")

MARK_STYLE = "padding:0.1em 0.3em; margin:0 0.1em; border-radius:0.35em; line-height:1.9"
LABEL_STYLE = "font-size:0.65em; font-weight:bold; margin-left:0.35em; text-transform:uppercase; opacity:0.7"


def _colors_for(types: Sequence[str], colors: Mapping[str, str] | None) -> dict[str, str]:
    """A colour per type: `colors` first, then WNUT 17's fixed ones, then the extra palette."""
    chosen = {**WNUT17_COLORS, **(colors or {})}
    extra = [t for t in sorted(set(types)) if t not in chosen]
    for i, entity_type in enumerate(extra):
        chosen[entity_type] = EXTRA_COLORS[i % len(EXTRA_COLORS)]
    return {t: chosen[t] for t in types}


def _non_overlapping(text: str, entities: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Entities sorted by position; one that overlaps an earlier one is skipped."""
    kept: list[Mapping[str, Any]] = []
    end_of_last = 0
    for entity in sorted(entities, key=lambda e: (e["start"], e["end"])):
        start, end = int(entity["start"]), int(entity["end"])
        if not 0 <= start < end <= len(text):
            raise ValueError(f"Entity {dict(entity)} has offsets outside the text of {len(text)} characters.")
        if start < end_of_last:
            continue
        kept.append(entity)
        end_of_last = end
    return kept


def highlight_entities(
    text: str, entities: Sequence[Mapping[str, Any]], colors: Mapping[str, str] | None = None
) -> str:
    """HTML of `text` with each entity in a `<mark>` coloured by type, its type in small letters after it.

    `entities` are `predict_entities` dicts (`type`, `start`, `end`, optional `score`), in any
    order; an entity that overlaps an earlier one is skipped. `colors` maps types to CSS colours
    (WNUT 17's types have fixed defaults). All text is HTML-escaped. A legend of the types shown
    follows the text.
    """
    shown = _non_overlapping(text, entities)
    palette = _colors_for([str(e["type"]) for e in shown], colors)
    parts = []
    position = 0
    for entity in shown:
        start, end, entity_type = int(entity["start"]), int(entity["end"]), str(entity["type"])
        parts.append(html.escape(text[position:start]))
        title = entity_type if entity.get("score") is None else f"{entity_type} ({float(entity['score']):.2f})"
        parts.append(
            f'<mark class="ner-entity" style="background:{html.escape(palette[entity_type])}; {MARK_STYLE}" '
            f'title="{html.escape(title)}">{html.escape(text[start:end])}'
            f'<span class="ner-label" style="{LABEL_STYLE}">{html.escape(entity_type)}</span></mark>'
        )
        position = end
    parts.append(html.escape(text[position:]))

    if palette:
        items = "".join(
            f'<span class="ner-legend-item" style="background:{html.escape(color)}; {MARK_STYLE}">{html.escape(t)}</span>'
            for t, color in sorted(palette.items())
        )
    else:
        items = "<em>no entities found</em>"
    # pre-wrap keeps the text's own line breaks and runs of spaces.
    return (
        '<div class="ner-highlight" style="font-family:sans-serif; line-height:2">'
        f'<div style="white-space:pre-wrap">{"".join(parts)}</div>'
        f'<div class="ner-legend" style="font-size:0.85em; margin-top:0.3em">Types: {items}</div>'
        "</div>"
    )


def display_entities(
    text: str, entities: Sequence[Mapping[str, Any]], colors: Mapping[str, str] | None = None
) -> None:
    """Show `highlight_entities(text, entities, colors)` in a notebook."""
    from IPython.display import HTML, display  # only notebooks need IPython

    display(HTML(highlight_entities(text, entities, colors)))
