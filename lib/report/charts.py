"""Chart specifications shared by the Streamlit pages and the annual report, and their offline rendering.

Each builder takes plain data (DataFrames, lib.year.outcomes.Outcomes) and returns a Vega-Lite specification as a
plain dict, data inlined. The core never imports Altair (a house rule keeps lib/ free of the UI's libraries),
so a page draws one with `st.vega_lite_chart(spec, width="stretch")` (or `alt.LayerChart.from_dict(spec)`,
as every chart here is a layer, to keep working in Altair), and the report turns it into an image with
`to_png` / `to_svg`, through vl-convert: the Vega-Lite compiler and renderer in one native package, no browser,
no network. Nothing here is interactive (no selections), so a still image shows everything a page does.
Colours are the brand's: teal for yes and the main figures, gold for the middle answers, navy for no.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from ..directory.publication import FONT_DIR

if TYPE_CHECKING:
    from ..year.outcomes import Outcomes

TEAL, GOLD, NAVY, LIGHT_GOLD, GREY = "#2E6F73", "#C9A227", "#1F3B4D", "#E3CC7A", "#5A646E"
# Every answer either question offers, in the order they are stacked and listed, with its colour.
ANSWER_ORDER = ("yes", "partially", "maybe", "no")
ANSWER_COLOURS = {"yes": TEAL, "partially": GOLD, "maybe": LIGHT_GOLD, "no": NAVY}
QUESTION_COLOURS = (TEAL, GOLD)
FONT = "DejaVu Sans"
_fonts_registered = False


def _config() -> dict:
    """The look every chart shares: the report's font, navy titles, quiet axes, no frame around the plot."""
    return {"font": FONT,
            "title": {"color": NAVY, "fontSize": 14, "fontWeight": "bold", "anchor": "start", "offset": 10},
            "axis": {"labelColor": "#333333", "titleColor": GREY, "labelFontSize": 11, "titleFontSize": 11,
                     "gridColor": "#E6E9EC"},
            "legend": {"labelFontSize": 11, "titleFontSize": 11, "titleColor": GREY, "orient": "top"},
            "view": {"stroke": None}, "background": "white"}


def _spec(title: str, rows: list[dict], body: dict, width: int = 460, height: int = 180,
          subtitle: str | None = None) -> dict:
    """A complete specification: title (and subtitle), inline rows, size, shared config and the marks."""
    heading = {"text": title} | ({"subtitle": subtitle, "subtitleColor": GREY} if subtitle else {})
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": heading,
            "data": {"values": rows}, "width": width, "height": height, "config": _config(), **body}


