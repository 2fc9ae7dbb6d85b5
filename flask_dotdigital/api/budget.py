"""The API call budget of one Dotdigital account, shared through Redis by every worker.

Dotdigital's tiered scheme (dotdigital-api.md §2.1) gives each account a per-minute budget and
answers a call past it with a 429 whose ``X-RateLimit-*`` headers say the window's limit and the
epoch second it resets at. A worker on its own learns that only by spending a 429, and a second
worker learns nothing from the first one's. Here every worker writes what it learned into one Redis
hash per account, and asks it before each call:

- ``blocked``: nobody calls before this moment (a 429's reset, or the flat cut-off's pause);
- ``limit``: the window's size, from the last ``X-RateLimit-Limit`` seen;
- ``left``: calls left in the current window, counted down atomically so that two workers can
  never both spend the window's last call; unknown (absent) until a 429 has told the limit;
- ``ends``: when the counted window ends, if a response said so (``X-RateLimit-Reset`` with
  ``X-RateLimit-Remaining`` on a successful answer, which not every account may send);
- ``probe``: when the count says the window is spent but its end is unknown, a single call goes
  out to find out; the others wait for its answer rather than each spending a 429 on it;
- ``last``: while the limit is unknown, calls of the account start at least a short gap apart (a
  little more than the quickest answer lately, since a 429 comes back before any work is done), so
  that a call never leaves while an earlier one may be coming back refused. Without the gap, two
  workers calling at the same moment past the unknown end of a window would both spend a 429.

The first 429 of a window cannot be avoided while the window is unknown; after it, no call of this
account is made until the reset. The api package knows nothing of Flask: the caller hands over a
Redis connection, and every Redis failure makes the budget step aside (the client then behaves as
it would without one) instead of failing the call.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import math
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from requests.structures import CaseInsensitiveDict

log = logging.getLogger("flask_dotdigital.api")

#: How long an account's learned limit is remembered after its last use.
STATE_TTL = 24 * 3600
#: Seconds the budget is left alone after Redis failed, so a dead server costs one attempt, not one
#: per call.
REDIS_COOL_DOWN = 30.0
#: ``X-RateLimit-Reset`` is documented as UTC epoch seconds; anything smaller than this is read as
#: "seconds from now" instead, in case an endpoint sends the relative form (the headers on success
#: answers are unconfirmed, §2.1).
_EPOCH_FLOOR = 1_000_000_000
#: Our clock and Dotdigital's may differ; past this many seconds, the response's Date header is
#: trusted to turn the reset second into a moment on our clock.
_SKEW_TOLERANCE = 2.0

# Before a call. Answers {verdict, moment}: "go", "probe" (go, and report back), "wait" (until the
# moment: blocked, or the counted window is spent and its end known) or "poll" (look again at the
# moment, or sooner: another worker's probe is out, or a call started less than a gap ago).
_RESERVE = """
local key, now, probe_until, ttl, gap = KEYS[1], tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]),
  tonumber(ARGV[4])
local s = redis.call('HMGET', key, 'limit', 'left', 'ends', 'blocked', 'probe')
local limit, left, ends, blocked, probe =
  tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), tonumber(s[4]), tonumber(s[5])
if blocked then
  if now < blocked then return {'wait', s[4]} end
  ends = now - 1
  redis.call('HDEL', key, 'blocked', 'code')
end
if ends and now >= ends then
  redis.call('HDEL', key, 'ends', 'probe')
  ends, probe, left = nil, nil, limit
  if limit then redis.call('HSET', key, 'left', limit) else redis.call('HDEL', key, 'left') end
end
redis.call('EXPIRE', key, ttl)
if left == nil then
  local last = tonumber(redis.call('HGET', key, 'last'))
  if last and now < last + gap and now >= last then return {'poll', tostring(last + gap)} end
  redis.call('HSET', key, 'last', ARGV[1])
  return {'go', ''}
