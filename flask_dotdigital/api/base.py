"""The shared core of the Dotdigital client: session, auth, region discovery, retries and errors.

Every API area (account, address books, contacts, ...) is a thin module that calls
:meth:`Client.request`. This module knows nothing about Flask or the database: it is given the
credentials and settings, and it hands back parsed JSON or raises an :mod:`~flask_dotdigital.errors`
exception that carries the status, the ``ERROR_*`` code and Dotdigital's own message.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from ..errors import (
    ApiError,
    ApiUsageExceeded,
    AuthError,
    NotFound,
    RateLimited,
    TransportError,
    WrongRegion,
)
from .budget import RateBudget, Verdict, window_info
from .urls import checked_url

log = logging.getLogger("flask_dotdigital.api")

USER_AGENT = "flask-dotdigital"
#: v2 error messages put the code inside the text: "Error: ERROR_X" or "Sentence. ERROR_X" (§3.0).
_CODE_RE = re.compile(r"ERROR_[A-Z0-9_]+")
#: Retrying these cannot apply a change twice (§6 item 10: only upserts are safe after a timeout).
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Seconds between looks at the shared budget while another worker's probe call is out.
_PROBE_POLL = 0.1


@dataclass(frozen=True)
class ClientSettings:
    """Transport settings; the Flask side fills them from ``DOTDIGITAL_*`` config keys."""

    base_url: str = "https://r1-api.dotdigital.com"
    connect_timeout: float = 10.0
    read_timeout: float = 121.0
    max_retries: int = 4
    backoff: float = 1.0
    max_wait: float = 60.0
    allow_insecure_hosts: bool = False
    usage_wait: float = 900.0


def error_from_response(response: requests.Response) -> ApiError:
    """Build the typed exception for an error answer, from its ``{"message": ...}`` body."""
    message = _message_of(response)
    status = response.status_code
    code_match = _CODE_RE.search(message or "")
    code = code_match.group(0) if code_match else None
    text = message or f"Dotdigital answered HTTP {status} {response.reason or ''}".rstrip()
    if code == "ERROR_APIUSAGE_EXCEEDED":
        return ApiUsageExceeded(text, status=status, code=code)
    if status == 401:
        # v3 and some v2 401s come with no body (§1.4); the v2 sentence is the one admins know.
        return AuthError(message or "Authorization has been denied for this request.",
                         status=status, code=code)
    if status == 429:
        return RateLimited(text, status=status, code=code, retry_at=_reset_of(response))
    if status == 403:
        return WrongRegion(text, status=status, code=code)
    if status == 404:
        return NotFound(text, status=status, code=code)
    return ApiError(text, status=status, code=code)


def _message_of(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return body["message"]
    return None


def _reset_of(response: requests.Response) -> float | None:
    # X-RateLimit-Reset is a UTC epoch second (§2.1); no source shows Retry-After.
    try:
        reset = float(response.headers["X-RateLimit-Reset"])
    except (KeyError, ValueError):
        return None
    return reset if math.isfinite(reset) else None  # "inf" would be a wait for ever


class Client:
    """One API user's view of Dotdigital, bound to the account's regional endpoint."""

    def __init__(
        self,
        username: str,
        password: str,
        *,
        settings: ClientSettings | None = None,
        endpoint: str | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        budget: RateBudget | None = None,
    ) -> None:
        self.settings = settings or ClientSettings()
        self.session = session or requests.Session()
        self.session.auth = (username, password)
        self.session.verify = True  # TLS verification is never switched off (Oro's defect, §6).
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        self._sleep = sleep
        #: The account's call budget shared with other workers; None calls without one.
        self.budget = budget
        self.endpoint = self._checked_endpoint(endpoint) if endpoint else None

    def __repr__(self) -> str:
        return f"<Client endpoint={self.endpoint!r}>"

    # -- region discovery ------------------------------------------------------------------

    def discover(self) -> dict[str, Any]:
        """Call account-info on the discovery host and switch to the account's endpoint (§1.3).

        Returns the raw ApiAccount body. The caller is expected to remember ``self.endpoint`` so
        that later runs skip this call.
        """
        base = checked_url(self.settings.base_url,
                           allow_insecure_hosts=self.settings.allow_insecure_hosts,
                           what="API base URL").rstrip("/")
        body = self._send("GET", f"{base}/v2/account-info")
        endpoint = account_property(body, "ApiEndpoint")
        if not endpoint:
            raise ApiError("Dotdigital's account-info named no ApiEndpoint.", status=200)
        self.endpoint = self._checked_endpoint(endpoint)
        return body

    def _checked_endpoint(self, endpoint: str) -> str:
        # The docs' example ends with "/" and Magento appends "/v2/..." to it raw; strip it so that
        # paths join cleanly (§1.3). The value comes from the network, so it is checked like any URL.
        checked = checked_url(endpoint, allow_insecure_hosts=self.settings.allow_insecure_hosts,
                              what="API endpoint")
        return checked.rstrip("/")

    # -- requests ----------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call ``/v2/<path>`` on the account's endpoint, discovering it first if needed."""
        if self.endpoint is None:
            self.discover()
        return self._send(method, f"{self.endpoint}/v2/{path.lstrip('/')}", **kwargs)

    def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        method = method.upper()
        idempotent = method in _IDEMPOTENT
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        attempt, waited = 0, 0.0
        while True:
            probe, waited = self._admit(waited)
            try:
                # Redirects are never followed: the next host would not pass checked_url, and
                # requests would resend the Basic credentials to it.
                response = self.session.request(method, url, timeout=timeout, allow_redirects=False,
                                                **kwargs)
            except requests.RequestException as err:
                if probe and self.budget is not None:
                    self.budget.release_probe()
                failure: ApiError = TransportError(_describe_transport(err, url))
                if attempt >= self.settings.max_retries or not _retriable_transport(err, idempotent):
                    raise failure from err
                self._wait(attempt, failure, method, url)
                attempt += 1
                continue
            log.debug("%s %s -> %s", method, _path_of(url), response.status_code)
            if response.is_redirect:
                if probe and self.budget is not None:
                    self.budget.release_probe()
                raise ApiError(f"Dotdigital answered {_path_of(url)} with a redirect "
                               f"(HTTP {response.status_code}), which is not followed.",
                               status=response.status_code)
            refusal = None if response.ok else error_from_response(response)
            shared = self._note(response, refusal, probe)
            if refusal is None:
                return _parse_success(response)
            failure = refusal
            if attempt >= self.settings.max_retries or not _retriable_status(response, idempotent,
                                                                              failure):
                raise failure
            if not shared:  # with the budget holding the reset, _admit does the waiting
                self._wait(attempt, failure, method, url)
            attempt += 1

    # -- the shared budget -----------------------------------------------------------------

    def _admit(self, waited: float) -> tuple[bool, float]:
        """Take a call from the shared budget, sleeping while the account's window is spent.

        Returns whether this call is the window's probe, and the seconds waited so far in this
        request. A wait longer than ``max_wait`` (or more waiting in all than the retries would
        allow) is not slept here: it raises :class:`RateLimited` with the moment to come back, and
        the sync runner pauses the run until then, as it does for a 429 it could not wait out.
        """
        if self.budget is None:
            return False, waited
        patience = self.settings.max_wait * max(1, self.settings.max_retries)
        while True:
            verdict = self.budget.reserve()
            if verdict.go:
                return verdict.probe, waited
            delay = max(0.0, verdict.until - time.time())
            if verdict.poll:
                delay = min(delay, _PROBE_POLL)
            else:
                # The reset is a whole second on Dotdigital's clock; a little past it, spread out a
                # bit so that the waiting workers do not all reserve in the same millisecond.
                delay += random.uniform(0.05, 0.2)
            if delay > self.settings.max_wait or waited + delay > patience:
                raise _limit_error(verdict)
            if not verdict.poll:
                log.info("Dotdigital's call budget for this account is spent; waiting %.1fs", delay)
            self._sleep(delay)
            waited += delay

    def _note(self, response: requests.Response, failure: ApiError | None, probe: bool) -> bool:
        """Tell the shared budget what this answer says; True when it now blocks until a reset."""
        if self.budget is None:
            return False
        self.budget.timed(response.elapsed.total_seconds())
        if isinstance(failure, ApiUsageExceeded):
            # The flat scheme's cut-off (§2.1) carries no reset: block the other workers for as long
            # as the runner pauses this one, instead of letting each spend a call to find out.
            return self.budget.refused(time.time() + self.settings.usage_wait, code=failure.code)
        info = window_info(response.headers)
        if response.status_code == 429 and info.reset is not None:
            return self.budget.refused(info.reset, limit=info.limit)
        if response.status_code == 429 or response.status_code >= 500:
            # No reset to share, or an answer that says nothing about the window: another worker
            # may try the probe.
            if probe:
                self.budget.release_probe()
            return False
        self.budget.answered(info, probe=probe)
        return False

    def _wait(self, attempt: int, failure: ApiError, method: str, url: str) -> None:
        if isinstance(failure, RateLimited) and failure.retry_at:
            delay = max(0.0, failure.retry_at - time.time()) + random.uniform(0, 0.25)
        else:
            # Exponential backoff with full jitter, so that several workers do not retry in step.
            delay = random.uniform(0, self.settings.backoff * (2 ** attempt))
        delay = min(delay, self.settings.max_wait)
        log.warning("Dotdigital %s %s failed (%s); retry %d in %.1fs", method, _path_of(url),
                    failure.status or failure.message, attempt + 1, delay)
        self._sleep(delay)


