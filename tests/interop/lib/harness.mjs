// Shared harness for the Node interop tests: start an example binary on a free port, open
// WebSocket clients, and wait on frames/closes with timeouts (never fixed sleeps).
//
//   const gw = await startGateway(binFromEnv('LIFT_ECHO_BIN', 'example-echo'));
//   const c = await openClient(gw.wsUrl);  c.send('hi');  await c.next();  await gw.stop();

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const interopDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(interopDir, '..', '..');

/// Loads an npm package from tests/interop/node_modules, or throws an error that says how to
/// install it (a missing lockfile install is a test failure, never a silent skip).
export function requireInteropModule(name) {
    const dir = path.join(interopDir, 'node_modules', name);
    if (!existsSync(dir)) {
        throw new Error(
            `npm package '${name}' is missing from ${path.join(interopDir, 'node_modules')}; ` +
                'run scripts/install-deps.sh (it runs `npm ci` in tests/interop from package-lock.json)',
        );
    }
    return createRequire(path.join(interopDir, 'package.json'))(name);
}

const wsModule = requireInteropModule('ws');
export const WebSocket = wsModule.WebSocket ?? wsModule;

/// Path of an example binary: the env var CTest sets, else build/bin/<name> for runs by hand.
export function binFromEnv(envVar, name) {
    const bin = process.env[envVar] || path.join(repoRoot, 'build', 'bin', name);
    if (!existsSync(bin)) {
        throw new Error(`${envVar}: binary not found at ${bin} (build it, or set ${envVar})`);
    }
    return bin;
}

/// Resolves `promise` or rejects after `ms` with a message naming what was awaited.
export function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const banner = /ws:\/\/127\.0\.0\.1:(\d+)\/dev/;

