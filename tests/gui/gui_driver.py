#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive the real Wireshark Qt GUI through AT-SPI (tests/integration/test-gui.sh).

Every widget is found by its accessible role and name (tabs by group name,
fields by their label, buttons by their text, tooltips as the accessible
description); clicks and typing go through xdotool at the centre of the
extents AT-SPI reports. No coordinate is measured by hand.

Run with Debian's /usr/bin/python3 (python3-pyatspi), inside a private
D-Bus session, with DISPLAY (Xvfb) and QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1.

  gui_driver.py live     the interface list, the options dialog, Reload,
                         range check, Save, a capture with Start/Stop
  gui_driver.py details FILE
                         FILE opened in the GUI shows the plugin's tree

Configuration comes from the environment (set by test-gui.sh):
  GUI_OUT        screenshots, AT-SPI dumps and the failure report go here
  GUI_EXTCAP     the nodecap extcap (its --extcap-config is the reference)
  GUI_CALLS      log of every extcap call Wireshark made (wrapper script)
  GUI_PREFS      ~/.config/wireshark/preferences of the test HOME
  GUI_UDP_PORT   datagrams are sent to 127.0.0.1:GUI_UDP_PORT on the node
  GUI_HELPER     the node's helper path (no process may be left running it)
  GUI_EXTCAP_LOG the extcap's log file (tells when the stream started)
  GUI_WAIT       upper bound for slow steps, seconds (default 60)