def _plain(value: object) -> object:
    """A JSON-friendly value: numpy numbers become Python ones, NaN and NA become None."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _share(part: int, whole: int) -> str:
    """'5 of 5 (100%)', the label a bar carries."""
    return f"{part} of {whole} ({part / whole:.0%})" if whole else f"{part} of {whole}"


def answer_rows(outcomes: Outcomes) -> list[dict]:
    """Every answer of both questions as rows: question, answer, count, share, order (zeros kept)."""
    from ..year.outcomes import SHORT_LABELS

    rows = []
    for key, answer in (("met_goals", outcomes.met_goals), ("participate_again", outcomes.would_again)):
        offered = [word for word in ANSWER_ORDER if word in answer.answers]
        offered += [word for word in answer.answers if word not in ANSWER_ORDER]
        for position, word in enumerate(offered):
            count = int(answer.answers.get(word, 0))
            rows.append({"question": SHORT_LABELS[key], "answer": word, "count": count,
                         "share": count / answer.n if answer.n else None, "order": position,
                         "label": _share(count, answer.n)})
    return rows


def answers(outcomes: Outcomes) -> dict:
    """Both end-of-year questions as stacked bars of their whole answer distribution, yes first."""
    rows = answer_rows(outcomes)
    words = [w for w in ANSWER_ORDER if any(r["answer"] == w for r in rows)]
    words += sorted({r["answer"] for r in rows} - set(words))
    colours = [ANSWER_COLOURS.get(word, GREY) for word in words]
    shown = [row for row in rows if row["count"]]
    bars = {"mark": {"type": "bar", "height": 34},
            "encoding": {
                "y": {"field": "question", "type": "nominal", "title": None, "sort": None,
                      "axis": {"labelLimit": 220, "labelFontSize": 12}},
                "x": {"field": "count", "type": "quantitative", "stack": "zero", "title": "Responses",
                      "axis": {"tickMinStep": 1, "format": "d"}},
                "color": {"field": "answer", "type": "nominal", "title": "Answer",
                          "scale": {"domain": words, "range": colours}, "sort": words},
                "order": {"field": "order", "type": "quantitative"},
                "tooltip": [{"field": "question"}, {"field": "answer"}, {"field": "label", "title": "Count"}]}}
    labels = {"mark": {"type": "text", "color": "white", "fontWeight": "bold", "fontSize": 12},
              "transform": [{"filter": "datum.count > 0"}],
              "encoding": {"y": {"field": "question", "type": "nominal", "sort": None},
                           "x": {"field": "count", "type": "quantitative", "stack": "zero",
                                 "bandPosition": 0.5},
                           "detail": {"field": "answer"},
                           "order": {"field": "order", "type": "quantitative"},
                           "text": {"field": "count", "type": "quantitative"}}}
    subtitle = (f"{outcomes.responses} responses from {outcomes.participants} participants"
                if shown else "No end-of-year responses recorded")
    return _spec(f"End-of-year answers, {outcomes.cycle}", rows,
                 {"layer": [bars, labels]}, height=110, subtitle=subtitle)


def satisfaction_rows(outcomes: Outcomes) -> list[dict]:
    """Satisfaction 1 to 5 as rows (score, count, label), zeros included."""
    total = sum(outcomes.satisfaction.values())
    return [{"score": str(score), "count": int(outcomes.satisfaction.get(score, 0)),
             "label": _share(int(outcomes.satisfaction.get(score, 0)), total)} for score in range(1, 6)]


def satisfaction(outcomes: Outcomes) -> dict:
    """Satisfaction from 1 (low) to 5 (high) as bars, each labelled with its count."""
    rows = satisfaction_rows(outcomes)
    mean = outcomes.satisfaction_mean
    x = {"field": "score", "type": "ordinal", "title": "Satisfaction (1 = low, 5 = high)",
         "sort": ["1", "2", "3", "4", "5"], "axis": {"labelAngle": 0}}
    # Room above the tallest bar for its label.
    top = max(1, max(row["count"] for row in rows)) * 1.18
    bars = {"mark": {"type": "bar", "color": TEAL, "width": {"band": 0.7}},
            "encoding": {"x": x, "y": {"field": "count", "type": "quantitative", "title": "Responses",
                                       "scale": {"domain": [0, top], "nice": False},
                                       "axis": {"tickMinStep": 1, "format": "d"}},
                         "tooltip": [{"field": "score"}, {"field": "label", "title": "Count"}]}}
    labels = {"mark": {"type": "text", "dy": -7, "color": NAVY, "fontSize": 12},
              "encoding": {"x": x, "y": {"field": "count", "type": "quantitative"},
                           "text": {"field": "count", "type": "quantitative"}}}
    subtitle = f"Mean {mean:.1f} from {sum(r['count'] for r in rows)} answers" if mean is not None else \
        "Nobody answered this question"
    return _spec(f"Satisfaction, {outcomes.cycle}", rows, {"layer": [bars, labels]}, width=300, height=160,
                 subtitle=subtitle)


def attendance_rows(frame: pd.DataFrame) -> list[dict]:
    """Per circle: circle, members, present, marked, rate and the label a bar carries."""
    rows = []
    for record in frame.to_dict("records"):
        present, marked = int(record["present"] or 0), int(record["marked"] or 0)
        rate = _plain(record["rate"])
        rows.append({"circle": str(record["circle"]), "members": int(record["members"]), "present": present,
                     "marked": marked, "rate": rate,
                     "label": f"{rate:.0%} ({present} of {marked})" if rate is not None else "not marked yet"})
    return rows


def attendance_by_circle(frame: pd.DataFrame, subtitle: str | None = None) -> dict:
    """Attendance rate per circle (present over marked) as bars, each labelled '90% (43 of 48)'."""
    rows = attendance_rows(frame)
    y = {"field": "circle", "type": "nominal", "title": None, "sort": None, "axis": {"labelLimit": 200}}
    bars = {"mark": {"type": "bar", "color": TEAL, "height": {"band": 0.7}},
            "encoding": {"y": y, "x": {"field": "rate", "type": "quantitative", "title": "Attendance rate",
                                       "scale": {"domain": [0, 1]},
                                       "axis": {"format": "%", "values": [0, 0.25, 0.5, 0.75, 1]}},
                         "tooltip": [{"field": "circle"}, {"field": "label", "title": "Attendance"},
                                     {"field": "members"}]}}
    labels = {"mark": {"type": "text", "align": "right", "dx": -6, "color": "white", "fontWeight": "bold",
                       "fontSize": 11},
              "transform": [{"filter": "datum.rate != null && datum.rate >= 0.35"}],
              "encoding": {"y": y, "x": {"field": "rate", "type": "quantitative"}, "text": {"field": "label"}}}
    outside = {"mark": {"type": "text", "align": "left", "dx": 6, "color": NAVY, "fontSize": 11},
               "transform": [{"filter": "datum.rate == null || datum.rate < 0.35"},
                             {"calculate": "datum.rate == null ? 0 : datum.rate", "as": "at"}],
               "encoding": {"y": y, "x": {"field": "at", "type": "quantitative"}, "text": {"field": "label"}}}
    height = max(40, 30 * len(rows))
    return _spec("Attendance by circle", rows, {"layer": [bars, labels, outside]}, height=height,
                 subtitle=subtitle or "Share of marked member-meetings attended (excused counts as marked)")


def cohort_rows(frame: pd.DataFrame) -> list[dict]:
    """Both outcome questions per cycle as rows: cycle, question, share yes, Wilson low and high, 'n of N'."""
    from ..year.outcomes import SHORT_LABELS

    rows = []
    for record in frame.to_dict("records"):
        for key, question in (("met_goals", "met_goals"), ("would_again", "participate_again")):
            yes, n = int(record[f"{key}_yes"] or 0), int(record[f"{key}_n"] or 0)
            if not n:
                continue
            rows.append({"cycle": record["cycle"], "question": SHORT_LABELS[question], "share": yes / n,
                         "low": _plain(record[f"{key}_low"]), "high": _plain(record[f"{key}_high"]),
                         "label": f"{yes} of {n}"})
    return rows


def cohorts(frame: pd.DataFrame, highlight: str | None = None) -> dict:
    """Share answering yes per cycle and question (point) with its 95% Wilson interval (rule); one cycle stands out."""
    rows = cohort_rows(frame)
    for row in rows:
        row["shown"] = "this year" if highlight is None or row["cycle"] == highlight else "other years"
    questions = list(dict.fromkeys(row["question"] for row in rows)) or ["Met career goals",
                                                                         "Would participate again"]
    order = list(dict.fromkeys(frame["cycle"])) if len(frame) else []
    x = {"field": "cycle", "type": "nominal", "title": "Program year", "sort": order, "axis": {"labelAngle": 0}}
    colour = {"field": "question", "type": "nominal", "title": None, "legend": {"symbolOpacity": 1},
              "scale": {"domain": questions, "range": list(QUESTION_COLOURS[:len(questions)])}}
    opacity = {"field": "shown", "type": "nominal", "legend": None,
               "scale": {"domain": ["this year", "other years"], "range": [1.0, 0.3]}}
    common = {"x": x, "xOffset": {"field": "question", "type": "nominal"}, "color": colour, "opacity": opacity}
    rule = {"mark": {"type": "rule", "strokeWidth": 3},
            "encoding": common | {"y": {"field": "low", "type": "quantitative", "title": "Share answering yes",
                                        "scale": {"domain": [0, 1]}, "axis": {"format": "%"}},
                                  "y2": {"field": "high"}}}
    point = {"mark": {"type": "point", "filled": True, "size": 90},
             "encoding": common | {"y": {"field": "share", "type": "quantitative"},
                                   "tooltip": [{"field": "cycle"}, {"field": "question"}, {"field": "label"},
                                               {"field": "low", "format": ".0%", "title": "95% low"},
                                               {"field": "high", "format": ".0%", "title": "95% high"}]}}
    subtitle = "Point: share answering yes; line: 95% Wilson interval" + (
        f"; {highlight} in full colour" if highlight else "")
    return _spec("Outcomes by program year", rows, {"layer": [rule, point]},
                 width=max(260, 120 * max(1, len(order))), height=200, subtitle=subtitle)


def attention(frame: pd.DataFrame, limit: int = 20) -> tuple[pd.DataFrame, str | None]:
    """At most `limit` circles, those with the lowest attendance first, and a subtitle saying so when cut.

    More bars than that would not fit a page or a screen: the chart shows the circles that most need attention.
    """
    if len(frame) <= limit:
        return frame, None
    shown = frame.sort_values("rate", na_position="first", kind="stable").head(limit)
    return shown, f"The {limit} circles of {len(frame):,} with the lowest attendance; all in the table"


def stretched(chart: dict) -> dict:
    """A copy that fills a page's width and keeps its height for the plot (title and legend come on top).

    A page drawing a chart at container width would otherwise fit title, legend and plot into the given
    height, squeezing the plot; the report's images keep their natural size.
    """
    return chart | {"autosize": {"type": "fit-x", "contains": "padding"}}


# Streamlit's own metric colours, so a trend line matches the arrow above it: up, down, no change.
TREND_COLOURS = {"up": "#079464", "down": "#D94A57", "flat": "#6B7280"}


def trend_colour(change: float | None, inverse: bool = False) -> str:
    """The colour of a trend line: green when the figure improved, red when it worsened, grey when unchanged."""
    if change is None or change == 0 or pd.isna(change):
        return TREND_COLOURS["flat"]
    return TREND_COLOURS["up" if (change > 0) != inverse else "down"]


def sparkline(cycles: list[str], values: list, description: str, colour: str, height: int = 56) -> dict:
    """A small line of one figure over the program years, without axes, described in words for screen readers.

    The description becomes the chart's accessible name (Vega sets it as the aria-label of the chart's
    container), and the line itself is left out of the accessibility tree: it says nothing the words do not.
    """
    rows = [{"cycle": cycle, "value": _plain(value)} for cycle, value in zip(cycles, values)]
    line = {"mark": {"type": "line", "color": colour, "strokeWidth": 2, "strokeCap": "round", "aria": False,
                     "point": False},
            "encoding": {"x": {"field": "cycle", "type": "ordinal", "axis": None, "scale": {"padding": 0}},
                         "y": {"field": "value", "type": "quantitative", "axis": None,
                               "scale": {"zero": False, "nice": False}},
                         "tooltip": [{"field": "cycle", "title": "Year"}, {"field": "value", "title": "Value"}]}}
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "description": description,
            "data": {"values": rows}, "height": height, "padding": {"top": 4, "bottom": 4, "left": 0, "right": 0},
            "autosize": {"type": "fit-x", "contains": "padding"}, "background": None,
            "config": {"view": {"stroke": None}}, "layer": [line]}


def _register_fonts() -> None:
    """Give the renderer the DejaVu fonts the PDF embeds, once, so accented names render the same everywhere."""
    global _fonts_registered
    if not _fonts_registered:
        import vl_convert

        vl_convert.register_font_directory(str(FONT_DIR))
        _fonts_registered = True


def to_png(chart: dict, scale: float = 2) -> bytes:
    """Render a chart specification to PNG bytes offline (no browser; no data is fetched from anywhere)."""
    import vl_convert

    _register_fonts()
    return vl_convert.vegalite_to_png(chart, scale=scale, allowed_base_urls=[])


def to_svg(chart: dict) -> str:
    """Render a chart specification to an SVG document offline."""
    import vl_convert

    _register_fonts()
    return vl_convert.vegalite_to_svg(chart, allowed_base_urls=[])


__all__ = ["ANSWER_COLOURS", "ANSWER_ORDER", "GOLD", "NAVY", "TEAL", "answer_rows", "answers",
           "attendance_by_circle", "attendance_rows", "attention", "cohort_rows", "cohorts", "satisfaction",
           "satisfaction_rows", "sparkline", "stretched", "trend_colour", "to_png", "to_svg"]
