"""AWS credentials and account guard shared by the program's dynamic providers.

Which credentials a dynamic provider uses: a ``pulumi.dynamic`` provider runs in Pulumi's Python provider
host, not in pulumi-aws, so the ``aws.Provider`` objects of the program (and their ``assume_role``) do not
apply to it. It starts from the ambient boto3 credentials of the process that runs ``pulumi`` (environment
variables, ``AWS_PROFILE``, SSO, instance or container role) and, when it is given ``role_arn``, assumes
that role first. The program passes ``organization.management_role_name``'s role ARN when the config sets
one, else nothing (the caller's own credentials must then be the management account's).

Which account it acts in: when it is given ``expected_account_id`` (the config's management account), STS
GetCallerIdentity must return that account before any other call, otherwise nothing is changed and the
error says which account the credentials belong to. Organizations accepts the calls these providers make
(EnablePolicyType, PutResourcePolicy, DeleteResourcePolicy) only from the management account:
https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnablePolicyType.html
https://docs.aws.amazon.com/organizations/latest/APIReference/API_PutResourcePolicy.html

Pickled by value with the providers that use it (see ``components.by_value``): boto3 is imported inside the
functions so that importing this module needs neither AWS clients nor network access.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.by_value import pickle_by_value

__all__ = [
    "assume",
    "caller_identity",
    "client_config",
    "describe_identity",
    "error_code",
    "error_message",
    "guarded_client",
    "require_account",
]


def client_config() -> Any:
    """Adaptive retries: Organizations throttles (TooManyRequestsException) at low rates."""
    from botocore.config import Config

    return Config(retries={"mode": "adaptive", "max_attempts": 10})


def error_code(error: Any) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", "Unknown"))


def error_message(error: Any) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Message", error))


def caller_identity(sts: Any) -> dict[str, str]:
    """Best effort, for error messages only: never raises."""
    try:
        identity = sts.get_caller_identity()
    except Exception:
        return {}
    return {"Account": str(identity["Account"]), "Arn": str(identity["Arn"])}


def describe_identity(identity: Mapping[str, str]) -> str:
    if not identity:
        return "the current AWS credentials"
    return f"account {identity['Account']} ({identity['Arn']})"


def assume(
    *,
    role_arn: str | None,
    region: str,
    endpoint_url: str | None,
    session_name: str,
    error: type[Exception],
) -> Any:
    """A boto3 session: the ambient credentials, or those of ``role_arn`` assumed from them."""
    import boto3
    from botocore.exceptions import ClientError, NoCredentialsError

    base = boto3.Session(region_name=region)
    if not role_arn:
        return base
    sts = base.client("sts", endpoint_url=endpoint_url, config=client_config())
    try:
        credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    except NoCredentialsError as exc:
        raise error(
            f"No AWS credentials found to assume {role_arn}: configure credentials "
            "(AWS_PROFILE or environment variables) that may assume it."
        ) from exc
    except ClientError as exc:
        raise error(
            f"Could not assume role {role_arn} from {describe_identity(caller_identity(sts))}: "
            f"{error_code(exc)}: {error_message(exc)}. Check that the role exists in the management account "
            "and that its trust policy admits these credentials."
        ) from exc
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def guarded_client(
    service: str,
    *,
    account_id: str | None,
    role_arn: str | None,
    region: str,
    endpoint_url: str | None,
    session_name: str,
    what: str,
    error: type[Exception],
) -> Any:
    """A client of ``service`` with the credentials ``assume`` gives, once STS says they are ``account_id``'s."""
    session = assume(
        role_arn=role_arn, region=region, endpoint_url=endpoint_url, session_name=session_name, error=error
    )
    config = client_config()
    sts = session.client("sts", endpoint_url=endpoint_url, config=config)
    require_account(sts, account_id, role_arn=role_arn, what=what, error=error)
    return session.client(service, region_name=region, endpoint_url=endpoint_url, config=config)


def require_account(
    sts: Any,
    expected_account_id: str | None,
    *,
    role_arn: str | None,
    what: str,
    error: type[Exception],
) -> dict[str, str]:
    """The caller's identity, after checking that it is in ``expected_account_id`` (when given).

    Unlike ``caller_identity`` this fails closed: if STS cannot say who is calling, nothing is changed.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = sts.get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise error(f"{what}: could not call sts:GetCallerIdentity to check the account: {exc}") from exc
    identity = {"Account": str(answer["Account"]), "Arn": str(answer["Arn"])}
    if expected_account_id and identity["Account"] != expected_account_id:
        via = f" (after assuming {role_arn})" if role_arn else " (no role_arn: the ambient credentials)"
        raise error(
            f"{what} refused: the credentials act in {describe_identity(identity)}{via}, but the config's "
            f"organization.management_account_id is {expected_account_id}. This dynamic provider does not use "
            "the aws.Provider's assume_role: run with credentials of the management account, or set "
            "organization.management_role_name to a role there that these credentials may assume."
        )
    return identity


pickle_by_value(globals())