end
if left > 0 then
  redis.call('HINCRBY', key, 'left', -1)
  return {'go', ''}
end
if ends then return {'wait', tostring(ends)} end
if probe and now < probe then return {'poll', s[5]} end
redis.call('HSET', key, 'probe', probe_until)
return {'probe', ''}
"""

# After a refused call: block everyone until the reset. A reset already past is a late answer
# from a window that is over, and must not spoil the count of the current one.
_REFUSED = """
local key, now, reset, limit, code, ttl = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3],
  ARGV[4], tonumber(ARGV[5])
if limit ~= '' then redis.call('HSET', key, 'limit', limit) end
if reset > now then
  local blocked = tonumber(redis.call('HGET', key, 'blocked'))
  if not blocked or reset > blocked then
    redis.call('HSET', key, 'blocked', ARGV[2], 'code', code)
  end
  redis.call('HSET', key, 'left', 0)
  redis.call('HDEL', key, 'ends', 'probe')
end
redis.call('EXPIRE', key, ttl)
return 1
"""

# After an answered call. With Remaining and Reset the window is known exactly; the lower of the
# count and Remaining wins, since answers to calls made in parallel arrive in any order. A probe
# answered without those headers means the window had turned over already: count afresh.
_ANSWERED = """
local key, now, limit, remaining, reset, probe, ttl = KEYS[1], tonumber(ARGV[1]), ARGV[2],
  tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
if limit ~= '' then redis.call('HSET', key, 'limit', limit) end
local blocked = tonumber(redis.call('HGET', key, 'blocked'))
if remaining and reset and reset > now and not (blocked and blocked > now) then
  local s = redis.call('HMGET', key, 'left', 'ends')
  local left, ends = tonumber(s[1]), tonumber(s[2])
  if ends == reset and left and left < remaining then remaining = left end
  redis.call('HSET', key, 'left', remaining, 'ends', ARGV[4])
  redis.call('HDEL', key, 'probe')
elseif probe == '1' then
  local known = tonumber(redis.call('HGET', key, 'limit'))
  redis.call('HDEL', key, 'probe', 'ends')
  if known then redis.call('HSET', key, 'left', math.max(known - 1, 0)) end
end
redis.call('EXPIRE', key, ttl)
return 1
"""


def account_key(base_url: str, username: str) -> str:
    """The Redis key of an account's budget. The API user name is hashed, never stored in clear."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{username}".encode()).hexdigest()
    return f"dotdigital:rate:{digest[:40]}"


@dataclass(frozen=True)
class Verdict:
    """What the budget says about the next call: ``go`` now, or not before ``until``."""

    go: bool
    until: float = 0.0
    probe: bool = False  # this call finds out whether a counted-out window is really spent
    poll: bool = False  # another worker's probe is out; look again shortly
    code: str | None = None  # ERROR_APIUSAGE_EXCEEDED when the flat cut-off blocks the account


GO = Verdict(go=True)


