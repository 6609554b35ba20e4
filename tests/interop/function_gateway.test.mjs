// Any language behind `lift gateway`: a Node.js handler (tests/interop/lambda/echo/index.mjs)
// run by the official Runtime Interface Client, npm `aws-lambda-ric`, as its `bootstrap`, with
// the Node `ws` client checking what a client sees. Run by CTest (label interop) or by hand:
//   LIFT_BIN=../../build/bin/lift node --test function_gateway.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { binFromEnv, interopDir, openClient, startGateway, token } from './lib/harness.mjs';

const ric = path.join(interopDir, 'node_modules', 'aws-lambda-ric', 'bin', 'index.mjs');
const bootstrap = path.join(interopDir, 'lambda', 'echo', 'bootstrap');

describe('Node.js handler through aws-lambda-ric behind lift gateway', () => {
    let gw;
    before(async () => {
        assert.ok(existsSync(ric), `${ric} is missing: run \`npm ci\` in tests/interop`);
        gw = await startGateway(
            binFromEnv('LIFT_BIN', 'lift'),
            [
                '--route', `$connect=${bootstrap}`, '--route', `$disconnect=${bootstrap}`,
                '--route', `$default=${bootstrap}`, '--handler', 'index.handler',
                '--two-way', '$default', '--timeout', '5',
            ],
            { leadingArgs: ['gateway'] },
        );
    });
    after(async () => {
        await gw?.stop();
    });

    test('echo round trip, warm reuse', async () => {
        const c = await openClient(gw.wsUrl);
        for (let i = 0; i < 3; ++i) {
            const t = token('node');
            c.send(t);
            assert.equal(await c.nextText(), t);
        }
        await c.close(1000);
        assert.equal((gw.output().match(/cold start #/g) ?? []).length, 1, gw.output());
    });

    test('the handler sees a proxy event and a Lambda context', async () => {
        const c = await openClient(gw.wsUrl);
        c.send('whoami');
        const who = await c.nextJson();
        assert.equal(who.routeKey, '$default');
        assert.equal(who.eventType, 'MESSAGE');
        assert.equal(who.functionName, 'echo');
        assert.match(who.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(who.arn, 'arn:aws:lambda:us-east-1:123456789012:function:echo');
        assert.ok(who.remainingMs > 3000 && who.remainingMs <= 5000, `remaining ${who.remainingMs}`);
        await c.close(1000);
    });

    test('a thrown error is the Internal server error frame; the socket stays open', async () => {
        const c = await openClient(gw.wsUrl);
        c.send('throw');
        const frame = await c.nextJson();
        assert.equal(frame.message, 'Internal server error');
        const t = token('after');
        c.send(t);
        assert.equal(await c.nextText(), t);
        await c.close(1000);
        assert.match(gw.output(), /function echo failed \(Error\)|handler failed on purpose/);
    });

    test('$connect answered 401 by the Node handler fails the handshake with HTTP 401', async () => {
        await assert.rejects(openClient(`${gw.wsUrl}?deny=1`), (err) => {
            assert.equal(err.statusCode, 401, `expected HTTP 401, got: ${err.message}`);
            return true;
        });
        const c = await openClient(gw.wsUrl); // and everyone else gets in
        c.send('still here');
        assert.equal(await c.nextText(), 'still here');
        await c.close(1000);
    });

    test('a handler past its timeout: Internal server error frame, instance recycled', async () => {
        const c = await openClient(gw.wsUrl);
        c.send('sleep');
        const frame = await c.nextJson({ timeoutMs: 15000 });
        assert.equal(frame.message, 'Internal server error');
        assert.match(gw.output(), /Task timed out after 5\.00 seconds/);
        const t = token('after-timeout'); // a fresh instance answers
        c.send(t);
        assert.equal(await c.nextText({ timeoutMs: 15000 }), t);
        await c.close(1000);
    });
});
