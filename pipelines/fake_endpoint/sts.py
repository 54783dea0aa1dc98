"""A minimal STS (query protocol, XML): AssumeRole into the endpoint's accounts and GetCallerIdentity.

Enough for boto3's assumed-role credentials to run unchanged against the endpoint: AssumeRole issues
session credentials for `arn:aws:iam::<account>:role/<name>` with an expiry; Lightsail requests signed
with them are served that account's fleet. Any other access key is the base account's.
"""

import datetime as dt
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

CONTENT_TYPE = "text/xml"
_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


@dataclass
class StsError(Exception):  # not frozen: raising sets __traceback__ on it
    status: int
    code: str
    message: str

    def body(self) -> bytes:
        return (f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type><Code>{self.code}</Code>'
                f"<Message>{escape(self.message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
                "</ErrorResponse>").encode()


@dataclass(frozen=True)
class Issued:
    account: str
    session_token: str
    expires: float  # epoch seconds


class Sts:
    """Issues and recognises session credentials; `issued` keeps every key handed out (tests read it)."""

    def __init__(self, base_account: str, accounts: frozenset[str], ttl_s: float, external_id: str | None):
        self.base_account, self.accounts = base_account, accounts | {base_account}
        self.ttl_s, self.external_id = ttl_s, external_id
        self.issued: dict[str, Issued] = {}
        self._lock = threading.Lock()

    def account_of(self, access_key: str | None, session_token: str | None) -> str:
        """The account a request's credentials belong to; refuses expired or mismatched session keys."""
        issued = self.issued.get(access_key or "")
        if issued is None:
            return self.base_account
        if issued.session_token != session_token:
            raise StsError(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
        if time.time() >= issued.expires:
            raise StsError(403, "ExpiredTokenException", "The security token included in the request is expired")
        return issued.account

    def handle(self, raw: bytes, caller_account: str) -> bytes:
        params = _form(raw)
        action = params.get("Action")
        if action == "GetCallerIdentity":
            return _caller_identity(caller_account)
        if action == "AssumeRole":
            return self._assume_role(params)
        raise StsError(400, "InvalidAction", f"Could not find operation {action} for version 2011-06-15")

    def _assume_role(self, params: dict) -> bytes:
        arn, session = params.get("RoleArn", ""), params.get("RoleSessionName", "")
        parts = arn.split(":")
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/") or parts[4] not in self.accounts:
            raise StsError(403, "AccessDenied", f"Not authorized to perform sts:AssumeRole on {arn}")
        if self.external_id is not None and params.get("ExternalId") != self.external_id:
            raise StsError(403, "AccessDenied", f"Not authorized to perform sts:AssumeRole on {arn} (external id)")
        account, role = parts[4], parts[5].removeprefix("role/")
        key = "ASIA" + secrets.token_hex(8).upper()
        issued = Issued(account, secrets.token_urlsafe(24), time.time() + self.ttl_s)
        with self._lock:
            self.issued[key] = issued
        expires = dt.datetime.fromtimestamp(issued.expires, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (f'<AssumeRoleResponse xmlns="{_NS}"><AssumeRoleResult><Credentials>'
                f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secrets.token_urlsafe(30)}</SecretAccessKey>"
                f"<SessionToken>{issued.session_token}</SessionToken><Expiration>{expires}</Expiration></Credentials>"
                f"<AssumedRoleUser><AssumedRoleId>AROA{account}:{escape(session)}</AssumedRoleId>"
                f"<Arn>arn:aws:sts::{account}:assumed-role/{escape(role)}/{escape(session)}</Arn></AssumedRoleUser>"
                f"</AssumeRoleResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
                "</AssumeRoleResponse>").encode()


def action_of(raw: bytes) -> str | None:
    return _form(raw).get("Action")


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}


def _caller_identity(account: str) -> bytes:
    return (f'<GetCallerIdentityResponse xmlns="{_NS}"><GetCallerIdentityResult>'
            f"<Arn>arn:aws:iam::{account}:user/fake</Arn><UserId>AIDA{account}</UserId><Account>{account}</Account>"
            f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>").encode()
