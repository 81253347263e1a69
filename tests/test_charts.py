"""Charts state what the numbers say: one colour per grade, exact ticks, capped scales."""

from __future__ import annotations

import numpy as np
import pytest

from kaohe.report import charts


def _tick_labels(axis) -> list[str]:
    fig = axis.figure
    fig.canvas.draw()  # locators and formatters run at draw time
    lo, hi = axis.get_ylim()
    return [t.get_text() for t, v in zip(axis.get_yticklabels(), axis.get_yticks(), strict=True)
            if min(lo, hi) - 1e-9 <= v <= max(lo, hi) + 1e-9]


def test_a_grade_has_one_colour_in_every_scheme():
    changshou = charts.tier_colours(["好", "较好", "一般", "较差"])
    guangyuan = charts.tier_colours(["优", "好", "较好", "一般"])
    assert changshou["好"] == guangyuan["好"]
    assert changshou["较好"] == guangyuan["较好"]
    assert changshou["一般"] == guangyuan["一般"]
    assert len(set(guangyuan.values())) == 4
    # An unknown grade name still gets a colour, by its place.
    assert charts.tier_colours(["甲", "乙"]) == {"甲": charts.TIER_COLOURS[0],
                                                "乙": charts.TIER_COLOURS[1]}


def test_percent_labels_are_exact():
    assert charts.percent_label(0.825) == "82.5"
    assert charts.percent_label(0.8) == "80"
    assert charts.percent_label(1.0) == "100"


def test_heat_map_colour_bar_ticks_are_the_values_they_mark():
    shares = np.array([[0.825, 0.9], [0.95, 1.0], [0.88, np.nan]])
    fig = charts.heatmap_figure(["甲镇", "乙镇", "丙镇"], ["党建", "发展"], shares)
    bar = fig.axes[1]
    labels = _tick_labels(bar.yaxis.axes)
    ticks = [v for v in bar.get_yticks() if bar.get_ylim()[0] - 1e-9 <= v <= bar.get_ylim()[1] + 1e-9]
    assert labels == [charts.percent_label(v) for v in ticks]
    assert "82.5" in labels or all(float(x) % 5 == 0 for x in labels)
    assert all(float(x) <= 100 for x in labels)


def test_heat_map_scale_stops_at_full_marks_and_marks_the_overflow():
    shares = np.array([[2.75, 0.9], [0.6, 1.0]])  # 275%: points above an uncapped maximum
    fig = charts.heatmap_figure(["县住建局", "县财政局"], ["改革特色", "基础工作"], shares)
    img = fig.axes[0].images[0]
    assert img.get_clim()[1] == pytest.approx(1.0)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "275.0↑" in texts and "90.0" in texts
    assert "超过100%" in fig.axes[1].get_ylabel()


def test_a_one_column_heat_map_is_refused():
    with pytest.raises(ValueError):
        charts.heatmap_figure(["甲镇", "乙镇"], ["总分"], np.array([[0.9], [0.8]]))


def test_indicator_profile_scale_stops_at_full_marks():
    fig = charts.profile_figure(["改革特色", "基础工作"], [2.75, 0.9], [1.2, 0.8], [2.75, 1.0])
    ax = fig.axes[0]
    assert ax.get_xlim()[1] < 105
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("275.00%") and "超出满分" in t for t in texts)


def test_user_text_is_never_read_as_math():
    names = [r"$\notacommand{x}$镇", "甲$镇", "乙镇"]
    svg = charts.ranked_bars(names, [91.2, 90.1, 88.0], ["好", "较好", "一般"],
                             ["好", "较好", "一般", "较差"], r"排名 $\bad$")
    assert svg.startswith("<svg")


def test_ranked_bars_say_each_grade_in_words():
    """Readable in black and white: the grade is written, not only coloured."""
    fig = charts.ranked_figure(["甲镇", "乙镇", "丙镇"], [91.2, 80.0, 70.0], ["好", "较差", ""],
                               ["好", "较好", "一般", "较差"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["91.20（好）", "80.00（较差）", "70.00"]
    bars = fig.axes[0].patches
    assert bars[0].get_facecolor() != bars[1].get_facecolor()
