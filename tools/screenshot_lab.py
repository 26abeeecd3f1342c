"""Open a course notebook in JupyterLab in headless Chromium, check that it rendered, and save a screenshot.

    .venv/bin/python tools/screenshot_lab.py             # notebooks/06_lenet.ipynb -> /tmp/lab-screenshot.png
    .venv/bin/python tools/screenshot_lab.py 03_padding_and_stride.ipynb --out /tmp/lab.png
    .venv/bin/python tools/screenshot_lab.py 02_convolutions_for_images.ipynb --slider padding --steps 1

Needs Chromium (Debian/Ubuntu: ``sudo apt install chromium``); installs nothing itself. It starts the README's
``python3 course.py lab`` on 127.0.0.1, a free port and a random token, launches
``chromium --headless --no-sandbox --disable-background-networking`` with its DevTools port, opens the notebook,
and waits until JupyterLab shows the notebook's title, its cells, and a kernel session for it. Every ``<img>`` in
the notebook must have loaded (``naturalWidth > 0``): a broken figure fails the run, and to show the check can
fail it first injects an image with a missing address and makes sure that one is caught. With ``--slider NAME``
it runs all cells (menu Run → Run All Cells), scrolls to the convolution explorer, presses the right-arrow key
``--steps`` times on the explorer's slider NAME and waits until the explorer's "output shape" line changes.
Then it saves a screenshot, checks the picture is not blank, and shuts both down. Exit status 0 means the
notebook rendered (and the slider changed the output shape).
When ``.venv`` was not set up by course.py, ``course.main(["lab"])`` runs with this Python instead of setting up.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import requests
import websocket  # websocket-client, a dependency of jupyter_server
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.lab_server import free_port, isolated_env, lab_command  # noqa: E402

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = (1400, 1000)


def wait_for(check, timeout: float, what: str, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def stop(process: subprocess.Popen) -> None:
    """End a process group this script started, politely first."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue


