"""axe-core over every page of every role, at a phone's viewport and at a desktop's, fresh and with errors.

The pages come from the access matrix (``tests/<feature>/access_cases.py``): every non-API GET case a
role may open (expected 200) is visited, and every non-API POST case the role may send but that refuses
empty input (expected 422) is submitted empty from the page that holds its form, so the page is also
checked showing its errors. ``test_every_route_and_method_is_in_the_matrix`` makes every route have a
case, and this walk checks that every GET route of the url_map was reached by some role (as a page, or
as a download), so a new page is covered without being listed here.

At a desktop's width each page (and each form sent empty) is checked once, for the first role that
opens it; at a phone's width for every role.

A violation of impact "serious" or "critical" fails, and so does any ``inputmode="none"`` (no on-screen
keyboard on a phone) or an ``aria-invalid`` other than "true" (a screen reader announces an error).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from axe_playwright_python.base import AXE_SCRIPT
from werkzeug.serving import make_server

from certreg.auth.models import User
from certreg.extensions import db
from tests import dbutil
from tests.access import ROLES, all_cases, build_world
from tests.browser import chromium, second_step
from tests.conftest import make_test_app
from tests.factories import PASSWORD

pytestmark = [pytest.mark.live, pytest.mark.browser]

PHONE = {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
BLOCKING = ("serious", "critical")
CSRF_VALUE = re.compile(r'name="csrf_token"[^>]*>')
AXE_OPTIONS = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}

# Attributes a screen reader or a phone's keyboard depends on (see issue 10): no keyboard-hiding
# inputmode, and aria-invalid only where a field shows an error.
ATTRIBUTES_JS = """() => {
  const out = [];
  for (const e of document.querySelectorAll('[inputmode]')) {
    const v = e.getAttribute('inputmode');
    if (!['text', 'decimal', 'numeric', 'tel', 'search', 'email', 'url'].includes(v))
      out.push(`inputmode="${v}" on #${e.id || e.name}`);
  }
  for (const e of document.querySelectorAll('[aria-invalid]')) {
    const v = e.getAttribute('aria-invalid');
    if (v !== 'true') out.push(`aria-invalid="${v}" on #${e.id || e.name}`);
    else if (!e.getAttribute('aria-describedby')) out.push(`#${e.id || e.name} is invalid but names no message`);
  }
  return out;
}"""

# The index of each post form on the page with the path it posts to.
# (The attribute, not form.action: a control named "action" shadows that property.)
FORMS_JS = """() => Array.from(document.forms).map((f, i) => [i, (f.getAttribute('method') || '').toLowerCase(),
  new URL(f.getAttribute('action') || location.href, location.href).pathname])"""

# Empty the form's typed fields (hidden ones, such as the CSRF token, stay) and send it as its first submit
# button would, past the browser's own checks and the page's scripts: the server's answer is the page with
# errors.
SUBMIT_EMPTY_JS = """(index) => {
  const form = document.forms[index];
  for (const e of form.elements) {
    if (e.type === 'hidden' || e.type === 'submit' || e.type === 'button') continue;
    if (e.type === 'checkbox' || e.type === 'radio') e.checked = false;
    else if (e.tagName !== 'SELECT') e.value = '';
  }
  const button = form.querySelector('[type=submit][name]');
  if (button) {
    const pressed = document.createElement('input');
    pressed.type = 'hidden'; pressed.name = button.name; pressed.value = button.value;
    form.appendChild(pressed);
  }
  HTMLFormElement.prototype.submit.call(form);
}"""


#: Paths only a script posts to (JSON, no HTML form to send empty): passkey registration (WebAuthn).
SCRIPT_POSTS = frozenset({"/account/passkeys"})


@dataclass
class Plan:
    email: str | None
    totp_secret: str | None = None  # officials sign in in two steps
    pages: list[str] = field(default_factory=list)  # GET paths the role may open
    posts: set[str] = field(default_factory=set)  # paths whose empty post the role sees refused (422)


@dataclass
class Site:
    base: str
    plans: dict[str, Plan]
    get_endpoints: dict[str, str]  # endpoint -> rule, every non-API GET route but those that only redirect
    endpoint_of: dict[str, str]  # path -> endpoint
    app: object = None


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    url = dbutil.fresh_database("a11y")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        world = build_world()
        plans = {role: Plan(world.users[role].email, world.users[role].totp_secret) if role != "anonymous"
                 else Plan(None) for role in ROLES}
        adapter = app.url_map.bind("localhost")
        endpoint_of: dict[str, str] = {}
        redirects: set[str] = set()
        for case in all_cases():
            if case.api:
                continue
            path = case.path(world)
            endpoint = adapter.match(urlsplit(path).path, method=case.method)[0]
            if case.method == "GET":
                endpoint_of[path] = endpoint
                if all(status in (302, 404) for status in case.expected.values()):
                    redirects.add(endpoint)  # a redirect for every role (a scanned label, a language switch)
            for role, plan in plans.items():
                if case.method == "GET" and case.expected[role] == 200 and path not in plan.pages:
                    plan.pages.append(path)
                elif (case.method == "POST" and case.expected[role] == 422
                      and urlsplit(path).path not in SCRIPT_POSTS):
                    plan.posts.add(urlsplit(path).path)
        get_endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()
                         if "GET" in rule.methods and rule.endpoint != "static" and not rule.rule.startswith("/api/")
                         and rule.endpoint not in redirects}
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", plans, get_endpoints, endpoint_of, app)
    finally:
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        dbutil.drop_database(url)


def _sign_in(page, site: Site, plan: Plan) -> None:
    base, email = site.base, plan.email
    if plan.totp_secret:  # each viewport signs in again: the same code may be needed twice in 30 s
        with site.app.app_context():
            db.session.execute(sa.update(User).where(User.email == email).values(totp_last_step=None))
            db.session.commit()
            db.session.remove()
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button[type=submit], main form button[type=submit]")
    second_step(page, plan.totp_secret)
    assert urlsplit(page.url).path == "/", f"{email} could not sign in: {page.url}"


def _check(page, where: str, problems: list[str]) -> None:
    result = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    for violation in result["violations"]:
        if violation["impact"] in BLOCKING:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            problems.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    problems.extend(f"{where}: {text}" for text in page.evaluate(ATTRIBUTES_JS))


def _signature(html: str) -> str:
    """The page's <main>, without what changes from request to request (the CSRF token)."""
    start, end = html.find("<main"), html.rfind("</main>")
    return hashlib.sha256(CSRF_VALUE.sub("", html[start:end]).encode()).hexdigest()


