"""Lightsail's JSON 1.1 wire protocol: the target operation, the SigV4 signing region, and error bodies."""

import re
from dataclasses import dataclass

import orjson

TARGET_PREFIX = "Lightsail_20161128."
CONTENT_TYPE = "application/x-amz-json-1.1"
# Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/lightsail/aws4_request, ...
_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def signing_region(authorization: str | None) -> str | None:
    return credential_scope(authorization)[1]


def credential_scope(authorization: str | None) -> tuple[str | None, str | None, str | None]:
    """(access key id, region, service) of a SigV4 Authorization header; Nones when there is none."""
    match = _SCOPE.search(authorization or "")
    return match.groups() if match else (None, None, None)


def operation(target: str | None) -> str | None:
    """`GetInstances` from `Lightsail_20161128.GetInstances`; None for any other service's target."""
    prefix, _, name = (target or "").partition(".")
    return name if prefix + "." == TARGET_PREFIX and name else None


@dataclass
class ApiError(Exception):  # not frozen: raising sets __traceback__ on it
    """An error answer; botocore's json parser reads the code from `__type` (x-amzn-ErrorType is informative)."""

    status: int
    type: str
    message: str = ""
    code: str | None = None  # Lightsail's own exceptions also carry `code`

    def body(self) -> bytes:
        out = {"__type": self.type}
        if self.code:
            out["code"] = self.code
        if self.message:
            out["message"] = self.message
        return orjson.dumps(out)


# Front-door errors raised before Lightsail itself sees the request.
def missing_authentication() -> ApiError:
    return ApiError(400, "MissingAuthenticationTokenException", "Missing Authentication Token")


def invalid_region() -> ApiError:
    # What AWS answers when the credential scope names no region the service knows.
    return ApiError(400, "InvalidSignatureException", "Credential should be scoped to a valid region.")


def unknown_operation() -> ApiError:
    return ApiError(400, "UnknownOperationException")


def serialization(message: str) -> ApiError:
    return ApiError(400, "SerializationException", message)


def throttled() -> ApiError:
    # ThrottlingException is in botocore's throttling list: retried with the longer (1 s base) backoff.
    return ApiError(400, "ThrottlingException", "Rate exceeded")


# Lightsail's modelled exceptions.
def service_error() -> ApiError:
    # 500 makes it a transient error for botocore's standard and legacy retry modes.
    return ApiError(500, "ServiceException", "Request failed because of an unknown error.", "InternalError")


def access_denied(region: str) -> ApiError:
    # 400 and not retryable: a denied region must fail fast, not burn the retry budget.
    return ApiError(400, "AccessDeniedException", f"You are not authorized to access Lightsail in {region}.",
                    "AccessDenied")


def invalid_input(message: str) -> ApiError:
    return ApiError(400, "InvalidInputException", message, "InvalidInput")


def expired_page_token() -> ApiError:
    # What a client sees when a pagination token outlives the service's listing (an injected fault).
    return invalid_input("The pageToken has expired; start the listing again.")
