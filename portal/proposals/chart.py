"""Geometry of the server-rendered SVG bar chart on the 15 % page (no JavaScript library)."""
from __future__ import annotations

from dataclasses import dataclass

from portal.formatting import MONTHS, zahl
from portal.proposals.target import TARGET_SHARE, AreaYear

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 80, 12, 24, 44


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    reached: bool
    missing: bool


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    #: (y, label) of the horizontal grid lines.
    ticks: list[tuple[float, str]]
    target_y: float
    plot_left: int
    plot_right: int
    baseline_y: float
    summary: str


def share_chart(area: AreaYear) -> Chart:
    shares = [m.share for m in area.months if m.share is not None]
    top_share = max([TARGET_SHARE * 1.35, *[s * 1.1 for s in shares]])
    # round the axis up to a multiple of 5 %
    top_share = max(0.05, -(-top_share * 100 // 5) * 5 / 100)
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / 12

    def y_of(share: float) -> float:
        return TOP + plot_h * (1 - share / top_share)

    bars = []
    for i, m in enumerate(area.months):
        share = m.share
        y = y_of(share or 0)
        bars.append(Bar(x=LEFT + i * slot + slot * 0.18, y=y, width=slot * 0.64, height=TOP + plot_h - y,
                        label=MONTHS[m.month.month - 1][:3], reached=m.reached, missing=share is None,
                        value_text="keine HzE-Stunden" if share is None else f"{zahl(share * 100, 1)} %"))
    steps = int(round(top_share * 100 / 5))
    every = 1 if steps <= 6 else 2 if steps <= 12 else 4
    ticks = [(y_of(k * 0.05), f"{k * 5} %") for k in range(0, steps + 1, every)]

    if shares:
        best = max((m for m in area.months if m.share is not None), key=lambda m: m.share)
        reached = sum(1 for m in area.months if m.reached)
        summary = (f"Höchster Anteil {zahl(best.share * 100, 1)} % im {best.label}. "
                   f"Ziel von 15 % in {reached} von {len(shares)} Monaten mit HzE-Stunden erreicht.")
    else:
        summary = "Für dieses Jahr sind noch keine HzE-Stunden eingetragen."
    return Chart(WIDTH, HEIGHT, bars, ticks, y_of(TARGET_SHARE), LEFT, WIDTH - RIGHT, TOP + plot_h, summary)