@dataclass
class Walk:
    problems: list[str] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)  # endpoints opened by some role
    downloads: set[str] = field(default_factory=set)  # endpoints that answer something other than HTML
    seen: set[tuple[str, str]] = field(default_factory=set)  # (viewport, signature) of pages checked
    opened: set[tuple[str, str]] = field(default_factory=set)  # (viewport, endpoint) opened by some role
    sent: set[tuple[str, str]] = field(default_factory=set)  # (viewport, endpoint) of forms sent empty
    checked: int = 0
    same: int = 0

    def check(self, page, viewport: str, where: str, html: str, *, always: bool = False) -> None:
        """axe-core and the attribute checks, unless a page with the same <main> was checked at this width
        (every role's first page is checked whole, so each role's menu is too)."""
        key = (viewport, _signature(html))
        if key in self.seen and not always:
            self.same += 1
            return
        self.seen.add(key)
        self.checked += 1
        _check(page, where, self.problems)


def _send_forms(page, url: str, pending: set[str], walk: Walk, viewport: str, where: str) -> None:
    """Send empty each form of the page that posts to a path in ``pending``, and check the answer."""
    for index, method, action in page.evaluate(FORMS_JS):
        if method != "post" or action not in pending:
            continue
        pending.discard(action)
        walk.sent.add((viewport, action))
        if index > 0 or page.url != url:
            page.goto(url)
        with page.expect_navigation() as navigation:
            page.evaluate(SUBMIT_EMPTY_JS, index)
        status = navigation.value.status if navigation.value else None
        walk.check(page, viewport, f"{where} → POST {action} empty ({status})", page.content())


def _walk(browser, site: Site, role: str, viewport: str, walk: Walk, *, once: bool = False) -> None:
    """Every page of ``role`` at ``viewport``, and every refusing form of the role sent empty; with ``once``,
    only the pages and forms no role opened or sent at this width yet (and the role's first page)."""
    plan = site.plans[role]
    context = browser.new_context(**VIEWPORTS[viewport], locale="en-GB")
    context.add_init_script(AXE_SCRIPT)
    page = context.new_page()
    first = True
    try:
        if plan.email:
            _sign_in(page, site, plan)
        pending = {p for p in plan.posts if not (once and (viewport, p) in walk.sent)}
        for path in plan.pages:
            where = f"{role} {viewport} GET {path}"
            endpoint = site.endpoint_of[path]
            walk.reached.add(endpoint)
            if endpoint in walk.downloads:
                continue
            # The server's HTML first: a page whose <main> was already checked at this width is not
            # rendered again, unless it holds a form still to be sent empty.
            answer = context.request.get(site.base + path, max_redirects=0)
            if not answer.headers.get("content-type", "").startswith("text/html"):
                walk.downloads.add(endpoint)  # CSV, XLSX, JSON, SVG, text
                continue
            html = answer.text()
            repeated = (viewport, _signature(html)) in walk.seen or (once and (viewport, endpoint) in walk.opened)
            if (not first and repeated
                    and not any(f'action="{p}"' in html or urlsplit(path).path == p for p in pending)):
                walk.same += 1
                continue
            walk.opened.add((viewport, endpoint))
            page.goto(site.base + path)
            walk.check(page, viewport, where, html, always=first)
            first = False
            _send_forms(page, site.base + path, pending, walk, viewport, where)
        # A form the matrix posts to for an object none of the role's pages shows (another company, say):
        # it is on the page of the same path, or of the path one level up.
        for action in sorted(pending):
            for path in (action, action.rsplit("/", 1)[0]):
                if action in pending and context.request.get(site.base + path, max_redirects=0).status == 200:
                    page.goto(site.base + path)
                    _send_forms(page, site.base + path, pending, walk, viewport, f"{role} {viewport} GET {path}")
        walk.problems.extend(f"{role} {viewport}: no page holds the form that posts to {p}" for p in sorted(pending))
    finally:
        context.close()


@pytest.mark.timeout(900)  # about 2 minutes on an idle 2-core machine
def test_every_page_of_every_role_passes_axe_at_phone_and_desktop_width(site):
    walk = Walk()
    started = time.monotonic()
    with chromium() as browser:
        for viewport in VIEWPORTS:
            for role in ROLES:
                # At a phone's width every role's every page; at a desktop's, every page and form once.
                _walk(browser, site, role, viewport, walk, once=viewport == "desktop")
    print(f"axe walk: {walk.checked} page states checked, {walk.same} the same as one checked, "
          f"in {time.monotonic() - started:.1f} s")
    missing = sorted(f"{rule} ({endpoint})" for endpoint, rule in site.get_endpoints.items()
                     if endpoint not in walk.reached)
    assert not walk.problems, f"{len(walk.problems)} accessibility problem(s):\n" + "\n".join(walk.problems)
    assert not missing, "GET routes no role reached in the walk (add an access case):\n" + "\n".join(missing)
    assert walk.checked > 100