A failure prints one line `FAIL [step] widget: what`, takes the screenshot
fail-<step>.png and writes the accessible tree to fail-<step>.atspi.txt.
"""

import os
import re
import socket
import subprocess
import sys
import time

from gi.repository import GLib

pyatspi = None  # imported once Wireshark's window is up (see ws_start)

OUT = os.environ.get("GUI_OUT", ".")
WAIT = float(os.environ.get("GUI_WAIT", "60"))
MAIN_TITLE = "The Wireshark Network Analyzer"
IFACE_CELL = "Remote node capture: nodecap"
DIALOG_TITLE = "Wireshark · Interface Options: " + IFACE_CELL
STEP = "setup"
WS = None  # the Wireshark process


class Failure(Exception):
    def __init__(self, widget, what):
        super().__init__(f"{widget}: {what}")
        self.widget = widget
        self.what = what


def log(msg):
    print(f"[gui_driver] {msg}", file=sys.stderr, flush=True)


def step(name):
    global STEP
    STEP = name
    log(f"step: {name}")


# ---- AT-SPI --------------------------------------------------------------

def app():
    """The Wireshark application on the accessibility bus, or None.

    libatspi caches the desktop's list of applications and updates it from
    events, which only a running main loop receives: handle the pending
    ones, and drop the cached list when Wireshark is not in it yet."""
    ctx = GLib.MainContext.default()
    while ctx.pending():
        ctx.iteration(False)
    for attempt in (0, 1):
        try:
            desk = pyatspi.Registry.getDesktop(0)
            if attempt:
                desk.clear_cache()
            for a in desk:
                if a is not None and a.name == "Wireshark":
                    return a
        except Exception:
            pass
    return None


def walk(node, depth=0):
    yield node, depth
    try:
        kids = list(node)
    except Exception:
        return
    for c in kids:
        if c is not None:
            yield from walk(c, depth + 1)


def role(n):
    try:
        return n.getRoleName()
    except Exception:
        return ""


def find_all(root, rolename, name=None, prefix=None):
    out = []
    for n, _ in walk(root):
        try:
            if role(n) != rolename:
                continue
            if name is not None and n.name != name:
                continue
            if prefix is not None and not n.name.startswith(prefix):
                continue
            out.append(n)
        except Exception:
            continue
    return out


def find_one(root, rolename, name=None, prefix=None, what=None):
    hits = find_all(root, rolename, name, prefix)
    if len(hits) != 1:
        raise Failure(what or f"{rolename} '{name or prefix}'",
                      f"expected one {rolename} named '{name or prefix + '...'}', found {len(hits)}")
    return hits[0]


def states(n):
    try:
        return {pyatspi.stateToString(s) for s in n.getState().getStates()}
    except Exception:
        return set()


def extents(n):
    e = n.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    return e.x, e.y, e.width, e.height


def text_of(n):
    return n.queryText().getText(0, -1)


def window(title, root=None):
    """The top-level window (frame or dialog) with this exact title."""
    a = root or app()
    if a is None:
        return None
    try:
        for w in a:
            if w is not None and w.name == title:
                return w
    except Exception:
        pass
    return None


def wait_for(what, cond, timeout=None, widget=None):
    """Poll cond() until it returns something true; fail naming the widget."""
    deadline = time.monotonic() + (timeout or WAIT)
    last = None
    while time.monotonic() < deadline:
        try:
            v = cond()
            if v:
                return v
        except Failure as f:
            last = f.what
        except Exception as e:  # the tree changes under us: try again
            last = repr(e)
        time.sleep(0.2)
    raise Failure(widget or what, f"{what}: not within {timeout or WAIT:.0f}s" +
                  (f" (last: {last})" if last else ""))


def dump_tree(path):
    a = app()
    with open(path, "w") as f:
        if a is None:
            f.write("no Wireshark application on the accessibility bus\n")
            return
        for n, d in walk(a):
            try:
                f.write("  " * d + f"{role(n)} | {n.name!r} | {n.description!r} | "
                        f"{sorted(states(n) & {'enabled', 'showing', 'checked', 'selected'})}\n")
            except Exception as e:
                f.write("  " * d + f"? {e!r}\n")


# ---- X input and screenshots ---------------------------------------------

def xdo(*args):
    subprocess.run(["xdotool", *map(str, args)], check=True)


def click(n, what, settle=0.4):
    """A real mouse click at the centre of the widget's AT-SPI extents."""
    if "showing" not in states(n):
        raise Failure(what, "is not showing, cannot click it")
    x, y, w, h = extents(n)
    if w <= 0 or h <= 0:
        raise Failure(what, f"has no area on screen ({x},{y} {w}x{h})")
    xdo("mousemove", x + w // 2, y + h // 2, "click", 1)
    time.sleep(settle)


def hover(n, settle=1.5):
    x, y, w, h = extents(n)
    xdo("mousemove", x + w // 2, y + h // 2)
    time.sleep(settle)


def press(n, what):
    """The widget's own AT-SPI action (Press/Toggle), for tabs and menus."""
    act = n.queryAction()
    names = [act.getName(i) for i in range(act.nActions)]
    for want in ("Press", "Toggle"):
        if want in names:
            act.doAction(names.index(want))
            time.sleep(0.3)
            return
    raise Failure(what, f"has no Press action (actions: {names})")


def type_into(field, text, what):
    click(field, what, 0.2)
    xdo("key", "--clearmodifiers", "ctrl+a")
    xdo("type", "--delay", 20, text)
    time.sleep(0.3)


def shot(name, crop=None):
    """The whole screen as OUT/name.png; with crop (a widget, e.g. the
    dialog), also OUT/name.crop.png cut to its AT-SPI extents (for docs/img)."""
    path = os.path.join(OUT, name + ".png")
    subprocess.run(["import", "-window", "root", path], check=False,
                   stderr=subprocess.DEVNULL)
    log(f"screenshot {path}")
    if crop is not None:
        try:
            x, y, w, h = extents(crop)
            subprocess.run(["convert", path, "-crop", f"{w}x{h}+{x}+{y}", "+repage",
                            os.path.join(OUT, name + ".crop.png")], check=False)
        except Exception as e:
            log(f"no crop for {name}: {e!r}")
    return path


def region_is_red(n):
    """Wireshark marks a field outside its range with a red background:
    sample the right half of the field (where no text is) in a screenshot."""
    x, y, w, h = extents(n)
    cx, cw = x + w // 2, w // 2 - 6
    cy, ch = y + 5, max(h - 10, 1)
    png = subprocess.run(["import", "-window", "root", "png:-"], capture_output=True).stdout
    out = subprocess.run(["convert", "png:-", "-crop", f"{cw}x{ch}+{cx}+{cy}", "+repage",
                          "-scale", "1x1!", "-depth", "8", "txt:-"],
                         input=png, capture_output=True).stdout.decode()
    m = re.search(r"\((\d+),(\d+),(\d+)", out.splitlines()[-1] if out else "")
    if not m:
        return False, out
    r, g, b = map(int, m.groups())
    return (r > 180 and r - g > 40 and r - b > 40), (r, g, b)


# ---- The extcap's own description of its options ---------------------------

def extcap_config():
    """Parse `nodecap --extcap-config`: the args (in order) and the groups
    (in order of first appearance)."""
    out = subprocess.run([os.environ["GUI_EXTCAP"], "--extcap-config",
                          "--extcap-interface", "nodecap"],
                         capture_output=True, text=True, check=True).stdout
    args, groups = [], []
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        fields = dict(re.findall(r"\{(\w+)=([^}]*)\}", rest))
        if kind == "arg":
            fields.setdefault("tooltip", "")
            args.append(fields)
            g = fields.get("group", "Default")
            if g not in groups:
                groups.append(g)
    if not args:
        raise Failure("nodecap --extcap-config", "printed no arg lines")
    return args, groups


# ---- Wireshark ---------------------------------------------------------------

def ws_start(*args):
    global WS
    logf = open(os.path.join(OUT, f"wireshark-{sys.argv[1]}.log"), "a")
    WS = subprocess.Popen(["wireshark", *args], stdout=logf, stderr=subprocess.STDOUT)
    log(f"wireshark {' '.join(args)} (pid {WS.pid})")
    # libatspi reads the desktop's list of applications when it connects and
    # then follows it by events, which this script (no main loop) misses:
    # connect only once Wireshark has registered, i.e. its window is up.
    global pyatspi
    if pyatspi is None:
        deadline = time.monotonic() + WAIT
        while not subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "Wireshark"],
                                 capture_output=True).stdout:
            if time.monotonic() > deadline or WS.poll() is not None:
                raise Failure("Wireshark's main window", "no X window titled ...Wireshark...")
            time.sleep(0.2)
        time.sleep(2)
        import pyatspi as mod
        pyatspi = mod


