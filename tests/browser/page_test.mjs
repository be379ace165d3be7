#!/usr/bin/env node
// page_test.mjs - the chat page in a real browser (issue 11).
//
// Debian's chromium (/usr/bin/chromium, headless; nothing downloaded),
// driven by playwright-core. The test starts its own router and two
// gateways with --http-listen on free loopback ports, opens one page on
// each gateway (alice on A at a desktop size, bob on B at a phone size)
// and a raw TCP (telnet) client, carol, on B. They meet in one room and
// chat; the checks are on the DOM text: each sees the others' lines with
// the right nicknames, /nick, /join, the room switcher and the member
// list work, HTML in a line or a nickname is shown as text, and after
// gateway A restarts alice's page reconnects by itself, gets her name
// and room back and shows what was said meanwhile, once. Screenshots go
// to $ZCHAT_BUILD_DIR/browser/. Every process it started is stopped by
// its PID, also on failure. Prints cmocka's summary lines (make test).
//
//   (cd tests/browser && npm ci)     # once; make test does it when the lock changes
//   ZCHAT_BIN_DIR=$PWD/bin ZCHAT_BUILD_DIR=$PWD/build tests/browser/page_test.mjs

import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

const BIN_DIR = process.env.ZCHAT_BIN_DIR || path.resolve("bin");
const OUT_DIR = path.join(process.env.ZCHAT_BUILD_DIR || path.resolve("build"), "browser");
const CHROMIUM = process.env.ZCHAT_CHROMIUM || "/usr/bin/chromium";
const TIMEOUT_MS = 20000;           // a bound on each wait, not a timing assertion
const RECONNECT_TIMEOUT_MS = 45000; // the page's backoff may be at 15 s by then
const STOP_TIMEOUT_MS = 15000;
const PORT_MIN = 20000;             // fixed ports below the kernel's ephemeral range
const PORT_MAX = 32000;

fs.mkdirSync(OUT_DIR, { recursive: true });

// --- processes ---------------------------------------------------------------

const procs = [];

