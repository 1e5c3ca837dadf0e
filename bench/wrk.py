"""The closed loop that finds a scenario's saturating rate, driven by wrk.

The load generator shares the two cores with the server it measures, so what it spends is taken
from the server: aiohttp spends 0.4 ms of CPU on a command poll (a fifth of what the poll costs
the server) and 1.3 ms on a sign-in. wrk (C, an event loop per thread) spends a few hundredths
of that, so the rate it finds is the server's rather than the pair's. Scenarios whose operation
is a fixed sequence of requests run here; the open-loop phases at 50 % and 80 % (latency from
the scheduled start) stay with `load.open_loop`, and without wrk on the machine everything does.

One connection per wrk thread, so each thread's Lua state follows one operation at a time: an
operation is one or two requests (a sign-in with an authenticator code posts the code with the
session cookie the password step set). Each thread writes down, per operation, its latency and
any answer it did not expect; `done` gathers them into a JSON file.
"""

import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import load

# wrk reads the script into every thread's Lua state before any starts: the first operation
# falls due this long after wrk is started (a script holds at most a few thousand operations).
START_SECONDS = 0.5
# A connection carries this many requests, then the server is asked to close it (_RUNTIME).
RECONNECT_EVERY = 10
# An operation unanswered this long is an error (as `load.TIMEOUT`).
TIMEOUT_SECONDS = 30


def available() -> bool:
    return shutil.which("wrk") is not None


@dataclass
class Step:
    """One request of an operation, and the answer it must get."""

    method: str
    path: str
    headers: dict[str, str]
    body: str = ""
    status: int = 200
    location: str = ""  # the answer's Location starts with this
    body_prefix: str = ""  # the answer body starts with this
    # The body is a batch of 10 location fixes taken in the seconds before each request (a
    # batch sent twice would be stored once: the same device and instant).
    fresh_fixes: bool = False


@dataclass
class CodeStep:
    """A second step that posts the authenticator code of the moment, with the session cookie
    the first step's answer set. `codes` holds the code of each 30 s step the run can reach."""

    path: str
    headers: dict[str, str]
    body_before_code: str
    session_cookie: str
    codes: dict[int, str]
    status: int = 302
    location: str = ""


@dataclass
class Script:
    """The operations a scenario cycles through (each thread takes every n-th from its own
    start), each a first `Step` and, for two-step sign-ins, a `CodeStep`."""

    operations: Sequence[tuple[Step, CodeStep | None]] = field(default_factory=list)


def _lua(value: str) -> str:
    """A Lua string literal of `value` (bytes other than printable ASCII as escapes)."""
    out = []
    for byte in value.encode():
        char = chr(byte)
        if char in '\\"':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _headers(headers: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()) + "}"


def _step(step: Step) -> str:
    return (
        f"{{m = {_lua(step.method)}, p = {_lua(step.path)}, h = {_headers(step.headers)}, "
        f"b = {_lua(step.body)}, s = {step.status}, l = {_lua(step.location)}, "
        f"bp = {_lua(step.body_prefix)}, fx = {'true' if step.fresh_fixes else 'false'}}}"
    )


def _code_step(step: CodeStep) -> str:
    codes = ", ".join(f"[{k}] = {_lua(v)}" for k, v in sorted(step.codes.items()))
    return (
        f"{{p = {_lua(step.path)}, h = {_headers(step.headers)}, "
        f"b = {_lua(step.body_before_code)}, c = {_lua(step.session_cookie)}, "
        f"codes = {{{codes}}}, s = {step.status}, l = {_lua(step.location)}}}"
    )


