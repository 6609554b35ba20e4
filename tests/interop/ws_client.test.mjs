// Interop: the Node `ws` client (8.x, pinned in package-lock.json) against example-echo and
// example-chat. Run by CTest (label interop) or by hand from tests/interop:
//   LIFT_ECHO_BIN=../../build/bin/example-echo LIFT_CHAT_BIN=../../build/bin/example-chat \
//     node --test ws_client.test.mjs
// Each test waits on frames/closes with timeouts; the servers listen on --port 0.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    binFromEnv,
    connectionIdOf,
    idPattern,
    inspect,
    openClient,
    startGateway,
    token,
} from './lib/harness.mjs';

const KiB = 1024;
const internalErrorFrame = (connectionId, requestId) =>
    `{"message": "Internal server error", "connectionId":"${connectionId}", "requestId":"${requestId}"}`;
const forbiddenFrame = (connectionId, requestId) =>
    `{"message": "Forbidden", "connectionId":"${connectionId}", "requestId":"${requestId}"}`;
const frameIds = (text, message) => {
    const m = new RegExp(
        `^\\{"message": "${message}", "connectionId":"([^"]*)", "requestId":"([^"]*)"\\}$`,
    ).exec(text);
    assert.ok(m, `not an AWS '${message}' frame: ${text}`);
    return { connectionId: m[1], requestId: m[2] };
};

/// Opens a bystander, runs `abuse`, then checks the bystander still echoes: one bad client must
/// never disturb another connection.
async function withBystander(gw, abuse) {
    const bystander = await openClient(gw.wsUrl);
    try {
        await abuse();
        const t = token('still-alive');
        await bystander.send(t);
        assert.equal(await bystander.nextText({ what: 'the bystander echo' }), t);
    } finally {
        await bystander.close(1000);
    }
}