def ws_main(title_pred):
    """Wait for the main window, put it at the screen's origin and give it
    the whole screen (so every row of the interface list is visible)."""
    def main():
        a = app()
        if a is None:
            return None
        for w in a:
            if w is not None and role(w) == "frame" and title_pred(w.name):
                return w
        return None
    w = wait_for("Wireshark's main window", main)
    sw, sh = subprocess.run(["xdotool", "getdisplaygeometry"], capture_output=True,
                            text=True, check=True).stdout.split()
    wid = wait_for("the main window's X id", lambda: subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", w.name], capture_output=True,
        text=True).stdout.split())[0]
    xdo("windowmove", wid, 0, 0, "windowsize", wid, sw, sh)
    time.sleep(1)
    return w


def ws_quit(main):
    quit_item = find_one(main, "menu item", "Quit", what="menu File > Quit")
    press(quit_item, "menu File > Quit")
    try:
        WS.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        raise Failure("menu File > Quit", "Wireshark did not exit")


def descendants(pid):
    """{pid: command line} of every process below pid."""
    out = {}
    todo = [pid]
    while todo:
        kids = subprocess.run(["pgrep", "-P", str(todo.pop())], capture_output=True,
                              text=True).stdout.split()
        for k in kids:
            try:
                out[int(k)] = open(f"/proc/{k}/cmdline").read().replace("\0", " ").strip()
            except OSError:
                continue
            todo.append(int(k))
    return out


def helper_pids():
    """Processes running this test's node helper (not the extcap or
    Wireshark, whose command lines name it as an option value)."""
    out = subprocess.run(["pgrep", "-af", "--", os.environ["GUI_HELPER"]],
                         capture_output=True, text=True).stdout
    return [l for l in out.splitlines()
            if "--remote-helper" not in l and "remotehelper:" not in l]


# ---- The options dialog --------------------------------------------------------

def nodecap_row(main):
    """The (name cell, gear cell) of the nodecap row, both on screen and
    not moving; None while the list is being rebuilt."""
    cells = find_all(main, "table cell", IFACE_CELL)
    if len(cells) != 1 or "showing" not in states(cells[0]):
        return None
    cell = cells[0]
    # The gear is the row's cell left of the name: same row, ends where the
    # name begins.
    gear = cell.parent[cell.getIndexInParent() - 1]
    gx, gy, gw, gh = extents(gear)
    cx, cy, _, _ = extents(cell)
    if gy != cy or gx + gw != cx or gw <= 0:
        return None
    time.sleep(0.3)
    if extents(gear) != (gx, gy, gw, gh) or "showing" not in states(gear):
        return None
    return cell, gear


def scroll_to_row(main):
    """More interfaces than rows on screen: click a visible row and let the
    list's keyboard search select and scroll to ours."""
    cells = find_all(main, "table cell", IFACE_CELL)
    if len(cells) != 1:
        raise Failure(f"interface list row '{IFACE_CELL}'", f"listed {len(cells)} times")
    visible = [c for c in cells[0].parent if c is not None and role(c) == "table cell"
               and c.name and "showing" in states(c)]
    if not visible:
        raise Failure(f"interface list row '{IFACE_CELL}'", "is listed but no row is visible")
    log(f"row '{IFACE_CELL}' not on screen: keyboard search from '{visible[0].name}'")
    click(visible[0], f"interface list row '{visible[0].name}'", 0.3)
    xdo("type", "--delay", 20, IFACE_CELL)
    time.sleep(0.5)


def open_options(main):
    """Click the gear of the nodecap row; return the dialog. The list is
    rebuilt when interfaces come and go (and after Save): wait until the
    row holds still, and click again if the dialog did not open."""
    what = f"gear of '{IFACE_CELL}'"
    deadline = time.monotonic() + WAIT
    scrolled = False
    while time.monotonic() < deadline:
        try:
            row = wait_for(f"row '{IFACE_CELL}' on screen", lambda: nodecap_row(main), 10,
                           widget=f"interface list row '{IFACE_CELL}'")
        except Failure:
            if scrolled:
                raise
            scroll_to_row(main)
            scrolled = True
            continue
        click(row[1], what, 1)
        try:
            return wait_for(f"dialog '{DIALOG_TITLE}' after the gear", lambda: window(DIALOG_TITLE), 30,
                            widget=f"dialog '{DIALOG_TITLE}'")
        except Failure:
            log(f"no dialog after clicking the {what}: clicking again")
    raise Failure(f"dialog '{DIALOG_TITLE}'", f"did not open after clicking the {what}")