function s_spawn (name, program, args) {
    const logPath = path.join(OUT_DIR, name + ".log");
    const log = fs.openSync(logPath, "w");
    const child = spawn(path.join(BIN_DIR, program), args, { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    const proc = { name, child, logPath, exited: null };
    proc.exit = new Promise((resolve) => child.on("exit", (code, signal) => {
        proc.exited = { code, signal };
        resolve(proc.exited);
    }));
    procs.push(proc);
    return proc;
}

function s_log (proc) {
    return fs.readFileSync(proc.logPath, "utf8");
}

async function s_wait_log (proc, marker) {
    const deadline = Date.now() + TIMEOUT_MS;
    while (Date.now() < deadline) {
        const log = s_log(proc);
        const at = log.indexOf(marker);
        if (at >= 0)
            return log.slice(at, log.indexOf("\n", at));
        if (proc.exited)
            break;
        await s_pause(50);
    }
    throw new Error(proc.name + " never logged '" + marker + "':\n" + s_log(proc));
}

function s_field (line, key) {
    const match = line.match(new RegExp("\\b" + key + "=(\\S+)"));
    if (!match)
        throw new Error("no " + key + "= in: " + line);
    return match[1];
}

// SIGTERM (a gateway drains, the router drains its gateways), then wait
// for the exit; SIGKILL only if it does not come.
async function s_stop (proc) {
    if (proc.exited)
        return proc.exited;
    proc.child.kill("SIGTERM");
    const timer = setTimeout(() => proc.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    const exited = await proc.exit;
    clearTimeout(timer);
    return exited;
}

function s_pause (ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function s_port_bindable (port) {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
}

// A free port outside the kernel's ephemeral range: gateway A comes back
// on it, and no outgoing connection can be handed it meanwhile.
async function s_fixed_port () {
    for (let attempt = 0; attempt < 200; attempt++) {
        const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN));
        if (await s_port_bindable(port))
            return port;
    }
    throw new Error("no free port");
}

async function s_router_start () {
    const router = s_spawn("router", "zchat-router", [
        "--ingress", "tcp://127.0.0.1:*", "--publish", "tcp://127.0.0.1:*",
        "--control", "tcp://127.0.0.1:*"]);
    const line = await s_wait_log(router, "router: ready ");
    router.ingress = s_field(line, "ingress");
    router.publish = s_field(line, "publish");
    return router;
}

async function s_gateway_start (router, name, httpPort) {
    const gateway = s_spawn(name, "zchat-gateway", [
        "--listen", "127.0.0.1:0", "--ingress", router.ingress, "--publish", router.publish,
        "--name", name, "--http-listen", "127.0.0.1:" + httpPort]);
    const line = await s_wait_log(gateway, "gateway: listening ");
    gateway.port = Number(s_field(line, "port"));
    gateway.url = "http://127.0.0.1:" + httpPort + "/";
    // ready when the page is served
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
        try {
            const response = await fetch(gateway.url);
            if (response.ok)
                break;
        } catch (error) {
            if (Date.now() > deadline)
                throw new Error(name + " serves no page on " + gateway.url + ":\n" + s_log(gateway));
        }
        await s_pause(100);
    }
    return gateway;
}

// --- the telnet client: raw TCP, telnet offer skipped -------------------------

function s_telnet (port) {
    const client = { lines: [], waiters: [], partial: Buffer.alloc(0) };
    client.socket = net.connect(port, "127.0.0.1");
    client.socket.on("data", (data) => {
        let bytes = Buffer.concat([client.partial, data]);
        // IAC x y triples (the gateway's telnet offer) are not text
        const kept = [];
        let index = 0;
        for (; index < bytes.length; index++) {
            if (bytes[index] === 0xff) {
                if (index + 2 >= bytes.length)
                    break;
                index += 2;
                continue;
            }
            kept.push(bytes[index]);
        }
        const text = Buffer.from(kept);
        client.partial = bytes.subarray(index);
        client.text = (client.text || "") + text.toString("utf8");
        let end;
        while ((end = client.text.indexOf("\r\n")) >= 0) {
            client.lines.push(client.text.slice(0, end));
            client.text = client.text.slice(end + 2);
        }
        for (const waiter of client.waiters.slice())
            waiter();
    });
    client.send = (line) => client.socket.write(line + "\r\n");
    // the first line from now on matching test (after index `from`)
    client.wait = (test, what) => new Promise((resolve, reject) => {
        const from = client.seen || 0;
        const check = () => {
            for (let index = from; index < client.lines.length; index++)
                if (test(client.lines[index])) {
                    client.waiters.splice(client.waiters.indexOf(check), 1);
                    clearTimeout(timer);
                    resolve(client.lines[index]);
                    return true;
                }
            return false;
        };
        const timer = setTimeout(() => {
            client.waiters.splice(client.waiters.indexOf(check), 1);
            reject(new Error("telnet: no line " + what + "; got:\n" + client.lines.join("\n")));
        }, TIMEOUT_MS);
        client.waiters.push(check);
        check();
    });
    client.expect = (exact) => client.wait((line) => line === exact, JSON.stringify(exact));
    return client;
}

// --- the pages ------------------------------------------------------------------

const problems = [];    // console errors, CSP violations, page errors

async function s_open (browser, name, url, viewport) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on("pageerror", (error) => problems.push(name + ": page error: " + error.message));
    page.on("console", (message) => {
        const text = message.text();
        // a WebSocket refused while gateway A is down is expected
        if (message.type() === "error" && !/WebSocket connection to/.test(text))
            problems.push(name + ": console: " + text);
    });
    page.on("dialog", (dialog) => {
        problems.push(name + ": a dialog opened: " + dialog.message());
        dialog.dismiss();
    });
    const response = await page.goto(url);
    page.headers = response.headers();
    await s_wait_status(page, /^connected as /);
    return page;
}

function s_wait_status (page, pattern, timeout) {
    return page.waitForFunction((source) =>
        new RegExp(source).test(document.getElementById("status").textContent),
        pattern.source, { timeout: timeout || TIMEOUT_MS });
}

async function s_type (page, line) {
    await page.fill("#say-input", line);
    await page.press("#say-input", "Enter");
}

