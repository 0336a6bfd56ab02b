"""End-to-end: the real app window (WebDriver), the real Dovecot, notifications and the tray
read back from the private D-Bus session. The steps build on each other, in order."""
import http.server
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

import json

from harness import REPO, App, Dovecot, MockIdp, Notifications, Postfix, Tray, Window, wait_until

APP = Path(os.environ["TERN_APP"])
SEED = Path(os.environ["TERN_SEED"])
DRIVER_PORT = int(os.environ.get("TERN_DRIVER_PORT", "4444"))
SCREENSHOT = Path(os.environ.get("TERN_SCREENSHOT", REPO / "docs/screenshot.png"))


class Recorder(http.server.BaseHTTPRequestHandler):
    """Counts every request: a hostile message must not make any."""

    requests = []

    def do_GET(self):
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class DesktopApp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.temp = Path(tempfile.mkdtemp(prefix="tern-e2e-"))
        cls.temp.chmod(0o755)  # Dovecot's unprivileged processes read its files below
        cls.dovecot = Dovecot(cls.temp / "dovecot")
        cls.dovecot.start()
        subprocess.run([str(SEED), "--dir", str(cls.dovecot.directory), "--count", "60"], check=True)
        cls.postfix = Postfix(cls.temp / "postfix", cls.dovecot)
        cls.postfix.start()
        cls.notifications = Notifications()
        cls.tray = Tray()
        cls.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=cls.http.serve_forever, daemon=True).start()
        cls.app = App(APP, cls.temp / "data", DRIVER_PORT)
        cls.window = Window()

    @classmethod
    def tearDownClass(cls):
        cls.app.quit()
        cls.http.shutdown()
        cls.http.server_close()
        cls.tray.stop()
        cls.notifications.stop()
        cls.postfix.stop()
        cls.dovecot.stop()

    def tearDown(self):
        # What the window showed at the end of each step, for reading a failure.
        artifacts = Path(os.environ.get("TERN_E2E_ARTIFACTS", "/tmp/tern-e2e-artifacts"))
        artifacts.mkdir(parents=True, exist_ok=True)
        try:
            self.window.screenshot(artifacts / f"{self._testMethodName}.png")
            (artifacts / f"{self._testMethodName}.txt").write_text(self.app.text("body"))
        except Exception:
            pass

    def test_1_adding_the_account_shows_the_servers_inbox(self):
        app = self.app
        wait_until(lambda: app.find_all('[data-testid="setup-form"]'), "the first-run setup")
        # The page is in the desktop's font, by the name GTK's settings give it.
        font = app.driver.execute_script(
            "return getComputedStyle(document.documentElement).getPropertyValue('--desktop-font')")
        family = subprocess.run([sys.executable, "-c", "import gi; gi.require_version('Gtk', '3.0'); "
                                 "from gi.repository import Gtk, Pango; print(Pango.FontDescription.from_string("
                                 "Gtk.Settings.get_default().props.gtk_font_name).get_family())"],
                                capture_output=True, text=True, check=True).stdout.strip()
        # fontconfig's "Sans" (GTK's default) is CSS's sans-serif; other families by name.
        expected = "sans-serif" if family.lower() in ("sans", "sans serif") else f'"{family}"'
        self.assertEqual(font.strip(), expected)
        app.find("input[name=email]").send_keys("alice@tern.test")
        app.find("input[name=username]").click()  # leaving the email field fills the servers
        app.replace("input[name=imap_host]", "127.0.0.1")
        app.replace("input[name=imap_port]", str(self.dovecot.port))
        app.find("select[name=security] option[value=plain]").click()
        app.replace("input[name=smtp_host]", "127.0.0.1")
        app.replace("input[name=smtp_port]", str(self.postfix.port))
        app.find("select[name=smtp_security] option[value=plain]").click()
        app.find("input[name=username]").send_keys("alice")
        app.find("input[name=password]").send_keys("wrong-password")
        app.testid("test-connection").click()
        error = wait_until(lambda: app.text('[data-testid="setup-error"]'), "the bad-password error")
        self.assertIn("refused the user name or password", error)

        app.replace("input[name=password]", "alice-pw")
        app.testid("add-account").click()
        wait_until(lambda: "Inbox" in app.text('[data-testid="folders"]'), "the folder list")
        total = wait_until(lambda: app.testid("message-list").get_attribute("data-total") == "60", "60 messages listed")
        self.assertTrue(total)
        wait_until(lambda: len(app.find_all('[data-testid="message-row"]')) > 5, "rows painted")
        # The password went to the keyring, not to Tern's files.
        stored = subprocess.run(["secret-tool", "lookup", "service", "tern", "username", "alice@tern.test"],
                                capture_output=True, text=True)
        self.assertEqual(stored.stdout.strip(), "alice-pw")
        wait_until(lambda: app.text('[data-testid="live"]') == "Live", "the Live indicator")
        wait_until(lambda: (self.tray.label() or "").startswith("Live"), "the tray saying Live")

    def test_2_new_mail_shows_up_notifies_and_counts_in_the_tray(self):
        app = self.app
        self.dovecot.append("Arrived while watching")
        wait_until(lambda: app.row("Arrived while watching"), "the new row without a click")

        # With another folder on screen, INBOX mail notifies.
        before = wait_until(lambda: self._tray_unread(), "an unread count in the tray")
        app.find('[data-folder="Archive"]').click()
        self.dovecot.append("Lunch on Friday?", sender="Dora Notify <dora@tern.test>")
        wait_until(lambda: ("Dora Notify", "Lunch on Friday?") in self.notifications.shown(),
                   "a notification with sender and subject")
        wait_until(lambda: self._tray_unread() == before + 1, "the tray's unread count going up")
        app.find('[data-folder="INBOX"]').click()
        wait_until(lambda: app.row("Lunch on Friday?"), "the notified message in the list")

    def test_2b_a_burst_of_mail_makes_one_summary_notification(self):
        app = self.app
        app.find('[data-folder="Archive"]').click()
        before = wait_until(lambda: self._tray_unread(), "an unread count in the tray")
        self.dovecot.append_many([f"Burst {n}" for n in range(5)], sender="Erin Burst <erin@tern.test>")
        wait_until(lambda: ("5 new messages", "From Erin Burst") in self.notifications.shown(),
                   "one summary notification for the burst")
        wait_until(lambda: self._tray_unread() == before + 5, "the tray counting all five")
        self.assertFalse([shown for shown in self.notifications.shown() if shown[1].startswith("Burst ")],
                         "no single notifications besides the summary")

    def test_2c_notifications_can_be_turned_off(self):
        app = self.app  # Archive still on screen: INBOX mail would notify
        settings_file = self.temp / "data" / "app-settings.json"
        app.testid("open-settings").click()
        app.testid("setting-notifications").click()
        wait_until(lambda: json.loads(settings_file.read_text()).get("notifications") is False, "the setting saved")
        before = self._tray_unread()
        self.dovecot.append("Quiet arrival", sender="Quinn Quiet <quinn@tern.test>")
        wait_until(lambda: self._tray_unread() == before + 1, "the arrival counted in the tray")
        app.testid("setting-notifications").click()
        wait_until(lambda: json.loads(settings_file.read_text()).get("notifications") is True, "the setting saved")
        app.find('[data-testid="settings"] button.done').click()
        # Arrivals are judged in order: once a later one has notified, the quiet one was judged.
        self.dovecot.append("Loud arrival", sender="Lou Loud <lou@tern.test>")
        wait_until(lambda: ("Lou Loud", "Loud arrival") in self.notifications.shown(), "the next notification")
        self.assertNotIn(("Quinn Quiet", "Quiet arrival"), self.notifications.shown())

    def test_2d_no_notification_while_looking_at_the_inbox(self):
        app = self.app
        app.find('[data-folder="INBOX"]').click()
        has_focus = lambda: app.driver.execute_script("return document.hasFocus()")  # noqa: E731
        # INBOX on screen but the window in the background: mail notifies.
        self.window.unfocus()
        wait_until(lambda: has_focus() is False, "the window without focus")
        self.dovecot.append("Came while away", sender="Fay Focus <fay@tern.test>")
        wait_until(lambda: ("Fay Focus", "Came while away") in self.notifications.shown(), "a notification")
        # Looking at INBOX: the row shows, no notification.
        self.window.focus()
        wait_until(lambda: has_focus() is True, "the window focused")
        self.dovecot.append("Seen as it came", sender="Fay Focus <fay@tern.test>")
        wait_until(lambda: app.row("Seen as it came"), "the row on screen")
        # Arrivals are judged in order: once a later one has notified, this one was judged.
        self.window.unfocus()
        wait_until(lambda: has_focus() is False, "the window without focus")
        self.dovecot.append("Came after looking", sender="Fay Focus <fay@tern.test>")
        wait_until(lambda: ("Fay Focus", "Came after looking") in self.notifications.shown(), "the next notification")
        self.assertNotIn(("Fay Focus", "Seen as it came"), self.notifications.shown())
        self.window.focus()

    def test_2e_clicking_a_notification_opens_its_message(self):
        app = self.app
        app.find('[data-folder="Archive"]').click()
        self.dovecot.append("Open me from the notice", sender="Nia Notice <nia@tern.test>")
        found = wait_until(lambda: self.notifications.find("Nia Notice", "Open me from the notice"), "the notification")
        notification_id, actions = found
        self.assertEqual(actions, ["default", "mark-read"])
        self.notifications.invoke(notification_id, "default")
        wait_until(lambda: app.text('[data-testid="reader-subject"]') == "Open me from the notice", "the message opened")
        self.assertEqual(app.find('[data-folder="INBOX"]').get_attribute("aria-current"), "page")
        wait_until(lambda: "\\Seen" in self.dovecot.flags("Open me from the notice"), "read on the server")

    def test_2f_mark_as_read_from_a_notification_reaches_the_server(self):
        app = self.app
        app.find('[data-folder="Archive"]').click()
        self.dovecot.append("Mark me from the notice", sender="Nia Notice <nia@tern.test>")
        notification_id, _ = wait_until(lambda: self.notifications.find("Nia Notice", "Mark me from the notice"),
                                        "the notification")
        self.assertNotIn("\\Seen", self.dovecot.flags("Mark me from the notice"))
        self.notifications.invoke(notification_id, "mark-read")
        wait_until(lambda: "\\Seen" in self.dovecot.flags("Mark me from the notice"), "read on the server")
        # Another program's signal for an id Tern never showed does nothing.
        self.notifications.invoke(9999, "default")
        self.assertEqual(app.find('[data-folder="Archive"]').get_attribute("aria-current"), "page")

    def test_2g_the_tray_lists_the_newest_unread_mail_and_opens_it(self):
        app = self.app
        app.find('[data-folder="Archive"]').click()
        self.dovecot.append("Pick me from the tray", sender="Tia Tray <tia@tern.test>")
        line = "Tia Tray: Pick me from the tray"
        wait_until(lambda: line in self.tray.menu_labels(), "the message in the tray's menu")
        labels = self.tray.menu_labels()
        self.assertEqual(labels[0], line, "newest first")
        self.assertEqual(labels[-3:], ["Open Tern", "Check mail now", "Quit"])
        self.assertEqual(len(labels), 5 + 3, "five messages at most")
        self.tray.click(line)
        wait_until(lambda: app.text('[data-testid="reader-subject"]') == "Pick me from the tray", "the message opened")
        wait_until(lambda: line not in self.tray.menu_labels(), "read: gone from the menu")

    def test_3_clicking_a_message_marks_it_seen_on_the_server(self):
        app = self.app
        self.assertNotIn("\\Seen", self.dovecot.flags("Lunch on Friday?") or "")
        app.row("Lunch on Friday?").click()
        wait_until(lambda: app.text('[data-testid="reader-subject"]') == "Lunch on Friday?", "the message opened")
        wait_until(lambda: "\\Seen" in (self.dovecot.flags("Lunch on Friday?") or ""), "\\Seen on the server")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        self.window.screenshot(SCREENSHOT)

    def test_4_offline_actions_queue_and_land_when_the_server_is_back(self):
        app = self.app
        # Mail that arrived while the app ran is kept readable offline (never opened yet).
        wait_until(lambda: self._body_cached("Arrived while watching"), "the new message's body in the cache")
        self.dovecot.stop()
        wait_until(lambda: app.text('[data-testid="live"]') == "Offline", "the window saying offline", timeout=30)
        wait_until(lambda: (self.tray.label() or "").startswith("Offline"), "the tray saying offline")
        app.row("Arrived while watching").click()
        wait_until(lambda: app.text('[data-testid="reader-subject"]') == "Arrived while watching", "the message opened offline")
        app.testid("flag").click()
        wait_until(lambda: "waiting" in app.text('[data-testid="offline-banner"]'), "the banner counting queued changes")
        self.dovecot.start()
        wait_until(lambda: "\\Flagged" in (self.dovecot.flags("Arrived while watching") or ""),
                   "the queued flag on the server", timeout=90)
        wait_until(lambda: app.text('[data-testid="live"]') == "Live", "live again", timeout=60)

    def test_5_a_hostile_message_runs_nothing_and_requests_nothing(self):
        app = self.app
        base = f"http://127.0.0.1:{self.http.server_port}"
        html = (
            f"<p>Totally normal</p><script>parent.pwned=1;fetch('{base}/script')</script>"
            f"<img src=\"{base}/pixel.png\"><img src=x onerror=\"parent.pwned=1;fetch('{base}/onerror')\">"
            f"<a id=evil href=\"javascript:parent.pwned=1;fetch('{base}/js')\">click me</a>"
            f"<link rel=stylesheet href=\"{base}/style.css\"><iframe src=\"{base}/frame\"></iframe>"
        )
        self.dovecot.append("Hostile HTML", html=html)
        row = wait_until(lambda: app.row("Hostile HTML"), "the hostile message listed")
        row.click()
        wait_until(lambda: app.text('[data-testid="reader-subject"]') == "Hostile HTML", "it opened")
        frame = app.testid("reader-body")
        self.assertNotIn("allow-scripts", frame.get_attribute("sandbox"))
        self.assertNotIn("allow-same-origin", frame.get_attribute("sandbox"))
        app.driver.switch_to.frame(frame)
        try:
            wait_until(lambda: "Totally normal" in app.driver.find_element("tag name", "body").text, "the body shown")
            links = app.driver.find_elements("css selector", "a")
            for link in links:
                try:
                    link.click()
                except Exception:
                    pass
        finally:
            app.driver.switch_to.default_content()
        self.assertIsNone(app.driver.execute_script("return window.pwned === undefined ? null : window.pwned"))
        self.assertEqual(Recorder.requests, [])
        self.assertIn("blocked", app.text('[data-testid="remote-bar"]'))

    def test_5b_a_link_opens_in_the_browser_not_in_tern(self):
        app = self.app
        opened = Path(os.environ["TERN_OPENED_FILE"])
        self.dovecot.append("A link", html='<p>Read <a id="go" href="https://example.org/tern-link">the article</a></p>')
        wait_until(lambda: app.row("A link"), "the message listed").click()
        wait_until(lambda: app.text('[data-testid="reader-subject"]') == "A link", "it opened")
        app.driver.switch_to.frame(app.testid("reader-body"))
        try:
            wait_until(lambda: app.driver.find_element("css selector", "a"), "the link").click()
        finally:
            app.driver.switch_to.default_content()
        wait_until(lambda: opened.exists() and "https://example.org/tern-link" in opened.read_text(),
                   "the link handed to the desktop's opener")
        # The window still shows Tern with the message.
        self.assertEqual(app.text('[data-testid="reader-subject"]'), "A link")

    def test_5c_check_mail_now_syncs_the_folders_nobody_watches(self):
        app = self.app  # INBOX on screen: Archive has no watcher now
        unread = lambda: int(app.text('[data-testid="unread-Archive"]') or 0)  # noqa: E731
        before = unread()
        self.dovecot.append("Filed by a rule", folder="Archive")
        self.tray.click("Check mail now")
        wait_until(lambda: unread() == before + 1, "Archive's unread count after Check mail now")

    def test_5d_closing_the_window_keeps_tern_in_the_tray(self):
        self.assertTrue(self.window.visible())
        self.window.close_to_tray()
        self.assertTrue(self.tray.owner_alive())
        # Still live in the background: new mail still counts in the tray.
        before = self._tray_unread()
        self.dovecot.append("While the window was closed")
        wait_until(lambda: self._tray_unread() == before + 1, "the tray counting mail with the window closed")
        self.tray.click("Open Tern")
        wait_until(lambda: self.window.visible(), "the window back")
        wait_until(lambda: self.app.row("While the window was closed"), "the new mail in the list")

    def test_5f_a_second_account_runs_beside_the_first(self):
        # bob's account, on a Dovecot of its own, added in the settings while alice's runs
        # (its password goes to the same keyring).
        second = Dovecot(self.temp / "dovecot-bob")
        second.start()
        running = True
        app = self.app
        try:
            before = self._tray_unread() or 0
            app.testid("open-settings").click()
            app.testid("account-add-open").click()
            form = '[data-testid="settings"] [data-testid="setup-form"]'
            app.find(f"{form} input[name=email]").send_keys("bob@tern.test")
            app.find(f"{form} input[name=username]").click()  # leaving the email field fills the servers
            app.replace(f"{form} input[name=imap_host]", "127.0.0.1")
            app.replace(f"{form} input[name=imap_port]", str(second.port))
            app.find(f"{form} select[name=security] option[value=plain]").click()
            app.replace(f"{form} input[name=smtp_host]", " ")  # none: bob's account only reads
            app.find(f"{form} input[name=username]").send_keys("bob")
            app.find(f"{form} input[name=password]").send_keys("bob-pw")
            app.find(f'{form} [data-testid="add-account"]').click()
            wait_until(lambda: app.find_all('[data-testid="settings-account"][data-account="bob@tern.test"]'),
                       "bob in the settings' accounts", timeout=30)
            app.find('[data-testid="settings"] button.done').click()
            # Mail counts as new once bob's INBOX has been caught up with (its first sync).
            cache = self.temp / "data" / "tern.db"

            def bob_synced():
                with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
                    return db.execute(
                        "SELECT count(*) FROM sync_meta m JOIN folders f ON f.id = m.folder_id "
                        "JOIN accounts a ON a.id = f.account_id "
                        "WHERE a.email = 'bob@tern.test' AND f.role = 'inbox'").fetchone()[0] == 1
            try:
                wait_until(bob_synced, "bob's INBOX caught up with", timeout=30)
            except AssertionError:
                with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
                    rows = db.execute("SELECT a.email, f.name, f.role FROM folders f JOIN accounts a "
                                      "ON a.id = f.account_id").fetchall()
                listed = subprocess.run([os.environ["TERN_CLI"], "--data-dir", str(self.temp / "data"),
                                         "--account", "bob@tern.test", "sync", "--folder", "INBOX"],
                                        capture_output=True, text=True)
                raise AssertionError(f"bob not synced; folders {rows}; tray {self.tray.label()}; "
                                     f"cli sync: {listed.returncode} {listed.stdout} {listed.stderr}")
            wait_until(lambda: (self.tray.label() or "").startswith("Live"), "both accounts live")
            second.append("For bob only", sender="Fay Second <fay@tern.test>", user="bob")
            wait_until(lambda: ("Fay Second", "For bob only (to bob@tern.test)") in self.notifications.shown(),
                       "a notification naming the account it came to")
            wait_until(lambda: (self._tray_unread() or 0) == before + 1, "the tray counting both inboxes")
            # The window: each account in the sidebar, and the unified inbox merging both.
            wait_until(lambda: len(app.find_all('[data-testid="account"]')) == 2, "both accounts in the sidebar")
            app.testid("unified-inbox").click()
            wait_until(lambda: app.row("For bob only"), "bob's mail in the unified inbox")
            self.assertEqual(app.row("For bob only").get_attribute("data-account"), "bob@tern.test")
            wait_until(lambda: app.find_all('[data-testid="message-row"][data-account="alice@tern.test"]'),
                       "alice's mail in the unified inbox too")
            # Actions from the unified inbox land on the row's own server.
            app.row("For bob only").click()
            wait_until(lambda: app.text('[data-testid="reader-subject"]') == "For bob only", "bob's message opened")
            wait_until(lambda: "\\Seen" in (second.flags("For bob only", user="bob") or ""), "\\Seen on bob's server")
            app.testid("flag").click()
            wait_until(lambda: "\\Flagged" in (second.flags("For bob only", user="bob") or ""),
                       "\\Flagged on bob's server")
            self.assertIsNone(self.dovecot.flags("For bob only"), "nothing of it on alice's server")
            # bob's server goes away: only bob goes offline; the tray shows the worst state;
            # alice's mail still counts and shows.
            state = lambda email: app.find(  # noqa: E731
                f'[data-testid="account"][data-account="{email}"] [data-testid="account-state"]').get_attribute("data-state")
            # (bob's message was read in the window: it no longer counts.)
            wait_until(lambda: (self._tray_unread() or 0) == before, "bob's read message no longer counted")
            second.stop()
            running = False
            wait_until(lambda: (self.tray.label() or "").startswith("Offline"), "the tray offline for bob")
            wait_until(lambda: state("bob@tern.test") == "offline", "bob offline in the sidebar", timeout=30)
            self.assertEqual(state("alice@tern.test"), "live")
            self.dovecot.append("Alice still gets mail")
            wait_until(lambda: (self._tray_unread() or 0) == before + 1, "alice's mail counted meanwhile")
            wait_until(lambda: app.row("Alice still gets mail"), "alice's new mail in the unified inbox")
            self.assertEqual(state("alice@tern.test"), "live")
            second.start()
            running = True
            wait_until(lambda: (self.tray.label() or "").startswith("Live"), "live again when bob's server is back",
                       timeout=60)
            # Removing bob's account (settings) leaves nothing of it here.
            app.testid("open-settings").click()
            app.find('[data-testid="settings-account"][data-account="bob@tern.test"] '
                     '[data-testid="account-remove"]').click()
            app.testid("remove-confirm").click()
            said = wait_until(lambda: app.text('[data-testid="account-said"]'), "the removal said")
            self.assertIn("bob@tern.test was removed", said)
            app.find('[data-testid="settings"] button.done').click()
            wait_until(lambda: len(app.find_all('[data-testid="account"]')) == 1, "one account left in the sidebar")
            self.assertFalse(app.find_all('[data-testid="unified-inbox"]'))
            wait_until(lambda: app.row("Alice still gets mail"), "alice's INBOX on screen")
            keyring = subprocess.run(["secret-tool", "lookup", "service", "tern", "username", "bob@tern.test"],
                                     capture_output=True, text=True)
            self.assertEqual(keyring.stdout.strip(), "", "bob's password gone from the keyring")
            with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
                self.assertEqual(db.execute("SELECT count(*) FROM accounts WHERE email = 'bob@tern.test'").fetchone()[0], 0)
            leftovers = [path.name for path in (self.temp / "data").rglob("*")
                         if path.is_file() and b"For bob only" in path.read_bytes()]
            self.assertEqual(leftovers, [], "bob's mail left in the data directory")
            self.assertEqual(len(self.dovecot.messages("alice", "Alice still gets mail")), 1)
            # Editing alice: servers that do not answer are refused before anything is kept;
            # a new From name is kept, and a connection budget of 2 (INBOX on IDLE beside the
            # request connection; the folder on screen polled).
            app.testid("open-settings").click()
            app.find('[data-testid="settings-account"][data-account="alice@tern.test"] '
                     '[data-testid="account-edit-open"]').click()
            edit = '[data-testid="account-edit"]'
            wait_until(lambda: app.find(f"{edit} input[name=imap_port]").get_attribute("value") == str(self.dovecot.port),
                       "the stored servers in the form")
            app.replace(f"{edit} input[name=imap_port]", str(second.port + 100))
            app.testid("account-save").click()
            wait_until(lambda: app.text('[data-testid="account-edit-error"]'), "the refused servers said")
            app.replace(f"{edit} input[name=imap_port]", str(self.dovecot.port))
            app.replace(f"{edit} input[name=name]", "Alice Liddell")
            app.replace(f"{edit} input[name=max-connections]", "2")
            app.testid("account-save").click()
            wait_until(lambda: not app.find_all(edit), "the form closed")
            app.find('[data-testid="settings"] button.done').click()
            listed = subprocess.run([os.environ["TERN_CLI"], "--data-dir", str(self.temp / "data"), "account", "list",
                                     "--json"], capture_output=True, text=True, check=True).stdout
            alice = json.loads(listed)[0]
            self.assertEqual((alice["name"], alice["imap_port"], alice["max_connections"]),
                             ("Alice Liddell", self.dovecot.port, 2))
            wait_until(lambda: app.text('[data-testid="live"]') == "Live", "alice still live")
            # The old session's connections close as the new one starts; then it holds 2.
            wait_until(lambda: self.dovecot.connections("alice") == 2, "alice on two connections")
            most = 0
            for _ in range(20):
                most = max(most, self.dovecot.connections("alice"))
                time.sleep(0.1)
            self.assertEqual(most, 2, "alice's connections within her budget of 2")
        finally:
            if running:
                second.stop()

    def test_5g_an_oauth2_account_signs_in_again_from_its_banner(self):
        # carol signs in with OAuth2 (a mock provider; the "browser" approves at once), on a
        # Dovecot that checks bearer tokens by introspection.
        app = self.app
        idp = MockIdp()
        server = Dovecot(self.temp / "dovecot-carol", oauth2_introspection=idp.introspection)
        server.start()
        try:
            subprocess.run(
                [os.environ["TERN_CLI"], "--data-dir", str(self.temp / "data"), "account", "add",
                 "--email", "carol@tern.test", "--user", "carol", "--imap-host", "127.0.0.1",
                 "--imap-port", str(server.port), "--security", "plain",
                 "--oauth2-issuer", idp.issuer, "--oauth2-client-id", idp.client],
                text=True, check=True, capture_output=True,
            )
            self.tray.click("Check mail now")
            state = lambda: app.find_all(  # noqa: E731
                '[data-testid="account"][data-account="carol@tern.test"] [data-testid="account-state"]')
            wait_until(lambda: state() and state()[0].get_attribute("data-state") == "live", "carol live in the window",
                       timeout=30)
            # The grant is withdrawn at the provider; the server drops every connection.
            refresh = subprocess.run(["secret-tool", "lookup", "service", "tern-oauth2", "username", "carol@tern.test"],
                                     capture_output=True, text=True).stdout.strip()
            self.assertTrue(refresh, "carol's refresh token is in the keyring")
            idp.revoke(refresh)
            server.stop()
            server.start()
            banner = '[data-testid="sign-in-banner"][data-account="carol@tern.test"]'
            wait_until(lambda: app.find_all(banner), "the sign-in banner for carol", timeout=60)
            self.assertEqual(state()[0].get_attribute("data-state"), "sign_in_needed")
            self.assertEqual(app.text('[data-testid="live"]'), "Sign-in needed")
            wait_until(lambda: (self.tray.label() or "").startswith("Sign-in needed"), "the tray saying so")
            # alice runs on meanwhile.
            self.dovecot.append("Alice during carol's sign-in trouble")
            wait_until(lambda: app.row("Alice during carol's sign-in trouble"), "alice's new mail shown")
            # Signing in again from the banner: the browser opens, the account resumes.
            app.find(f'{banner} [data-testid="sign-in"]').click()
            wait_until(lambda: not app.find_all(banner), "the banner gone", timeout=60)
            wait_until(lambda: state()[0].get_attribute("data-state") == "live", "carol live again", timeout=60)
            listed = subprocess.run([os.environ["TERN_CLI"], "--data-dir", str(self.temp / "data"), "account", "list",
                                     "--json"], capture_output=True, text=True, check=True).stdout
            carol = [account for account in json.loads(listed) if account["email"] == "carol@tern.test"][0]
            self.assertFalse(carol["sign_in_needed"])
            renewed = subprocess.run(["secret-tool", "lookup", "service", "tern-oauth2", "username", "carol@tern.test"],
                                     capture_output=True, text=True).stdout.strip()
            self.assertTrue(renewed)
            self.assertNotEqual(renewed, refresh, "a new refresh token")
            # Neither refresh token is anywhere in the data directory or the app's log.
            places = [path for path in (self.temp / "data").rglob("*") if path.is_file()]
            places.append(Path("/tmp/tern-tauri-driver.log"))
            for token in (refresh, renewed):
                found = [path.name for path in places if path.exists() and token.encode() in path.read_bytes()]
                self.assertEqual(found, [], "a refresh token outside the keyring")
            app.testid("unified-inbox").click()
            server.append("Welcome back, carol", user="carol")
            wait_until(lambda: app.row("Welcome back, carol"), "carol's new mail in the unified inbox", timeout=30)
            self.assertEqual(app.row("Welcome back, carol").get_attribute("data-account"), "carol@tern.test")
        finally:
            server.stop()
            idp.stop()

    def test_5e_a_reply_written_in_the_window_arrives(self):
        app = self.app
        self.dovecot.append("Plans for Saturday", sender="Bob Example <bob@tern.test>")
        wait_until(lambda: app.row("Plans for Saturday"), "bob's message listed").click()
        wait_until(lambda: app.text('[data-testid="reader-subject"]') == "Plans for Saturday", "it opened")
        app.testid("reply").click()
        form = wait_until(lambda: app.testid("compose"), "the compose form")
        subject = form.find_element("css selector", "input[name=subject]")
        self.assertEqual(subject.get_attribute("value"), "Re: Plans for Saturday")
        body = form.find_element("css selector", "textarea[name=body]")
        body.send_keys("Count me in!")  # the cursor starts above the quote
        # Autosaved: locally, then as a copy in the server's Drafts folder.
        wait_until(lambda: app.text('[data-testid="draft-state"]') == "Draft saved", "the draft saved")
        wait_until(lambda: len(self.dovecot.messages("alice", "Re: Plans for Saturday", folder="Drafts")) == 1,
                   "the draft in the server's Drafts folder", timeout=30)
        app.testid("send").click()
        wait_until(lambda: not app.find_all('[data-testid="compose"]'), "the form closed")
        arrived = wait_until(lambda: self.dovecot.messages("bob", "Re: Plans for Saturday"), "the reply in bob's INBOX", timeout=30)
        self.assertEqual(len(arrived), 1)
        reply = arrived[0]
        self.assertIn("From: alice@tern.test", reply.replace('"', ""))
        self.assertIn("In-Reply-To: <", reply)
        self.assertRegex(reply, r"Count me in!\r?\n")
        self.assertIn("> Hello from the test: Plans for Saturday", reply)
        # Sent has it once; the outbox indicator is gone.
        wait_until(lambda: len(self.dovecot.messages("alice", "Re: Plans for Saturday", folder="Sent")) == 1, "one copy in Sent")
        wait_until(lambda: not app.find_all('[data-testid="outbox"]'), "nothing left in the outbox")
        wait_until(lambda: not self.dovecot.messages("alice", "Re: Plans for Saturday", folder="Drafts"),
                   "the sent draft gone from Drafts", timeout=30)

    def test_5h_a_mailto_link_comes_to_the_running_window_as_a_compose_form(self):
        app = self.app
        # Hidden in the tray first: the link must bring the window back.
        self.window.close_to_tray()
        link = "mailto:bob@tern.test?subject=Hi%20there&body=Line%201%0ALine%202&attach=/etc/passwd"
        started = time.monotonic()
        second = subprocess.run([str(APP), "--data-dir", str(self.temp / "data"), link],
                                capture_output=True, text=True, timeout=60)
        # The second start handed the link over and left; it opened no window of its own.
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertLess(time.monotonic() - started, 30)
        wait_until(lambda: self.window.visible(), "the running window brought back")
        form = wait_until(lambda: app.testid("compose"), "the compose form")
        field = lambda name: form.find_element("css selector", f"[name={name}]").get_attribute("value")
        self.assertEqual(field("to"), "bob@tern.test")
        self.assertEqual(field("subject"), "Hi there")
        self.assertTrue(field("body").startswith("Line 1\nLine 2"), repr(field("body")))
        # attach= is never honoured.
        self.assertFalse(form.find_elements("css selector", '[data-testid="compose-attachments"] li'))
        app.testid("discard").click()
        wait_until(lambda: not app.find_all('[data-testid="compose"]'), "the form closed")
        # Only one app ran on the profile throughout.
        apps = subprocess.run(["pgrep", "-f", f"^{APP}"], capture_output=True, text=True).stdout.split()
        self.assertEqual(len(apps), 1, apps)

    def test_5i_start_at_login_and_the_default_mail_app_from_the_settings(self):
        app = self.app
        home = Path(os.environ["HOME"])
        autostart = home / ".config/autostart/tern-app.desktop"
        self.assertFalse(autostart.exists())
        app.testid("open-settings").click()
        box = wait_until(lambda: app.testid("setting-autostart"), "the autostart setting")
        self.assertFalse(box.is_selected())
        box.click()
        entry = wait_until(lambda: autostart.is_file() and autostart.read_text(), "the autostart entry written")
        self.assertRegex(entry, r"\nExec=\S*tern-app --data-dir \S+ --hidden\n")
        self.assertIn(str(self.temp / "data"), entry)
        app.testid("setting-autostart").click()
        wait_until(lambda: not autostart.exists(), "the autostart entry removed")

        query = lambda: subprocess.run(["xdg-mime", "query", "default", "x-scheme-handler/mailto"],
                                       capture_output=True, text=True).stdout.strip()
        self.assertNotIn("tern", query().lower())
        wait_until(lambda: app.testid("make-default"), "the default-mail-app button").click()
        said = wait_until(lambda: app.text('[data-testid="make-default-said"]'), "what the desktop answered")
        self.assertIn("Tern now opens mailto: links", said)
        self.assertEqual(query(), "org.tern.app.desktop")
        handler = (home / ".local/share/applications/org.tern.app.desktop").read_text()
        self.assertIn(f"Exec={APP} --data-dir", handler)
        self.assertIn("MimeType=x-scheme-handler/mailto;", handler)
        wait_until(lambda: app.text('[data-testid="mail-handler"]') == "Tern opens mailto: links.", "the settings saying so")
        app.find('[data-testid="settings"] button.done').click()

    def test_5j_pane_widths_are_kept(self):
        app = self.app
        settings_file = self.temp / "data" / "app-settings.json"
        edge = app.testid("edge-list")
        before = int(edge.get_attribute("aria-valuenow"))
        edge.click()
        from selenium.webdriver.common.keys import Keys
        edge.send_keys(Keys.ARROW_RIGHT)
        edge.send_keys(Keys.ARROW_RIGHT)
        wait_until(lambda: json.loads(settings_file.read_text()).get("list_pane") == before + 32, "the width kept")
        self.assertEqual(int(app.testid("edge-list").get_attribute("aria-valuenow")), before + 32)

    def test_6_quit_from_the_tray_logs_out_and_exits(self):
        log = self.dovecot.directory / "dovecot.log"
        before = len(log.read_text(errors="replace").splitlines())
        self.assertTrue(self.tray.owner_alive())
        self.tray.click("Quit")
        wait_until(lambda: not self.tray.owner_alive(), "the app gone from the bus")
        after = log.read_text(errors="replace").splitlines()[before:]
        # Every connection of the app ended with LOGOUT, none was just dropped.
        self.assertTrue(any("Logged out" in line for line in after), after)
        self.assertFalse([line for line in after if "Connection closed" in line], after)
        # The window's size and place are kept for the next start, for this profile alone.
        kept = list((Path(os.environ["HOME"]) / ".config" / "org.tern.app").glob(".window-state.org.tern.app.profile_*.json"))
        self.assertEqual(len(kept), 1, kept)
        main = json.loads(kept[0].read_text())["main"]
        self.assertGreaterEqual(main["width"], 720)
        self.assertGreaterEqual(main["height"], 480)

    def _body_cached(self, subject):
        """Whether the app's cache (the real SQLite file) holds this message's body."""
        db = sqlite3.connect(f"file:{self.temp / 'data' / 'tern.db'}?mode=ro", uri=True)
        try:
            row = db.execute(
                "SELECT count(*) FROM bodies b JOIN messages m ON m.id = b.message_id WHERE m.subject = ?",
                (subject,),
            ).fetchone()
            return row[0] > 0
        finally:
            db.close()

    def _tray_unread(self):
        label = self.tray.label() or ""
        if "unread" not in label:
            return None
        return int(label.split("·")[1].split()[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