_RUNTIME = r"""
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_ts;
           int clock_gettime(int, bench_ts *); ]]
local ts = ffi.new("bench_ts")
local function now()
  ffi.C.clock_gettime(0, ts)  -- CLOCK_REALTIME: authenticator codes go by the wall clock
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local cursor, stride, state, started, account, pending
latencies, failures, failed, used = {}, {}, 0, {}
-- Operations that start from MEASURE_FROM (after the warm-up) are timed; none starts after
-- STOP_AT.
local measure_from = tonumber(os.getenv("BENCH_WRK_MEASURE_FROM"))
local stop_at = tonumber(os.getenv("BENCH_WRK_STOP_AT"))
finished_at = 0

-- A thread whose operations are all answered says so (the bench then ends wrk) and stops.
local function finish()
  local mark = io.open(os.getenv("BENCH_WRK_OUT") .. ".done." .. tid, "w")
  if mark then mark:close() end
  wrk.thread:stop()
  return 3600 * 1000
end

function init(args)
  stride = tonumber(args[1])
  cursor = -1
  state = 1
  math.randomseed(tid * 7919 + os.time())
end

local function fixes_body()
  local t, fixes = now(), {}
  for k = 0, 9 do
    local at = t - k - math.random()
    local second = math.floor(at)
    fixes[#fixes + 1] = string.format(
      '{"lat": %.6f, "lon": %.6f, "accuracy": 15.0, "battery": 80, "taken_at": "%s.%06dZ"}',
      12.97 + math.random() / 100, 77.59 + math.random() / 100,
      os.date("!%Y-%m-%dT%H:%M:%S", second), math.floor((at - second) * 1e6))
  end
  return '{"locations": [' .. table.concat(fixes, ", ") .. "]}"
end

local function fail(what)
  failed = failed + 1
  if #failures < 5 then table.insert(failures, (string.gsub(what, "[^%w%p ]", "?"))) end
end

-- This thread's operations: every stride-th, from its own start (threads never share one).
local mine

local function next_operation(any)
  if mine == nil then
    mine = {}
    for index = tid, #ops, stride do table.insert(mine, index) end
    if #mine == 0 then mine = {((tid - 1) % #ops) + 1} end
  end
  for _ = 1, #mine do
    cursor = cursor + 1
    local index = mine[(cursor % #mine) + 1]
    local op = ops[index]
    if op[2] == nil then return op end
    -- An authenticator code is taken once per 30 s step: skip an account that used this one.
    if any or (used[index] or -1) < math.floor(now() / 30) then
      account = index
      return op
    end
  end
  return nil
end

-- wrk calls `delay` before each request it sends, and `request` once more before the run
-- to check the script: that call must not take an operation.
local armed = false

function delay()
  armed = true
  if state == 2 then
    -- Nobody types a code with a quarter of a second left: wait for the next one.
    local left = 30 - now() % 30
    if left < 0.25 then return math.ceil((left + 0.01) * 1000) end
    return 0
  end
  -- (each thread times at least one operation, however slow they are)
  if now() >= stop_at and #latencies > 0 then return finish() end
  pending = next_operation()
  -- Every account of this thread used this step's code: it stops (a run has accounts enough
  -- for a 30 s step; only the tiny smoke-test seed runs out).
  if pending == nil then return finish() end
  return 0
end

-- Every few requests a thread asks the server to close its connection and opens another:
-- the web server's processes share one listening socket, and a connection stays with the process
-- that accepted it; a handful of connections held for a whole run can pile on one process
-- (which then runs out of its one core while the other idles). Phones and browsers are many,
-- each with a connection of its own; fresh connections keep the load spread as theirs do.
local sent = 0

local function with_close(headers)
  sent = sent + 1
  if sent % RECONNECT_EVERY ~= 0 then return headers end
  local copy = {["Connection"] = "close"}
  for k, v in pairs(headers) do copy[k] = v end
  return copy
end

function request()
  if not armed then
    local s = ops[1][1]
    return wrk.format(s.m, s.p, s.h, s.b)
  end
  armed = false
  if state == 1 then
    if pending == nil then pending = next_operation() or next_operation(true) end
    started = now()
    local s = pending[1]
    return wrk.format(s.m, s.p, with_close(s.h), s.fx and fixes_body() or s.b)
  end
  local c = pending[2]
  local step = math.floor(now() / 30)
  used[account] = step
  local headers = {}
  for k, v in pairs(c.h) do headers[k] = v end
  headers["Cookie"] = headers["Cookie"] .. "; " .. c.c .. "=" .. session
  local code = c.codes[step] or "000000"
  return wrk.format("POST", c.p, with_close(headers), c.b .. code)
end

-- A response header by name, whatever its case: granian sends names in lower case, gunicorn
-- as the application wrote them.
local function header(headers, name)
  local wanted = string.lower(name)
  for k, v in pairs(headers) do
    if string.lower(k) == wanted then return v end
  end
  return nil
end

local function answered(status, headers, body, want)
  if status ~= want.s then return false end
  if want.l ~= "" and string.sub(header(headers, "Location") or "", 1, #want.l) ~= want.l then
    return false
  end
  if want.bp ~= nil and string.sub(body or "", 1, #want.bp) ~= want.bp then return false end
  return true
end

function response(status, headers, body)
  local op = pending
  local want = (state == 1) and op[1] or op[2]
  if not answered(status, headers, body, want) then
    local location = header(headers, "Location") or ""
    fail(status .. " " .. location .. " " .. string.sub(body or "", 1, 160))
    state = 1
    pending = nil
    return
  end
  if state == 1 and op[2] ~= nil then
    local cookie = header(headers, "Set-Cookie") or ""
    local at = string.find(cookie, op[2].c .. "=", 1, true)
    session = at and string.match(cookie, "^[^;]+", at + #op[2].c + 1)
    if session == nil then
      fail("no " .. op[2].c .. " cookie in " .. string.sub(cookie, 1, 120))
      pending = nil
      return
    end
    state = 2
    return
  end
  if started >= measure_from then
    finished_at = now()
    table.insert(latencies, finished_at - started)
  end
  state = 1
  pending = nil
end

function done(summary, latency, requests)
  local all, errors, first, last = {}, 0, {}, 0
  for _, thread in ipairs(threads) do
    last = math.max(last, thread:get("finished_at"))
    for _, v in ipairs(thread:get("latencies")) do table.insert(all, v) end
    errors = errors + thread:get("failed")
    for _, f in ipairs(thread:get("failures")) do
      if #first < 5 then table.insert(first, f) end
    end
  end
  local e = summary.errors
  errors = errors + e.connect + e.read + e.write + e.timeout
  local out = io.open(os.getenv("BENCH_WRK_OUT"), "w")
  out:write('{"last_finish": ', string.format("%.6f", last))
  out:write(', "errors": ', errors, ', "socket_errors": [', e.connect, ", ", e.read, ", ",
            e.write, ", ", e.timeout, '], "first_errors": [')
  for i, f in ipairs(first) do
    out:write(i > 1 and ", " or "", string.format("%q", f))
  end
  out:write('], "latencies": [', table.concat(all, ", "), "]}")
  out:close()
end
"""


