"""Reports of an ablation: a console table, a JSON file and a PNG plot."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path


def metric_columns(rows: list[dict]) -> list[str]:
    """Label columns present in the rows (keys like ``category.reassigned.nmi``)."""
    cols = []
    for row in rows:
        for key in row:
            if key.endswith(".reassigned.nmi"):
                col = key[: -len(".reassigned.nmi")]
                if col not in cols:
                    cols.append(col)
    return cols


def _fmt(v, digits=3) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def print_table(rows: list[dict], title: str) -> None:
    """One line per row: setting, personas, noise, per label NMI/ARI/ACC reassigned (and NMI with noise)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for name in ("group", "setting", "personas", "noise"):
        table.add_column(name, justify="right" if name in ("personas", "noise") else "left")
    labels = metric_columns(rows)
    for col in labels:
        table.add_column(f"{col}\nNMI/ARI/ACC", justify="right")
        table.add_column(f"{col}\nwith noise NMI", justify="right")
    for name in ("silhouette", "DBCV", "stability", "s/seed"):
        table.add_column(name, justify="right")
    for r in rows:
        cells = [r["group"], r["setting"], _fmt(r.get("personas"), 1), _fmt(r.get("noise_share"))]
        for col in labels:
            triple = [r.get(f"{col}.reassigned.{m}") for m in ("nmi", "ari", "acc")]
            cells.append("/".join(_fmt(v) for v in triple))
            cells.append(_fmt(r.get(f"{col}.with_noise.nmi")))
        cells += [_fmt(r.get("silhouette")), _fmt(r.get("dbcv")), _fmt(r.get("stability_ari")),
                  _fmt(r.get("seconds_per_seed"), 1)]
        table.add_row(*cells)
    Console(width=220).print(table)


def write_json(path: Path, rows: list[dict], meta: dict) -> None:
    payload = {"meta": {**meta, "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "platform": platform.platform(), "cpus": os.cpu_count()},
               "rows": rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=str))


def plot(path: Path, rows: list[dict], title: str) -> None:
    """One panel per group: NMI/ARI/ACC after the noise step (first label column) per setting,
    persona count written above each setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = metric_columns(rows)
    if not labels:
        return
    col = labels[0]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 2.6 * len(groups)), squeeze=False)
    for ax, group in zip(axes[:, 0], groups):
        part = [r for r in rows if r["group"] == group]
        x = range(len(part))
        for metric, marker in (("nmi", "o"), ("ari", "s"), ("acc", "^")):
            ys = [r.get(f"{col}.reassigned.{metric}") for r in part]
            ax.plot(x, [float("nan") if v is None else v for v in ys], marker=marker, label=metric.upper())
        for i, r in enumerate(part):
            ax.annotate(f"k={_fmt(r.get('personas'), 0)}", (i, 1.0), textcoords="offset points", xytext=(0, -10),
                        ha="center", fontsize=7, xycoords=("data", "axes fraction"))
        ax.set_xticks(list(x))
        ax.set_xticklabels([r["setting"] for r in part], fontsize=7, rotation=15)
        ax.set_title(f"{group} ({col}, after the noise step)", fontsize=9)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.005, 1.0))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (2.6 * len(groups))))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_table(rows: list[dict]) -> str:
    """The rows as a Markdown table (what docs/ablations.md shows)."""
    labels = metric_columns(rows)
    head = ["group", "setting", "rows", "personas", "noise"]
    head += [f"{c} NMI / ARI / ACC" for c in labels] + [f"{labels[0]} with noise NMI / ARI / ACC"] if labels else []
    head += ["silhouette", "DBCV", "stability", "s/seed"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["group"], r["setting"], "sub" if r.get("subsampled") else "all", _fmt(r.get("personas"), 0),
                 _fmt(r.get("noise_share"), 2)]
        for c in labels:
            cells.append(" / ".join(_fmt(r.get(f"{c}.reassigned.{m}")) for m in ("nmi", "ari", "acc")))
        if labels:
            cells.append(" / ".join(_fmt(r.get(f"{labels[0]}.with_noise.{m}")) for m in ("nmi", "ari", "acc")))
        cells += [_fmt(r.get("silhouette")), _fmt(r.get("dbcv")), _fmt(r.get("stability_ari"), 2),
                  _fmt(r.get("seconds_per_seed"), 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summary_table(payloads: list[dict], groups=("granularity", "baselines")) -> str:
    """One Markdown table over data sets (issue 12): per setting the persona count (per seed) against
    the class count, NMI / ARI / ACC after the noise step (mean, then per seed), the largest
    persona's share and purity, and how many personas above 5 % have a commonest label under 50 %."""
    head = ["data set", "setting", "personas (per seed)", "classes: all / ≥0.2 %", "NMI / ARI / ACC",
            "per seed NMI / ARI / ACC", "largest: share / purity", "impure >5 %"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for payload in payloads:
        rows = [r for r in payload["rows"] if r["group"] in groups]
        name = payload["meta"]["dataset"]
        for r in rows:
            col = metric_columns([r])[0]
            per = zip(*(r.get(f"{col}.reassigned.{m}_per_seed", []) for m in ("nmi", "ari", "acc")))
            cells = [f"{name} (n={r['n']}, {col})", r["setting"],
                     f"{_fmt(r.get('personas'), 0)} ({', '.join(map(str, r.get('personas_per_seed', [])))})",
                     f"{r.get('classes', '–')} / {r.get('target_count', '–')}",
                     " / ".join(_fmt(r.get(f"{col}.reassigned.{m}")) for m in ("nmi", "ari", "acc")),
                     "; ".join("/".join(f"{v:.3f}" for v in t) for t in per),
                     f"{_fmt(r.get('largest_share'), 3)} / {_fmt(r.get('largest_purity'), 2)}",
                     _fmt(r.get("impure_large"))]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m scripts.ablation.report ablation-results/*.json
    import sys

    print(summary_table([json.loads(Path(p).read_text()) for p in sys.argv[1:]]), end="")
