"""The leader report as a printable HTML page (Danish), for the dialogue with the staff."""

from __future__ import annotations

import re
from html import escape

from leko_evaluation.reports.schemas import LeaderReport
from leko_evaluation.scale import GROUP_LABELS_DA, GROUPS, LEVEL_LABELS_DA, Group
from leko_kit.suppression import COMPLEMENTARY_REASON

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1a1a1a; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.notable td { background: #fff3cd; font-weight: 600; }
.muted { color: #666; }
@media print { body { margin: 0; } h2 { break-after: avoid; } table { break-inside: avoid; } }
"""


# The API's suppression reasons (English, as the JSON report gives them) in Danish.
_REASONS_DA = [
    (re.compile(r"fewer than (\d+) responses"), r"færre end \1 svar"),
    (re.compile(r"fewer than (\d+) leaders"), r"færre end \1 ledere"),
    (re.compile(r"no responses"), "ingen svar"),
    (
        re.compile(re.escape(COMPLEMENTARY_REASON)),
        "skjult, så en mindre gruppe ved siden af ikke kan regnes ud (komplementær diskretion)",
    ),
]


def _reason_da(reason: str) -> str:
    for pattern, danish in _REASONS_DA:
        reason = pattern.sub(danish, reason)
    return reason


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}".replace(".", ",")


def _gap(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}".replace(".", ",")


def render(report: LeaderReport) -> str:
    labels = {label.code: label.label_da for label in report.themes}
    texts = {question.id: question.text_da for question in report.questions}
    shown = [
        g for g in GROUPS if g.value in report.groups and not report.groups[g.value].suppressed
    ]
    means = {
        (g.value, q.question_id): q.mean for g in shown for q in report.groups[g.value].questions
    }
    self_other = {item.question_id: item for item in report.self_other}
    parts = [
        "<!doctype html>",
        '<html lang="da"><head><meta charset="utf-8">',
        f"<title>Ledelsesevaluering – {escape(report.display_name)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(report.display_name)}</h1>",
        f'<p class="muted">{escape(report.evaluation_name)} · '
        f"{escape(LEVEL_LABELS_DA.get(report.level, report.level))} · {report.year}</p>",
        "<h2>Svarprocent</h2><table><tr><th>Gruppe</th><th class=num>Inviteret</th>"
        "<th class=num>Svaret</th><th class=num>Svarprocent</th><th>Vises</th></tr>",
    ]
    for rate in report.response_rates:
        result = report.groups.get(rate.group.value)
        visible = (
            "ja"
            if result and not result.suppressed
            else escape(f"nej ({_reason_da(result.reason)})" if result and result.reason else "nej")
        )
        percent = "–" if rate.rate is None else f"{rate.rate * 100:.0f} %"
        parts.append(
            f"<tr><td>{escape(GROUP_LABELS_DA[rate.group])}</td><td class=num>{rate.invited}"
            f"</td><td class=num>{rate.responded}</td><td class=num>{percent}</td>"
            f"<td>{visible}</td></tr>"
        )
    parts.append("</table>")
    for theme in report.self_other_themes:
        parts.append(f"<h2>{escape(labels.get(theme.theme, theme.theme))}</h2>")
        header = "".join(
            f"<th class=num>{escape(GROUP_LABELS_DA[g])}</th>" for g in shown if g is not Group.SELF
        )
        parts.append(
            f"<table><tr><th>Udsagn</th>{header}<th class=num>Selv</th>"
            "<th class=num>Andre</th><th class=num>Forskel</th></tr>"
        )
        for question_id, item in self_other.items():
            if item.theme != theme.theme:
                continue
            cells = "".join(
                f"<td class=num>{_number(means.get((g.value, question_id)))}</td>"
                for g in shown
                if g is not Group.SELF
            )
            css = ' class="notable"' if item.notable else ""
            parts.append(
                f"<tr{css}><td>{escape(texts.get(question_id, question_id))}</td>{cells}"
                f"<td class=num>{_number(item.self)}</td><td class=num>"
                f"{_number(item.others_mean)}</td><td class=num>{_gap(item.gap)}</td></tr>"
            )
        blanks = "<td></td>" * sum(1 for g in shown if g is not Group.SELF)
        parts.append(
            f"<tr><td><em>Temaet samlet</em></td>{blanks}"
            f"<td class=num>{_number(theme.self)}</td><td class=num>{_number(theme.others_mean)}"
            f"</td><td class=num>{_gap(theme.gap)}</td></tr></table>"
        )
    parts.append("<h2>Sammenligning med landsgennemsnittet (kernespørgsmål)</h2>")
    if report.benchmark.suppressed:
        reason = _reason_da(report.benchmark.reason or "")
        parts.append(f'<p class="muted">Ikke vist: {escape(reason)}.</p>')
    else:
        parts.append(
            "<table><tr><th>Udsagn</th><th class=num>Andre om dig</th>"
            "<th class=num>Landsgennemsnit</th><th class=num>Forskel</th></tr>"
        )
        for bench in report.benchmark.questions:
            parts.append(
                f"<tr><td>{escape(texts.get(bench.question_id, bench.question_id))}</td>"
                f"<td class=num>{_number(bench.others_mean)}</td>"
                f"<td class=num>{_number(bench.national_mean)}</td>"
                f"<td class=num>{_gap(bench.difference)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Sådan læses rapporten</h2><ul>")
    parts += [f"<li>{escape(note)}</li>" for note in report.notes]
    parts.append(
        "</ul><p class=muted>Skala: 1 helt uenig · 2 uenig · 3 hverken enig eller "
        "uenig · 4 enig · 5 helt enig.</p></body></html>"
    )
    return "\n".join(parts)
