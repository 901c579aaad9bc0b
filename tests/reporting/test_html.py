"""Tests of report.html: language, self-containment, escaping and sections."""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from planner.reporting.html import render_html

GENERATED_AT = datetime(2013, 8, 10, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
NARROW_NO_BREAK_SPACE = "\u202f"


@pytest.fixture
def french_html(make_plan) -> str:
    return render_html(make_plan(), generated_at=GENERATED_AT)


def test_render_html_french_by_default(french_html):
    assert '<html lang="fr">' in french_html
    assert "Événements de la semaine" in french_html
    assert "lundi 12 août 2013" in french_html
    assert "dimanche 18 août 2013" in french_html
    assert "Events of the week" not in french_html


def test_render_html_french_values_translated(french_html):
    assert "conseiller clientèle" in french_html
    assert "ingénieur de supervision" in french_html
    assert "à renforcer" in french_html
    assert "après-midi" in french_html
    assert "customer_care_agent" not in french_html


def test_render_html_french_number_format(french_html):
    assert f"75{NARROW_NO_BREAK_SPACE}000" in french_html
    assert "×3,00" in french_html
    assert "99,0\xa0%" in french_html


def test_render_html_english_on_request(make_plan):
    page = render_html(make_plan(), lang="en", generated_at=GENERATED_AT)

    assert '<html lang="en">' in page
    assert "Events of the week" in page
    assert "Monday, August 12, 2013" in page
    assert "customer care agent" in page
    assert "Événements" not in page


def test_render_html_no_external_url(french_html):
    assert "http://" not in french_html
    assert "https://" not in french_html
    assert "<link" not in french_html
    assert "<script" not in french_html


def test_render_html_images_are_embedded_png(french_html):
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', french_html)
    assert len(sources) == french_html.count("<img")
    # One forecast plot of the cell at risk and one map of the week's single event.
    assert len(sources) == 2
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        png = base64.b64decode(source.removeprefix("data:image/png;base64,"), validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_render_html_escapes_event_names(make_plan):
    plan = make_plan(event_name="Derby <script>alert('x')</script>", venue_name="Stade <b>Nord</b>")
    page = render_html(plan, generated_at=GENERATED_AT)

    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<b>Nord</b>" not in page
    assert "Stade &lt;b&gt;Nord&lt;/b&gt;" in page


def test_render_html_summary_lists_action(french_html):
    summary = french_html.split('id="events"')[0]
    assert "Cellule C1, Data traffic (MB)\u00a0: ajouter 1 renfort (temporary carrier) avant le mer. 14 août 20:00." in summary
    assert "Milan v Inter" in summary


def test_render_html_borrowed_uplift_sentence(french_html):
    assert "Aucun événement passé de ce type dans ce lieu\u00a0: la hausse est empruntée à 1 événement passé du même type " \
           "(match)." in french_html
    assert "E0 (2013-05-19)" in french_html


def _event_card(plan, lang: str = "en") -> str:
    page = render_html(plan, lang=lang, generated_at=GENERATED_AT)
    return page.split('id="events"')[1].split("</section>")[0]


def test_render_html_kind_sources_at_venue(make_plan):
    # A march takes the profile of its kind even where past marches started: the card counts them.
    plan = make_plan()
    events = plan.events.assign(learned_events=8, learned_at_venue=8, learned_from="8 events: E0 ... E7")
    card = _event_card(dataclasses.replace(plan, events=events))
    french = _event_card(dataclasses.replace(plan, events=events), "fr")

    assert "The uplift is learned from 8 past events of the same kind (match), 8 of them at this venue." in card
    assert "No past event of this kind at this venue" not in card
    assert "La hausse est apprise sur 8 événements passés du même type (match), dont 8 dans ce lieu." in french


def test_render_html_kind_sources_elsewhere(make_plan):
    plan = make_plan()
    events = plan.events.assign(learned_events=3, learned_at_venue=0)
    card = _event_card(dataclasses.replace(plan, events=events))

    assert "No past event of this kind at this venue, so the uplift is borrowed from 3 past events of the same kind (match)." in card


def test_render_html_attendance_capped(make_plan):
    plan = make_plan()
    capped = plan.events.assign(expected_attendance=120000.0, attendance_capped_to=80000.0)
    card = _event_card(dataclasses.replace(plan, events=capped))
    plain = _event_card(plan)

    assert "120,000" in card
    assert ("This is above the venue's capacity of 80,000 people, so the forecast scales the uplift for 80,000 "
            "people instead.") in card
    assert "venue's capacity" not in plain


def test_render_html_attendance_range_alone(make_plan):
    plan = make_plan()
    range_only = plan.events.assign(expected_attendance=float("nan"), attendance_low=238000.0,
                                    attendance_high=1600000.0)
    card = _event_card(dataclasses.replace(plan, events=range_only))
    with_central = _event_card(plan)

    attendance = re.search(r"<th>Expected attendance</th><td>(.*?)</td>", card, re.S).group(1)
    assert " ".join(attendance.split()) == "from 238,000 to 1,600,000"
    central = re.search(r"<th>Expected attendance</th><td>(.*?)</td>", with_central, re.S).group(1)
    assert " ".join(central.split()) == "75,000 (from 70,000 to 80,000)"


def test_render_html_event_peak_hour(make_plan):
    plan = make_plan()
    peak_time = pd.Series([pd.Timestamp("2013-08-14 22:00", tz="Europe/Paris")], dtype=object)
    events = plan.events.assign(peak_time=peak_time, peak_cell_id="C1")
    card = _event_card(dataclasses.replace(plan, events=events))

    assert "<th>Peak hour and cell</th>" in card
    assert "<td>Wed 14 Aug 22:00, C1</td>" in card


def test_render_html_assumptions_marked_assumed(french_html):
    section = french_html.split('id="assumptions"')[1].split("</section>")[0]
    assert "supposé" in section
    assert "staffing.shrinkage" in section
    assert "No absence records" in section


def test_render_html_data_quality_and_notes(french_html):
    quality = french_html.split('id="data-quality"')[1].split("</section>")[0]
    assert "traffic.csv" in quality
    assert "line 5: negative traffic rejected" in quality
    assert "3 hours imputed" in quality
    assert "Synthetic plan for the reporting tests." in french_html


def test_render_html_actuals_section_when_known(make_plan):
    without = render_html(make_plan(), generated_at=GENERATED_AT)
    with_actuals = render_html(make_plan(with_actuals=True), lang="en", generated_at=GENERATED_AT)

    assert 'id="actuals"' not in without
    section = with_actuals.split('id="actuals"')[1].split("</section>")[0]
    assert "Mean absolute error of p50" in section
    assert "Event-window peaks" in section


def _event_peak_rows(page: str) -> list[str]:
    section = page.split('id="actuals"')[1].split("</section>")[0]
    body = section.split("<tbody>")[-1].split("</tbody>")[0]
    return [" ".join(row.split()) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.mark.parametrize(("lang", "start"), [("en", "Wed 14 Aug 20:45"), ("fr", "mer. 14 août 20:45")])
def test_render_html_event_peaks_dated(make_plan, lang, start):
    page = render_html(make_plan(with_actuals=True), lang=lang, generated_at=GENERATED_AT)
    rows = _event_peak_rows(page)

    assert len(rows) == 1
    assert rows[0].startswith(f"<td>Milan v Inter</td> <td>{start}</td>")


def test_render_html_event_peaks_date_only(make_plan):
    plan = make_plan(with_actuals=True)
    events = plan.events.assign(time_known=False)
    page = render_html(dataclasses.replace(plan, events=events), lang="en", generated_at=GENERATED_AT)
    rows = _event_peak_rows(page)

    assert rows[0].startswith("<td>Milan v Inter</td> <td>Wed 14 Aug, time not known</td>")


def test_render_html_plots_uplift_without_risk(make_plan):
    page = render_html(make_plan(with_risk=False), lang="en", generated_at=GENERATED_AT)

    assert "No cell is at risk this week. The plots show the cells with the largest event uplift." in page
    assert page.count('alt="Forecast of cell') == 1
    assert "Forecast of cell C1" in page


def test_render_html_rejects_unknown_language(make_plan):
    with pytest.raises(ValueError, match="unsupported report language 'it'"):
        render_html(make_plan(), lang="it")


def test_render_html_caps_plots_and_actions(make_plan):
    plan = make_plan()
    copies = [f"X{index:02d}" for index in range(1, 13)]
    forecast = pd.concat([plan.forecast] + [plan.forecast[plan.forecast["cell_id"] == "C1"].assign(cell_id=cell)
                                            for cell in copies], ignore_index=True)
    capacity = pd.concat([plan.capacity] + [plan.capacity[plan.capacity["cell_id"] == "C1"].assign(cell_id=cell)
                                            for cell in copies], ignore_index=True)
    page = render_html(dataclasses.replace(plan, forecast=forecast, capacity=capacity), lang="en",
                       generated_at=GENERATED_AT)

    # 13 cells need reinforcing: 12 are plotted and 1 is listed, 10 are in the summary and 3 are counted.
    assert page.count('alt="Forecast of cell') == 12
    assert "Other cells at risk" in page
    summary = page.split('id="events"')[0]
    assert summary.count(": add 1 extra unit (temporary carrier)") == 10
    assert "3 more reinforcements are listed in the capacity actions table." in summary


def test_render_html_counts_cells_once(make_plan):
    plan = make_plan()
    calls_capacity = plan.capacity[plan.capacity["cell_id"] == "C1"].assign(measure="calls")
    calls_forecast = plan.forecast[plan.forecast["cell_id"] == "C1"].assign(measure="calls")
    plan = dataclasses.replace(plan, capacity=pd.concat([plan.capacity, calls_capacity], ignore_index=True),
                               forecast=pd.concat([plan.forecast, calls_forecast], ignore_index=True))
    page = render_html(plan, lang="en", generated_at=GENERATED_AT)

    assert '<div class="key-figure"><strong>1</strong>cell to reinforce</div>' in page
    assert '<div class="key-figure"><strong>0</strong>cells to watch</div>' in page
    assert page.count('alt="Forecast of cell') == 2


def test_render_html_map_per_event(make_plan):
    page = render_html(make_plan(), lang="en", generated_at=GENERATED_AT)
    assert page.count('alt="Map of Milan v Inter on Wednesday, August 14, 2013"') == 1
    assert "the cells the event puts at risk are labelled" in page


def test_render_html_map_alt_french(make_plan):
    page = render_html(make_plan(), lang="fr", generated_at=GENERATED_AT)
    assert page.count('alt="Carte de l’événement Milan v Inter du mercredi 14 août 2013"') == 1


@pytest.mark.parametrize(("number", "last_day"), [(13, "dimanche 31 mars 2013"), (43, "dimanche 27 octobre 2013")])
def test_render_html_week_range_across_dst(make_plan, number, last_day):
    # The weeks of the spring (167 hours) and autumn (169 hours) changes in Europe/Paris still end on Sunday.
    from planner.inputs.weeks import Week

    page = render_html(make_plan(week=Week(2013, number, "Europe/Paris")))

    assert f"au {last_day}" in page