/// Starts `bin --port 0 ...args`, waits (≤ startupMs) for the banner line that carries the port.
/// Returns { port, wsUrl, httpUrl, pid, output(), stop() }. stop() sends SIGTERM and waits for
/// exit (≤ 5 s, then SIGKILL and throws: the server must exit within 2 s); it also throws when
/// the server had already died, so a crash mid-suite is reported with the server's output.
export async function startGateway(bin, args = [], { startupMs = 20000, leadingArgs = [] } = {}) {
    const child = spawn(bin, [...leadingArgs, '--port', '0', ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = [];
    const keep = (prefix) => (line) => {
        lines.push(prefix + line);
        if (lines.length > 400) lines.shift();
    };
    // Both pipes are always drained so the server never blocks on a full pipe.
    const out = readline.createInterface({ input: child.stdout });
    readline.createInterface({ input: child.stderr }).on('line', keep('[stderr] '));
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let exitInfo = null;
    exited.then((info) => (exitInfo = info));

    const port = await withTimeout(
        new Promise((resolve, reject) => {
            out.on('line', (line) => {
                keep('')(line);
                const m = banner.exec(line);
                if (m) resolve(Number(m[1]));
            });
            child.on('error', reject);
            exited.then(({ code, signal }) =>
                reject(new Error(`${bin} exited before printing its URL (code ${code}, signal ${signal})`)),
            );
        }),
        startupMs,
        `the 'ws://127.0.0.1:PORT/dev' line from ${path.basename(bin)}`,
    ).catch((err) => {
        child.kill('SIGKILL');
        err.message += `\n--- server output ---\n${lines.join('\n')}`;
        throw err;
    });

    return {
        port,
        pid: child.pid,
        wsUrl: `ws://127.0.0.1:${port}/dev`,
        httpUrl: `http://127.0.0.1:${port}`,
        output: () => lines.join('\n'),
        exited,
        stopping: null,
        stop() {
            this.stopping ??= this.stopOnce();
            return this.stopping;
        },
        async stopOnce() {
            if (exitInfo) {
                throw new Error(
                    `${path.basename(bin)} exited before stop() (code ${exitInfo.code}, signal ${exitInfo.signal})` +
                        `\n--- server output (last lines) ---\n${lines.slice(-60).join('\n')}`,
                );
            }
            child.kill('SIGTERM');
            try {
                return await withTimeout(exited, 5000, `${path.basename(bin)} to exit after SIGTERM`);
            } catch (err) {
                child.kill('SIGKILL');
                await exited;
                throw err;
            }
        },
    };
}

/// A WebSocket client whose frames queue up until a test asks for them.
export class Client {
    constructor(ws) {
        this.ws = ws;
        this.frames = [];
        this.waiters = [];
        this.closeInfo = null;
        this.closeWaiters = [];
        this.errors = [];
        ws.on('message', (data, isBinary) => {
            this.frames.push({ text: isBinary ? null : data.toString('utf8'), data, isBinary });
            this.#wake();
        });
        ws.on('close', (code, reason) => {
            this.closeInfo = { code, reason: reason.toString('utf8') };
            this.#wake();
            for (const w of this.closeWaiters.splice(0)) w(this.closeInfo);
        });
        ws.on('error', (err) => this.errors.push(err));
    }

    #wake() {
        for (const w of this.waiters.splice(0)) w();
    }

    get protocol() {
        return this.ws.protocol;
    }

    send(data, opts) {
        return new Promise((resolve, reject) =>
            this.ws.send(data, opts ?? {}, (err) => (err ? reject(err) : resolve())),
        );
    }

    sendJson(obj) {
        return this.send(JSON.stringify(obj));
    }

    /// Next frame satisfying `pred` (earlier non-matching frames are dropped when `drop`).
    async next({ timeoutMs = 10000, pred = () => true, what = 'a frame', drop = false } = {}) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const idx = this.frames.findIndex(pred);
            if (idx >= 0) {
                const frame = this.frames[idx];
                if (drop) this.frames.splice(0, idx + 1);
                else this.frames.splice(idx, 1);
                return frame;
            }
            if (this.closeInfo) {
                throw new Error(
                    `socket closed (${this.closeInfo.code} '${this.closeInfo.reason}') while waiting for ${what}; ` +
                        `unmatched frames: ${JSON.stringify(this.frames.map((f) => f.text))}`,
                );
            }
            const left = deadline - Date.now();
            if (left <= 0) {
                throw new Error(
                    `timed out after ${timeoutMs} ms waiting for ${what}; ` +
                        `unmatched frames: ${JSON.stringify(this.frames.map((f) => f.text))}`,
                );
            }
            let timer;
            await new Promise((resolve) => {
                timer = setTimeout(resolve, left);
                this.waiters.push(resolve);
            });
            clearTimeout(timer);
        }
    }

    /// Next frame's text (binary frames fail the wait).
    async nextText(opts = {}) {
        const frame = await this.next(opts);
        if (frame.isBinary) throw new Error('expected a text frame, got a binary frame');
        return frame.text;
    }

    /// Next frame parsed as JSON whose object satisfies `pred`.
    async nextJson({ pred = () => true, ...opts } = {}) {
        const frame = await this.next({
            ...opts,
            pred: (f) => {
                if (f.isBinary) return false;
                try {
                    return pred(JSON.parse(f.text));
                } catch {
                    return false;
                }
            },
        });
        return JSON.parse(frame.text);
    }

    /// Waits for the close handshake (or TCP end) and returns { code, reason }.
    closed(timeoutMs = 10000) {
        if (this.closeInfo) return Promise.resolve(this.closeInfo);
        return withTimeout(
            new Promise((resolve) => this.closeWaiters.push(resolve)),
            timeoutMs,
            'the socket to close',
        );
    }

    async close(code, reason) {
        if (this.closeInfo) return this.closeInfo;
        if (code === undefined) this.ws.close();
        else this.ws.close(code, reason);
        return this.closed();
    }

    terminate() {
        this.ws.terminate();
    }
}

/// Opens a WebSocket; resolves with a Client once open. Rejects on handshake failure with
/// err.statusCode set when the server answered with a non-101 HTTP status.
export function openClient(url, { protocols, timeoutMs = 10000, ...options } = {}) {
    return withTimeout(
        new Promise((resolve, reject) => {
            const ws = new WebSocket(url, protocols, options);
            const client = new Client(ws); // attach listeners before any event can fire
            ws.once('open', () => resolve(client));
            ws.once('unexpected-response', (req, res) => {
                const err = new Error(`handshake refused with HTTP ${res.statusCode}`);
                err.statusCode = res.statusCode;
                err.headers = res.headers;
                res.resume();
                reject(err);
                ws.terminate(); // still CONNECTING: aborts the request, emits error + close

            });
            ws.once('error', reject);
            ws.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
        }),
        timeoutMs,
        `WebSocket open on ${url}`,
    );
}

/// Sends {"action":"inspect"} (example-echo) and returns the proxy event the handler received.
export async function inspect(client, extra = {}) {
    const body = JSON.stringify({ action: 'inspect', ...extra });
    await client.send(body);
    return client.nextJson({
        pred: (o) => o && o.requestContext && o.requestContext.routeKey === 'inspect' && o.body === body,
        what: 'the inspect reply',
    });
}

/// Connection id of an example-echo client (via inspect).
export async function connectionIdOf(client) {
    const event = await inspect(client);
    return event.requestContext.connectionId;
}

/// Random token to tell this test's frames from any other traffic.
export function token(prefix = 't') {
    return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

export const idPattern = /^[A-Za-z0-9_-]{15}=$/;
