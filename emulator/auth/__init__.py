"""Authentication beyond static fixture tokens: RS256 JWTs, OAuth client credentials, minted callers.

- :mod:`.keys` derives the signing key from the seed; :mod:`.tokens` mints and verifies JWTs (pure);
- :mod:`.runtime` is the per-app state (lazy key, verified-token cache, minted users/organisations);
- :mod:`.install` wires it into an app (token resolver, CORS step, reset hook).

``jwt`` and ``cryptography`` are imported lazily, on the first JWT use.
"""
