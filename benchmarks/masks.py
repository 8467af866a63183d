"""Person-mask quality on the studio's evaluation set, the model's mask beside GrabCut's.

`tests/studio_eval` builds 22 photos with exact masks: two bundled portraits with hand-drawn
outlines and 20 composites of their cut-outs over bundled photos. Each is cut out twice as a
render would (face found, region chosen): GrabCut seeded from the face alone (the path used
when the `studio-ml` extra is absent) and GrabCut seeded from the segmentation model. Scores
are taken inside the region any headshot can show: IoU, and the F-score of the outlines
within 2 px.
"""

from __future__ import annotations

import asyncio
import statistics
import sys

from benchmarks.table import Row

MEAN_TARGET = 0.95
WORST_TARGET = 0.90


def measure() -> dict[str, list[tuple[str, float, float]]]:
    """Per image: name, IoU, boundary F, for each cutter that can run here."""
    from bot.providers.studio import cutout, segmenter
    from tests.studio_eval import eval_set, score

    cutters = {"grabcut": cutout.face_seeded_matte}
    if segmenter.available():
        cutters["model"] = cutout.model_seeded_matte
    return {
        name: [(item.name, *score(item, cutter)) for item in eval_set()] for name, cutter in cutters.items()
    }


def _summary(scores: list[tuple[str, float, float]]) -> tuple[float, float, float]:
    ious = [iou for _, iou, _ in scores]
    return statistics.mean(ious), min(ious), statistics.mean(f for _, _, f in scores)


def rows_for(found: dict[str, list[tuple[str, float, float]]]) -> list[Row]:
    """One row per image (model against GrabCut), then the mean and the worst image."""
    grabcut = found["grabcut"]
    model = found.get("model")
    g_mean, g_worst, g_f = _summary(grabcut)
    if model is None:
        return [
            Row("mask mean IoU", "n/a: studio-ml not installed", f"GrabCut {g_mean:.3f} (worst {g_worst:.3f}, "
                f"F {g_f:.3f})", None, f">= {MEAN_TARGET}", None, "pip install -e '.[studio-ml]'")
        ]
    rows = []
    for (name, iou, f), (_, g_iou, g_bf) in zip(model, grabcut, strict=True):
        rows.append(Row(f"mask {name}", f"IoU {iou:.3f}, F {f:.2f}", f"GrabCut IoU {g_iou:.3f}, F {g_bf:.2f}",
                        WORST_TARGET / max(iou, 1e-6), f"IoU >= {WORST_TARGET}", iou >= WORST_TARGET))
    m_mean, m_worst, m_f = _summary(model)
    rows.append(Row("mask mean IoU", f"{m_mean:.3f} (boundary F {m_f:.3f})",
                    f"GrabCut {g_mean:.3f} (F {g_f:.3f})", MEAN_TARGET / m_mean, f">= {MEAN_TARGET}",
                    m_mean >= MEAN_TARGET, f"{len(model)} images, inside the headshot region"))
    worst = min(model, key=lambda s: s[1])
    rows.append(Row("mask worst IoU", f"{m_worst:.3f} ({worst[0]})", f"GrabCut worst {g_worst:.3f}",
                    WORST_TARGET / m_worst, f">= {WORST_TARGET}", m_worst >= WORST_TARGET))
    return rows


async def run(quick: bool) -> list[Row]:
    """Score the whole set (about ten seconds) in a worker thread."""
    return rows_for(await asyncio.to_thread(measure))


if __name__ == "__main__":
    from benchmarks.table import render_text

    print(render_text(asyncio.run(run("--quick" in sys.argv))))
