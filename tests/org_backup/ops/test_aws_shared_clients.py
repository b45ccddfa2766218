"""One botocore client per service and Region serves every account: each request must still be signed with
the credentials of the account that sent it, under concurrency and across paginator pages."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from org_backup.ops.aws import AccountAccess, Aws, _Credentials, paginate


def test_every_request_is_signed_as_the_account_that_sent_it() -> None:
    session = boto3.Session(aws_access_key_id="caller", aws_secret_access_key="x", region_name="us-east-1")
    aws = Aws(session=session, endpoint_url=None, session_name="test")
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["test_params"] = dict(params)

    def answer(context: dict[str, Any], request_signer: Any, **_: Any) -> Any:
        key = request_signer._credentials.get_frozen_credentials().access_key
        params = context["test_params"]
        with lock:
            seen.append((key, params.get("ByResourceArn") or params.get("NextToken", "first")))
        page: dict[str, Any] = {"BackupJobs": []}
        if "NextToken" not in params:
            page["NextToken"] = f"next-{key}"
        return AWSResponse(None, 200, {}, None), {**page, "ResponseMetadata": {"HTTPStatusCode": 200}}

    session.events.register("before-parameter-build", remember)
    session.events.register("before-call", answer)
    accounts = [AccountAccess(aws, f"{n:012d}", _Credentials(f"KEY{n:012d}", "secret", "token")) for n in range(1, 9)]

    def work(pair: tuple[AccountAccess, AccountAccess]) -> None:
        first, other = (access.client("backup", "us-east-1") for access in pair)
        for _ in range(5):
            # A page of one account's listing, another account's call, then the next page of the first.
            pages = iter(first.get_paginator("list_backup_jobs").paginate())
            next(pages)
            other.list_backup_jobs(ByResourceArn=f"arn:{pair[1].credentials.access_key}")  # type: ignore[union-attr]
            list(pages)
            list(paginate(other, "list_backup_jobs", "BackupJobs"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, [(a, b) for a in accounts for b in accounts if a is not b]))

    assert aws.client("backup", "us-east-1").list_backup_jobs(ByResourceArn="arn:caller") is not None
    assert len({id(a.client("backup", "us-east-1")._client) for a in accounts}) == 1, "one shared client"
    for key, value in seen:
        if value.startswith("arn:"):
            assert value == f"arn:{key}", "signed with another account's credentials"
        elif value != "first":
            assert value == f"next-{key}", "a later page signed as another account"
    assert ("caller", "arn:caller") in seen