// Chat lines as the page shows them: [{nick, text, classes}]
function s_said_lines (page) {
    return page.$$eval("#log li.chat, #log li.action", (items) => items.map((item) => ({
        nick: item.querySelector(".nick").textContent,
        text: item.querySelector(".text").textContent.replace(/^ /, ""),
        classes: item.className,
    })));
}

async function s_wait_said (page, nick, text, timeout) {
    await page.waitForFunction(([wantNick, wantText]) =>
        Array.from(document.querySelectorAll("#log li.chat, #log li.action")).some((item) =>
            item.querySelector(".nick").textContent === wantNick
            && item.querySelector(".text").textContent.replace(/^ /, "") === wantText),
        [nick, text], { timeout: timeout || TIMEOUT_MS });
}

async function s_count_said (page, nick, text) {
    return (await s_said_lines(page)).filter((line) =>
        line.nick === nick && line.text === text).length;
}

function s_wait_log_text (page, text) {
    return page.waitForFunction((want) =>
        document.getElementById("log").textContent.includes(want), text, { timeout: TIMEOUT_MS });
}

function s_wait_members (page, nicks) {
    return page.waitForFunction((want) => {
        const have = Array.from(document.querySelectorAll("#members li"), (item) => item.textContent);
        return want.length === have.length && want.every((nick, index) => have[index] === nick);
    }, nicks, { timeout: TIMEOUT_MS });
}

function s_wait_room (page, room) {
    return page.waitForFunction((want) =>
        document.getElementById("room-name").textContent === want, "#" + room,
        { timeout: TIMEOUT_MS });
}

function s_assert (condition, message) {
    if (!condition)
        throw new Error(message);
}

// --- the scenario ------------------------------------------------------------------

const steps = [];
function step (name, body) {
    steps.push({ name, body });
}

const world = {};
const INJECTION = "<img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script> & <b>bold</b>";

step("servers_start", async () => {
    world.router = await s_router_start();
    world.portA = await s_fixed_port();
    world.portB = await s_fixed_port();
    world.gatewayA = await s_gateway_start(world.router, "gw-a", world.portA);
    world.gatewayB = await s_gateway_start(world.router, "gw-b", world.portB);
});

step("page_served_with_csp", async () => {
    world.browser = await chromium.launch({
        executablePath: CHROMIUM, headless: true,
        // root in a container: no user namespace for chromium's sandbox
        args: process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [],
    });
    world.alice = await s_open(world.browser, "alice", world.gatewayA.url,
                               { width: 1100, height: 760 });
    world.bob = await s_open(world.browser, "bob", world.gatewayB.url,
                             { width: 390, height: 780 });
    const csp = world.alice.headers["content-security-policy"] || "";
    s_assert(/default-src 'self'/.test(csp), "no strict CSP on the page: " + csp);
    s_assert(/^text\/html/.test(world.alice.headers["content-type"]), "page type");
});

step("nicknames", async () => {
    const { alice, bob } = world;
    await s_type(alice, "/nick alice");         // typed, as in telnet
    await s_wait_status(alice, /^connected as alice$/);
    await bob.fill("#nick-input", "bob");       // the nickname control
    await bob.press("#nick-input", "Enter");
    await s_wait_status(bob, /^connected as bob$/);
    s_assert(await bob.inputValue("#nick-input") === "bob", "nickname control shows bob");
    // a nickname holding HTML is refused (names are letters, digits, _
    // and -), and both the echo of the command and the refusal are text
    await s_type(bob, "/nick <img/src=x/onerror=window.__pwned=3>");
    await s_wait_log_text(bob, "invalid nickname");
    await s_wait_log_text(bob, "/nick <img/src=x/onerror=window.__pwned=3>");
    world.carol = s_telnet(world.gatewayB.port);
    await world.carol.wait((line) => line.startsWith("* Welcome to zchat"), "welcome");
    world.carol.send("/nick carol");
    await world.carol.wait((line) => /^\* guest-\S+ is now known as carol$/.test(line),
                           "carol's rename");
});

