#!/usr/bin/env node
// ws_node.js - the gateway's WebSocket side against node's strict `ws` client
//
// Starts zchat-router and a zchat-gateway (from $ZCHAT_BIN_DIR) on
// loopback ports they pick, with --http-listen, and drives them with the
// npm package `ws` (tests/ws/package-lock.json; `make test` installs it
// with npm ci), which checks the server's side of RFC 6455 strictly: the
// accept value, the subprotocol it chose, unmasked server frames, UTF-8
// of text frames and close reasons, reserved bits. Checks: the JSON
// events, a fragmented message, ping/pong both ways, close codes 1003,
// 1007 and 1009, a foreign Origin refused with 403, and the router's
// drain closing WebSocket clients with 1001.
//
// Every wait is bounded and polls or listens for its condition; nothing
// sleeps to synchronise. Prints cmocka's summary lines for
// scripts/run-tests.sh.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const WebSocket = require('ws');

const WAIT_MS = 15000;
const BIN = process.env.ZCHAT_BIN_DIR || 'bin';
const MAX_LINE = 256;
const JSON_PROTOCOL = 'zchat.v1.json';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-node-'));
const procs = {};

function spawnLogged(name, argv) {
    const log = fs.openSync(path.join(work, name + '.err'), 'w');
    procs[name] = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', log] });
    procs[name].exited = new Promise((resolve) => procs[name].on('exit', (code) => resolve(code)));
}

async function waitLog(name, pattern) {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
        const match = fs.readFileSync(path.join(work, name + '.err'), 'utf8').match(pattern);
        if (match)
            return match;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(name + ' never logged ' + pattern);
}

function withTimeout(promise, what) {
    let timer;
    return Promise.race([promise, new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error('timed out waiting for ' + what)), WAIT_MS);
    })]).finally(() => clearTimeout(timer));
}

// A client that queues what it receives, so tests await the next match.
function open(port, protocols, options) {
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/ws', protocols, options);
    ws.inbox = [];
    ws.waiters = [];
    ws.on('message', (data, binary) => {
        if (binary)
            throw new Error('the server sent a binary frame');
        ws.inbox.push(data.toString('utf8'));
        ws.waiters.forEach((wake) => wake());
    });
    ws.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('error', () => {});
    return withTimeout(new Promise((resolve, reject) => {
        ws.on('open', () => resolve(ws));
        ws.on('unexpected-response', (request, response) => reject(
            Object.assign(new Error('refused'), { status: response.statusCode })));
    }), 'the upgrade');
}

async function next(ws, test) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
        const index = ws.inbox.findIndex(test);
        if (index >= 0)
            return ws.inbox.splice(0, index + 1).pop();
        if (Date.now() > deadline)
            throw new Error('no matching message; last: ' + JSON.stringify(ws.inbox.slice(-3)));
        await new Promise((resolve) => {
            ws.waiters.push(resolve);
            setTimeout(resolve, 100);
        });
        ws.waiters = [];
    }
}

function nextEvent(ws, type) {
    return next(ws, (raw) => JSON.parse(raw).type === type).then((raw) => JSON.parse(raw));
}

function check(condition, what) {
    if (!condition)
        throw new Error(what);
}

let httpPort = 0;

