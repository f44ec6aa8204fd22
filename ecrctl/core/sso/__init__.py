"""IAM Identity Center sign-in as the aws CLI v2 does it, into the cache it and botocore read.

- ``config``: what a profile says (legacy ``sso_start_url`` + ``sso_region``, or ``sso_session``
  with an ``[sso-session NAME]`` section), and the cache key it signs in under.
- ``cache``: ``~/.aws/sso/cache/<sha1>.json``, the token and client registration files, in the
  aws CLI v2's field names and formats, written privately and atomically.
- ``device``: the device-authorization sign-in through the ``sso-oidc`` API (one poll loop).
- ``signin``: the use cases ``sign_in`` and ``sign_out``, returning what they did.

Clients, clocks and the way to show the person the code are handed in: nothing here builds a
session, waits on a real clock in tests, or writes to a stream.
"""