step("join_by_command_and_switcher", async () => {
    const { alice, bob, carol } = world;
    await s_type(alice, "/join lobby");
    await s_wait_room(alice, "lobby");
    carol.send("/join lobby");
    await carol.wait((line) => line === "* carol joined #lobby", "carol joined");
    // bob finds the room in the switcher (refreshed) and clicks it
    await bob.click("#rooms-refresh");
    await bob.waitForSelector("#rooms button.room[data-room=lobby]", { timeout: TIMEOUT_MS });
    const label = await bob.textContent("#rooms button.room[data-room=lobby]");
    s_assert(label === "#lobby2", "switcher shows #lobby with 2 members, not " + label);
    await bob.click("#rooms button.room[data-room=lobby]");
    await s_wait_room(bob, "lobby");
    await carol.expect("* bob joined #lobby");
});

step("member_lists", async () => {
    await s_wait_members(world.alice, ["alice", "bob", "carol"]);
    await s_wait_members(world.bob, ["alice", "bob", "carol"]);
    await world.alice.waitForFunction(() =>
        document.getElementById("members-count").textContent === "(3)", null,
        { timeout: TIMEOUT_MS });
});

step("chat_across_gateways", async () => {
    const { alice, bob, carol } = world;
    await s_type(alice, "hello from alice");
    await s_wait_said(bob, "alice", "hello from alice");
    await carol.expect("[lobby] alice: hello from alice");
    await s_type(bob, "hi from bob");
    await s_wait_said(alice, "bob", "hi from bob");
    await carol.expect("[lobby] bob: hi from bob");
    carol.send("hey from carol");
    await s_wait_said(alice, "carol", "hey from carol");
    await s_wait_said(bob, "carol", "hey from carol");
    await s_type(alice, "/me waves");
    await s_wait_said(bob, "alice", "waves");
    await carol.expect("[lobby] * alice waves");
    s_assert((await s_said_lines(bob)).some((line) =>
        line.nick === "alice" && line.text === "waves" && /\baction\b/.test(line.classes)),
             "the /me line is styled as an action");
    // own lines show under one's own name
    await s_wait_said(alice, "alice", "hello from alice");
});

step("private_message", async () => {
    world.carol.send("/msg alice psst, alice");
    await world.alice.waitForFunction(() => Array.from(
        document.querySelectorAll("#log li.private.in")).some((item) =>
        item.textContent.endsWith("[pm from carol] psst, alice")), null, { timeout: TIMEOUT_MS });
});

step("html_is_text", async () => {
    const { alice, bob, carol } = world;
    carol.send(INJECTION);
    await s_wait_said(alice, "carol", INJECTION);
    await s_wait_said(bob, "carol", INJECTION);
    await s_type(bob, "<script>window.__pwned=4</script>");
    await s_wait_said(alice, "bob", "<script>window.__pwned=4</script>");
    for (const page of [alice, bob]) {
        const injected = await page.evaluate(() => ({
            pwned: window.__pwned,
            elements: document.querySelectorAll("#log img, #log script, #log b").length,
        }));
        s_assert(injected.pwned === undefined, "injected script ran: " + injected.pwned);
        s_assert(injected.elements === 0, "injected elements in the log: " + injected.elements);
    }
});

step("room_switcher_keyboard", async () => {
    const { alice } = world;
    // by keyboard: focus #general in the switcher, Enter
    await alice.focus("#rooms button.room[data-room=general]");
    await alice.keyboard.press("Enter");
    await s_wait_room(alice, "general");
    await s_wait_members(alice, ["alice"]);
    await world.carol.expect("* alice left #lobby (joined #general)");
    await s_type(alice, "/join lobby");
    await s_wait_room(alice, "lobby");
    await s_wait_members(alice, ["alice", "bob", "carol"]);
    // coming back replays the room, but no line shows twice
    s_assert(await s_count_said(alice, "carol", "hey from carol") === 1,
             "a line shown twice after /join back");
});

step("phone_sized_page_fits", async () => {
    const overflow = await world.bob.evaluate(() =>
        document.documentElement.scrollWidth - window.innerWidth);
    s_assert(overflow <= 0, "the phone-sized page scrolls sideways by " + overflow + " px");
    await world.bob.screenshot({ path: path.join(OUT_DIR, "page-bob-phone.png") });
});