describe('ws client vs example-echo', () => {
    let gw;
    before(async () => {
        gw = await startGateway(binFromEnv('LIFT_ECHO_BIN', 'example-echo'));
    });
    after(async () => {
        await gw?.stop();
    });

    test('echo round trip ($default, non-JSON and unmatched JSON bodies)', async () => {
        const c = await openClient(gw.wsUrl);
        for (const body of ['hello ' + token(), '{"action":"no-such-route","n":1}', 'ünïcødé ✓ 🚀', '{\r\n\t"a": 1\r\n}']) {
            await c.send(body);
            assert.equal(await c.nextText({ what: `echo of ${body}` }), body);
        }
        await c.close(1000);
    });

    test('subprotocol lift.v1 is negotiated', async () => {
        const c = await openClient(gw.wsUrl, { protocols: ['lift.v1'] });
        assert.equal(c.protocol, 'lift.v1');
        const t = token();
        await c.send(t);
        assert.equal(await c.nextText(), t);
        await c.close(1000);
    });

    test('$connect returning 401 (?deny=1) fails the handshake with HTTP 401', async () => {
        await assert.rejects(openClient(gw.wsUrl + '?deny=1'), (err) => {
            assert.equal(err.statusCode, 401, `expected HTTP 401, got: ${err.message}`);
            return true;
        });
    });

    test('handler exception → exact "Internal server error" frame, socket stays usable', async () => {
        const c = await openClient(gw.wsUrl);
        const id = await connectionIdOf(c);
        await c.sendJson({ action: 'fail' });
        const text = await c.nextText({ what: 'the Internal server error frame' });
        const ids = frameIds(text, 'Internal server error');
        assert.equal(ids.connectionId, id);
        assert.match(ids.requestId, idPattern);
        assert.equal(text, internalErrorFrame(id, ids.requestId));
        const t = token('after-fail');
        await c.send(t);
        assert.equal(await c.nextText({ what: 'echo after the failure' }), t);
        await c.close(1000);
    });

    test('inspect: MESSAGE proxy event shape (aws-reference §1)', async () => {
        const ua = 'lift-interop-ws/1.0';
        const c = await openClient(gw.wsUrl, { headers: { 'User-Agent': ua } });
        const before = Date.now();
        const event = await inspect(c, { marker: 'x' });
        const again = await inspect(c);

        assert.ok(!('headers' in event), 'MESSAGE event must not carry headers');
        assert.ok(!('multiValueHeaders' in event), 'MESSAGE event must not carry multiValueHeaders');
        assert.ok(!('queryStringParameters' in event), 'MESSAGE event must not carry queryStringParameters');
        assert.equal(event.body, JSON.stringify({ action: 'inspect', marker: 'x' }));
        assert.equal(event.isBase64Encoded, false);

        const rc = event.requestContext;
        assert.equal(rc.routeKey, 'inspect');
        assert.equal(rc.eventType, 'MESSAGE');
        assert.equal(rc.stage, 'dev');
        assert.equal(rc.messageDirection, 'IN');
        assert.match(rc.connectionId, idPattern);
        assert.match(rc.messageId, idPattern);
        assert.match(rc.requestId, idPattern);
        assert.equal(rc.extendedRequestId, rc.requestId);
        assert.match(rc.requestTime, /^\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
        assert.equal(typeof rc.requestTimeEpoch, 'number');
        assert.ok(Math.abs(rc.requestTimeEpoch - before) < 60000, `requestTimeEpoch ${rc.requestTimeEpoch} not near now`);
        assert.equal(typeof rc.connectedAt, 'number');
        assert.ok(rc.connectedAt <= rc.requestTimeEpoch);
        assert.equal(rc.identity.sourceIp, '127.0.0.1');
        assert.equal(rc.identity.userAgent, ua);
        assert.equal(typeof rc.domainName, 'string');
        assert.equal(typeof rc.apiId, 'string');
        for (const k of ['disconnectStatusCode', 'disconnectReason']) {
            assert.ok(!(k in rc), `MESSAGE requestContext must not carry ${k}`);
        }

        // Same connection: same connectionId and connectedAt; fresh messageId/requestId.
        assert.equal(again.requestContext.connectionId, rc.connectionId);
        assert.equal(again.requestContext.connectedAt, rc.connectedAt);
        assert.notEqual(again.requestContext.messageId, rc.messageId);
        assert.notEqual(again.requestContext.requestId, rc.requestId);
        await c.close(1000);
    });

    test('binary frame → close 1003', async () => {
        await withBystander(gw, async () => {
            const c = await openClient(gw.wsUrl);
            await c.send(Buffer.from([1, 2, 3, 4]), { binary: true });
            assert.equal((await c.closed()).code, 1003);
        });
    });

    test('single 32 KiB text frame is accepted (limit is inclusive)', async () => {
        const c = await openClient(gw.wsUrl, { perMessageDeflate: false });
        const body = 'a'.repeat(32 * KiB);
        await c.send(body);
        assert.equal(await c.nextText({ what: 'the 32 KiB echo' }), body);
        await c.close(1000);
    });

    test('single 40 KiB text frame → close 1009', async () => {
        await withBystander(gw, async () => {
            const c = await openClient(gw.wsUrl, { perMessageDeflate: false });
            await c.send('b'.repeat(40 * KiB));
            assert.equal((await c.closed()).code, 1009);
        });
    });

    test('128 KiB message in 4 fragments of 32 KiB is accepted', async () => {
        const c = await openClient(gw.wsUrl, { perMessageDeflate: false });
        const parts = ['c', 'd', 'e', 'f'].map((ch) => ch.repeat(32 * KiB));
        for (let i = 0; i < parts.length; ++i) await c.send(parts[i], { fin: i === parts.length - 1 });
        assert.equal(await c.nextText({ what: 'the 128 KiB echo', timeoutMs: 20000 }), parts.join(''));
        await c.close(1000);
    });

    test('130 KiB message in fragments of ≤ 32 KiB → close 1009', async () => {
        await withBystander(gw, async () => {
            const c = await openClient(gw.wsUrl, { perMessageDeflate: false });
            // 4 × 32 KiB + 2 KiB = 130 KiB; every frame is within the frame limit.
            const parts = [32, 32, 32, 32, 2].map((k) => 'g'.repeat(k * KiB));
            try {
                for (let i = 0; i < parts.length; ++i) await c.send(parts[i], { fin: i === parts.length - 1 });
            } catch {
                // the server may close before the last fragment is written; the close code decides
            }
            assert.equal((await c.closed()).code, 1009);
        });
    });

    test('invalid UTF-8 in a text frame → close 1007', async () => {
        await withBystander(gw, async () => {
            const c = await openClient(gw.wsUrl);
            await c.send(Buffer.from([0x68, 0x69, 0xff, 0xfe]), { binary: false });
            assert.equal((await c.closed()).code, 1007);
        });
    });

    test('broadcast reaches 3 clients', async () => {
        const clients = await Promise.all([0, 1, 2].map(() => openClient(gw.wsUrl)));
        const data = token('broadcast');
        await clients[1].sendJson({ action: 'broadcast', data });
        for (const [i, c] of clients.entries()) {
            assert.equal(
                (await c.next({ pred: (f) => f.text === data, what: `broadcast on client ${i}` })).text,
                data,
            );
        }
        await Promise.all(clients.map((c) => c.close(1000)));
    });

    test('watch: $disconnect status codes and reasons (4000, 1000, 1005)', async () => {
        const watcher = await openClient(gw.wsUrl);
        await watcher.sendJson({ action: 'watch' });
        await watcher.nextJson({ pred: (o) => o.watching === true, what: 'the watch acknowledgement' });

        const notice = (id) =>
            watcher.nextJson({
                pred: (o) => o.event === 'disconnected' && o.connectionId === id,
                what: `the disconnected notice for ${id}`,
            });
        const cases = [
            { code: 4000, reason: 'custom bye', expectCode: 4000 },
            { code: 1000, reason: undefined, expectCode: 1000 },
            { code: undefined, reason: undefined, expectCode: 1005, expectReason: 'Client-side close frame status not set' },
        ];
        for (const tc of cases) {
            const c = await openClient(gw.wsUrl);
            const id = await connectionIdOf(c);
            await c.close(tc.code, tc.reason);
            const n = await notice(id);
            assert.equal(n.disconnectStatusCode, tc.expectCode, `close(${tc.code}) → ${JSON.stringify(n)}`);
            assert.equal(typeof n.disconnectReason, 'string');
            if (tc.expectReason !== undefined) assert.equal(n.disconnectReason, tc.expectReason);
        }
        await watcher.close(1000);
    });

    test('two-way route ping returns {"pong":true}', async () => {
        const c = await openClient(gw.wsUrl);
        await c.sendJson({ action: 'ping' });
        const text = await c.nextText({ what: 'the ping route response' });
        assert.deepEqual(JSON.parse(text), { pong: true });
        assert.equal(text, '{"pong":true}');
        await c.close(1000);
    });

    test('sleep route answers after the delay; other connections are served meanwhile', async () => {
        const slow = await openClient(gw.wsUrl);
        const fast = await openClient(gw.wsUrl);
        await slow.sendJson({ action: 'sleep', ms: 1500 });
        const t = token('fast');
        const started = Date.now();
        await fast.send(t);
        assert.equal(await fast.nextText({ what: 'echo while another handler sleeps' }), t);
        const fastMs = Date.now() - started;
        assert.deepEqual(JSON.parse(await slow.nextText({ what: 'the sleep reply' })), { slept: 1500 });
        assert.ok(fastMs < 1500, `echo on another connection waited ${fastMs} ms behind a sleeping handler`);
        await Promise.all([slow.close(1000), fast.close(1000)]);
    });

    test('20 messages on one connection come back in order', async () => {
        const c = await openClient(gw.wsUrl);
        const sent = Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(2, '0')}-${token()}`);
        await Promise.all(sent.map((m) => c.send(m)));
        const got = [];
        for (let i = 0; i < sent.length; ++i) got.push(await c.nextText({ what: `reply ${i}` }));
        assert.deepEqual(got, sent);
        await c.close(1000);
    });

    // Keep last: it stops this suite's gateway.
    test('SIGTERM closes open sockets with 1001 and the gateway exits within 2 s', async () => {
        const clients = await Promise.all([0, 1].map(() => openClient(gw.wsUrl)));
        const started = Date.now();
        const exit = gw.stop();
        for (const c of clients) assert.equal((await c.closed(5000)).code, 1001);
        const info = await exit;
        const ms = Date.now() - started;
        assert.equal(info.signal, null, 'the gateway died from SIGTERM instead of handling it');
        assert.ok(ms <= 2000, `gateway took ${ms} ms to exit after SIGTERM`);
    });
});

describe('example-echo lifecycle', () => {
    test('SIGTERM right after the banner: handled, exits within 2 s (5 rounds)', async () => {
        const bin = binFromEnv('LIFT_ECHO_BIN', 'example-echo');
        const rounds = [];
        for (let i = 0; i < 5; ++i) {
            const gw = await startGateway(bin);
            const started = Date.now();
            const info = await gw.stop(); // no traffic: SIGTERM follows the banner immediately
            rounds.push({ ...info, ms: Date.now() - started });
        }
        const bad = rounds.filter((r) => r.signal !== null || r.ms > 2000);
        assert.deepEqual(bad, [], `rounds: ${JSON.stringify(rounds)}`);
    });
});

describe('ws client vs example-chat', () => {
    let gw;
    before(async () => {
        gw = await startGateway(binFromEnv('LIFT_CHAT_BIN', 'example-chat'));
    });
    after(async () => {
        await gw?.stop();
    });

    const chatUrl = (name, room) =>
        `${gw.wsUrl}?name=${encodeURIComponent(name)}` + (room ? `&room=${encodeURIComponent(room)}` : '');

    test('$connect without name → HTTP 400', async () => {
        await assert.rejects(openClient(gw.wsUrl), (err) => {
            assert.equal(err.statusCode, 400, `expected HTTP 400, got: ${err.message}`);
            return true;
        });
        await assert.rejects(openClient(gw.wsUrl + '?room=lobby'), (err) => {
            assert.equal(err.statusCode, 400, `expected HTTP 400, got: ${err.message}`);
            return true;
        });
    });

    test('unknown action / non-JSON body without $default → exact Forbidden frame, socket stays open', async () => {
        const room = token('room');
        const side = token('side');
        const c = await openClient(chatUrl('carol', room));
        await c.sendJson({ action: 'join', room: side }); // `joined` tells carol her connectionId
        const joined = await c.nextJson({ pred: (o) => o.type === 'joined' && o.room === side });
        assert.equal(joined.name, 'carol');
        const id = joined.connectionId;
        assert.match(id, idPattern);

        for (const body of [JSON.stringify({ action: 'no-such-action' }), 'not json at all']) {
            await c.send(body);
            const text = await c.nextText({ what: `Forbidden frame for ${body}` });
            const ids = frameIds(text, 'Forbidden');
            assert.equal(ids.connectionId, id);
            assert.match(ids.requestId, idPattern);
            assert.equal(text, forbiddenFrame(id, ids.requestId));
        }
        await c.sendJson({ action: 'who', room });
        const who = await c.nextJson({ pred: (o) => o.type === 'who', what: 'who after Forbidden' });
        assert.deepEqual(who, { type: 'who', room, members: ['carol'] });
        await c.close(1000);
    });

    test('join / send / who / leave flow between two clients', async () => {
        const room = token('room');
        const alice = await openClient(chatUrl('alice', room));
        await alice.sendJson({ action: 'who', room });
        assert.deepEqual(await alice.nextJson({ pred: (o) => o.type === 'who' }), {
            type: 'who',
            room,
            members: ['alice'],
        });

        const bob = await openClient(chatUrl('bob', room));
        const bobJoined = await alice.nextJson({ pred: (o) => o.type === 'joined' && o.name === 'bob' });
        assert.equal(bobJoined.room, room);
        assert.match(bobJoined.connectionId, idPattern);
        const bobId = bobJoined.connectionId;

        await bob.sendJson({ action: 'who', room });
        const who = await bob.nextJson({ pred: (o) => o.type === 'who' });
        assert.equal(who.room, room);
        assert.deepEqual([...who.members].sort(), ['alice', 'bob']);

        const text = `hello <b>bob</b> & "friends" ${token()}`;
        const before = Date.now();
        await alice.sendJson({ action: 'send', room, text });
        let aliceId;
        for (const [name, c] of [['alice', alice], ['bob', bob]]) {
            const m = await c.nextJson({ pred: (o) => o.type === 'message', what: `message on ${name}` });
            assert.equal(m.room, room);
            assert.equal(m.name, 'alice');
            assert.equal(m.text, text);
            assert.match(m.connectionId, idPattern);
            assert.notEqual(m.connectionId, bobId);
            assert.equal(typeof m.ts, 'number');
            assert.ok(Math.abs(m.ts - before) < 60000, `ts ${m.ts} is not epoch ms near now`);
            if (aliceId === undefined) aliceId = m.connectionId;
            assert.equal(m.connectionId, aliceId);
        }

        // A second room: only its members hear about it.
        const other = token('other');
        await bob.sendJson({ action: 'join', room: other });
        const bj = await bob.nextJson({ pred: (o) => o.type === 'joined' && o.room === other });
        assert.deepEqual(bj, { type: 'joined', room: other, name: 'bob', connectionId: bobId });
        await bob.sendJson({ action: 'send', room: other, text: 'only bob' });
        await bob.nextJson({ pred: (o) => o.type === 'message' && o.room === other });

        // Leave: everyone in the room, sender included, sees `left`; afterwards sending there fails.
        await bob.sendJson({ action: 'leave', room });
        for (const [name, c] of [['alice', alice], ['bob', bob]]) {
            const l = await c.nextJson({ pred: (o) => o.type === 'left' && o.room === room, what: `left on ${name}` });
            assert.deepEqual(l, { type: 'left', room, name: 'bob', connectionId: bobId });
        }
        await bob.sendJson({ action: 'send', room, text: 'not a member' });
        const err = await bob.nextJson({ pred: (o) => o.type === 'error', what: 'error for non-member send' });
        assert.equal(typeof err.message, 'string');
        assert.ok(err.message.length > 0);

        // alice never saw the other room's traffic.
        assert.ok(
            !alice.frames.some((f) => f.text && f.text.includes(other)),
            'alice received frames for a room she is not in',
        );

        // Disconnect: remaining room members get `left`.
        await alice.sendJson({ action: 'join', room: other });
        for (const c of [alice, bob]) {
            const j = await c.nextJson({ pred: (o) => o.type === 'joined' && o.room === other && o.name === 'alice' });
            assert.equal(j.connectionId, aliceId);
        }
        await bob.close(1000);
        const gone = await alice.nextJson({ pred: (o) => o.type === 'left' && o.room === other, what: 'left after bob disconnects' });
        assert.deepEqual(gone, { type: 'left', room: other, name: 'bob', connectionId: bobId });
        assert.notEqual(aliceId, bobId);
        await alice.close(1000);
    });
});
