"""Benchmarks of the real app (release build) under Xvfb, printed as numbers with baselines
measured in the same run (scripts/bench-app.sh runs this):

- cold start to the first message rows painted, with a 100k-message cached INBOX, against
  the same binary starting on an empty profile (setup form painted) and against the
  platform floor: a bare WebKitGTK window painting a tiny page (webkit_floor.py);
- new mail on the server -> its row painted in the window, against a raw IMAP IDLE client
  seeing the same message's EXISTS;
- memory (PSS) of all the app's processes with 100k cached messages;
- with `--accounts N`: cold start and memory with N accounts of that many cached messages
  each (the unified inbox painted first), against one account, alternating in one run.

The window reports paints through the `painted` command, logged with the wall clock
(TERN_LOG=tern_app::paint=info)."""
import argparse
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Dovecot, wait_until

PAINT = re.compile(r'painted what=(\w+) rows=(\d+) unix_ms=(\d+) since_start_ms=(\d+)')


def now_ms():
    return time.time() * 1000


class RunningApp:
    def __init__(self, binary, data_dir):
        env = dict(os.environ, TERN_DATA_DIR=str(data_dir), TERN_LOG=os.environ.get("TERN_BENCH_LOG", "tern_app::paint=info,warn"), NO_COLOR="1")
        self.started_ms = now_ms()
        self.process = subprocess.Popen([str(binary)], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.log = open(os.environ["TERN_BENCH_APP_LOG"], "a") if os.environ.get("TERN_BENCH_APP_LOG") else None
        self.buffer = ""

    def next_paint(self, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while "\n" in self.buffer:
                line, self.buffer = self.buffer.split("\n", 1)
                match = PAINT.search(re.sub(r"\x1b\[[0-9;]*m", "", line))
                if match and match.group(1) == what:
                    return int(match.group(3)), int(match.group(4))
            ready, _, _ = select.select([self.process.stderr], [], [], 0.5)
            if ready:
                chunk = os.read(self.process.stderr.fileno(), 65536).decode(errors="replace")
                if not chunk:
                    raise RuntimeError("the app exited")
                self.buffer += chunk
                if self.log:
                    self.log.write(chunk)
        raise TimeoutError(f"no '{what}' paint within {timeout}s")

    def memory_mb(self):
        """PSS of the app and every process below it (WebKit's web and network processes)."""
        total, breakdown = tree_pss_mb(self.process.pid)
        return total, len(breakdown)

    def memory_breakdown(self):
        """"name PSS" of each process of the app, largest first."""
        return tree_pss_mb(self.process.pid)[1]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def tree_pss_mb(root):
    """PSS in MB of `root` and every process below it, and (name, MB) of each."""
    pids = [root]
    for pid in pids:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            pids.extend(int(child) for child in children.read_text().split())
    breakdown = []
    for pid in pids:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    breakdown.append((name, int(line.split()[1]) / 1024))
        except FileNotFoundError:
            pass
    breakdown.sort(key=lambda entry: -entry[1])
    return sum(mb for _, mb in breakdown), breakdown


def floor_memory_mb(*flags):
    """PSS of the bare WebKitGTK window's WebKit processes once it has painted, and (name, MB)
    of each (its Python process left out: an interpreter no compiled app carries)."""
    process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("webkit_floor.py")), "--hold", *flags],
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if "floor painted" not in line:
            raise RuntimeError(f"webkit_floor.py printed no paint: {line!r}")
        _, breakdown = tree_pss_mb(process.pid)
        webkit = [(name, mb) for name, mb in breakdown if not name.startswith("python")]
        return sum(mb for _, mb in webkit), webkit
    finally:
        process.terminate()
        process.wait(10)