def tabs(dlg):
    tl = find_all(dlg, "page tab list")
    if len(tl) != 1:
        raise Failure("options dialog tab bar", f"expected one tab bar, found {len(tl)}")
    return [t for t in tl[0] if t is not None and role(t) == "page tab"]


def pages(dlg):
    """The tab pages (one filler each), in tab order."""
    stacks = find_all(dlg, "layered pane")
    if len(stacks) != 1:
        raise Failure("options dialog pages", f"expected one page stack, found {len(stacks)}")
    return [p for p in stacks[0] if p is not None]


def goto_tab(dlg, group):
    for i, t in enumerate(tabs(dlg)):
        if t.name == group:
            press(t, f"tab '{group}'")
            wait_for(f"the page of tab '{group}' on screen", lambda: extents(pages(dlg)[i])[2] > 0, 10,
                     widget=f"tab '{group}'")
            return
    raise Failure(f"tab '{group}'", "no such tab in the options dialog")


def option_widget(page, arg):
    """The input widget of one extcap option on its tab page, found by its
    label (or, for a boolean, the check box's own text); plus the label."""
    disp = arg["display"]
    if arg["type"] == "boolean":
        boxes = [n for n in page if n is not None and role(n) == "check box" and n.name == disp]
        if len(boxes) != 1:
            raise Failure(f"check box '{disp}' ({arg['call']})",
                          f"expected one on tab '{arg.get('group')}', found {len(boxes)}")
        return boxes[0], boxes[0]
    labels = [n for n in page if n is not None and role(n) == "label" and n.name == disp]
    if len(labels) != 1:
        raise Failure(f"field '{disp}' ({arg['call']})",
                      f"expected one label '{disp}' on tab '{arg.get('group')}', found {len(labels)}")
    lab = labels[0]
    w = page[lab.getIndexInParent() + 1]
    want = {"string": "text", "unsigned": "text", "integer": "text", "long": "text",
            "double": "text", "password": "password text", "fileselect": "text",
            "selector": "combo box", "radio": "radio button", "multicheck": "tree"}[arg["type"]]
    if role(w) == "filler":  # fileselect, selector: the input sits in a box
        inner = [n for n in w if n is not None and role(n) == want]
        if len(inner) != 1:
            raise Failure(f"field '{disp}' ({arg['call']})",
                          f"the box beside the label holds no single {want}")
        w = inner[0]
    if role(w) != want:
        raise Failure(f"field '{disp}' ({arg['call']})", f"is a {role(w)}, expected a {want}")
    return w, lab


def saved_prefs(args):
    """extcap.nodecap.* of the preferences file, by option (--remote-port)."""
    out = {}
    path = os.environ.get("GUI_PREFS")
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            m = re.match(r"extcap\.nodecap\.(\w+): (.*)$", line.rstrip("\n"))
            if m:
                out[m.group(1)] = m.group(2)
    # --remote-port is saved as extcap.nodecap.remoteport (docs/wireshark-facts.md)
    pref = {a["call"]: re.sub(r"[^a-z0-9_.]", "", a["call"].lower()) for a in args}
    return {c: out[p] for c, p in pref.items() if p in out}


def expected_options():
    """[(tab, --option)] of tests/gui/expected-options.txt."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected-options.txt")
    out = []
    with open(path) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                tab, call = line.rstrip("\n").split("\t")
                out.append((tab, call))
    return out


def check_all_options(dlg, args, groups):
    """The tabs and options a user must find (expected-options.txt) are in
    --extcap-config and the dialog; every option of --extcap-config is on
    its group's tab, with its widget, the tooltip as the widget's and the
    label's description, and its saved or default value."""
    names = [t.name for t in tabs(dlg)]
    expected = expected_options()
    want_tabs = []
    for tab, _ in expected:
        if tab not in want_tabs:
            want_tabs.append(tab)
    for tab in want_tabs:
        if tab not in names:
            extra = [n for n in names if n not in want_tabs]
            raise Failure(f"tab '{tab}'", f"missing from the options dialog (its tabs: {names}"
                          + (f"; unexpected: {extra}" if extra else "") + ")")
    by_call = {a["call"]: a for a in args}
    for tab, call in expected:
        a = by_call.get(call)
        if a is None:
            raise Failure(f"option {call} (tab '{tab}')",
                          "missing from `nodecap --extcap-config`, so the dialog has no widget for it")
        if a.get("group") != tab:
            raise Failure(f"option {call} '{a['display']}'",
                          f"is on tab '{a.get('group')}', expected on tab '{tab}'")
    extra = [a["call"] for a in args if a["call"] not in {c for _, c in expected}]
    if extra:
        log(f"options not in tests/gui/expected-options.txt (checked all the same; add them): {extra}")
    if names != groups:
        raise Failure("options dialog tabs", f"tabs {names}, --extcap-config groups {groups}")
    saved = saved_prefs(args)
    pg = pages(dlg)
    if len(pg) != len(groups):
        raise Failure("options dialog pages", f"{len(pg)} pages for {len(groups)} tabs")
    for arg in args:
        page = pg[groups.index(arg.get("group", "Default"))]
        w, lab = option_widget(page, arg)
        wname = f"{'check box' if arg['type'] == 'boolean' else 'field'} '{arg['display']}' ({arg['call']})"
        for who, n in (("widget", w), ("label", lab)):
            if n.description != arg["tooltip"]:
                raise Failure(wname, f"{who} tooltip is '{n.description}', --extcap-config says "
                              f"'{arg['tooltip']}'")
        if arg["type"] in ("unsigned", "string", "integer"):
            want = saved.get(arg["call"], arg.get("default"))
            if want is not None and text_of(w) != want:
                raise Failure(wname, f"shows '{text_of(w)}', expected '{want}' (saved preference or default)")
    log(f"all {len(args)} options of --extcap-config found on tabs {groups}, each with its tooltip")


