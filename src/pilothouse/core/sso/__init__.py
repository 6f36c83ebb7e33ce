"""Single sign-on with OpenID Connect (authorization code + PKCE), free and built in.

- :mod:`.mapping`: reading groups or roles from ID-token claims and mapping them to
  Pilothouse roles (pure, no database);
- :mod:`.provider`: the identity provider's discovery document, its JWKS (fetched
  again when a token names an unknown key) and ID-token verification;
- :mod:`.models`: linked identities, pending sign-ins and which web sessions came
  through SSO;
- :mod:`.service`: starting and finishing a sign-in, just-in-time provisioning, the
  "SSO only" password policy, sign-out and the audit of each.

See ``docs/sso.md``.
"""

from pilothouse.core.sso.mapping import claim_values, parse_role_map, role_from_claims

__all__ = ["claim_values", "parse_role_map", "role_from_claims"]
