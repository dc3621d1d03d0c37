"""Entities highlighted in HTML: escaped text, one colour per type, a legend, every entity marked."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from ner_helpers.highlight import (
    EXTRA_COLORS,
    LABEL_STYLE,
    MARK_STYLE,
    WNUT17_COLORS,
    display_entities,
    entity_colors,
    highlight_entities,
)

TEXT = "Taylor Swift met Ed Sheeran at Wembley Stadium"


def entity(text: str, surface: str, entity_type: str, score: float = 0.9) -> dict:
    start = text.index(surface)
    return {"type": entity_type, "text": surface, "start": start, "end": start + len(surface), "score": score}


ENTITIES = [
    entity(TEXT, "Wembley Stadium", "location"),  # not in text order on purpose
    entity(TEXT, "Taylor Swift", "person"),
    entity(TEXT, "Ed Sheeran", "person"),
]


class Marks(HTMLParser):
    """Collect the shown text and each <mark>'s own text (type labels left out), and the legend's items."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[dict] = []
        self.legend: list[dict] = []
        self.text: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        cls = attrs.get("class", "")
        self._stack.append(cls)
        if tag == "mark":
            self.marks.append({"text": "", "style": attrs.get("style", "")})
        if cls == "ner-legend-item":
            self.legend.append({"text": "", "style": attrs.get("style", "")})

    def handle_endtag(self, tag):
        self._stack.pop()

    def handle_data(self, data):
        if "ner-legend" in self._stack or "ner-legend-item" in self._stack:
            if self._stack[-1] == "ner-legend-item":
                self.legend[-1]["text"] += data
            return
        if self._stack and self._stack[-1] == "ner-label":
            return
        self.text.append(data)
        if self._stack and self._stack[-1] == "ner-entity":
            self.marks[-1]["text"] += data


def parse(markup: str) -> Marks:
    parser = Marks()
    parser.feed(markup)
    parser.close()
    return parser


def background(style: str) -> str:
    return style.split("background:")[1].split(";")[0].strip()


def test_every_entity_text_is_inside_a_mark_in_text_order():
    marks = parse(highlight_entities(TEXT, ENTITIES)).marks
    assert [m["text"] for m in marks] == ["Taylor Swift", "Ed Sheeran", "Wembley Stadium"]


def test_the_text_outside_marks_is_kept():
    parser = parse(highlight_entities(TEXT, ENTITIES))
    assert "".join(parser.text) == TEXT


def test_one_colour_per_type():
    marks = parse(highlight_entities(TEXT, ENTITIES)).marks
    taylor, ed, wembley = (background(m["style"]) for m in marks)
    assert taylor == ed != wembley


def test_legend_names_each_type_in_its_colour():
    parser = parse(highlight_entities(TEXT, ENTITIES))
    legend = {item["text"]: background(item["style"]) for item in parser.legend}
    assert legend == {"location": background(parser.marks[2]["style"]), "person": background(parser.marks[0]["style"])}


def test_type_label_follows_the_entity():
    markup = highlight_entities(TEXT, ENTITIES[1:2])
    assert 'Taylor Swift<span class="ner-label"' in markup and ">person</span></mark>" in markup


def test_script_in_text_and_type_is_escaped():
    text = "<script>alert('x')</script> & Ann"
    entities = [entity(text, "Ann", "<b>person</b>"), entity(text, "<script>", "product")]
    markup = highlight_entities(text, entities)
    assert "<script>" not in markup and "<b>" not in markup
    assert "&lt;script&gt;" in markup and "&amp;" in markup and "&lt;b&gt;person&lt;/b&gt;" in markup
    assert [m["text"] for m in parse(markup).marks] == ["<script>", "Ann"]


def test_given_colours_are_used():
    markup = highlight_entities(TEXT, ENTITIES, colors={"person": "tomato"})
    assert background(parse(markup).marks[0]["style"]) == "tomato"


def test_types_outside_wnut17_get_distinct_colours():
    text = "Paris and Rome"
    entities = [entity(text, "Paris", "CITY"), entity(text, "Rome", "TOWN")]
    marks = parse(highlight_entities(text, entities)).marks
    assert background(marks[0]["style"]) != background(marks[1]["style"])


def test_overlapping_entity_is_skipped_not_a_crash():
    entities = ENTITIES + [entity(TEXT, "Swift met", "group")]
    assert [m["text"] for m in parse(highlight_entities(TEXT, entities)).marks] == ["Taylor Swift", "Ed Sheeran", "Wembley Stadium"]