def field_by_call(dlg, groups, args, call):
    """The widget of option --call on its tab page, and the option."""
    arg = next((a for a in args if a["call"] == call), None)
    if arg is None:
        raise Failure(f"option {call}", "missing from `nodecap --extcap-config`")
    page = pages(dlg)[groups.index(arg["group"])]
    return option_widget(page, arg)[0], arg


def button(root, name, what=None):
    return find_one(root, "push button", name, what=what or f"button '{name}'")


def reset_button_of(field):
    """The 'Restore default value of the item' button right of a field."""
    n = field
    while n.parent is not None and role(n.parent) == "filler" and \
            not any(role(s) == "label" for s in n.parent if s is not None):
        n = n.parent
    b = n.parent[n.getIndexInParent() + 1]
    if role(b) != "push button" or b.description != "Restore default value of the item":
        raise Failure("reset button", f"no reset button beside the field (found {role(b)} '{b.description}')")
    return b


# ---- The steps ------------------------------------------------------------------

def run_live():
    args, groups = extcap_config()
    calls = os.environ["GUI_CALLS"]
    prefs = os.environ["GUI_PREFS"]
    port = int(os.environ["GUI_UDP_PORT"])

    step("interface list")
    ws_start("-i", "nodecap")
    main = ws_main(lambda t: t == MAIN_TITLE)
    wait_for(f"row '{IFACE_CELL}' in the interface list",
             lambda: find_all(main, "table cell", IFACE_CELL), widget=f"interface list row '{IFACE_CELL}'")
    time.sleep(1)  # the sparklines settle
    shot("01-interface-list")

    step("options dialog")
    dlg = open_options(main)
    time.sleep(0.5)
    check_all_options(dlg, args, groups)
    port_field, _ = field_by_call(dlg, groups, args, "--remote-port")
    hover(port_field, 2)  # its tooltip shows in the screenshot
    shot("02-options-node", dlg)

    step("reload")
    goto_tab(dlg, "Capture")
    iface, _ = field_by_call(dlg, groups, args, "--remote-interface")
    reload_btn = [b for b in iface.parent if b is not None and role(b) == "push button"]
    if len(reload_btn) != 1 or reload_btn[0].name != "Reload to ask the node":
        raise Failure("button 'Reload to ask the node'", "not beside the remote interface selector")
    static = [i.name for i in iface[0]]
    click(reload_btn[0], "button 'Reload to ask the node'", 0.5)

    def reloaded():
        with open(calls) as f:
            answer = [m.group(1) for m in re.finditer(r"^value \{arg=\d+\}\{value=[^}]*\}\{display=([^}]*)\}",
                                                    f.read(), re.M)]
        items = [i.name for i in iface[0]]
        return answer and items == answer and items
    items = wait_for("the remote interface list filled by Reload", reloaded,
                     widget="selector 'Remote interface'")
    with open(calls) as f:
        if not re.search(r"^CALL .*--extcap-config .*--extcap-reload-option remote-interface", f.read(), re.M):
            raise Failure("button 'Reload to ask the node'", "no --extcap-reload-option remote-interface call")
    lo = [i for i in items if i.startswith("lo (")]
    if not lo or items == static:
        raise Failure("selector 'Remote interface'", f"the node's list {items} has no 'lo (...)' entry")
    log(f"Reload: {static} -> {items}")
    click(iface, "selector 'Remote interface'", 1)  # opens the list
    shot("04-reload-list", dlg)
    xdo("type", "lo")
    xdo("key", "Return")
    wait_for("'lo' chosen in the remote interface list", lambda: iface.name == lo[0], 10,
             widget="selector 'Remote interface'")

    flt, _ = field_by_call(dlg, groups, args, "--remote-filter")
    type_into(flt, f"udp dst port {port}", "field 'Capture filter (BPF)'")
    if text_of(flt) != f"udp dst port {port}":
        raise Failure("field 'Capture filter (BPF)'", f"holds '{text_of(flt)}' after typing")

    step("out of range")
    save = button(dlg, "Save", "button 'Save' of the options dialog")
    if "enabled" not in states(save):
        raise Failure("button 'Save' of the options dialog", "disabled before any value is out of range")
    snap, arg = field_by_call(dlg, groups, args, "--snaplen")
    hi = int(arg["range"].split(",")[1])
    type_into(snap, str(hi + 1), "field 'Snapshot length'")
    wait_for("Save disabled for a snapshot length out of range", lambda: "enabled" not in states(save), 10,
             widget="button 'Save' of the options dialog")
    red, rgb = region_is_red(snap)
    if not red:
        raise Failure("field 'Snapshot length'", f"{hi + 1} > {hi} but the field is not red (colour {rgb})")
    hover(snap, 1)
    shot("05-options-out-of-range", dlg)
    click(reset_button_of(snap), "reset button of 'Snapshot length'", 0.5)
    wait_for("snapshot length back to its default", lambda: text_of(snap) == arg["default"], 10,
             widget="field 'Snapshot length'")
    wait_for("Save enabled again", lambda: "enabled" in states(save), 10,
             widget="button 'Save' of the options dialog")
    red, rgb = region_is_red(snap)
    if red:
        raise Failure("field 'Snapshot length'", f"still red at the default value (colour {rgb})")
    log(f"out of range: {hi + 1} marked red, Save disabled; reset to {arg['default']}")

    for i, g in enumerate(groups):
        if g in ("Node", "Capture"):
            continue
        goto_tab(dlg, g)
        shot(f"06-options-{re.sub(r'[^a-z0-9]+', '-', g.lower())}", dlg)

    step("save")
    tick_save_on_node(dlg, groups, args)
    click(save, "button 'Save' of the options dialog", 1)
    wait_for("the options dialog closed on Save", lambda: window(DIALOG_TITLE) is None, 15,
             widget="button 'Save' of the options dialog")
    with open(prefs) as f:
        saved = f.read()
    for want in ("extcap.nodecap.remoteinterface: lo", f"extcap.nodecap.remotefilter: udp dst port {port}"):
        if want not in saved.splitlines():
            raise Failure("button 'Save' of the options dialog", f"preferences lack '{want}'")
    # The values are kept: the dialog opened again shows them.
    dlg = open_options(main)
    goto_tab(dlg, "Capture")
    iface, _ = field_by_call(dlg, groups, args, "--remote-interface")
    flt, _ = field_by_call(dlg, groups, args, "--remote-filter")
    if not iface.name.startswith("lo"):
        raise Failure("selector 'Remote interface'", f"shows '{iface.name}' after Save, not lo")
    if text_of(flt) != f"udp dst port {port}":
        raise Failure("field 'Capture filter (BPF)'", f"shows '{text_of(flt)}' after Save")
    goto_tab(dlg, "Save on node")
    for call in SAVE_ON_NODE:
        box, arg = field_by_call(dlg, groups, args, call)
        if "checked" not in states(box):
            raise Failure(f"check box '{arg['display']}' ({call})", "not ticked when the dialog opens again after Save")
    goto_tab(dlg, "Capture")
    shot("07-options-kept", dlg)
    click(button(dlg, "Close", "button 'Close' of the options dialog"), "button 'Close'", 1)
    wait_for("the options dialog closed", lambda: window(DIALOG_TITLE) is None, 15,
             widget="button 'Close' of the options dialog")
    log("Save: dialog closed, remote interface lo and the filter kept")

    step("capture")
    start = find_one(main, "check box", "Start", what="toolbar button 'Start'")
    click(start, "toolbar button 'Start'", 1)
    capwin = wait_for("the 'Capturing from' main window", lambda: [
        w for w in app() if w is not None and role(w) == "frame" and w.name.startswith("Capturing from")],
        widget="toolbar button 'Start'")[0]
    if capwin.name != "Capturing from " + IFACE_CELL:
        raise Failure("main window title", f"'{capwin.name}'")
    elog = os.environ["GUI_EXTCAP_LOG"]
    wait_for("the node's stream (extcap log: first bytes from the helper)", lambda: os.path.exists(elog)
             and "first bytes from the helper" in open(elog).read(), widget="toolbar button 'Start'")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(200):
        s.sendto(("GUI-%06d" % i).encode().ljust(64, b"."), ("127.0.0.1", port))
        if i % 50 == 49:
            time.sleep(0.002)

    def packets():
        lab = find_all(capwin, "label", prefix="Packets:")
        if not lab:
            return None
        m = re.match(r"Packets: (\d+)", lab[0].name)
        return m and int(m.group(1)) >= 200 and lab[0].name
    status = wait_for("status bar 'Packets: 200'", packets, widget="status bar label 'Packets:'")
    time.sleep(1.5)
    status = find_all(capwin, "label", prefix="Packets:")[0].name
    n = int(re.match(r"Packets: (\d+)", status).group(1))
    if n != 200:
        raise Failure("status bar label 'Packets:'", f"'{status}': expected 200 datagrams")
    shot("08-capturing")
    log(f"status bar: {status}")
    capture_procs = descendants(WS.pid)  # dumpcap and the extcap
    log(f"capturing processes: {capture_procs}")
    if not any("dumpcap" in c for c in capture_procs.values()):
        raise Failure("toolbar button 'Start'", f"no dumpcap under Wireshark: {capture_procs}")
    stop = find_one(capwin, "push button", "Stop", what="toolbar button 'Stop'")
    click(stop, "toolbar button 'Stop'", 1)
    wait_for("the capture to stop (title no longer 'Capturing from')", lambda: not [
        w for w in app() if w is not None and role(w) == "frame" and w.name.startswith("Capturing from")],
        widget="toolbar button 'Stop'")
    left = []
    try:
        wait_for("no nodecap-helper left on the node", lambda: not helper_pids(), 15,
                 widget="toolbar button 'Stop'")
    except Failure:
        left = helper_pids()
        raise Failure("toolbar button 'Stop'", f"nodecap-helper still running: {left}")
    def gone():
        return not [p for p in capture_procs if os.path.exists(f"/proc/{p}")
                    and open(f"/proc/{p}/stat").read().split(")")[-1].split()[0] != "Z"]
    try:
        wait_for("dumpcap and the extcap to exit after Stop", gone, 15, widget="toolbar button 'Stop'")
    except Failure:
        raise Failure("toolbar button 'Stop'", f"still running after Stop: "
                      f"{ {p: c for p, c in capture_procs.items() if os.path.exists(f'/proc/{p}')} }")
    final = find_all(app(), "label", prefix="Packets:")
    log(f"Stop: capture ended ({final[0].name if final else '?'}), no nodecap-helper left")
    shot("09-stopped")
    main = [w for w in app() if w is not None and role(w) == "frame"][0]
    check_save_on_node_job_id(main)
    ws_quit(main)


