"""The platform floor for the cold-start benchmark: a bare WebKitGTK window (the engine
Tauri uses on Linux) loading a tiny inline page and reporting, after two animation frames,
that it has painted. No Rust, no Tauri, no cache: what any WebKitGTK app pays to show a
first frame on this machine. bench_app.py spawns this as a baseline and reads the line
`floor painted unix_ms=N since_main_ms=M` from stdout (M leaves out Python's own
start and the GObject imports, ~230 ms here, which a compiled app does not pay). With
`--hold` it stays up after painting, for measuring its memory; with `--no-compositing` it
draws without GPU compositing (for reference)."""
import sys
import time

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2  # noqa: E402

PAGE = """<!doctype html><meta charset=utf-8><title>floor</title>
<body><p>floor</p><script>
requestAnimationFrame(() => requestAnimationFrame(() =>
  window.webkit.messageHandlers.painted.postMessage('x')));
</script>"""


MAIN_MS = 0.0


def painted(_manager, _result):
    now = time.time() * 1000
    print(f"floor painted unix_ms={now:.0f} since_main_ms={now - MAIN_MS:.0f}", flush=True)
    # --hold: stay up (for measuring memory) until terminated.
    if "--hold" not in sys.argv:
        Gtk.main_quit()


def main():
    global MAIN_MS
    MAIN_MS = time.time() * 1000
    Gtk.init(sys.argv)
    manager = WebKit2.UserContentManager()
    manager.connect("script-message-received::painted", painted)
    manager.register_script_message_handler("painted")
    view = WebKit2.WebView.new_with_user_content_manager(manager)
    # --no-compositing: without GPU compositing, for reference (what that mode would save).
    if "--no-compositing" in sys.argv:
        view.get_settings().set_hardware_acceleration_policy(WebKit2.HardwareAccelerationPolicy.NEVER)
    window = Gtk.Window(title="floor")
    window.set_default_size(1100, 700)
    window.add(view)
    window.show_all()
    view.load_html(PAGE, "tern-floor://localhost/")
    Gtk.main()


if __name__ == "__main__":
    main()
