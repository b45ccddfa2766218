"""What a newcomer tripped on in the preview: two unexplained resource counts, and resources in no account."""

from __future__ import annotations

import re

from org_backup.preview import reports
from org_backup.preview.model import Preview
from org_backup.preview.offline import DYNAMIC_TYPE


def test_both_counts_say_what_they_count_and_agree(prod_preview: Preview) -> None:
    text = reports.render_text(prod_preview)
    [deployed] = re.findall(r"What would be deployed: (\d+) cloud resources in", text)
    [(total, cloud, components, providers)] = re.findall(
        r"policies on (\d+) registrations \((\d+) cloud resources, (\d+) components, (\d+) providers\)", text
    )
    assert deployed == cloud == str(len(prod_preview.deployed))
    assert int(total) == int(cloud) + int(components) + int(providers) == len(prod_preview.run.resources)
    assert "What would be deployed: " in reports.render_markdown(prod_preview)
    assert f"{cloud} cloud resources" in reports.render_markdown(prod_preview)


def test_every_cloud_resource_is_in_an_account(prod_preview: Preview) -> None:
    assert [r.urn for r in prod_preview.deployed if r.account is None] == []
    assert "(no AWS provider)" not in reports.render_text(prod_preview)


def test_the_organization_dynamic_resources_are_under_the_management_account(prod_preview: Preview) -> None:
    dynamic = prod_preview.run.of_type(DYNAMIC_TYPE)
    assert len(dynamic) >= 2
    assert {r.account for r in dynamic} == {"111111111111"}
    assert prod_preview.names["111111111111"] == "management"
