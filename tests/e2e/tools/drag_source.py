#!/usr/bin/python3
"""A tiny GTK3 window that offers files as a drag source, so a test can drop real files on the
app through the OS (X11 drag and drop under Xvfb), the way a file manager does.

Usage: drag_source.py X Y FILE...   (the window opens at X,Y, 160x90 px, titled "parley-drag-source")
xdotool then presses the mouse on it, moves in small steps onto the app window and releases.
"""
import sys
import pathlib

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gtk  # noqa: E402


def main() -> None:
    x, y = int(sys.argv[1]), int(sys.argv[2])
    uris = [pathlib.Path(p).resolve().as_uri() for p in sys.argv[3:]]
    window = Gtk.Window(title="parley-drag-source")
    window.set_default_size(160, 90)
    window.move(x, y)
    box = Gtk.EventBox()
    box.add(Gtk.Label(label="drag me"))
    box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
    box.drag_source_add_uri_targets()
    box.connect("drag-data-get", lambda _w, _ctx, data, _info, _time: data.set_uris(uris))
    window.add(box)
    window.connect("destroy", Gtk.main_quit)
    window.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()