step("gateway_restart_reconnects_and_shows_missed", async () => {
    const { alice, bob, carol, router } = world;
    const exited = await s_stop(world.gatewayA);
    s_assert(exited.code === 0, "gateway A exit " + JSON.stringify(exited));
    await s_wait_status(alice, /reconnecting/);
    await s_wait_log_text(alice, "disconnected");
    // said while alice is away
    carol.send("said while alice was away");
    await s_wait_said(bob, "carol", "said while alice was away");
    await s_type(bob, "bob meanwhile");
    await carol.expect("[lobby] bob: bob meanwhile");
    world.gatewayA = await s_gateway_start(router, "gw-a", world.portA);
    await s_wait_status(alice, /^connected as alice$/, RECONNECT_TIMEOUT_MS);
    await s_wait_room(alice, "lobby");
    await s_wait_said(alice, "carol", "said while alice was away");
    await s_wait_said(alice, "bob", "bob meanwhile");
    await carol.expect("* alice joined #lobby");
    // each line once: the replay's older lines were shown already
    for (const [nick, text] of [["carol", "said while alice was away"], ["bob", "bob meanwhile"],
                                ["carol", "hey from carol"], ["alice", "hello from alice"],
                                ["bob", "hi from bob"]])
        s_assert(await s_count_said(alice, nick, text) === 1,
                 nick + ": " + text + " shown " + await s_count_said(alice, nick, text) + " times");
    s_assert(await alice.$$eval("#log li.missed-while-away", (items) => items.length) === 2,
             "the two missed lines are marked as missed");
    await s_type(alice, "alice is back");
    await carol.expect("[lobby] alice: alice is back");
    await s_wait_said(bob, "alice", "alice is back");
    await s_wait_members(alice, ["alice", "bob", "carol"]);
    await alice.screenshot({ path: path.join(OUT_DIR, "page-alice.png") });
});

step("no_console_errors", async () => {
    s_assert(problems.length === 0, problems.join("\n"));
});

// Every server drains and exits 0 on SIGTERM, with nothing from a
// sanitizer (make test SANITIZE=address,undefined) in its log.
step("servers_exit_clean", async () => {
    await s_teardown();
    const unclean = [];
    for (const proc of procs) {
        const log = s_log(proc);
        if (!proc.exited || proc.exited.code !== 0)
            unclean.push(proc.name + " exited " + JSON.stringify(proc.exited));
        if (/AddressSanitizer|LeakSanitizer|runtime error:|Assertion .* failed/.test(log))
            unclean.push(proc.name + ": sanitizer or assertion report in " + proc.logPath);
    }
    s_assert(unclean.length === 0, unclean.join("\n"));
});

// --- run -------------------------------------------------------------------------

async function s_teardown () {
    if (world.tornDown)
        return;
    world.tornDown = true;
    if (world.carol)
        world.carol.socket.destroy();
    if (world.browser)
        await world.browser.close().catch(() => {});
    // gateways first, so the router does not drain them
    for (const proc of procs.slice().reverse())
        await s_stop(proc);
}

let passed = 0;
const failed = [];
console.log("[==========] Running " + steps.length + " test(s).");
for (const { name, body } of steps) {
    console.log("[ RUN      ] " + name);
    if (failed.length) {
        console.log("[  FAILED  ] " + name + " (not run: an earlier step failed)");
        failed.push(name);
        continue;
    }
    try {
        await body();
        console.log("[       OK ] " + name);
        passed++;
    } catch (error) {
        console.log(String(error.stack || error));
        console.log("[  FAILED  ] " + name);
        failed.push(name);
        if (world.alice)
            await world.alice.screenshot({ path: path.join(OUT_DIR, "failed-alice.png") })
                .catch(() => {});
    }
}
await s_teardown();
console.log("[==========] " + steps.length + " test(s) run.");
console.log("[  PASSED  ] " + passed + " test(s).");
if (failed.length) {
    console.log("[  FAILED  ] " + failed.length + " test(s), listed below:");
    for (const name of failed)
        console.log("[  FAILED  ] " + name);
    process.exitCode = 1;
}
