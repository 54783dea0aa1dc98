"""Accounts to read: a named profile or a role assumed from the base credentials, refreshed as it expires."""

import functools
import os
import re
from dataclasses import dataclass

import boto3
import botocore.session
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials

_LIGHTSAIL_OVERRIDES = ("AWS_ENDPOINT_URL_LIGHTSAIL", "AWS_ENDPOINT_URL")
_STS_OVERRIDES = ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL")
STS_REGION = "us-east-1"  # where AssumeRole goes when the base profile names no region
ACCOUNT_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # an account's name is a folder name in the landing zone


@dataclass(frozen=True)
class Account:
    """One AWS account. `name` labels its folders and logs; `account_id` may be left to discovery."""

    name: str = "default"
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    account_id: str | None = None

    def __post_init__(self):
        if not re.fullmatch(ACCOUNT_NAME.strip("^$"), self.name or ""):
            raise ValueError(f"account name {self.name!r}: use letters, digits, '.', '_' or '-' (it names the account's "
                             "folders), starting with a letter or digit, at most 64 characters")
        if self.account_id is not None and not (len(self.account_id) == 12 and self.account_id.isdigit()):
            raise ValueError(f"account {self.name!r}: {self.account_id!r} is not an AWS account id (12 digits)")
        in_role = account_of_role(self.role_arn)
        if self.account_id and in_role and in_role != self.account_id:  # rows would be filed under the wrong id
            raise ValueError(f"account {self.name!r}: account_id {self.account_id} contradicts its role_arn, which "
                             f"is in account {in_role}: give the role's account id, or none")

    def known_account_id(self):
        """The id given, else the one inside the role ARN (arn:aws:iam::ACCOUNT:role/NAME); None if neither."""
        return self.account_id or account_of_role(self.role_arn)


def account_of_role(role_arn):
    parts = role_arn.split(":") if role_arn else []
    return parts[4] if len(parts) == 6 and parts[4].isdigit() else None


def account_session(account, client_settings):
    """A boto3 session for the account; assumed-role credentials refresh themselves before expiry.

    Build sessions on one thread: boto3 sessions are not thread-safe (their clients and the refreshing
    credentials are, and are shared by the account's region threads).
    """
    base = boto3.Session(profile_name=account.profile or client_settings.profile)
    if not account.role_arn:
        return base
    extra = {"RoleSessionName": "lightsail-warehouse"}
    if account.external_id:
        extra["ExternalId"] = account.external_id
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=functools.partial(_sts_client, base._session, base.region_name or STS_REGION),
        source_credentials=base.get_credentials(),
        role_arn=account.role_arn,
        extra_args=extra,
    )
    core = botocore.session.Session()
    # Deferred: the first AssumeRole happens on the first request, in the run, never while definitions load.
    core._credentials = DeferredRefreshableCredentials(method="assume-role", refresh_using=fetcher.fetch_credentials)
    return boto3.Session(botocore_session=core)


def _sts_client(core_session, region, service, **kwargs):
    # An STS client needs a region to sign; a base profile without one would otherwise fail with NoRegionError.
    return core_session.create_client(service, region_name=region, **kwargs)


def sts_reachable(client_settings):
    """Whether STS can be asked: on AWS, or when it is redirected too (a local endpoint has no STS otherwise)."""
    if any(os.environ.get(name) for name in _STS_OVERRIDES):
        return True
    return not (client_settings.endpoint_url or any(os.environ.get(name) for name in _LIGHTSAIL_OVERRIDES))


class AccountIdContradicted(ValueError):
    """The account id given for an account is not the one its credentials belong to."""


def resolve_account_id(account, session, client_settings):
    """The account's id: given or in its role ARN, else from STS; None when neither is possible.

    A given id (not a role's) is checked with STS when STS can be asked: a mistyped one would file even an empty
    region's snapshot under an account that does not exist. If STS does not answer, the given id stands.
    """
    known = account.known_account_id()
    if not sts_reachable(client_settings) or (known and not account.account_id) or (known and account.role_arn):
        return known
    sts = session.client("sts", region_name=session.region_name or STS_REGION)
    try:
        actual = sts.get_caller_identity()["Account"]
    except Exception:
        if known:
            return known
        raise
    if known and actual != known:
        raise AccountIdContradicted(
            f"account {account.name!r}: account id {known} was given, but its credentials belong to {actual} (STS "
            "GetCallerIdentity): fix --account-id / lightsail.account_id"
        )
    return actual
