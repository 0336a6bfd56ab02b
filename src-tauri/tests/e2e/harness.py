"""Real parts for the end-to-end tests: a private Dovecot, an IMAP client acting as "another
connection", the notification daemon and tray watcher on the test D-Bus session, and the app
itself driven over WebDriver (tauri-driver -> WebKitWebDriver). scripts/e2e.sh starts Xvfb
and the D-Bus session and runs these tests inside."""
import email.utils
import imaplib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import dbus
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from Xlib import X, display, protocol

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def wait_until(check, what, timeout=20.0, interval=0.1):
    """Polls `check` until it returns something truthy; fails with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as error:  # the condition may not be checkable yet
            last_error = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """A private Dovecot on loopback (users alice/alice-pw, bob/bob-pw, carol/carol-pw), with
    LMTP and SASL listeners for a Postfix in front."""

    def __init__(self, directory: Path, oauth2_introspection=None):
        self.directory = directory
        self.port = free_port()
        self.tls_port = free_port()
        self.lmtp_port = free_port()
        self.auth_port = free_port()
        self.oauth2_introspection = oauth2_introspection

    def start(self):
        env = dict(os.environ, TERN_DOVECOT_LMTP_PORT=str(self.lmtp_port), TERN_DOVECOT_AUTH_PORT=str(self.auth_port))
        if self.oauth2_introspection:
            # Also takes OAuth2 bearer tokens, checked by introspection at the mock.
            env["TERN_DOVECOT_OAUTH2_INTROSPECTION"] = self.oauth2_introspection
        subprocess.run(
            ["bash", str(REPO / "scripts/dovecot-start.sh"), str(self.directory), str(self.port), str(self.tls_port)],
            check=True, stdout=subprocess.DEVNULL, env=env,
        )

    def stop(self):
        subprocess.run(["bash", str(REPO / "scripts/dovecot-stop.sh"), str(self.directory)], check=True)

    def connections(self, user="alice"):
        """How many IMAP connections `user` holds, as Dovecot counts them."""
        out = subprocess.run(["doveadm", "-c", str(self.directory / "dovecot.conf"), "who", "-1"],
                             capture_output=True, text=True, check=True).stdout
        return sum(1 for line in out.splitlines() if line.split()[:1] == [user])

    def imap(self, user="alice"):
        connection = imaplib.IMAP4("127.0.0.1", self.port)
        connection.login(user, f"{user}-pw")
        return connection

    def messages(self, user, subject, folder="INBOX"):
        """The raw messages in `user`'s folder whose subject contains `subject`."""
        connection = self.imap(user)
        try:
            connection.select(folder, readonly=True)
            status, data = connection.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
            found = []
            for uid in (data[0].split() if status == "OK" and data and data[0] else []):
                status, fetched = connection.uid("FETCH", uid, "(BODY.PEEK[])")
                if status == "OK" and fetched and isinstance(fetched[0], tuple):
                    found.append(fetched[0][1].decode(errors="replace"))
            return found
        finally:
            connection.logout()

    def append(self, subject, sender="Carol Example <carol@tern.test>", html=None, folder="INBOX", flags="", user="alice"):
        body = html if html is not None else f"Hello from the test: {subject}\r\n"
        kind = "text/html; charset=utf-8" if html is not None else "text/plain; charset=utf-8"
        message = (
            f"From: {sender}\r\nTo: Alice <alice@tern.test>\r\nSubject: {subject}\r\n"
            f"Date: {email.utils.formatdate()}\r\nMessage-ID: <{time.time_ns()}@e2e.tern.test>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: {kind}\r\n\r\n{body}"
        ).encode()
        connection = self.imap(user)
        try:
            status, _ = connection.append(folder, flags, None, message)
            assert status == "OK", status
        finally:
            connection.logout()

    def append_many(self, subjects, sender, folder="INBOX"):
        """Appends several messages in one MULTIAPPEND command (RFC 3502): they arrive together."""
        parts = []
        for n, subject in enumerate(subjects):
            parts.append((
                f"From: {sender}\r\nTo: Alice <alice@tern.test>\r\nSubject: {subject}\r\n"
                f"Date: {email.utils.formatdate()}\r\nMessage-ID: <{time.time_ns()}.{n}@e2e.tern.test>\r\n"
                f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello: {subject}\r\n"
            ).encode())
        with socket.create_connection(("127.0.0.1", self.port)) as sock:
            reader = sock.makefile("rb")
            reader.readline()
            sock.sendall(b"a LOGIN alice alice-pw\r\n")
            while not reader.readline().startswith(b"a "):
                pass
            command = f"b APPEND {folder}".encode()
            for message in parts:  # LITERAL+: no continuation round trips
                command += b" {" + str(len(message)).encode() + b"+}\r\n" + message
            sock.sendall(command + b"\r\n")
            while True:
                line = reader.readline()
                if line.startswith(b"b "):
                    assert line.startswith(b"b OK"), line
                    break
            sock.sendall(b"c LOGOUT\r\n")

    def flags(self, subject, folder="INBOX", user="alice"):
        """The server's flags of the message with this subject (None when there is none)."""
        connection = self.imap(user)
        try:
            connection.select(folder, readonly=True)
            status, data = connection.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
            uids = data[0].split() if status == "OK" and data and data[0] else []
            if not uids:
                return None
            status, data = connection.uid("FETCH", uids[-1], "(FLAGS)")
            return data[0].decode() if status == "OK" and data and data[0] else None
        finally:
            connection.logout()


