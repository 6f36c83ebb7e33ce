"""The themes list, the theme page and its curation forms, the home panel, over real HTTP."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.feedback.ui.conftest import CLI, Workspace
from tests.support.accounts import Accounts, sign_in

from pilothouse.core.links import links_of
from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import insights_queries, themes
from pilothouse.roadmap import items as roadmap_items


def _rows(page: str) -> list[str]:
    """Theme labels in table order."""
    return re.findall(
        r'data-testid="theme-row">\s*<td><a href="/feedback/themes/\d+">([^<]+)</a>', page
    )


def _events(runtime: Runtime, name: str) -> list[Event]:
    with runtime.database.session() as session:
        found = list(session.scalars(select(Event).where(Event.name == name)))
        session.expunge_all()
        return found


def test_theme_list_ranks_filters_and_flags_spikes(
    client: TestClient, accounts: Accounts, workspace: Workspace
) -> None:
    sign_in(client, accounts.person(Role.viewer))
    page = client.get("/feedback/themes")
    assert page.status_code == 200
    assert _rows(page.text) == ["Exports", "Billing", "Onboarding"]
    assert page.text.count('data-testid="spike-badge"') == 1
    assert "Synthesise now" not in page.text  # viewers read only
    # ARR: Exports has accounts 1 and 2 -> $105,000; Onboarding account 3 -> $50,000
    assert "$105,000" in page.text and "$50,000" in page.text
    by_arr = client.get("/feedback/themes?sort=arr").text
    assert _rows(by_arr) == ["Exports", "Onboarding", "Billing"]
    by_customers = client.get("/feedback/themes?sort=customers").text
    assert _rows(by_customers)[0] == "Exports"
    smb = client.get("/feedback/themes?segment=smb").text
    assert _rows(smb) == ["Exports", "Billing"]  # Onboarding has no smb item
    enterprise_pro = client.get("/feedback/themes?segment=enterprise&plan=pro&sort=volume").text
    assert _rows(enterprise_pro) == ["Exports", "Onboarding"]
    area = client.get("/feedback/themes?product_area=reporting").text
    assert _rows(area) == ["Exports"]
    old = (workspace.now.date().replace(day=1)).isoformat()
    assert client.get(f"/feedback/themes?start={old}&end=2000-01-01").status_code == 200
    assert client.get("/feedback/themes?start=yesterday").status_code == 422
    assert client.get("/feedback/themes?sort=size").status_code == 422


def test_theme_page_shows_volume_mix_segments_and_quotes(
    client: TestClient, accounts: Accounts, workspace: Workspace
) -> None:
    sign_in(client, accounts.person(Role.viewer))
    page = client.get(f"/feedback/themes/{workspace.exports}")
    assert page.status_code == 200
    chart = re.search(r'<canvas data-chart="([^"]+)"', page.text)
    assert chart
    config = json.loads(html.unescape(chart.group(1)))
    weekly = config["data"]["datasets"][0]["data"]
    assert len(weekly) == 26 and weekly[-1] == 10 and sum(weekly) == 18
    assert "negative: 14 (78%)" in page.text and "neutral: 4 (22%)" in page.text
    assert "enterprise: 13" in page.text and "smb: 5" in page.text
    assert "pro: 13" in page.text and "starter: 5" in page.text
    assert page.text.count('data-testid="theme-item"') == 18
    assert f'action="/feedback/themes/{workspace.exports}/rename"' not in page.text
    assert client.get("/feedback/themes/999999").status_code == 404


def test_editors_curate_a_theme_and_every_change_is_audited(
    client: TestClient, accounts: Accounts, runtime: Runtime, workspace: Workspace
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    base = f"/feedback/themes/{workspace.exports}"
    page = client.get(base).text
    assert 'data-testid="rename-form"' in page and 'data-testid="merge-form"' in page

    def post(path: str, data: dict) -> None:  # type: ignore[type-arg]
        response = client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert response.status_code == 303, response.text

    post(f"{base}/rename", {"label": "PDF and CSV exports"})
    post(f"{base}/merge", {"merge_with": [str(workspace.billing)]})
    split_off = workspace.items["exports"][:2]
    response = client.post(
        f"{base}/split",
        data={
            "csrf_token": csrf,
            "new_label": "PDF exports",
            "item_ids": [str(i) for i in split_off],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    new_id = int(response.headers["location"].rsplit("/", 1)[1])
    post(
        f"{base}/move",
        {"target": str(workspace.onboarding), "item_ids": [str(workspace.items["exports"][2])]},
    )
    post(f"/feedback/themes/{workspace.onboarding}/hide", {"hidden": "true"})
    with runtime.database.session() as session:
        labels = {t.label: t.item_count for t in themes.list_themes(session)}
        assert labels == {"PDF and CSV exports": 18 - 3 + 3, "PDF exports": 2}
        assert themes.get_theme(session, workspace.onboarding).hidden
        assert themes.theme_of_items(session, split_off)[split_off[0]][0] == new_id
    listing = client.get("/feedback/themes").text
    assert _rows(listing) == ["PDF and CSV exports", "PDF exports"]
    assert "Onboarding" in client.get("/feedback/themes?hidden=true").text
    for name in ("feedback.theme_renamed", "feedback.themes_merged", "feedback.theme_split",
                 "feedback.items_moved", "feedback.theme_hidden"):  # fmt: skip
        assert _events(runtime, name), name
    bad = client.post(
        f"{base}/split", data={"csrf_token": csrf, "new_label": ""}, headers={"referer": base}
    )
    assert bad.status_code == 200 and "pick the items to split off" in bad.text


def test_steering_and_roadmap_links_from_the_theme_page(
    client: TestClient, accounts: Accounts, runtime: Runtime, workspace: Workspace
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    with runtime.database.session() as session:
        feature = roadmap_items.create_item(
            session, CLI, {"kind": "feature", "title": "Reliable PDF and CSV export"}
        )
        roadmap_items.create_item(session, CLI, {"kind": "idea", "title": "Dark mode for the app"})
        key = feature.key
    base = f"/feedback/themes/{workspace.exports}"
    steer = client.post(
        f"{base}/steer",
        data={"csrf_token": csrf, "description": "Exports that fail", "keywords": "export, pdf",
              "examples": f"{workspace.items['exports'][0]}"},
        follow_redirects=False,
    )  # fmt: skip
    assert steer.status_code == 303
    suggestions = client.get(f"{base}/suggestions").text
    found = re.findall(r'data-testid="suggestion"><td><strong>([A-Z]+-\d+)</strong>', suggestions)
    assert found and found[0] == key, suggestions  # the export feature ranks above dark mode
    linked = client.post(
        f"{base}/links", data={"csrf_token": csrf, "roadmap_item": key}, follow_redirects=False
    )
    assert linked.status_code == 303
    with runtime.database.session() as session:
        detail = themes.get_theme(session, workspace.exports)
        assert detail.steered and detail.keywords == ("export", "pdf")
        links = links_of(session, insights_queries.theme_ref(workspace.exports))
        assert [(lk.to_type, lk.to_id) for lk in links] == [("roadmap_item", str(feature.id))]
    page = client.get(base).text
    assert f'<a href="/roadmap/items/{key}">' in page  # the linked item, by name
    assert key not in re.findall(
        r"<strong>([A-Z]+-\d+)</strong>", client.get(f"{base}/suggestions").text
    )


def test_viewers_cannot_curate(
    client: TestClient, accounts: Accounts, workspace: Workspace
) -> None:
    csrf = sign_in(client, accounts.person(Role.viewer))
    base = f"/feedback/themes/{workspace.exports}"
    for path, data in (
        ("rename", {"label": "x"}),
        ("merge", {"merge_with": str(workspace.billing)}),
        ("hide", {"hidden": "true"}),
    ):
        response = client.post(f"{base}/{path}", data={"csrf_token": csrf, **data})
        assert response.status_code == 403, path
    assert client.post("/feedback/themes/synthesize", data={"csrf_token": csrf}).status_code == 403


@pytest.mark.usefixtures("workspace")
def test_home_page_shows_feedback_spikes(client: TestClient, accounts: Accounts) -> None:
    sign_in(client, accounts.person(Role.viewer))
    home = client.get("/").text
    panel = re.search(r'data-testid="feedback-spikes">(.*?)</section>', home, re.S)
    assert panel and "Exports" in panel.group(1) and "Billing" not in panel.group(1)
    assert "10 items this week, 1.0/week before" in panel.group(1)


def test_home_page_without_feedback_says_no_spike(client: TestClient, accounts: Accounts) -> None:
    sign_in(client, accounts.person(Role.viewer))
    panel = re.search(r'data-testid="feedback-spikes">(.*?)</section>', client.get("/").text, re.S)
    assert panel and "No feedback theme rose above its usual weekly volume" in panel.group(1)
    assert "/feedback/themes/" not in panel.group(1)


def test_proposals_queue_accept_and_reject(
    client: TestClient, accounts: Accounts, runtime: Runtime, workspace: Workspace
) -> None:
    """Proposals are stored as a re-synthesis stores them (making real ones needs a full
    re-clustering run, which the synthesis tests cover); the page lists and decides them."""
    from pilothouse.feedback.models import FeedbackThemeProposal, ProposalKind, ProposalStatus

    with runtime.database.session() as session:
        new = FeedbackThemeProposal(
            kind=ProposalKind("new"),
            status=ProposalStatus.open,
            payload={"themes": [], "groups": [[workspace.unthemed]], "labels": ["Dark mode"]},
        )
        merge = FeedbackThemeProposal(
            kind=ProposalKind("merge"),
            status=ProposalStatus.open,
            payload={"themes": [workspace.billing, workspace.onboarding],
                     "theme_labels": ["Billing", "Onboarding"], "groups": [[1, 2, 3, 4, 5]],
                     "labels": ["Accounts"]},
        )  # fmt: skip
        session.add_all([new, merge])
        session.flush()
        new_id, merge_id = new.id, merge.id
    csrf = sign_in(client, accounts.person(Role.editor))
    page = client.get("/feedback/themes").text
    assert page.count('data-testid="proposal-row"') == 2
    assert "New theme “Dark mode” with 1 item" in page
    assert "Merge “Billing” and “Onboarding” into “Accounts” (5 items)" in page
    accepted = client.post(
        f"/feedback/proposals/{new_id}/accept", data={"csrf_token": csrf}, follow_redirects=False
    )
    rejected = client.post(
        f"/feedback/proposals/{merge_id}/reject", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert accepted.status_code == rejected.status_code == 303
    with runtime.database.session() as session:
        assert themes.list_proposals(session) == []
        assert themes.theme_of_items(session, [workspace.unthemed])[workspace.unthemed][1] == (
            "Dark mode"
        )
    assert _events(runtime, "feedback.proposal_accepted")
    assert _events(runtime, "feedback.proposal_rejected")
    assert "Nothing to review." in client.get("/feedback/themes").text
    again = client.post(
        f"/feedback/proposals/{merge_id}/accept",
        data={"csrf_token": csrf},
        headers={"referer": "/feedback/themes"},
    )
    assert "already rejected" in again.text