const tests = {
    async json_events_and_fragments() {
        const events = await open(httpPort, [JSON_PROTOCOL]);
        check(events.protocol === JSON_PROTOCOL, 'subprotocol ' + events.protocol);
        const welcome = await nextEvent(events, 'welcome');
        check(typeof welcome.nick === 'string' && welcome.room === 'general', 'welcome');
        const lines = await open(httpPort);
        check(lines.protocol === '', 'a subprotocol nobody asked for');
        await next(lines, (line) => line.startsWith('* Welcome'));
        lines.send('/nick nora');
        await nextEvent(events, 'rename');
        // One message in three fragments
        events.send('frag', { fin: false });
        events.send('men', { fin: false });
        events.send('ted', { fin: true });
        const line = await next(lines, (text) => text.includes('fragmented'));
        check(line === '[general] ' + welcome.nick + ': fragmented', 'fragmented: ' + line);
        lines.send('back at you');
        const chat = await nextEvent(events, 'chat');
        check(chat.nick === 'nora' && chat.text === 'back at you' && chat.room === 'general',
              'chat ' + JSON.stringify(chat));
        events.send('/who');
        const members = await nextEvent(events, 'members');
        check(members.members.includes('nora') && members.total === 2, 'who');
        events.close(1000);
        lines.close(1000);
        check(await withTimeout(events.closed, 'close') === 1000, 'our close answered');
    },

    async ping_pong() {
        const ws = await open(httpPort);
        const pong = withTimeout(new Promise((resolve) => ws.on('pong', resolve)), 'a pong');
        ws.ping('are you there');
        check((await pong).toString() === 'are you there', 'pong payload');
        // The gateway pings too (--ws-ping-interval 1); ws answers by itself
        await withTimeout(new Promise((resolve) => ws.on('ping', resolve)), 'a server ping');
        ws.close();
    },

    async close_codes() {
        const cases = [
            ['too big', (ws) => ws.send('y'.repeat(MAX_LINE + 1)), 1009],
            ['invalid UTF-8', (ws) => ws.send(Buffer.from([0x61, 0xc3]), { binary: false }), 1007],
            ['binary', (ws) => ws.send(Buffer.from([1, 2, 3]), { binary: true }), 1003]
        ];
        for (const [name, act, code] of cases) {
            const ws = await open(httpPort);
            await next(ws, (line) => line.startsWith('* Welcome'));
            act(ws);
            const got = await withTimeout(ws.closed, 'the close of ' + name);
            check(got === code, name + ': closed with ' + got + ', want ' + code);
        }
    },

    async foreign_origin() {
        let status = 0;
        try {
            (await open(httpPort, [], { origin: 'https://evil.example' })).close();
        } catch (error) {
            status = error.status;
        }
        check(status === 403, 'a foreign Origin got ' + status);
        const own = await open(httpPort, [], { origin: 'http://127.0.0.1:' + httpPort });
        own.close();
    },

    async drain_closes_with_1001() {
        const ws = await open(httpPort, [JSON_PROTOCOL]);
        await nextEvent(ws, 'welcome');
        procs.router.kill('SIGTERM');
        check(await withTimeout(ws.closed, 'the drain') === 1001, 'drain close code');
        check(await withTimeout(procs.gateway.exited, 'the gateway exit') === 0, 'gateway exit');
        // Its drain over, the router exits by itself (a second SIGTERM
        // from the cleanup below would cut it short)
        check(await withTimeout(procs.router.exited, 'the router exit') === 0, 'router exit');
    }
};

async function main() {
    const anyPort = 'tcp://127.0.0.1:*';
    spawnLogged('router', [path.join(BIN, 'zchat-router'), '--ingress', anyPort, '--publish',
                           anyPort, '--control', anyPort, '--drain-timeout', '5']);
    const ready = await waitLog('router', /router: ready ingress=(\S+) publish=(\S+)/);
    spawnLogged('gateway', [path.join(BIN, 'zchat-gateway'), '--listen', '127.0.0.1:0',
                            '--http-listen', '127.0.0.1:0', '--ingress', ready[1],
                            '--publish', ready[2], '--name', 'gw1', '--max-line',
                            String(MAX_LINE), '--ws-ping-interval', '1']);
    httpPort = Number((await waitLog('gateway', /gateway: listening .* http=(\d+)/))[1]);
    await waitLog('gateway', /gateway: welcomed/);
    const failed = [];
    for (const [name, test] of Object.entries(tests)) {
        console.log('[ RUN      ] ' + name);
        try {
            await test();
            console.log('[       OK ] ' + name);
        } catch (error) {
            console.error('ws_node: ' + name + ': ' + error.message);
            console.log('[  FAILED  ] ' + name);
            failed.push(name);
        }
    }
    for (const [name, proc] of Object.entries(procs)) {
        if (proc.exitCode === null)
            proc.kill('SIGTERM');
        const code = await withTimeout(proc.exited, name + ' exit').catch(() => {
            proc.kill('SIGKILL');
            return -1;
        });
        if (code !== 0) {
            console.error('ws_node: ' + name + ' exited ' + code);
            failed.push(name + '_exit');
        }
    }
    if (failed.length)
        for (const name of Object.keys(procs))
            console.error('---- ' + name + ' ----\n' +
                          fs.readFileSync(path.join(work, name + '.err'), 'utf8').slice(-4000));
    console.log('[==========] ' + Object.keys(tests).length + ' test(s) run.');
    if (failed.length) {
        console.log('[  FAILED  ] ' + failed.length + ' test(s), listed below:');
        failed.forEach((name) => console.log('[  FAILED  ] ' + name));
        process.exit(1);
    }
    console.log('[  PASSED  ] ' + Object.keys(tests).length + ' test(s).');
    process.exit(0);
}

main().catch((error) => {
    console.error('ws_node: ' + error.stack);
    process.exit(1);
});
