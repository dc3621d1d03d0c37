"""Show predicted entities inline in their text as coloured HTML marks, with a legend.

Taught in notebook 05_inference.
"""
from __future__ import annotations

import html
from typing import Any, Iterable, Mapping, Sequence

# Fixed colours for WNUT 17's types, so a type looks the same in every text of a notebook.
WNUT17_COLORS: dict[str, str] = {
    "corporation": "#ffd166",
    "creative-work": "#c3a6ff",
    "group": "#8fd3fe",
    "location": "#a0e7a0",
    "person": "#ffadad",
    "product": "#ffc6ff",
}
# For other types, given out in sorted order of the types (see `entity_colors`); past these,
# colours are spread around the colour wheel, so any number of types stays distinguishable.
EXTRA_COLORS: tuple[str, ...] = ("#fdffb6", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffb4a2", "#d4a373", "#e9edc9", "#cdb4db")

MARK_STYLE = "padding:0.1em 0.3em; margin:0 0.1em; border-radius:0.35em; line-height:1.9"
LABEL_STYLE = "font-size:0.65em; font-weight:bold; margin-left:0.35em; text-transform:uppercase; opacity:0.7"


def _extra_color(i: int) -> str:
    """The i-th colour for a type without a fixed one: the palette first, then golden-angle hues."""
    if i < len(EXTRA_COLORS):
        return EXTRA_COLORS[i]
    import colorsys

    hue = (0.1 + 0.618033988749895 * (i - len(EXTRA_COLORS))) % 1.0  # no two hues close together
    red, green, blue = colorsys.hls_to_rgb(hue, 0.8, 0.75)  # light, so dark text stays readable
    return "#{:02x}{:02x}{:02x}".format(round(red * 255), round(green * 255), round(blue * 255))


def entity_colors(types: Iterable[str], colors: Mapping[str, str] | None = None) -> dict[str, str]:
    """A distinct colour for each of `types` (any number): `colors` first, WNUT 17's fixed ones, then others.

    Pass the model's entity types (e.g. from `id2label`) and hand the result to
    `highlight_entities(..., colors=...)`, so a type has the same colour in every text, whichever
    types a text happens to hold.
    """
    chosen = {**WNUT17_COLORS, **(colors or {})}
    extra = [t for t in sorted(set(types)) if t not in chosen]
    used = set(chosen.values())
    i = 0
    for entity_type in extra:
        while _extra_color(i) in used:  # a colour given in `colors` is not handed out twice
            i += 1
        chosen[entity_type] = _extra_color(i)
        used.add(chosen[entity_type])
        i += 1
    return {t: chosen[t] for t in sorted(set(types))}


def _colors_for(types: Sequence[str], colors: Mapping[str, str] | None) -> dict[str, str]:
    """A colour per type of `types`: `colors` first, then WNUT 17's fixed ones, then `entity_colors`'s."""
    return entity_colors(types, colors)


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
    (WNUT 17's types have fixed defaults; `entity_colors` gives any set of types distinct ones).
    All text is HTML-escaped. A legend follows the text: the types shown and those in `colors`.
    """
    shown = _non_overlapping(text, entities)
    # The legend names every type given a colour (pass `entity_colors(model types)` to list them
    # all, in every text) and every type shown.
    palette = _colors_for([str(e["type"]) for e in shown] + list(colors or {}), colors)
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

    items = "".join(
        f'<span class="ner-legend-item" style="background:{html.escape(color)}; {MARK_STYLE}">{html.escape(t)}</span>'
        for t, color in sorted(palette.items())
    )
    if not shown:
        items += " <em>no entities found</em>"
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