class MockIdp:
    """The mock OAuth2 authorization server (the tern-mock-idp binary) on loopback."""

    def __init__(self, client="tern-e2e-client"):
        self.client = client
        self.process = subprocess.Popen([os.environ["TERN_MOCK_IDP"], "--client-id", client],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        said = dict(self.process.stdout.readline().strip().split("=", 1) for _ in range(2))
        self.issuer = said["issuer"]
        self.introspection = said["introspection"]

    def revoke(self, token):
        """Withdraws a grant, as the person would at the provider (RFC 7009)."""
        import urllib.parse
        import urllib.request
        body = urllib.parse.urlencode({"token": token}).encode()
        urllib.request.urlopen(f"{self.issuer}/revoke", data=body, timeout=10).read()

    def stop(self):
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process.stdout.close()


class Postfix:
    """A private Postfix on loopback delivering into `dovecot` over LMTP (scripts/postfix-start.sh)."""

    def __init__(self, directory: Path, dovecot: Dovecot):
        self.directory = directory
        self.dovecot = dovecot
        self.port, self.submission_port, self.smtps_port = free_port(), free_port(), free_port()

    def start(self):
        subprocess.run(
            ["bash", str(REPO / "scripts/postfix-start.sh"), str(self.directory), str(self.port),
             str(self.submission_port), str(self.smtps_port), str(self.dovecot.lmtp_port),
             str(self.dovecot.auth_port), str(self.dovecot.directory / "tls")],
            check=True, stdout=subprocess.DEVNULL,
        )

    def stop(self):
        subprocess.run(["bash", str(REPO / "scripts/postfix-stop.sh"), str(self.directory)], check=True)


class Background:
    """A helper process started with the test session and stopped with it."""

    def __init__(self, args, ready=None, env=None):
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        if ready:
            line = self.process.stdout.readline()
            if ready not in line:
                raise RuntimeError(f"{args[0]} did not start: {line}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process.stdout:
            self.process.stdout.close()


class Notifications:
    """python-dbusmock's notification daemon: records every Notify call."""

    def __init__(self):
        # A server that shows buttons (the `actions` capability), as GNOME's and KDE's do.
        self.daemon = Background([sys.executable, "-m", "dbusmock", "--session", "--template", "notification_daemon",
                                  "-p", '{"capabilities": "body body-markup actions"}'])
        self.bus = dbus.SessionBus()
        wait_until(lambda: self.bus.name_has_owner("org.freedesktop.Notifications"), "the notification daemon")

    def _mock(self):
        return self.bus.get_object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")

    def _calls(self):
        return self._mock().GetMethodCalls("Notify", dbus_interface="org.freedesktop.DBus.Mock")

    def shown(self):
        """(summary, body) of every notification so far."""
        return [(str(args[3]), str(args[4])) for _, args in self._calls()]

    def find(self, summary, body):
        """(id, action keys) of the notification shown with this summary and body: the mock
        numbers them 1, 2, … in the order of the Notify calls."""
        for number, (_, args) in enumerate(self._calls(), start=1):
            if (str(args[3]), str(args[4])) == (summary, body):
                return number, [str(key) for key in list(args[5])[0::2]]
        return None

    def invoke(self, notification_id, key):
        """What the server says when a person clicks the notice ("default") or a button."""
        self._mock().EmitSignal("org.freedesktop.Notifications", "ActionInvoked", "us",
                                [dbus.UInt32(notification_id), key], dbus_interface="org.freedesktop.DBus.Mock")

    def stop(self):
        self.daemon.stop()


class Tray:
    """A StatusNotifierWatcher: the app's tray item registers here; its properties are read back."""

    def __init__(self):
        self.watcher = Background([sys.executable, str(HERE / "sni_watcher.py")], ready="ready")
        self.bus = dbus.SessionBus()

    def items(self):
        watcher = self.bus.get_object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher")
        return [str(item) for item in watcher.Get("org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems",
                                                  dbus_interface=dbus.PROPERTIES_IFACE)]

    def properties(self):
        items = self.items()
        if not items:
            return None
        item = items[-1]
        name, path = item.split("/", 1)
        proxy = self.bus.get_object(name, "/" + path)
        return proxy.GetAll("org.kde.StatusNotifierItem", dbus_interface=dbus.PROPERTIES_IFACE)

    def click(self, label):
        """Clicks the tray menu item with this label (com.canonical.dbusmenu Event)."""
        items = self.items()
        name, path = items[-1].split("/", 1)
        menu_path = str(self.properties()["Menu"])
        menu = self.bus.get_object(name, menu_path)
        _, layout = menu.GetLayout(0, -1, dbus.Array([], signature="s"), dbus_interface="com.canonical.dbusmenu")

        def find(node):
            node_id, props, children = node
            if str(props.get("label", "")).replace("_", "") == label:
                return node_id
            for child in children:
                found = find(child)
                if found is not None:
                    return found
            return None

        item = find(layout)
        if item is None:
            raise AssertionError(f"no tray menu item {label!r}")
        menu.Event(dbus.Int32(item), "clicked", dbus.Int32(0, variant_level=1), dbus.UInt32(0),
                   dbus_interface="com.canonical.dbusmenu")

    def menu_labels(self):
        """The labels of the tray menu's items, top to bottom (separators left out; a doubled
        `_` read as the one it stands for)."""
        items = self.items()
        name, _ = items[-1].split("/", 1)
        menu = self.bus.get_object(name, str(self.properties()["Menu"]))
        _, layout = menu.GetLayout(0, -1, dbus.Array([], signature="s"), dbus_interface="com.canonical.dbusmenu")
        labels = []

        def walk(node):
            _, props, children = node
            label = str(props.get("label", ""))
            if label:
                labels.append(label.replace("__", "\0").replace("_", "").replace("\0", "_"))
            for child in children:
                walk(child)

        walk(layout)
        return labels

    def owner_alive(self):
        """Whether the process that registered the tray item is still on the bus."""
        items = self.items()
        return bool(items) and self.bus.name_has_owner(items[-1].split("/", 1)[0])

    def label(self):
        properties = self.properties()
        return str(properties.get("XAyatanaLabel", "")) if properties else None

    def stop(self):
        self.watcher.stop()


class Window:
    """The app's X window as the desktop sees it: found by title, focused and closed the way a
    window manager would (Xvfb runs none)."""

    def __init__(self, title="Tern"):
        self.title = title

    def _ids(self, visible_only=False):
        args = ["xdotool", "search"] + (["--onlyvisible"] if visible_only else []) + ["--name", f"^{self.title}$"]
        return [int(found) for found in subprocess.run(args, capture_output=True, text=True).stdout.split()]

    def _id(self, visible_only=False):
        found = self._ids(visible_only)
        return found[0] if found else None

    def visible(self):
        return self._id(visible_only=True) is not None

    def screenshot(self, path):
        """Saves what the X server shows of the window as a PNG (ImageMagick's `import`). Not
        WebDriver's screenshot: WebKit takes that from its own next paint, which never comes
        while a window drawn without GPU compositing has nothing new to draw."""
        window_id = self._id(visible_only=True)
        target = ["-window", str(window_id)] if window_id is not None else ["-window", "root"]
        subprocess.run(["import", "-silent", *target, str(path)], check=True, timeout=20,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def focus(self):
        subprocess.run(["xdotool", "windowfocus", "--sync", str(self._id(visible_only=True))], check=True, timeout=10)

    def unfocus(self):
        """Takes the keyboard focus away from every window, as switching to another app does."""
        screen = display.Display()
        try:
            screen.set_input_focus(X.NONE, X.RevertToNone, X.CurrentTime)
            screen.sync()
        finally:
            screen.close()

    def close(self):
        """Asks the window to close (WM_DELETE_WINDOW), as the title bar's close button does: every
        shown window with the title gets the request (xdotool's order is not the stacking order)."""
        screen = display.Display()
        try:
            protocols = screen.intern_atom("WM_PROTOCOLS")
            delete = screen.intern_atom("WM_DELETE_WINDOW")
            for window_id in self._ids(visible_only=True):
                window = screen.create_resource_object("window", window_id)
                event = protocol.event.ClientMessage(window=window, client_type=protocols,
                                                     data=(32, [delete, X.CurrentTime, 0, 0, 0]))
                window.send_event(event, event_mask=X.NoEventMask)
            screen.flush()
        finally:
            screen.close()

    def close_to_tray(self):
        """Closes the window and waits until it is hidden; asks a second time if the first request
        went unanswered (Xvfb runs no window manager to repeat it)."""
        for attempt in range(2):
            self.close()
            try:
                wait_until(lambda: not self.visible(), "the window hidden", timeout=10)
                return
            except AssertionError:
                if attempt == 1:
                    raise


class App:
    """The real app window, driven over WebDriver."""

    def __init__(self, binary: Path, data_dir: Path, driver_port: int):
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(binary), "args": ["--data-dir", str(data_dir)]})
        self.driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{driver_port}", options=options)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def replace(self, css, value):
        """Clears the input and types `value` into it."""
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def testid(self, name):
        return self.find(f'[data-testid="{name}"]')

    def text(self, css):
        """The element's text content (WebKitWebDriver's visible-text reading skips text in
        overflow-hidden boxes, which the list uses for ellipsis)."""
        elements = self.find_all(css)
        return " ".join((elements[0].get_attribute("textContent") or "").split()) if elements else ""

    def row(self, subject):
        """The list row showing `subject`, if it is on screen."""
        for row in self.find_all('[data-testid="message-row"]'):
            if subject in (row.get_attribute("textContent") or ""):
                return row
        return None

    def quit(self):
        try:
            self.driver.quit()
        except Exception:
            pass