def _limit_error(verdict: Verdict) -> RateLimited:
    when = time.strftime("%H:%M:%S UTC", time.gmtime(verdict.until))
    if verdict.code == "ERROR_APIUSAGE_EXCEEDED":
        return ApiUsageExceeded(f"the account is capped until {when}: another call was answered "
                                "ERROR_APIUSAGE_EXCEEDED", code=verdict.code, retry_at=verdict.until)
    return RateLimited(f"the account's API calls are spent until {when}, as Dotdigital's rate-limit "
                       "headers said", retry_at=verdict.until)


def _parse_success(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    content_type = response.headers.get("Content-Type", "")
    if "json" not in content_type:
        return response.text  # report-faults is CSV text
    try:
        body = response.json()
    except ValueError as err:
        raise ApiError("Dotdigital answered with malformed JSON.",
                       status=response.status_code) from err
    # The official clients treat any body with a top-level "message" as an error, whatever the
    # status (§6 item 2): a 200 can still carry an error.
    if isinstance(body, Mapping) and "message" in body:
        raise error_from_response(response)
    return body


def _retriable_status(response: requests.Response, idempotent: bool, failure: ApiError) -> bool:
    if isinstance(failure, ApiUsageExceeded):
        return False  # the flat cut-off lasts up to an hour: the job layer reschedules instead
    if response.status_code == 429:
        return True  # rejected before processing, so safe for every method
    return idempotent and response.status_code >= 500


def _retriable_transport(err: requests.RequestException, idempotent: bool) -> bool:
    if isinstance(err, requests.exceptions.SSLError | requests.exceptions.InvalidURL):
        return False
    if idempotent:
        return isinstance(err, requests.ConnectionError | requests.Timeout)
    # A POST is retried only when it surely never reached the server.
    return isinstance(err, requests.exceptions.ConnectTimeout) or _refused(err)


def _refused(err: requests.RequestException) -> bool:
    return isinstance(err, requests.ConnectionError) and "NewConnectionError" in repr(err.args)


def _describe_transport(err: requests.RequestException, url: str) -> str:
    if isinstance(err, requests.exceptions.SSLError):
        what = "the TLS certificate could not be verified"
    elif isinstance(err, requests.Timeout):
        what = "the request timed out"
    else:
        what = "the connection failed"
    return f"Unable to connect to dotdigital: {what} ({_host_of(url)})."


def _path_of(url: str) -> str:
    return requests.utils.urlparse(url).path


def _host_of(url: str) -> str:
    return requests.utils.urlparse(url).netloc


def account_property(account: Any, name: str) -> str | None:
    """The string value of one ``properties`` entry of an ApiAccount (every value is a string)."""
    properties = account.get("properties") if isinstance(account, Mapping) else None
    for prop in properties or []:
        if isinstance(prop, Mapping) and prop.get("name") == name and prop.get("value"):
            return str(prop["value"])
    return None
