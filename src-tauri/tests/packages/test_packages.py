"""The packages as a person installs them: the .deb unpacked into a temporary root (dpkg-deb -x)
and read as the desktop reads it, the .rpm's file list and dependencies. scripts/package-test.sh
builds them (TERN_DEB, TERN_RPM) and runs these."""
import configparser
import os
import re
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree
from pathlib import Path

DEB = Path(os.environ["TERN_DEB"])
RPM = Path(os.environ["TERN_RPM"])
ICON_SIZES = ["16x16", "32x32", "48x48", "64x64", "128x128", "256x256"]


def run(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, **kwargs)


class DebPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.temp = tempfile.TemporaryDirectory(prefix="tern-deb-")
        cls.root = Path(cls.temp.name)
        subprocess.run(["dpkg-deb", "-x", str(DEB), str(cls.root)], check=True)
        desktops = list((cls.root / "usr/share/applications").glob("*.desktop"))
        assert len(desktops) == 1, desktops
        cls.desktop_file = desktops[0]
        entry = configparser.ConfigParser(interpolation=None, strict=False)
        entry.optionxform = str
        entry.read(cls.desktop_file)
        cls.entry = entry["Desktop Entry"]
        cls.metainfo_file = cls.root / "usr/share/metainfo/org.tern.app.metainfo.xml"

    @classmethod
    def tearDownClass(cls):
        cls.temp.cleanup()

    def field(self, name):
        return run("dpkg-deb", "-f", str(DEB), name).stdout.strip()

    def test_the_desktop_entry_validates_and_handles_mailto_links(self):
        checked = run("desktop-file-validate", str(self.desktop_file))
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertIn("x-scheme-handler/mailto", self.entry["MimeType"].split(";"))
        self.assertIn("Email", self.entry["Categories"].split(";"))
        self.assertTrue(self.entry["Keywords"])
        # The link reaches the app: %u in Exec.
        self.assertRegex(self.entry["Exec"], r"^tern-app %u$")

    def test_what_the_entry_names_is_in_the_package(self):
        binary = self.entry["Exec"].split()[0]
        self.assertTrue((self.root / "usr/bin" / binary).is_file())
        icon = self.entry["Icon"]
        for size in ICON_SIZES:
            path = self.root / "usr/share/icons/hicolor" / size / "apps" / f"{icon}.png"
            self.assertTrue(path.is_file(), path)
            width, height = png_size(path)
            self.assertEqual(f"{width}x{height}", size, path)

    def test_the_metainfo_validates_and_points_at_what_is_installed(self):
        checked = run("appstreamcli", "validate", "--no-net", "--pedantic", str(self.metainfo_file))
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        component = ElementTree.parse(self.metainfo_file).getroot()
        launchable = component.find("launchable").text
        self.assertEqual(launchable, self.desktop_file.name)
        for binary in component.find("provides").findall("binary"):
            self.assertTrue((self.root / "usr/bin" / binary.text).is_file(), binary.text)
        self.assertEqual(component.find("releases/release").get("version"), self.field("Version"))

    def test_it_depends_on_webkitgtk_and_the_tray_library(self):
        depends = [part.strip() for part in self.field("Depends").split(",")]
        self.assertIn("libwebkit2gtk-4.1-0", depends)
        self.assertIn("libayatana-appindicator3-1", depends)
        self.assertEqual(self.field("Section"), "mail")

    def test_the_unpacked_programs_run(self):
        cli = run(str(self.root / "usr/bin/tern"), "--help")
        self.assertEqual(cli.returncode, 0, cli.stderr)
        self.assertIn("send", cli.stdout)
        app = run(str(self.root / "usr/bin/tern-app"), "--version")
        self.assertEqual(app.returncode, 0, app.stderr)
        self.assertEqual(app.stdout.strip(), f"tern-app {self.field('Version')}")


class RpmPackage(unittest.TestCase):
    def test_it_holds_what_the_deb_holds_with_the_libraries_it_needs(self):
        files = run("rpm", "-qpl", str(RPM)).stdout.split()
        with tempfile.TemporaryDirectory() as root:
            subprocess.run(["dpkg-deb", "-x", str(DEB), root], check=True)
            deb_files = sorted("/" + str(path.relative_to(root)) for path in Path(root).rglob("*") if path.is_file())
        self.assertEqual(sorted(files), deb_files)
        requires = run("rpm", "-qpR", str(RPM)).stdout
        for library in ["libwebkit2gtk-4.1.so.0", "libayatana-appindicator3.so.1", "libgtk-3.so.0"]:
            self.assertRegex(requires, re.escape(library))


def png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


if __name__ == "__main__":
    unittest.main(verbosity=2)
