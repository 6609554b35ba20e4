#!/usr/bin/env node
// Helper client for the @connections tests (aws_cli_test.sh, boto3_test.py): connects to
// example-echo, learns its connectionId through the `inspect` route, then reports every frame
// it receives, one line each, flushed:
//
//   CONNECTED <connectionId>
//   FRAME <frame text as a JSON string>      (BINARY <base64> for a binary frame)
//   CLOSE <code> <reason as a JSON string>   then exits 0
//   ERROR <message>                          then exits 1
//
// Usage: node ws_listen.mjs ws://127.0.0.1:PORT/dev [--watch] [--no-inspect] [--max-seconds N]
// --no-inspect skips the inspect round trip: it prints `OPEN` once connected instead of
// CONNECTED (for gateways whose handlers cannot answer the client, e.g. when their management
// endpoint points elsewhere).
// --watch first sends {"action":"watch"} (acknowledged with {"watching":true}) so the echo
// handler reports every disconnect to this client.
// SIGTERM/SIGINT close the socket with 1000; after --max-seconds (default 120) it exits 2.
// Each line on stdin is a JSON string sent as one text frame (once connected; sending earlier
// reports ERROR), so a test can also talk: `"{\"action\":\"broadcast\",\"data\":\"hi\"}"`.

import { createInterface } from 'node:readline';

import { requireInteropModule } from './lib/harness.mjs';

const wsModule = requireInteropModule('ws');
const WebSocket = wsModule.WebSocket ?? wsModule;

const url = process.argv[2];
const maxIdx = process.argv.indexOf('--max-seconds');
const maxSeconds = maxIdx > 0 ? Number(process.argv[maxIdx + 1]) : 120;
const watch = process.argv.includes('--watch');
const inspect = !process.argv.includes('--no-inspect');
if (!url || !/^wss?:\/\//.test(url) || !(maxSeconds > 0)) {
    process.stderr.write('usage: node ws_listen.mjs ws://HOST:PORT/STAGE [--watch] [--max-seconds N]\n');
    process.exit(64);
}

const say = (line) => process.stdout.write(line + '\n');
const marker = `ws_listen-${process.pid}-${Date.now()}`;
let connectionId = null;

const ws = new WebSocket(url, { headers: { 'User-Agent': 'lift-interop-listener/1.0' } });

const lifetime = setTimeout(() => {
    say(`ERROR no close within ${maxSeconds} s`);
    ws.terminate();
    process.exit(2);
}, maxSeconds * 1000);

ws.on('unexpected-response', (_req, res) => {
    say(`ERROR handshake refused with HTTP ${res.statusCode}`);
    process.exit(1);
});
ws.on('error', (err) => {
    say(`ERROR ${err.message}`);
    process.exit(1);
});
let watching = !watch;
ws.on('open', () => {
    if (!inspect) {
        say('OPEN');
        return;
    }
    // With --watch, inspect is sent once `watch` is acknowledged, so CONNECTED also means the
    // watch is in place.
    ws.send(JSON.stringify(watch ? { action: 'watch' } : { action: 'inspect', marker }));
});
ws.on('message', (data, isBinary) => {
    if (isBinary) {
        say(`BINARY ${data.toString('base64')}`);
        return;
    }
    const text = data.toString('utf8');
    if (!watching && text === '{"watching":true}') {
        watching = true;
        ws.send(JSON.stringify({ action: 'inspect', marker }));
        return;
    }
    if (inspect && connectionId === null) {
        try {
            const event = JSON.parse(text);
            if (event?.requestContext?.routeKey === 'inspect' && event.body?.includes(marker)) {
                connectionId = event.requestContext.connectionId;
                say(`CONNECTED ${connectionId}`);
                return;
            }
        } catch {
            // not the inspect reply: report it like any other frame
        }
    }
    say(`FRAME ${JSON.stringify(text)}`);
});
ws.on('close', (code, reason) => {
    clearTimeout(lifetime);
    say(`CLOSE ${code} ${JSON.stringify(reason.toString('utf8'))}`);
    process.exit(0);
});

createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === '') return;
    let text;
    try {
        text = JSON.parse(line);
    } catch {
        say(`ERROR stdin line is not a JSON string: ${JSON.stringify(line)}`);
        return;
    }
    if ((inspect && connectionId === null) || ws.readyState !== WebSocket.OPEN) {
        say('ERROR a stdin line arrived before CONNECTED');
        return;
    }
    ws.send(String(text));
});

for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
        if (ws.readyState === WebSocket.OPEN) ws.close(1000);
        else process.exit(0);
    });
}