# The Save-on-node options the live capture runs with: a saved job on the
# node, stopped with the live capture (so nothing is left running).
SAVE_ON_NODE = ("--save-on-node", "--stop-saved-on-exit")


def tick_save_on_node(dlg, groups, args):
    """Tick the Save-on-node check boxes on their tab (before Save)."""
    goto_tab(dlg, "Save on node")
    for call in SAVE_ON_NODE:
        box, arg = field_by_call(dlg, groups, args, call)
        what = f"check box '{arg['display']}' ({call})"
        if "checked" not in states(box):
            click(box, what, 0.3)
        wait_for(f"{what} ticked", lambda: "checked" in states(box), 10, widget=what)
    shot("06-options-save-on-node-ticked", dlg)
    log(f"Save on node: ticked {', '.join(SAVE_ON_NODE)}")


def node_cli(verb, *rest):
    """`nodecap VERB 127.0.0.1 ... --json` against the test node, with the
    connection of the saved preferences; (exit status, stdout, stderr)."""
    args, _ = extcap_config()
    p = saved_prefs(args)
    cmd = [os.environ["GUI_EXTCAP"], verb, "127.0.0.1", "-p", p["--remote-port"],
           "--sshkey", p["--sshkey"], "--known-hosts", p["--known-hosts"],
           "--remote-helper", p["--remote-helper"], *rest, "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=WAIT)
    log(f"{' '.join(cmd[:3] + list(rest))} --json: exit {r.returncode}")
    return r.returncode, r.stdout, r.stderr


def check_save_on_node_job_id(main):
    """The Save-on-node job id where the GUI user sees it (issue 26): the
    first packet of the live capture carries it as a packet comment, shown
    in the packet details under 'Packet comments'. The id must name a job
    on the node (nodecap list), which is then deleted."""
    import json
    step("save on node job id")
    first = find_one(main, "menu item", "First Packet", what="menu Go > First Packet")
    press(first, "menu Go > First Packet")
    details = wait_for("the tree 'Packet details'", lambda: find_all(main, "tree", "Packet details"),
                       widget="tree 'Packet details'")[0]
    # Packet 1 is shown once its 'Frame 1: ...' item is there; its comments
    # come before it, so a missing 'Packet comments' fails at once.
    wait_for("packet 1 in 'Packet details' (an item 'Frame 1: ...')", lambda: [
        n for n, _ in walk(details) if n.name.startswith("Frame 1: ")],
        widget="tree 'Packet details'")
    top = wait_for("an item 'Packet comments' in 'Packet details' of packet 1", lambda: [
        n for n, _ in walk(details) if n.name in ("Packet comments", "Packet comment")],
        5, widget="tree 'Packet details'")[0]
    want = re.compile(r"nodecap: saved job ([0-9a-f]{32}) on 127\.0\.0\.1; it stops with this capture; "
                      r"fetch it with: nodecap fetch 127\.0\.0\.1 \1")

    def comment():
        for n, _ in walk(details):
            if n.name.startswith("nodecap: saved job"):
                return n.name
        return None
    text = comment()
    if text is None:  # collapsed: expand it (click, then the Right arrow key)
        click(top, "tree item 'Packet comments'", 0.5)
        xdo("key", "Right")
        text = wait_for("the comment 'nodecap: saved job ...' under 'Packet comments'", comment, 15,
                        widget="tree item 'Packet comments'")
    log(f"packet comment: '{text}'")
    m = want.fullmatch(text)
    if not m:
        raise Failure("tree item 'Packet comments'", f"reads '{text}', expected '{want.pattern}'")
    job = m.group(1)
    status = find_all(main, "label", prefix="Packets:")
    if not status or "Comments: 1" not in status[0].name:
        raise Failure("status bar label 'Packets:'",
                      f"'{status[0].name if status else ''}': expected 'Comments: 1' (the saved job's note)")
    time.sleep(0.3)
    shot("09-saved-job-comment")

    st, out, err = node_cli("list")
    if st != 0:
        raise Failure("nodecap list (the node)", f"exit {st}: {err.strip()}")
    rec = [r for r in json.loads(out) if r.get("id") == job]
    if len(rec) != 1:
        raise Failure("tree item 'Packet comments'",
                      f"job {job} is not on the node (nodecap list: {[r.get('id') for r in json.loads(out)]})")
    log(f"job {job} on the node: status {rec[0].get('status')}, packets {rec[0].get('packets')}")
    if rec[0].get("status") == "running":
        raise Failure("check box 'Stop the ring when the live capture stops'",
                      f"job {job} still running on the node after Stop")
    st, out, err = node_cli("delete", job)
    if st != 0:
        raise Failure("nodecap delete (the node)", f"job {job}: exit {st}: {err.strip()}")
    st, out, err = node_cli("list")
    if st != 0 or any(r.get("id") == job for r in json.loads(out)):
        raise Failure("nodecap delete (the node)", f"job {job} still listed: {out.strip()} {err.strip()}")
    log(f"Save-on-node job id {job}: shown in 'Packet comments', on the node, deleted")
    print(f"saved job {job}: in 'Packet comments' of packet 1, listed on the node "
          f"({rec[0].get('status')}), deleted", flush=True)


def run_details(path):
    step("packet details")
    ws_start("-r", path, "-g", "1")
    main = ws_main(lambda t: t.startswith(os.path.basename(path)))
    details = wait_for("the tree 'Packet details'", lambda: find_all(main, "tree", "Packet details"))[0]

    def nodecap_item():
        for n, _ in walk(details):
            if n.name.startswith("nodecap: where the packet was seen, a:eth0 seq "):
                return n
        return None
    item = wait_for("an item 'nodecap: where the packet was seen, a:eth0 seq ...' in 'Packet details'",
                    nodecap_item, widget="tree 'Packet details'")
    log(f"packet details: '{item.name}'")
    # Expand it (click, then the Right arrow key) and read its fields.
    click(item, "tree item 'nodecap: where the packet was seen'", 0.5)
    xdo("key", "Right")

    def fields():
        names = [n.name for n, _ in walk(details)]
        return all(f in names for f in ("Node: a", "Interface: eth0", "[Sightings: 2]")) and names
    names = wait_for("'Node: a', 'Interface: eth0' and '[Sightings: 2]' (both nodes) under the nodecap item", fields, 15,
                     widget="tree item 'nodecap: where the packet was seen'")
    i = names.index(item.name)
    log(f"nodecap tree: {names[i:i + 8]}")
    time.sleep(0.5)
    shot("10-packet-details")
    ws_quit(main)


def main():
    os.makedirs(OUT, exist_ok=True)
    try:
        if sys.argv[1] == "live":
            run_live()
        elif sys.argv[1] == "details":
            run_details(sys.argv[2])
        else:
            raise SystemExit("usage: gui_driver.py live | details FILE")
    except Failure as f:
        tag = re.sub(r"[^a-z0-9]+", "-", STEP.lower())
        print(f"FAIL [{STEP}] {f.widget}: {f.what}", flush=True)
        shot(f"fail-{tag}")
        dump_tree(os.path.join(OUT, f"fail-{tag}.atspi.txt"))
        if WS is not None and WS.poll() is None:
            WS.kill()
        sys.exit(1)
    if WS is not None and WS.poll() is None:
        WS.kill()
    print(f"PASS {sys.argv[1]}", flush=True)


if __name__ == "__main__":
    main()
