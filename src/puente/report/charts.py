"""Capacity charts (matplotlib, Agg): radar per country, regional heatmap, most common needs.

Each function writes a PNG and returns its path; sizes and dpi are fixed so documents lay
out the same every time. Charts built from fictitious data say so in their title, because a
chart can travel without the document around it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from puente.capacity.examples import FICTITIOUS
from puente.capacity.model import LEVELS, ItemSet
from puente.capacity.scoring import CountryProfile, NeedCount, RegionalView

DPI = 100
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
INSTITUTION_COLOURS = {"police": "#0072B2", "prosecution": "#D55E00", "country": "#009E73"}


def decimal(value: float, lang: str, places: int = 2) -> str:
    """A number as its readers write it: decimal comma in Spanish and Portuguese."""
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if lang in ("es", "pt") else text


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, output: Path) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(str(output), format="png", dpi=DPI, metadata={"Software": None})
    return output


def radar(
    profile: CountryProfile,
    items: ItemSet,
    lang: str,
    output: Path,
    *,
    title: str,
    labels: Mapping[str, str],  # "police", "prosecution", "country" -> legend text
) -> Path:
    """Maturity per domain (1-4) for each institution and the country mean."""
    plt = _pyplot()
    domains = [d for d in items.domains]
    n = len(domains)
    angles = [2 * math.pi * i / n for i in range(n)]
    fig = plt.figure(figsize=(5.6, 5.0), dpi=DPI)
    try:
        ax = fig.add_subplot(111, polar=True)
        ax.set_theta_offset(math.pi / 2)
        ax.set_theta_direction(-1)
        ax.set_ylim(0, 4)
        ax.set_yticks(list(LEVELS))
        ax.set_yticklabels([str(v) for v in LEVELS], fontsize=7, color="#555")
        ax.set_xticks(angles)
        ax.set_xticklabels([_wrap(d.name[lang]) for d in domains], fontsize=7.5)
        series: list[tuple[str, Mapping[str, float], str]] = [
            (labels[i.institution], i.score.domains, INSTITUTION_COLOURS[i.institution])
            for i in profile.institutions
        ]
        if profile.score is not None:
            series.append(
                (labels["country"], profile.score.domains, INSTITUTION_COLOURS["country"])
            )
        for label, values, colour in series:
            vals = [values.get(d.id, 0.0) for d in domains]
            width = 2.4 if colour == INSTITUTION_COLOURS["country"] else 1.4
            ax.plot(
                [*angles, angles[0]], [*vals, vals[0]], color=colour, linewidth=width, label=label
            )
            if colour == INSTITUTION_COLOURS["country"]:
                ax.fill([*angles, angles[0]], [*vals, vals[0]], color=colour, alpha=0.15)
        ax.legend(loc="upper right", bbox_to_anchor=(1.32, 1.12), fontsize=7.5, frameon=False)
        fig.suptitle(_title(title, profile.fictitious), fontsize=9.5)
        fig.subplots_adjust(left=0.1, right=0.8, top=0.83, bottom=0.08)
        return _save(fig, output)
    finally:
        plt.close(fig)


def capacity_heatmap(
    view: RegionalView,
    items: ItemSet,
    lang: str,
    output: Path,
    *,
    title: str,
    country_names: Mapping[str, str],
    overall_label: str,
) -> Path:
    """Countries x domains, coloured by mean maturity level, value in each cell."""
    plt = _pyplot()
    rows = [p for p in view.countries if p.score is not None]
    domains = list(items.domains)
    cols = [*(d.name[lang] for d in domains), overall_label]
    data = [
        [*(p.score.domains.get(d.id, math.nan) for d in domains), p.score.overall]
        for p in rows
        if p.score is not None
    ]
    height = 1.8 + 0.38 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(9.0, height), dpi=DPI)
    try:
        if data:
            im = ax.imshow(data, cmap="YlGnBu", vmin=1, vmax=4, aspect="auto")
            cbar = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
            cbar.set_ticks(list(LEVELS))
            cbar.ax.tick_params(labelsize=7)
            for i, row in enumerate(data):
                for j, value in enumerate(row):
                    colour = "white" if value >= 2.9 else "black"
                    ax.text(
                        j,
                        i,
                        decimal(value, lang, 1),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color=colour,
                    )
        ax.set_xticks(range(len(cols)))
        ax.set_xticklabels([_wrap(c, 14) for c in cols], fontsize=7.5)
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(
            [f"{country_names[p.country]} ({p.country})" for p in rows], fontsize=7.5
        )
        ax.set_title(_title(title, view.fictitious), fontsize=9.5, pad=34)
        fig.subplots_adjust(left=0.2, right=0.97, top=1 - 1.1 / height, bottom=0.2 / height)
        return _save(fig, output)
    finally:
        plt.close(fig)


def needs_chart(
    needs: Sequence[NeedCount],
    output: Path,
    *,
    title: str,
    need_labels: Mapping[str, str],
    answers_label: str,
    high_label: str,
    fictitious: bool,
) -> Path:
    """Most common needs: answers stating each need, and those with high priority."""
    plt = _pyplot()
    order = sorted(needs, key=lambda n: (n.items, n.high))
    fig, ax = plt.subplots(figsize=(7.0, 0.6 + 0.45 * max(len(order), 1) + 0.9), dpi=DPI)
    try:
        ys = list(range(len(order)))
        ax.barh(
            [y + 0.2 for y in ys],
            [n.items for n in order],
            height=0.38,
            color="#0072B2",
            label=answers_label,
        )
        ax.barh(
            [y - 0.2 for y in ys],
            [n.high for n in order],
            height=0.38,
            color="#E69F00",
            label=high_label,
        )
        for y, n in zip(ys, order, strict=True):
            ax.text(n.items + 0.2, y + 0.2, str(n.items), va="center", fontsize=7)
            ax.text(n.high + 0.2, y - 0.2, str(n.high), va="center", fontsize=7)
        ax.set_yticks(ys)
        ax.set_yticklabels([need_labels[n.need] for n in order], fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.legend(fontsize=7.5, frameon=False, loc="lower right")
        ax.set_title(_title(title, fictitious), fontsize=9.5)
        fig.tight_layout()
        return _save(fig, output)
    finally:
        plt.close(fig)


def _title(title: str, fictitious: bool) -> str:
    return f"{title}\n{FICTITIOUS}" if fictitious else title


def _wrap(text: str, width: int = 16) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines)
