"""Talking to the OpenID provider: discovery, the code exchange and ID-token checks.

Authlib makes the authorization URL (with the PKCE S256 challenge) and exchanges the
code at the token endpoint; joserfc (Authlib's JOSE library) checks the ID token's
signature against the provider's JWKS and its ``iss``, ``aud``, ``exp``, ``iat`` and
``nonce``. Discovery documents are kept for an hour and key sets until a token names
a key they do not hold: then the JWKS is fetched again, which is how key rotation at
the provider is followed without a restart. Both caches are per process and only
hold what the provider publishes, so several web workers may each keep their own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from pilothouse.core.config import Settings

if TYPE_CHECKING:  # httpx and Authlib load on first use: a tenth of a second of start-up
    from authlib.integrations.httpx_client import OAuth2Client

__all__ = [
    "ProviderError",
    "authorization_url",
    "end_session_url",
    "exchange_code",
    "metadata",
    "verify_id_token",
]

DISCOVERY_TTL_SECONDS = 3600
#: Asymmetric algorithms only: a provider's public keys check them, no shared secret.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "ES256", "ES384", "EdDSA")

_lock = threading.Lock()
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}
_key_sets: dict[str, KeySet] = {}


class ProviderError(Exception):
    """The provider or its answer cannot be trusted; ``reason`` is a short machine code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _get_json(settings: Settings, url: str, what: str) -> dict[str, Any]:
    import httpx

    try:
        response = httpx.get(url, timeout=settings.oidc_timeout_seconds, follow_redirects=False)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderError("provider_unreachable", f"could not read the {what}: {exc}") from None
    if not isinstance(body, dict):
        raise ProviderError("provider_unreachable", f"the {what} is not a JSON object")
    return body


def metadata(settings: Settings) -> dict[str, Any]:
    """The provider's discovery document, checked to name the configured issuer."""
    issuer = settings.oidc_issuer or ""
    with _lock:
        cached = _discovery.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    document = _get_json(
        settings, f"{issuer}/.well-known/openid-configuration", "provider's discovery document"
    )
    named = str(document.get("issuer", ""))
    if named.rstrip("/") != issuer:
        raise ProviderError(
            "wrong_issuer",
            f"the provider at {issuer} says its issuer is {named!r}; check PILOTHOUSE_OIDC_ISSUER",
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise ProviderError("provider_unreachable", f"the discovery document has no {key}")
    with _lock:
        _discovery[issuer] = (time.monotonic(), document)
    return document


def _client(settings: Settings, redirect_uri: str) -> OAuth2Client:
    from authlib.integrations.httpx_client import OAuth2Client

    secret = settings.oidc_client_secret
    return OAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=settings.oidc_timeout_seconds,
    )


def authorization_url(
    settings: Settings, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
) -> str:
    """Where to send the browser: the provider's sign-in with state, nonce and PKCE."""
    endpoint = metadata(settings)["authorization_endpoint"]
    with _client(settings, redirect_uri) as client:
        url, _state = client.create_authorization_url(
            endpoint, state=state, nonce=nonce, code_verifier=code_verifier
        )
    return str(url)


def end_session_url(settings: Settings, *, id_token: str, after: str) -> str | None:
    """The provider's sign-out address for this session, or ``None`` when it has none.

    A provider that cannot be reached must not keep anyone signed in to Pilothouse:
    the local sign-out goes ahead and this answers ``None``.
    """
    try:
        endpoint = metadata(settings).get("end_session_endpoint")
    except ProviderError:
        return None
    if not isinstance(endpoint, str) or not endpoint:
        return None
    query = {"post_logout_redirect_uri": after, "client_id": settings.oidc_client_id or ""}
    if id_token:
        query["id_token_hint"] = id_token
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urlencode(query)


def exchange_code(
    settings: Settings, *, code: str, redirect_uri: str, code_verifier: str
) -> dict[str, Any]:
    """Trade the one-time code (and the PKCE verifier) for tokens at the token endpoint."""
    import httpx

    endpoint = metadata(settings)["token_endpoint"]
    try:
        with _client(settings, redirect_uri) as client:
            token = client.fetch_token(
                endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
    except httpx.HTTPError as exc:
        raise ProviderError("provider_unreachable", f"the token endpoint failed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - Authlib raises OAuthError subclasses and others
        raise ProviderError("code_rejected", f"the provider refused the code: {exc}") from None
    if not isinstance(token.get("id_token"), str):
        raise ProviderError("code_rejected", "the provider's answer has no ID token")
    return dict(token)


def _key_set(settings: Settings, kid: str | None) -> KeySet:
    """The JWKS holding ``kid``: the cached one, or a fresh fetch when it lacks the key."""
    uri = metadata(settings)["jwks_uri"]
    with _lock:
        cached = _key_sets.get(uri)
    if cached is not None and (kid is None or any(k.kid == kid for k in cached.keys)):
        return cached
    try:
        fresh = KeySet.import_key_set(_get_json(settings, uri, "provider's keys (JWKS)"))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as exc:
        raise ProviderError("bad_signature", f"the provider's JWKS is unusable: {exc}") from None
    with _lock:
        _key_sets[uri] = fresh
    return fresh


@dataclass(frozen=True)
class _Expected:
    issuer: str
    client_id: str
    nonce: str


def verify_id_token(settings: Settings, id_token: str, *, nonce: str) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, times and nonce hold."""
    try:
        header = jws.extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError) as exc:
        raise ProviderError("bad_token", f"the ID token is not a JWS: {exc}") from None
    if header.get("alg") not in ID_TOKEN_ALGORITHMS:
        raise ProviderError("bad_token", f"ID-token algorithm {header.get('alg')!r} not accepted")
    key_set = _key_set(settings, header.get("kid"))
    try:
        token = jwt.decode(id_token, key_set, algorithms=list(ID_TOKEN_ALGORITHMS))
    except JoseError as exc:
        raise ProviderError(
            "bad_signature", f"the ID token's signature does not check out: {exc}"
        ) from None
    expected = _Expected(metadata(settings)["issuer"], settings.oidc_client_id or "", nonce)
    _check_claims(settings, dict(token.claims), expected)
    return dict(token.claims)


def _check_claims(settings: Settings, claims: dict[str, Any], expected: _Expected) -> None:
    if claims.get("iss") != expected.issuer:
        raise ProviderError(
            "wrong_issuer",
            f"the ID token comes from issuer {claims.get('iss')!r}, not {expected.issuer!r}",
        )
    registry = jwt.JWTClaimsRegistry(
        leeway=settings.oidc_clock_skew_seconds,
        aud={"essential": True, "value": expected.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise ProviderError("expired_token", "the ID token has expired") from None
    except JoseError as exc:
        raise ProviderError("bad_token", f"the ID token's claims do not hold: {exc}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != expected.client_id:
        raise ProviderError("bad_token", "the ID token names other audiences and no matching azp")
    if not isinstance(claims.get("nonce"), str) or claims["nonce"] != expected.nonce:
        raise ProviderError("bad_nonce", "the ID token's nonce is not the one this sign-in sent")