LAB_SETTINGS = {  # in the scratch settings folder: running cells must never save outputs into the repository
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def start_lab(workdir: Path, port: int, token: str) -> subprocess.Popen:
    command, _ = lab_command(port, token)
    env = isolated_env(workdir)
    for name, settings in LAB_SETTINGS.items():
        path = Path(env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    log = open(workdir / "jupyter.log", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def start_chromium(binary: str, workdir: Path) -> tuple[subprocess.Popen, int]:
    profile = workdir / "chromium-profile"
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={profile}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    log = open(workdir / "chromium.log", "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    active = profile / "DevToolsActivePort"

    def port():
        if process.poll() is not None:
            raise RuntimeError(f"Chromium exited with {process.returncode}: see {workdir / 'chromium.log'}")
        return active.exists() and active.read_text().split("\n")[0].strip()

    return process, int(wait_for(port, 60, "Chromium's DevTools port"))


class DevTools:
    """The Chrome DevTools Protocol over one page's WebSocket."""

    def __init__(self, port: int):
        pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def click(self, element_js: str, what: str) -> None:
        """A real left click (move, press, release) in the middle of the element ``element_js`` finds."""
        if self.evaluate(SCROLL_TO % element_js):
            time.sleep(0.8)  # the notebook re-lays out cells after scrolling; read the position afterwards
        centre = self.evaluate(ELEMENT_CENTRE % element_js)
        if centre is None:
            raise RuntimeError(f"cannot click {what}: not on the page")
        self.call("Input.dispatchMouseEvent", type="mouseMoved", **centre)  # menus act on the item under the mouse
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, button="left", clickCount=1, **centre)

    def press(self, key: str, code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code)


def check_images(tools: DevTools, timeout: float) -> int:
    """Wait for the notebook's images to load; raise naming every broken local one. Returns how many loaded."""

    def loaded():
        images = tools.evaluate(IMAGES_STATE)
        return None if still_loading(images) else (images,)  # a tuple: true even when there are no images

    (images,) = wait_for(loaded, timeout, "the notebook's images to load")
    broken = broken_images(images)
    if broken:
        raise RuntimeError(f"{len(broken)} broken image(s) in the notebook: {broken}")
    return sum(image["local"] for image in images)


def prove_image_check_fails(tools: DevTools, timeout: float) -> None:
    """Inject an image with a missing address and make sure ``check_images`` reports it, then remove it."""
    tools.evaluate(INJECT_BROKEN_IMAGE)
    try:
        check_images(tools, timeout)
    except RuntimeError as error:
        if "no-such-figure" not in str(error):
            raise
    else:
        raise RuntimeError("the broken-image check missed an injected broken image")
    finally:
        tools.evaluate("document.getElementById('screenshot-lab-probe')?.remove()")


def run_all_cells(tools: DevTools) -> None:
    """Menu Run → Run All Cells, clicked as a user would."""
    tools.click(MENU_ITEM % (".lm-MenuBar-itemLabel", json.dumps("Run")), "the Run menu")
    time.sleep(0.5)
    tools.click(MENU_ITEM % (".lm-Menu-itemLabel", json.dumps("Run All Cells")), "Run All Cells")


def move_slider(tools: DevTools, name: str, steps: int, timeout: float) -> tuple[str, str]:
    """Focus the explorer's slider ``name``, press → ``steps`` times; return the shape line before and after."""
    handle = SLIDER_HANDLE % json.dumps(name)
    before = wait_for(lambda: tools.evaluate(EXPLORER_SHAPE), timeout, "the convolution explorer's widget")
    wait_for(lambda: tools.evaluate(f"!!({handle})"), timeout, f"the explorer's slider {name!r}")
    tools.evaluate(f"({handle}).focus()")  # keys go to the focused handle, wherever layout moves it
    for _ in range(steps):
        tools.press("ArrowRight", 39)

    def changed():
        text = tools.evaluate(EXPLORER_SHAPE)
        return text if text != before else None

    after = wait_for(changed, timeout, f"the explorer's output shape to change after moving {name!r}")
    for _ in range(2):  # figures above may still be growing as they load: scroll, settle, scroll again
        tools.evaluate(SCROLL_TO % "document.querySelector('.d2l-explorer-shape')")
        time.sleep(1.0)
    return before, after


def run_and_move_slider(tools: DevTools, slider: str, steps: int, timeout: float, out: Path) -> tuple[str, str, str]:
    """Run all cells and move the explorer's slider; on failure save the page next to ``out`` to show why."""
    try:
        run_all_cells(tools)
        return (slider, *move_slider(tools, slider, steps, timeout))
    except (TimeoutError, RuntimeError):
        failed = out.with_name(f"{out.stem}-failed.png")
        failed.write_bytes(base64.b64decode(tools.call("Page.captureScreenshot", format="png")["data"]))
        print(f"the page when it failed: {failed}", file=sys.stderr)
        raise


RENDERED_STATE = """(() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const heading = panel.querySelector('.jp-MarkdownCell h1');
  return {
    cells: panel.querySelectorAll('.jp-Cell').length,
    title: heading ? heading.textContent : null,
    tab: document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel')
      ?.textContent ?? null,
    kernel: panel.querySelector('.jp-Toolbar-kernelName')?.textContent ?? null,
  };
})()"""


IMAGES_STATE = """(() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const local = (url) => /^(data|blob):/.test(url) || new URL(url, location.href).origin === location.origin;
  return Array.from(panel ? panel.querySelectorAll('img') : [], (img) => ({
    src: img.getAttribute('src') || '', complete: img.complete, width: img.naturalWidth, local: local(img.src),
  }));
})()"""

INJECT_BROKEN_IMAGE = """(() => {
  const img = document.createElement('img');
  img.id = 'screenshot-lab-probe';
  img.src = 'files/img/no-such-figure-screenshot-lab-probe.png';
  document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').appendChild(img);
})()"""

SCROLL_TO = "((el) => { el?.scrollIntoView({block: 'center'}); return !!el; })(%s)"
ELEMENT_CENTRE = """((el) => {
  if (!el) return null;
  const box = el.getBoundingClientRect();
  return {x: box.x + box.width / 2, y: box.y + box.height / 2};
})(%s)"""

MENU_ITEM = "Array.from(document.querySelectorAll('%s')).find((el) => el.textContent.trim() === %s)"
SLIDER_HANDLE = """Array.from(document.querySelectorAll('.widget-slider')).find(
  (el) => el.querySelector('.widget-label')?.textContent.trim() === %s)?.querySelector('.noUi-handle')"""
EXPLORER_SHAPE = "document.querySelector('.d2l-explorer-shape')?.textContent ?? null"


def broken_images(images: list[dict]) -> list[str]:
    """Addresses (shortened) of the notebook's own images that loaded without a picture: missing files, bad data.

    Images from other web sites (the Colab badge) are left out: they need the internet, which a test may lack.
    """
    return [image["src"][:100] for image in images if image["local"] and image["complete"] and image["width"] == 0]


def still_loading(images: list[dict]) -> bool:
    return any(not image["complete"] for image in images)


def notebook_title(path: Path) -> str:
    for cell in nbformat.read(path, as_version=4).cells:
        match = re.search(r"^# (.+)$", cell.source, re.MULTILINE) if cell.cell_type == "markdown" else None
        if match:
            return match.group(1).strip()
    raise ValueError(f"{path.name} has no '# title' markdown cell")


def screenshot(notebook: str, out: Path, timeout: float = 120, slider: str | None = None, steps: int = 1) -> dict:
    binary = next((shutil.which(name) for name in CHROMIUM_NAMES if shutil.which(name)), None)
    if binary is None:
        raise SystemExit("Chromium is not installed (Debian/Ubuntu: sudo apt install chromium)")
    path = ROOT / "notebooks" / notebook
    title = notebook_title(path)
    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"token {token}"}
    with tempfile.TemporaryDirectory(prefix="lab-screenshot-") as tmp:
        workdir = Path(tmp)
        lab = start_lab(workdir, port, token)
        chromium = None
        try:

            def lab_up():
                if lab.poll() is not None:
                    raise RuntimeError(f"JupyterLab exited:\n{(workdir / 'jupyter.log').read_text()[-3000:]}")
                try:
                    return requests.get(f"{base}/api/status", headers=headers, timeout=5).ok
                except requests.ConnectionError:
                    return False

            wait_for(lab_up, timeout, "JupyterLab")
            chromium, devtools_port = start_chromium(binary, workdir)
            tools = DevTools(devtools_port)
            tools.call("Page.enable")
            tools.call("Page.navigate", url=f"{base}/lab/tree/notebooks/{notebook}?token={token}&reset")

            last = {}

            def rendered():
                state = tools.evaluate(RENDERED_STATE)
                sessions = requests.get(f"{base}/api/sessions", headers=headers, timeout=5).json()
                last.update(state=state, sessions=[s["path"] for s in sessions], url=tools.evaluate("location.href"))
                ready = (
                    state
                    and state["title"]
                    and state["title"].startswith(title)
                    and state["cells"] >= 3
                    and state["tab"] == notebook
                    and any(s["path"] == f"notebooks/{notebook}" and s.get("kernel") for s in sessions)
                )
                return state if ready else None

            try:
                state = wait_for(rendered, timeout, f"JupyterLab to render {notebook}", interval=0.5)
            except TimeoutError as error:
                raise TimeoutError(f"{error}; last seen: {last}") from None
            prove_image_check_fails(tools, timeout)
            moved = {"slider": run_and_move_slider(tools, slider, steps, timeout, out)} if slider else {}
            time.sleep(2.0)  # let the last layout pass, redrawn figures and fonts settle before the picture
            tools.evaluate("document.querySelectorAll('.Toastify__toast').forEach((toast) => toast.remove())")
            images = check_images(tools, timeout)
            png = base64.b64decode(tools.call("Page.captureScreenshot", format="png")["data"])
            image = Image.open(io.BytesIO(png)).convert("L")
            low, high = image.getextrema()
            colours = len(image.getcolors(maxcolors=1 << 16) or [])
            if high - low < 64 or colours < 16:
                raise RuntimeError(f"the screenshot looks blank (grey levels {low}..{high}, {colours} shades)")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(png)
            tools.ws.close()
            requests.post(f"{base}/api/shutdown", headers=headers, timeout=10)
            lab_exit = lab.wait(timeout=30)
            return {**state, **moved, "images": images, "size": image.size, "shades": colours, "lab_exit": lab_exit}
        finally:
            if chromium is not None:
                stop(chromium)
            stop(lab)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", nargs="?", default="06_lenet.ipynb", help="a file name in notebooks/")
    default_out = Path(tempfile.gettempdir()) / "lab-screenshot.png"  # outside the repository
    parser.add_argument("--out", type=Path, default=default_out, help=f"where to save the PNG ({default_out})")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for each step")
    parser.add_argument("--slider", help="run all cells, then move this slider of the convolution explorer")
    parser.add_argument("--steps", type=int, default=1, help="right-arrow presses on --slider (default 1)")
    args = parser.parse_args()
    started = time.monotonic()
    result = screenshot(args.notebook, args.out.resolve(), args.timeout, args.slider, args.steps)
    if "slider" in result:
        name, before, after = result["slider"]
        print(f"moved the explorer's {name!r} slider {args.steps} step(s): {before!r} -> {after!r}")
    print(
        f"rendered {args.notebook} in JupyterLab: title {result['title']!r}, {result['cells']} cells in the DOM, "
        f"{result['images']} local images all loaded, kernel {result['kernel']!r};\n"
        f"screenshot {result['size'][0]}x{result['size'][1]} with {result['shades']} "
        f"grey levels saved to {args.out} ({time.monotonic() - started:.1f} s; server exit {result['lab_exit']})"
    )
    return 0 if result["lab_exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
