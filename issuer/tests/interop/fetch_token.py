"""Fetches a client-credentials token the way each library does by default with
client_secret_basic, and prints the JSON token response. Usage:
fetch_token.py LIBRARY TOKEN_URL CLIENT_ID CLIENT_SECRET"""

import json
import sys


def authlib_requests(url, client_id, secret):
    from authlib.integrations.requests_client import OAuth2Session

    session = OAuth2Session(client_id, secret, token_endpoint_auth_method="client_secret_basic")
    return dict(session.fetch_token(url, grant_type="client_credentials"))


def authlib_httpx(url, client_id, secret):
    from authlib.integrations.httpx_client import OAuth2Client

    with OAuth2Client(client_id, secret, token_endpoint_auth_method="client_secret_basic") as client:
        return dict(client.fetch_token(url, grant_type="client_credentials"))


def requests_oauthlib(url, client_id, secret):
    from oauthlib.oauth2 import BackendApplicationClient
    from requests_oauthlib import OAuth2Session

    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    return dict(session.fetch_token(token_url=url, client_id=client_id, client_secret=secret))


def httpx_basic(url, client_id, secret):
    import httpx

    response = httpx.post(url, data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    response.raise_for_status()
    return response.json()


LIBRARIES = {
    "authlib": authlib_requests,
    "authlib-httpx": authlib_httpx,
    "requests-oauthlib": requests_oauthlib,
    "httpx": httpx_basic,
}

if __name__ == "__main__":
    library, url, client_id, secret = sys.argv[1:5]
    print(json.dumps(LIBRARIES[library](url, client_id, secret)))