def render(script: Script) -> str:
    rows = []
    for first, second in script.operations:
        rows.append(f"{{{_step(first)}, {_code_step(second) if second else 'nil'}}}")
    return (
        f"RECONNECT_EVERY = {RECONNECT_EVERY}\nops = {{\n" + ",\n".join(rows) + "\n}\n" + _RUNTIME
    )


def _run(base: str, script: Script, concurrency: int, longest: float, env: dict) -> dict:
    """Run wrk for at most `longest` seconds: it is ended as soon as every thread has said it
    is done (wrk itself would sleep out its whole duration)."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        lua = Path(tmp) / "scenario.lua"
        out = Path(tmp) / "result.json"
        lua.write_text(render(script))
        command = [
            shutil.which("wrk") or "wrk",
            f"-t{concurrency}",
            f"-c{concurrency}",
            f"-d{max(1, math.ceil(longest))}s",
            "--timeout",
            f"{TIMEOUT_SECONDS}s",
            "-s",
            str(lua),
            base,
            "--",
            str(concurrency),
        ]
        with subprocess.Popen(
            command,
            env=os.environ | env | {"BENCH_WRK_OUT": str(out)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            deadline = time.monotonic() + longest + 60
            while process.poll() is None and time.monotonic() < deadline:
                if len(list(Path(tmp).glob("result.json.done.*"))) >= concurrency:
                    process.send_signal(signal.SIGINT)  # wrk stops, and calls `done`
                    break
                time.sleep(0.05)
            try:
                stdout, stderr = process.communicate(timeout=max(deadline - time.monotonic(), 5))
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
        if process.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"wrk failed ({process.returncode}): {stdout[-2000:]} {stderr[-2000:]}"
            )
        return json.loads(out.read_text())


def closed_loop(
    base: str, script: Script, concurrency: int, warmup: float, seconds: float
) -> load.Phase:
    """Run `script` with `concurrency` operations in flight: a warm-up, then `seconds` in
    which operations start; those started after the warm-up are counted, and the phase lasts
    until the last of them is answered (as `load.closed_loop`)."""
    measure_from = time.time() + START_SECONDS + warmup
    stop_at = measure_from + seconds
    env = {"BENCH_WRK_MEASURE_FROM": f"{measure_from}", "BENCH_WRK_STOP_AT": f"{stop_at}"}
    longest = START_SECONDS + warmup + seconds + TIMEOUT_SECONDS
    result = _run(base, script, concurrency, longest, env)
    elapsed = max(result["last_finish"], stop_at) - measure_from
    return load.Phase(
        f"closed {concurrency} (wrk)",
        None,
        elapsed,
        len(result["latencies"]),
        result["errors"],
        result["latencies"],
        result["first_errors"],
    )