@dataclass(frozen=True)
class WindowInfo:
    """The ``X-RateLimit-*`` headers of one answer, with the reset as a moment on our clock."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    scope: str | None = None


def window_info(headers: Mapping[str, str], now: float | None = None) -> WindowInfo:
    """Read the rate-limit headers (any case; a missing or garbled one counts as absent)."""
    now = time.time() if now is None else now
    headers = CaseInsensitiveDict(headers)
    reset = _number(headers.get("X-RateLimit-Reset"))
    if reset is not None:
        if reset < _EPOCH_FLOOR:
            reset = now + reset
        else:
            reset += _clock_offset(headers.get("Date"), now)
    limit = _number(headers.get("X-RateLimit-Limit"))
    remaining = _number(headers.get("X-RateLimit-Remaining"))
    return WindowInfo(limit=None if limit is None else int(limit),
                      remaining=None if remaining is None else int(remaining),
                      reset=reset, scope=headers.get("X-RateLimit-Scope"))


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    # "inf" and "nan" parse as floats too; neither is a count or a moment.
    return number if number is not None and math.isfinite(number) and number >= 0 else None


def _clock_offset(date: str | None, now: float) -> float:
    # Date has one-second resolution, so it only helps when the clocks are clearly apart.
    try:
        server_now = email.utils.parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError):
        return 0.0
    if server_now is None or abs(now - server_now) <= _SKEW_TOLERANCE:
        return 0.0
    return now - server_now


_unavailable: dict[str, float] = {}
#: The quickest recent answers per account key, in this process (they set the gap between calls).
_answer_times: dict[str, deque[float]] = {}
#: The gap between call starts while the limit is unknown: bounds, and before anything was timed.
_GAP_MIN, _GAP_MAX, _GAP_UNTIMED = 0.02, 0.2, 0.1


class RateBudget:
    """One account's shared budget in Redis (see the module docstring)."""

    def __init__(self, redis: Any, key: str, *, probe_timeout: float = 131.0) -> None:
        self.redis, self.key, self.probe_timeout = redis, key, probe_timeout
        self._reserve = redis.register_script(_RESERVE)
        self._refused = redis.register_script(_REFUSED)
        self._answered = redis.register_script(_ANSWERED)
        self._server = repr(getattr(redis, "connection_pool", redis))

    def reserve(self) -> Verdict:
        """Take one call from the window, or say how long to wait for one."""
        now = time.time()
        answer = self._run(self._reserve, now, now + self.probe_timeout, STATE_TTL, self.gap())
        if answer is None:
            return GO
        verdict, moment = (_text(part) for part in answer)
        if verdict == "go":
            return GO
        if verdict == "probe":
            return Verdict(go=True, probe=True)
        code = self._code() if verdict == "wait" else None
        return Verdict(go=False, until=float(moment), poll=verdict == "poll", code=code)

    def timed(self, seconds: float) -> None:
        """How long an answer took (any answer: refusals take about the quickest)."""
        _answer_times.setdefault(self.key, deque(maxlen=32)).append(seconds)

    def gap(self) -> float:
        """Seconds between call starts while the limit is unknown."""
        times = _answer_times.get(self.key)
        if not times:
            return _GAP_UNTIMED
        return min(_GAP_MAX, max(_GAP_MIN, 2 * min(tuple(times)) + 0.01))

    def refused(self, until: float, *, limit: int | None = None, code: str | None = None) -> bool:
        """A call was refused (429, or the flat cut-off): nobody calls again before ``until``.

        False when Redis could not be told, so the caller waits on its own as it would without a
        budget.
        """
        done = self._run(self._refused, time.time(), until, "" if limit is None else limit,
                         code or "429", STATE_TTL)
        return done is not None

    def release_probe(self) -> None:
        """The probe call got no answer that tells anything: another call may try."""
        self._run(lambda keys, args: self.redis.hdel(keys[0], "probe"))

    def answered(self, info: WindowInfo, *, probe: bool) -> None:
        """A call got an answer that was not a refusal: note what its headers say."""
        if info.limit is None and info.remaining is None and not probe:
            return  # nothing learned, save the round trip
        self._run(self._answered, time.time(), "" if info.limit is None else info.limit,
                  "" if info.remaining is None else info.remaining,
                  "" if info.reset is None else info.reset, "1" if probe else "0", STATE_TTL)

    def _code(self) -> str | None:
        try:
            code = self.redis.hget(self.key, "code")
        except RedisError:
            return None
        return _text(code) if code is not None else None

    def _run(self, script: Any, *args: Any) -> Any:
        if _unavailable.get(self._server, 0.0) > time.monotonic():
            return None
        try:
            return script(keys=[self.key], args=list(args))
        except RedisError as err:
            _unavailable[self._server] = time.monotonic() + REDIS_COOL_DOWN
            log.warning("Dotdigital call budget unavailable for %.0fs, calling without it: %s",
                        REDIS_COOL_DOWN, err)
            return None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