def test_text_without_entities_says_so():
    markup = highlight_entities("nothing here", [])
    assert "<mark" not in markup and "no entities found" in markup


def test_offsets_outside_the_text_are_an_error():
    with pytest.raises(ValueError) as error:
        highlight_entities("short", [{"type": "person", "start": 2, "end": 40}])
    assert "'end': 40" in str(error.value) and "5 characters" in str(error.value)  # the entity, the text's length


def test_display_entities_hands_html_to_ipython(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    display_entities(TEXT, ENTITIES)
    [html] = shown
    assert isinstance(html, IPython.display.HTML) and html.data == highlight_entities(TEXT, ENTITIES)


class Tags(HTMLParser):
    """Every tag with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


HOSTILE = (
    '<b>bold</b> & "quoted" \'single\' '  # before the first entity
    "Ann<i>"  # an entity holding markup
    " met <img src=x onerror=alert(1)> at "  # between entities
    "Bo&b"  # adjacent entities: this one ends where the next starts
    'Cy"s'
    " tail <script>alert(\"x\")</script> & 'end' <img src=y onerror=z>"  # after the last entity
)


def hostile_entities() -> list[dict]:
    return [
        entity(HOSTILE, "Ann<i>", "person"),
        entity(HOSTILE, "Bo&b", "group"),
        entity(HOSTILE, 'Cy"s', 'loc" onmouseover="alert(1)'),
    ]


def test_html_in_every_part_of_the_text_is_escaped():
    markup = highlight_entities(HOSTILE, hostile_entities())
    tags = Tags()
    tags.feed(markup)
    # Only the widget's own tags, and no attribute that the text or a type smuggled in.
    assert {tag for tag, _ in tags.tags} == {"div", "mark", "span"}
    assert all(set(attrs) <= {"class", "style", "title"} for _, attrs in tags.tags)
    parser = parse(markup)
    assert "".join(parser.text) == HOSTILE  # the text reads back exactly, markup characters included
    for raw in ("<b>", "<i>", "<img", "<script", "& ", "&b", '"quoted"', "'end'", '"x"'):
        assert raw not in markup, raw


def test_each_part_of_the_text_is_escaped_exactly_once():
    markup = highlight_entities(HOSTILE, hostile_entities())
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &#x27;single&#x27; <mark" in markup
    assert ">Ann&lt;i&gt;<span" in markup
    assert "</mark> met &lt;img src=x onerror=alert(1)&gt; at <mark" in markup
    assert ">Bo&amp;b<span" in markup and ">Cy&quot;s<span" in markup
    assert "</mark> tail &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;end&#x27; &lt;img src=y onerror=z&gt;</div>" in markup


def test_adjacent_entities_give_two_marks_with_their_own_titles():
    tags = Tags()
    tags.feed(highlight_entities(HOSTILE, hostile_entities()))
    marks = [attrs for tag, attrs in tags.tags if tag == "mark"]
    assert [m["title"] for m in marks] == ["person (0.90)", "group (0.90)", 'loc" onmouseover="alert(1) (0.90)']
    assert [m["text"] for m in parse(highlight_entities(HOSTILE, hostile_entities())).marks] == ["Ann<i>", "Bo&b", 'Cy"s']


def test_title_without_score_is_the_type_alone():
    text = "Ann"
    tags = Tags()
    tags.feed(highlight_entities(text, [{"type": "person", "start": 0, "end": 3}]))
    assert [attrs["title"] for tag, attrs in tags.tags if tag == "mark"] == ["person"]


def test_types_past_the_palette_get_distinct_light_golden_angle_colours():
    types = [f"T{n:02d}" for n in range(40)]  # 40 types outside WNUT 17: the 8 palette colours, then 32 more
    colours = entity_colors(types)
    assert [colours[t] for t in types[:8]] == list(EXTRA_COLORS)
    # The 9th type gets the first generated colour: hue 0.1, lightness 0.8, saturation 0.75, so
    # m2 = 0.8 + 0.75 - 0.8 * 0.75 = 0.95 and m1 = 2 * 0.8 - 0.95 = 0.65; red (hue + 1/3, in the flat part) = m2
    # -> 242 = f2; green (hue 0.1 < 1/6) = 0.65 + 0.3 * 6 * 0.1 = 0.83 -> 212 = d4; blue (hue - 1/3 wraps to
    # 0.767, past 2/3) = m1 -> 166 = a6.
    assert colours["T08"] == "#f2d4a6"
    # The 10th: hue 0.1 + 0.618 = 0.718; red (0.718 + 1/3 wraps to 0.051 < 1/6) = 0.65 + 0.3 * 6 * 0.051 = 0.742
    # -> 189 = bd; green (0.718, past 2/3) = m1 -> a6; blue (0.718 - 1/3 = 0.385, in the flat part) = m2 -> f2.
    assert colours["T09"] == "#bda6f2"
    generated = [colours[t] for t in types[8:]]
    assert len(set(generated)) == 32 and not set(generated) & (set(EXTRA_COLORS) | set(WNUT17_COLORS.values()))
    # Light enough for dark text: every channel between m1 (166) and m2 (242).
    channels = [int(c[i : i + 2], 16) for c in generated for i in (1, 3, 5)]
    assert min(channels) == 166 and max(channels) == 242


def test_a_given_colour_is_not_handed_out_again():
    # C takes the palette's 2nd colour and D its 3rd; A gets the 1st, and B skips both taken ones to the 4th.
    colours = entity_colors(["A", "B", "C", "D"], colors={"C": EXTRA_COLORS[1], "D": EXTRA_COLORS[2]})
    assert colours == {"A": EXTRA_COLORS[0], "B": EXTRA_COLORS[3], "C": EXTRA_COLORS[1], "D": EXTRA_COLORS[2]}


def test_one_given_colour_is_skipped_once():
    colours = entity_colors(["A", "B", "C"], colors={"C": EXTRA_COLORS[1]})
    assert colours == {"A": EXTRA_COLORS[0], "B": EXTRA_COLORS[2], "C": EXTRA_COLORS[1]}


def test_an_empty_entity_is_an_error():
    with pytest.raises(ValueError) as error:
        highlight_entities(TEXT, [{"start": 3, "end": 3, "entity_group": "person", "word": ""}])
    assert "'start': 3, 'end': 3" in str(error.value)  # the entity refused


def test_display_entities_uses_the_given_colours(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    display_entities(TEXT, ENTITIES, colors={"person": "tomato"})
    assert shown[0].data == highlight_entities(TEXT, ENTITIES, colors={"person": "tomato"})
    assert "tomato" in shown[0].data


def test_whole_markup_of_a_small_text_with_a_two_type_legend():
    markup = highlight_entities("Ann & Bo", [{"type": "person", "start": 0, "end": 3}], colors={"person": "red", "group": "blue"})
    mark = (f'<mark class="ner-entity" style="background:red; {MARK_STYLE}" title="person">Ann'
            f'<span class="ner-label" style="{LABEL_STYLE}">person</span></mark>')
    legend = (f'<span class="ner-legend-item" style="background:blue; {MARK_STYLE}">group</span>'
              f'<span class="ner-legend-item" style="background:red; {MARK_STYLE}">person</span>')  # sorted, nothing between
    assert markup == (
        '<div class="ner-highlight" style="font-family:sans-serif; line-height:2">'
        f'<div style="white-space:pre-wrap">{mark} &amp; Bo</div>'
        f'<div class="ner-legend" style="font-size:0.85em; margin-top:0.3em">Types: {legend}</div></div>'
    )


def test_whole_markup_of_a_text_without_entities():
    assert highlight_entities("nothing <here>", []) == (
        '<div class="ner-highlight" style="font-family:sans-serif; line-height:2">'
        '<div style="white-space:pre-wrap">nothing &lt;here&gt;</div>'
        '<div class="ner-legend" style="font-size:0.85em; margin-top:0.3em">Types:  <em>no entities found</em></div></div>'
    )


# ---- notebook-facing helpers

def test_entity_colors_are_distinct_for_any_number_of_types_and_the_legend_names_them_all():
    from ner_helpers.highlight import entity_colors, highlight_entities

    types = [f"type{i:02d}" for i in range(40)]
    colors = entity_colors(types)
    assert len(set(colors.values())) == 40
    palette = entity_colors(["LOC", "ORG", "PER"])
    alone = highlight_entities("Paris", [{"type": "PER", "start": 0, "end": 5}], palette)
    with_loc = highlight_entities("Paris Rome", [{"type": "LOC", "start": 0, "end": 5}, {"type": "PER", "start": 6, "end": 10}], palette)
    per_color = f'background:{palette["PER"]}; '
    assert per_color in alone.split("ner-legend")[0] and per_color in with_loc.split("ner-legend")[0]
    html = highlight_entities("nothing here", [], entity_colors(["LOC", "ORG", "PER"]))
    assert "no entities found" in html and all(f">{t}</span>" in html for t in ("LOC", "ORG", "PER"))