class RawIdle:
    """The baseline: a bare IMAP client in IDLE, timing when the server announces EXISTS."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.file = self.sock.makefile("rb")
        self.last = b""
        self.file.readline()
        self._command(b"a LOGIN alice alice-pw")
        self._command(b"b EXAMINE INBOX")  # read-only: no \\Recent bookkeeping for 100k messages
        self.sock.sendall(b"c IDLE\r\n")
        assert self.file.readline().startswith(b"+")

    def _command(self, line):
        self.sock.sendall(line + b"\r\n")
        tag = line.split()[0]
        while not self.file.readline().startswith(tag + b" "):
            pass

    def next_exists_ms(self):
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError(f"IDLE connection closed (last: {self.last!r})")
            self.last = line
            if line.rstrip().endswith(b"EXISTS"):
                seen = now_ms()
                if os.environ.get("TERN_BENCH_APP_LOG"):
                    with open(os.environ["TERN_BENCH_APP_LOG"], "a") as log:
                        log.write(f"raw EXISTS unix_ms={seen:.0f}\n")
                return seen


def floor_start(*flags):
    """One start of the bare WebKitGTK window: (ms from spawn, ms from its main())."""
    started = now_ms()
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("webkit_floor.py")), *flags], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    match = re.search(r"floor painted unix_ms=(\d+) since_main_ms=(\d+)", out)
    if not match:
        raise RuntimeError(f"webkit_floor.py printed no paint: {out!r}")
    return int(match.group(1)) - started, int(match.group(2))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--arrivals", type=int, default=50)
    parser.add_argument("--accounts", type=int, default=1,
                        help="also compare N accounts of --messages cached messages each against one")
    args = parser.parse_args()
    release = Path(os.environ["TERN_RELEASE_DIR"])
    temp = Path(tempfile.mkdtemp(prefix="tern-bench-app-"))
    temp.chmod(0o755)
    dovecot = Dovecot(temp / "dovecot")
    dovecot.start()
    try:
        subprocess.run([str(release / "tern-seed"), "--dir", str(dovecot.directory), "--count", str(args.messages)], check=True)
        data = temp / "data"
        env = dict(os.environ, TERN_BENCH_PASSWORD="alice-pw")
        tern = [str(release / "tern"), "--data-dir", str(data)]
        subprocess.run(tern + ["account", "add", "--email", "alice@tern.test", "--user", "alice", "--imap-host", "127.0.0.1",
                               "--imap-port", str(dovecot.port), "--security", "plain", "--password-env", "TERN_BENCH_PASSWORD"],
                       check=True, env=env)
        subprocess.run(tern + ["sync", "--prefetch-days", "0"], check=True, env=env, stdout=subprocess.DEVNULL)
        os.environ["TERN_BENCH_PASSWORD"] = "alice-pw"
        if args.accounts > 1:
            compare_accounts(args, release, temp, dovecot, env)
            return

        empty_ms, full_ms, full_since_start, floor_ms, floor_since_main = [], [], [], [], []
        flat_floor_since_main = []
        for _ in range(args.starts):
            # The floor with WebKit's defaults (the measure), and drawn as Tern's window
            # is: without GPU compositing (webview_drawing.rs).
            spawn, since_main = floor_start()
            floor_ms.append(spawn)
            floor_since_main.append(since_main)
            flat_floor_since_main.append(floor_start("--no-compositing")[1])
            app = RunningApp(release / "tern-app", temp / f"empty-{time.time_ns()}")
            painted, _ = app.next_paint("setup")
            empty_ms.append(painted - app.started_ms)
            app.stop()
            app = RunningApp(release / "tern-app", data)
            painted, since_start = app.next_paint("first_rows")
            full_ms.append(painted - app.started_ms)
            full_since_start.append(since_start)
            app.stop()
        print(f"cold start, {args.messages} cached messages: first rows painted p50 {statistics.median(full_ms):.0f} ms "
              f"(min {min(full_ms):.0f}, max {max(full_ms):.0f}; {statistics.median(full_since_start):.0f} ms after main())")
        print(f"baseline, empty profile: setup form painted p50 {statistics.median(empty_ms):.0f} ms "
              f"(min {min(empty_ms):.0f}, max {max(empty_ms):.0f}); ratio {statistics.median(full_ms) / statistics.median(empty_ms):.2f}x")

        print(f"platform floor, bare WebKitGTK window painting a tiny page: "
              f"p50 {statistics.median(floor_ms):.0f} ms from spawn "
              f"({statistics.median(floor_since_main):.0f} ms after its main(), i.e. without Python's start); "
              f"app after main() minus floor after main(): {statistics.median(full_since_start) - statistics.median(floor_since_main):.0f} ms")
        print(f"the same floor drawn as Tern's window (without GPU compositing): p50 "
              f"{statistics.median(flat_floor_since_main):.0f} ms after its main(); app minus that floor: "
              f"{statistics.median(full_since_start) - statistics.median(flat_floor_since_main):.0f} ms")

        # Memory baselines first, each alone (PSS splits shared pages among whoever maps them).
        app_empty = RunningApp(release / "tern-app", temp / f"empty-{time.time_ns()}")
        app_empty.next_paint("setup")
        empty_mb, _ = app_empty.memory_mb()
        print(f"same binary, empty profile, after its setup form painted: {empty_mb:.0f} MB PSS: "
              + ", ".join(f"{name} {mb:.0f}" for name, mb in app_empty.memory_breakdown()))
        app_empty.stop()
        for flags, how in ((), "WebKit's defaults"), (("--no-compositing",), "without GPU compositing, as Tern's window"):
            floor_mb, floor_breakdown = floor_memory_mb(*flags)
            print(f"platform floor's WebKit processes after their paint ({how}): {floor_mb:.0f} MB PSS: "
                  + ", ".join(f"{name} {mb:.0f}" for name, mb in floor_breakdown))
        app = RunningApp(release / "tern-app", data)
        app.next_paint("first_rows")
        memory, processes = app.memory_mb()
        print(f"memory after start with {args.messages} cached: {memory:.0f} MB PSS over {processes} processes: "
              + ", ".join(f"{name} {mb:.0f}" for name, mb in app.memory_breakdown()))
        if args.arrivals == 0:
            app.stop()
            return
        raw = RawIdle(dovecot.port)
        dovecot.append("warm-up")
        raw.next_exists_ms()
        app.next_paint("new_rows")
        app_ms, raw_ms = [], []
        for n in range(args.arrivals):
            sent = now_ms()
            if app.log:
                app.log.write(f"append sent unix_ms={sent:.0f}\n")
            dovecot.append(f"Arrival {n}")
            raw_seen = raw.next_exists_ms()
            painted, _ = app.next_paint("new_rows")
            app_ms.append(painted - sent)
            raw_ms.append(raw_seen - sent)
        memory_after, _ = app.memory_mb()
        app.stop()
        print(f"new mail -> row painted ({args.arrivals} arrivals): p50 {statistics.median(app_ms):.0f} ms, "
              f"p99 {percentile(app_ms, 99):.0f} ms")
        print(f"baseline, raw IDLE client sees EXISTS: p50 {statistics.median(raw_ms):.0f} ms, p99 {percentile(raw_ms, 99):.0f} ms; "
              f"app minus raw p50 {statistics.median([a - r for a, r in zip(app_ms, raw_ms)]):.0f} ms")
        print(f"memory after the arrivals: {memory_after:.0f} MB PSS")
    finally:
        dovecot.stop()


def compare_accounts(args, release, temp, dovecot, env):
    """Cold start and memory of a profile with `args.accounts` accounts of `args.messages`
    cached messages each, against the one-account profile, alternating start by start. The
    accounts are the same Dovecot user under other addresses: each has its own cache rows."""
    several = temp / "several"
    tern = [str(release / "tern"), "--data-dir", str(several)]
    for n in range(args.accounts):
        email = "alice@tern.test" if n == 0 else f"alice{n + 1}@tern.test"
        subprocess.run(tern + ["account", "add", "--email", email, "--user", "alice", "--imap-host", "127.0.0.1",
                               "--imap-port", str(dovecot.port), "--security", "plain",
                               "--password-env", "TERN_BENCH_PASSWORD"], check=True, env=env)
        subprocess.run(tern + ["--account", email, "sync", "--prefetch-days", "0"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    one_ms, many_ms, one_mb, many_mb = [], [], [], []
    for _ in range(args.starts):
        for data, times, memory in ((temp / "data", one_ms, one_mb), (several, many_ms, many_mb)):
            app = RunningApp(release / "tern-app", data)
            painted, _ = app.next_paint("first_rows")
            times.append(painted - app.started_ms)
            # Memory once the sessions run (they start after the first paint).
            time.sleep(3)
            memory.append(app.memory_mb()[0])
            app.stop()
    one, many = statistics.median(one_ms), statistics.median(many_ms)
    print(f"cold start, 1 account of {args.messages} cached: first rows painted p50 {one:.0f} ms "
          f"(min {min(one_ms):.0f}, max {max(one_ms):.0f})")
    print(f"cold start, {args.accounts} accounts of {args.messages} cached each (unified inbox): p50 {many:.0f} ms "
          f"(min {min(many_ms):.0f}, max {max(many_ms):.0f}); ratio {many / one:.2f}x")
    mb_one, mb_many = statistics.median(one_mb), statistics.median(many_mb)
    print(f"memory 3 s after the first paint: 1 account {mb_one:.0f} MB PSS, {args.accounts} accounts {mb_many:.0f} MB; "
          f"+{(mb_many - mb_one) / (args.accounts - 1):.0f} MB per extra account")


if __name__ == "__main__":
    main()
