// Interop: Debian's Chromium driven by playwright-core (pinned in package-lock.json) against
// example-chat and its page (examples/chat/web/index.html). Two browser contexts (alice, bob)
// chat through the gateway. Screenshots land in a fresh temp dir (printed as a diagnostic).
// By hand, from tests/interop:
//   LIFT_CHAT_BIN=../../build/bin/example-chat node --test chromium_chat.test.mjs
// LIFT_CHROMIUM overrides the browser path (default /usr/bin/chromium).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { binFromEnv, openClient, requireInteropModule, startGateway, token } from './lib/harness.mjs';

const { chromium } = requireInteropModule('playwright-core');
const executablePath = process.env.LIFT_CHROMIUM || '/usr/bin/chromium';
const WAIT = 15000;

describe('Chromium chat page vs example-chat', () => {
    let gw;
    let browser;
    let shots;
    const pages = {};
    const pageErrors = [];

    before(async () => {
        assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath}; run scripts/install-deps.sh`);
        shots = mkdtempSync(path.join(os.tmpdir(), 'lift-chromium-chat-'));
        gw = await startGateway(binFromEnv('LIFT_CHAT_BIN', 'example-chat'));
        browser = await chromium.launch({
            executablePath,
            headless: true,
            timeout: 60000,
            args: [
                '--no-sandbox',
                '--disable-gpu',
                '--disable-quic',
                '--no-first-run',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-sync',
            ],
        });
    });

    after(async () => {
        await browser?.close();
        await gw?.stop();
    });

    async function openAs(name) {
        const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
        const page = await context.newPage();
        page.setDefaultTimeout(WAIT);
        page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`));
        page.on('console', (msg) => {
            if (msg.type() === 'error' && !/WebSocket/.test(msg.text())) pageErrors.push(`${name} console: ${msg.text()}`);
        });
        const response = await page.goto(`${gw.httpUrl}/?name=${encodeURIComponent(name)}`);
        assert.equal(response.status(), 200);
        assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
        pages[name] = page;
        return page;
    }

    const state = (page) => page.getByTestId('conn-state');

    test('page is served and both users connect', async () => {
        const alice = await openAs('alice');
        await state(alice).and(alice.locator('[data-state="connected"]')).waitFor();
        assert.equal(await state(alice).textContent(), 'connected');

        const bob = await openAs('bob');
        await state(bob).and(bob.locator('[data-state="connected"]')).waitFor();
        assert.equal(await state(bob).textContent(), 'connected');

        // alice is told that bob arrived ($connect → joined to the room's members).
        await alice.locator('[data-testid="event"][data-kind="joined"]', { hasText: 'bob joined #lobby' }).waitFor();
        // bob asked `who` once open: both names are listed.
        const members = bob.getByTestId('member-list');
        await members.getByText('alice', { exact: true }).waitFor();
        await members.getByText('bob', { exact: true }).waitFor();
        assert.equal(await bob.getByTestId('current-room').textContent(), '#lobby');
    });

    test('alice sends a message and bob sees it', async (t) => {
        const { alice, bob } = pages;
        const text = `hello bob <b>not bold</b> & "quotes" ${token()}`;
        await alice.getByTestId('message-input').fill(text);
        await alice.getByTestId('send-button').click();

        const onBob = bob.locator('[data-testid="message"][data-author="alice"][data-room="lobby"]', { hasText: text });
        await onBob.waitFor();
        assert.equal(await onBob.locator('.text').textContent(), text);
        assert.equal(await bob.locator('#message-list b').count(), 0, 'user text must not become markup');
        // alice sees her own message too (the room includes the sender).
        await alice.locator('[data-testid="message"][data-author="alice"]', { hasText: text }).waitFor();
        assert.equal(await alice.getByTestId('message-input').inputValue(), '');

        await alice.screenshot({ path: path.join(shots, 'alice.png') });
        await bob.screenshot({ path: path.join(shots, 'bob.png') });
        t.diagnostic(`screenshots in ${shots}`);
    });

    test('user text is escaped, never executed', async () => {
        const { alice, bob } = pages;
        const payload = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> ${token()}`;
        await alice.getByTestId('message-input').fill(payload);
        await alice.getByTestId('message-input').press('Enter');
        await bob.locator('[data-testid="message"]', { hasText: payload }).waitFor();
        assert.equal(await bob.evaluate(() => window.__pwned), undefined);
        assert.equal(await bob.locator('#message-list img, #message-list script').count(), 0);
    });

    test('bob joins another room; alice does not get its messages', async () => {
        const { alice, bob } = pages;
        const room = token('side');
        await bob.getByTestId('join-input').fill(room);
        await bob.getByTestId('join-button').click();
        await bob.locator(`[data-testid="room"][data-room="${room}"]`).waitFor();
        await bob.getByTestId('current-room').filter({ hasText: `#${room}` }).waitFor();

        const secret = `only in ${room}`;
        await bob.getByTestId('message-input').fill(secret);
        await bob.getByTestId('send-button').click();
        await bob.locator(`[data-testid="message"][data-room="${room}"]`, { hasText: secret }).waitFor();

        // A later lobby message reaches alice; the side-room one must not have.
        await bob.locator(`[data-testid="room"][data-room="lobby"]`).click();
        const marker = token('lobby-again');
        await bob.getByTestId('message-input').fill(marker);
        await bob.getByTestId('send-button').click();
        await alice.locator('[data-testid="message"]', { hasText: marker }).waitFor();
        assert.equal(await alice.locator('[data-testid="message"]', { hasText: secret }).count(), 0);

        // Leaving from the room list.
        await bob.locator(`[data-testid="leave-room"][data-room="${room}"]`).click();
        await bob.locator(`[data-testid="room"][data-room="${room}"]`).waitFor({ state: 'detached' });
    });

    test('a server-side close (DELETE @connections) makes the page reconnect by itself', async () => {
        const { alice } = pages;
        const observer = await openClient(`${gw.wsUrl}?name=observer&room=lobby`);
        try {
            const marker = token('whoami');
            await alice.getByTestId('message-input').fill(marker);
            await alice.getByTestId('send-button').click();
            const m = await observer.nextJson({ pred: (o) => o.type === 'message' && o.text === marker });
            const oldId = m.connectionId;

            const res = await fetch(`${gw.httpUrl}/dev/@connections/${encodeURIComponent(oldId)}`, { method: 'DELETE' });
            assert.equal(res.status, 204);
            await state(alice).and(alice.locator('[data-state="reconnecting"]')).waitFor();
            await state(alice).and(alice.locator('[data-state="connected"]')).waitFor();
            const back = await observer.nextJson({
                pred: (o) => o.type === 'joined' && o.name === 'alice' && o.room === 'lobby',
                what: 'alice re-joining lobby',
            });
            assert.notEqual(back.connectionId, oldId);
        } finally {
            await observer.close(1000);
        }
    });

    test('gateway shutdown shows "reconnecting in Ns"', async () => {
        const { alice, bob } = pages;
        await gw.stop();
        for (const page of [alice, bob]) {
            await state(page).and(page.locator('[data-state="reconnecting"]')).waitFor();
            assert.match(await state(page).textContent(), /^reconnecting in \d+s$/);
        }
        await alice.screenshot({ path: path.join(shots, 'alice-reconnecting.png') });
        assert.deepEqual(pageErrors, []);
    });
});
