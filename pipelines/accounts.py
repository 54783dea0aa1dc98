"""Accounts to read: a named profile or a role assumed from the base credentials, refreshed as it expires."""

import os
from dataclasses import dataclass

import boto3
import botocore.session
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials

_OVERRIDES = ("AWS_ENDPOINT_URL_LIGHTSAIL", "AWS_ENDPOINT_URL")


@dataclass(frozen=True)
class Account:
    """One AWS account. `name` labels its folders and logs; `account_id` may be left to discovery."""

    name: str = "default"
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    account_id: str | None = None


def account_session(account, client_settings):
    """A boto3 session for the account; assumed-role credentials refresh themselves before expiry."""
    base = boto3.Session(profile_name=account.profile or client_settings.profile)
    if not account.role_arn:
        return base
    extra = {"RoleSessionName": "lightsail-warehouse"}
    if account.external_id:
        extra["ExternalId"] = account.external_id
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=base._session.create_client,
        source_credentials=base.get_credentials(),
        role_arn=account.role_arn,
        extra_args=extra,
    )
    core = botocore.session.Session()
    core._credentials = DeferredRefreshableCredentials(method="assume-role", refresh_using=fetcher.fetch_credentials)
    return boto3.Session(botocore_session=core)


def endpoint_overridden(client_settings):
    return bool(client_settings.endpoint_url or any(os.environ.get(name) for name in _OVERRIDES))


def resolve_account_id(session, client_settings):
    """The caller's account id from STS; None against a local endpoint, which has no STS."""
    if endpoint_overridden(client_settings):
        return None
    return session.client("sts").get_caller_identity()["Account"]
