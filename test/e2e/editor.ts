/**
 * The editor, in a real Chromium: a real Node-RED process with this package and a simulated
 * VoxCPM2 server (eSpeak voice, so previews really speak). For each locale (en-US, zh-CN) it
 * loads the editor, finds the nodes in the palette, opens the three dialogs and every tab,
 * checks that the labels are translated, runs Test connection, Preview (tts and clone), a
 * preset and the reference info, then edits a node, deploys, clicks the injects and reads the
 * audio messages in the debug sidebar. Screenshots for the README go to docs/screenshots/.
 *
 *   node dist/test/e2e/editor.js [--package-dir DIR] [--screenshots DIR|none] [--artifacts DIR]
 *                                [--chromium PATH] [--locales en-US,zh-CN]
 *
 * --package-dir  the package Node-RED loads (default: the project root, after `npm run build:all`)
 * --screenshots  where the README's screenshots are written (default: docs/screenshots; `none`: not at all)
 * --artifacts    every screenshot, failure screenshots and Node-RED's log (default: a temp folder)
 * --chromium     the browser (default: $CHROMIUM_PATH, else chromium, chromium-browser or google-chrome on
 *                PATH, else the one `npx playwright-core install chromium` downloads)
 *
 * Prints one line per check and `editor: N passed, M failed`; exits 1 on any failure.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { FlowNode, launchNodeRed, NodeRedProcess, ROOT } from '../../tools/launch';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { PRESETS } from '../../nodes/lib/defaults';

// ---------------------------------------------------------------- options

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const PACKAGE_DIR = path.resolve(arg('package-dir') ?? ROOT);
const SHOTS_ARG = arg('screenshots') ?? path.join(ROOT, 'docs', 'screenshots');
const SHOTS_DIR = SHOTS_ARG === 'none' ? null : path.resolve(SHOTS_ARG);
const ARTIFACTS = path.resolve(arg('artifacts') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-editor-artifacts-')));
fs.mkdirSync(ARTIFACTS, { recursive: true });
/** en-US and zh-CN; any other locale is checked as English. */
const LOCALES = (arg('locales') ?? 'en-US,zh-CN').split(',').map((l) => l.trim()).filter(Boolean);
/** The whole run; everything is torn down when it is over, pass or fail. */
const RUN_LIMIT_MS = 240_000;
/** The README's pictures must stay small. */
const MAX_SHOT_BYTES = 250 * 1024;

/** A browser on this machine; undefined: Playwright's own (`npx playwright-core install chromium`). */
function findChromium(): string | undefined {
  const given = arg('chromium') ?? process.env.CHROMIUM_PATH;
  if (given) return given;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not on PATH
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- checks

let passed = 0;
let failed = 0;
let currentPage: Page | undefined;
let failShots = 0;

function ok(name: string): void {
  passed++;
  console.log(`ok   ${name}`);
}

function fail(name: string, why: string): void {
  failed++;
  console.log(`FAIL ${name}: ${why}`);
}

function assert(cond: unknown, why: string): asserts cond {
  if (!cond) throw new Error(why);
}

/** Runs one check; a failure is reported (with a screenshot of the page) and the run goes on. */
async function check(name: string, fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
    ok(name);
    return true;
  } catch (err) {
    fail(name, err instanceof Error ? err.message.split('\n')[0] : String(err));
    if (currentPage && !currentPage.isClosed()) {
      const file = path.join(ARTIFACTS, `failure-${++failShots}.png`);
      await currentPage.screenshot({ path: file }).catch(() => undefined);
      console.log(`     (screenshot: ${file})`);
    }
    return false;
  }
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/;
const HAN = /[\u3400-\u9fff]/;
const RAW_KEY = /\bvoxcpm-(server|voice|tts|clone)\.[A-Za-z]+(\.[A-Za-z]+)*/;

// ---------------------------------------------------------------- the flow

const IDS = {
  tab: 'edtab000000000001',
  inject: 'edinj000000000001',
  tts: 'edtts000000000001',
  debug: 'eddbg000000000001',
  injectClone: 'edinj000000000002',
  clone: 'edcln000000000001',
  debugClone: 'eddbg000000000002',
  server: 'edsrv000000000001',
  voice: 'edvoc000000000001',
};
const LAUNDRY = '洗衣机已经洗好了。';
const CLONE_TEXT = '接下来我们继续介绍系统的核心功能。';
const REFERENCE = 'node_modules/@voxcpm/node-red-voxcpm/examples/reference-zh.wav';
const TRANSCRIPT = '大家好，欢迎来到今天的产品介绍。接下来我们将一起了解这个系统的核心功能。';
/** The prompts of the presets menu, in its order (nodes/lib/defaults.ts, which the editor bundle shows). */
const PRESET_PROMPTS = PRESETS.map((p) => p.prompt);

function flows(url: string): FlowNode[] {
  const synth = { text: 'payload', output: 'payload', promptType: 'str', maxChunk: '150', pause: '150', streaming: false, outputFormat: 'wav', sampleRate: '0', leadIn: '0' };
  const debug = { active: true, tosidebar: true, console: false, tostatus: false, complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto' };
  return [
    { id: IDS.tab, type: 'tab', label: 'VoxCPM', disabled: false, info: '' },
    { id: IDS.inject, type: 'inject', z: IDS.tab, name: '', props: [{ p: 'payload' }], repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: '', payload: LAUNDRY, payloadType: 'str', x: 140, y: 100, wires: [[IDS.tts]] },
    { id: IDS.tts, type: 'voxcpm-tts', z: IDS.tab, name: '', server: IDS.server, prompt: '', ...synth, x: 400, y: 100, wires: [[IDS.debug]] },
    { id: IDS.debug, type: 'debug', z: IDS.tab, name: 'laundry audio', ...debug, x: 630, y: 100, wires: [] },
    { id: IDS.injectClone, type: 'inject', z: IDS.tab, name: '', props: [{ p: 'payload' }], repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: '', payload: CLONE_TEXT, payloadType: 'str', x: 200, y: 180, wires: [[IDS.clone]] },
    { id: IDS.clone, type: 'voxcpm-clone', z: IDS.tab, name: '', server: IDS.server, prompt: '', ...synth, reference: REFERENCE, referenceText: TRANSCRIPT, x: 470, y: 180, wires: [[IDS.debugClone]] },
    { id: IDS.debugClone, type: 'debug', z: IDS.tab, name: 'cloned speech', ...debug, x: 670, y: 180, wires: [] },
    {
      id: IDS.server, type: 'voxcpm-server', name: 'VoxCPM2 simulator', url, timeout: '60', concurrency: '1', queueLimit: '100', retries: '1',
      maxResponseMB: '100', warmup: false, cache: true, cacheSize: '64', cacheDir: '', urlTtl: '600', publicUrl: '', authType: 'none', headerName: '', tls: '', proxy: '',
    },
    { id: IDS.voice, type: 'voxcpm-voice', name: 'Anna', prompt: '', reference: REFERENCE, referenceText: TRANSCRIPT },
  ];
}

// ---------------------------------------------------------------- helpers

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function withDeadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/** Screenshot of the page or one element, into the artifacts; `readme` also copies it to docs/screenshots/. */
async function shoot(page: Page, name: string, target?: string, readme = false): Promise<void> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  if (target) await page.locator(target).last().screenshot({ path: file, animations: 'disabled' });
  else await page.screenshot({ path: file, animations: 'disabled' });
  if (readme && SHOTS_DIR) {
    const size = fs.statSync(file).size;
    await check(`screenshot ${name}.png is under 250 KB`, async () => {
      assert(size < MAX_SHOT_BYTES, `${Math.round(size / 1024)} KB`);
    });
    fs.mkdirSync(SHOTS_DIR, { recursive: true });
    fs.copyFileSync(file, path.join(SHOTS_DIR, `${name}.png`));
  }
}

/** The top edit tray (a config dialog opens over the node's). */
const TOP_TRAY = '#red-ui-editor-stack > .red-ui-tray:last-child';
/** The node's own form in that tray (beside it: the description and appearance panes). */
const TOP_FORM = `${TOP_TRAY} :is(form#dialog-form, form#node-config-dialog-edit-form)`;

/** Waits until the element's text is set and no spinner is left; returns the text. */
async function settledText(page: Page, selector: string, timeout = 20_000): Promise<string> {
  await page.waitForFunction(
    (sel) => {
      const el = (globalThis as any).document.querySelector(sel);
      return !!el && el.textContent.trim() !== '' && !el.querySelector('.fa-spinner');
    },
    selector,
    { timeout },
  );
  return page.locator(selector).innerText();
}

interface DialogTexts {
  labels: string[];
  tabs: string[];
  buttons: string[];
  /** Visible text, placeholders, option texts: where an untranslated key would show. */
  all: string;
}

/** What the top tray's form shows right now (visible elements only). */
function dialogTexts(page: Page): Promise<DialogTexts> {
  return page.evaluate((formSelector) => {
    const w = globalThis as any;
    const form = w.document.querySelector(formSelector);
    if (!form) throw new Error('no edit form in the top tray');
    const visible = (el: any) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    const text = (el: any) => String(el.textContent || '').replace(/\s+/g, ' ').trim();
    const pick = (sel: string) =>
      (Array.from(form.querySelectorAll(sel)) as any[]).filter(visible).map(text).filter((t) => t !== '');
    const extra = (Array.from(form.querySelectorAll('[placeholder]')) as any[]).map((el) => el.getAttribute('placeholder'))
      .concat((Array.from(form.querySelectorAll('option')) as any[]).map(text));
    return {
      labels: pick('label'),
      tabs: pick('.red-ui-tab-label'),
      buttons: pick('button[id^="voxcpm-"]'),
      all: `${form.innerText}\n${extra.join('\n')}`,
    };
  }, TOP_FORM);
}

/** Every label, tab and button in the language of the page; no i18n key left. */
function assertTranslated(texts: DialogTexts, zh: boolean): void {
  const items = [...texts.labels, ...texts.tabs, ...texts.buttons];
  assert(items.length > 0, 'no labels found');
  const wrong = items.filter((t) => (zh ? !HAN.test(t) : CJK.test(t)));
  assert(wrong.length === 0, `${zh ? 'not Chinese' : 'Chinese in English UI'}: ${JSON.stringify(wrong)}`);
  const key = RAW_KEY.exec(texts.all);
  assert(!key, `untranslated key ${key?.[0]}`);
}

/** Clicks each tab of a dialog in turn; checks the labels of each, and screenshots it. */
async function visitTabs(page: Page, prefix: string, tabIds: string[], zh: boolean, shotPrefix: string): Promise<void> {
  for (const id of tabIds) {
    // A click while the tray still slides in or the tabs resize can land beside the tab: retry.
    for (let attempt = 1; ; attempt++) {
      await page.locator(`#${prefix}-tabs a[href="#${id}"]`).click();
      const shown = await page.locator(`#${id}`).waitFor({ state: 'visible', timeout: 1500 }).then(() => true, () => false);
      if (shown) break;
      assert(attempt < 4, `tab ${id} does not open`);
    }
    const others = await page.evaluate(
      ([p, shown]) => (Array.from((globalThis as any).document.querySelectorAll(`#${p}-tabs-content > div`)) as any[])
        .filter((d) => d.id !== shown && d.style.display !== 'none').map((d) => d.id),
      [prefix, id],
    );
    assert(others.length === 0, `tab ${id} shown together with ${others.join(', ')}`);
    assertTranslated(await dialogTexts(page), zh);
    await tidyTray(page);
    await shoot(page, `${shotPrefix}-${id.replace(`${prefix}-tab-`, '')}`, TOP_TRAY);
  }
}

/** Closes the top tray with one of its buttons; the tray under it (if any) comes back. */
async function closeTray(page: Page, button: '#node-dialog-cancel' | '#node-dialog-ok' | '#node-config-dialog-cancel'): Promise<void> {
  const target = page.locator(`${TOP_TRAY} ${button}`);
  await target.click();
  await target.waitFor({ state: 'detached', timeout: 5000 });
}

/** Scrolls the top tray back to its start and moves the mouse off the tabs (no tooltip in the picture). */
async function tidyTray(page: Page): Promise<void> {
  await page.mouse.move(1270, 790);
  await page.evaluate((tray) => {
    const el = (globalThis as any).document.querySelector(`${tray} .red-ui-tray-content`);
    if (el) el.scrollTop = 0;
  }, TOP_TRAY);
  await page.waitForTimeout(150);
}

async function openEditor(page: Page, id: string): Promise<void> {
  await page.evaluate((nodeId) => {
    const RED = (globalThis as any).RED;
    RED.editor.edit(RED.nodes.node(nodeId));
  }, id);
  await page.locator(TOP_FORM).waitFor({ state: 'visible', timeout: 10_000 });
}

/** The request bodies the simulator received since `from`. */
function bodies(sim: VoxCpmSimulator, from: number): Array<Record<string, unknown>> {
  return sim.requests.slice(from).map((r) => (typeof r.body === 'object' && r.body ? (r.body as Record<string, unknown>) : {}));
}

// ---------------------------------------------------------------- one locale

async function runLocale(browser: Browser, url: string, sim: VoxCpmSimulator, locale: string, consoleIgnored: RegExp[]): Promise<void> {
  const zh = locale.startsWith('zh');
  const tag = locale;
  const context: BrowserContext = await browser.newContext({ locale, viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  currentPage = page;
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = `${m.text()} (${m.location().url || 'no url'})`;
    if (!consoleIgnored.some((re) => re.test(text))) problems.push(`console.error: ${text}`);
  });
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText ?? '';
    // The dialogs stop their players on close (src removed, blob URL revoked): Chromium reports
    // the media element's cancelled read of that blob as a failed request. Nothing is lost.
    if (req.url().startsWith('blob:') && why === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.url()} ${why}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && res.url().startsWith(url)) problems.push(`HTTP ${res.status()} ${res.url()}`);
  });
  page.setDefaultTimeout(15_000);
  // The editor fetches the palette catalogue from catalogue.nodered.org when it starts (for
  // update notices): answer with an empty one, so the test needs no Internet and is the same
  // everywhere. Any other request that leaves Node-RED is refused and reported.
  await context.route(
    (u) => !u.href.startsWith(url) && /^https?:$/.test(u.protocol),
    (route) => {
      if (/^https:\/\/catalogue\.nodered\.org\//.test(route.request().url())) {
        return route.fulfill({ json: { name: 'Node-RED Community catalogue', updated_at: new Date().toISOString(), modules: [] } });
      }
      problems.push(`external request: ${route.request().url()}`);
      return route.abort();
    },
  );

  try {
    // 0. The editor bundle, where nodes/voxcpm.html's <script src> asks for it.
    await check(`${tag}: Node-RED serves the editor bundle at resources/@voxcpm/node-red-voxcpm/voxcpm-editor.js`, async () => {
      const res = await page.request.get(`${url}/resources/@voxcpm/node-red-voxcpm/voxcpm-editor.js`);
      assert(res.status() === 200, `HTTP ${res.status()}`);
      assert(/javascript/.test(res.headers()['content-type'] ?? ''), `content-type ${res.headers()['content-type']}`);
      const body = await res.text();
      assert(body.includes('registerType("voxcpm-tts"'), 'the bundle does not register voxcpm-tts');
    });

    // 1. The editor, in the browser's language.
    const loaded = await check(`${tag}: the editor loads, in ${zh ? 'Chinese' : 'English'}`, async () => {
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction(
        (id) => {
          const RED = (globalThis as any).RED;
          return !!(RED && RED.nodes && RED.nodes.getType && RED.nodes.getType('voxcpm-tts') && RED.nodes.node(id) && RED.view);
        },
        IDS.tts,
        { timeout: 30_000 },
      );
      await page.locator('#red-ui-workspace-chart').waitFor({ state: 'visible' });
      await page.locator(`[id="${IDS.tts}"]`).waitFor({ state: 'visible' });
      await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden' }).catch(() => undefined);
      // Node-RED 4.1+ asks once, after loading, whether to check for updates: the demo's settings
      // (telemetry off, tools/launch.ts) answer it, so no prompt may cover the flow.
      await page.waitForTimeout(1500);
      const prompts = await page.locator('.red-ui-dialog:visible, .red-ui-notification:visible').count();
      assert(prompts === 0, `${prompts} prompt(s) cover the editor on a fresh start`);
      const language = await page.evaluate(() => (globalThis as any).navigator.language as string);
      assert(language === locale, `navigator.language is ${language}`);
      const deploy = (await page.locator('#red-ui-header-button-deploy').innerText()).trim();
      assert(zh ? HAN.test(deploy) : deploy === 'Deploy', `the Deploy button reads ${JSON.stringify(deploy)}`);
    });
    if (!loaded) return;

    // 2. The palette.
    await check(`${tag}: both flow nodes in the palette, labels translated`, async () => {
      for (const type of ['voxcpm-tts', 'voxcpm-clone']) {
        const item = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
        await item.scrollIntoViewIfNeeded();
        await item.waitFor({ state: 'visible' });
        const label = (await item.locator('.red-ui-palette-label').innerText()).trim();
        assert(label !== '' && !RAW_KEY.test(label), `${type}: label ${JSON.stringify(label)}`);
        assert(zh ? HAN.test(label) : !CJK.test(label), `${type}: label ${JSON.stringify(label)} is not ${zh ? 'Chinese' : 'English'}`);
      }
      const category = (await page.locator('#red-ui-palette-container-VoxCPM .red-ui-palette-header').innerText().catch(() => '')).trim();
      assert(/voxcpm/i.test(category), `category header ${JSON.stringify(category)}`);
    });

    // 3. The tts dialog, and the server's dialog opened from it (the pencil).
    const before = sim.requests.length;
    const previewLine = zh ? '你好，这是一次试听。' : 'Hello, this is a preview.';
    const preset = zh ? 0 : 1;
    let ttsOpen = false;
    await check(`${tag}: tts dialog opens, both tabs, labels translated`, async () => {
      await openEditor(page, IDS.tts);
      ttsOpen = true;
      await visitTabs(page, 'voxcpm-tts', ['voxcpm-tts-tab-output', 'voxcpm-tts-tab-voice'], zh, `tts-${locale}`);
    });
    if (ttsOpen) {
      let serverOpen = false;
      await check(`${tag}: server dialog (from the tts dialog), all four tabs, labels translated`, async () => {
        await page.locator('#node-input-btn-server-edit').click();
        await page.locator('#voxcpm-server-tabs').waitFor({ state: 'visible' });
        serverOpen = true;
        await visitTabs(
          page,
          'voxcpm-server',
          ['voxcpm-server-tab-queue', 'voxcpm-server-tab-cache', 'voxcpm-server-tab-security', 'voxcpm-server-tab-connection'],
          zh,
          `server-${locale}`,
        );
      });
      if (serverOpen) {
        await check(`${tag}: server dialog: Test connection answers 48000 Hz`, async () => {
          await page.locator('#voxcpm-test-button').click();
          const text = await settledText(page, '#voxcpm-test-result');
          assert(/48000/.test(text) && !/✘/.test(text), `result ${JSON.stringify(text)}`);
          assert(zh ? HAN.test(text) : /OK/.test(text) && !CJK.test(text), `result not translated: ${JSON.stringify(text)}`);
          await tidyTray(page);
          await shoot(page, zh ? 'server-dialog-zh' : 'server-dialog-en', TOP_TRAY, !zh);
        });
        await check(`${tag}: server dialog closes back to the tts dialog`, async () => {
          await closeTray(page, '#node-config-dialog-cancel');
          await page.locator('#voxcpm-tts-tabs').waitFor({ state: 'visible' });
        });
      }
      await check(`${tag}: tts dialog: a preset fills the prompt`, async () => {
        await page.locator('#voxcpm-presets').selectOption(String(preset));
        const state = await page.evaluate(() => {
          const $ = (globalThis as any).$;
          return { prompt: $('#node-input-prompt').typedInput('value'), type: $('#node-input-prompt').typedInput('type'), menu: $('#voxcpm-presets').val() };
        });
        assert(state.prompt === PRESET_PROMPTS[preset], `prompt ${JSON.stringify(state.prompt)}`);
        assert(state.type === 'str', `prompt type ${state.type}`);
        assert(state.menu === '', `the menu did not reset (${JSON.stringify(state.menu)})`);
        const options = await page.locator('#voxcpm-presets option').allInnerTexts();
        const wrong = options.filter((o) => (zh ? !HAN.test(o) : CJK.test(o)));
        assert(options.length === 10 && wrong.length === 0, `preset menu ${JSON.stringify(options)}`);
      });
      await check(`${tag}: tts dialog: Preview speaks (48000 Hz, blob audio, the dialog's prompt)`, async () => {
        await page.locator('#voxcpm-preview-text').fill(previewLine);
        await page.locator('#voxcpm-preview-button').click();
        const text = await settledText(page, '#voxcpm-preview-result', 30_000);
        assert(/48000/.test(text) && !/✘/.test(text), `result ${JSON.stringify(text)}`);
        const src = await page.locator('#voxcpm-preview-audio').getAttribute('src');
        assert(src && src.startsWith('blob:'), `audio src ${JSON.stringify(src)}`);
        const sent = bodies(sim, before).find((b) => b.text === previewLine);
        assert(sent, 'the simulator never got the preview text');
        assert(sent.prompt === PRESET_PROMPTS[preset] && sent.audio === '' && sent.reference_text === '', `sent ${JSON.stringify(sent)}`);
        await tidyTray(page);
        await shoot(page, zh ? 'tts-dialog-zh' : 'tts-dialog-en', TOP_TRAY, !zh);
      });
      // The voice field, and the voice dialog opened from it (the pencil), over the tts dialog.
      let voiceOpen = false;
      await check(`${tag}: tts dialog: the voice field offers the named voice`, async () => {
        const options = await page.locator('#node-input-voice option').allInnerTexts();
        assert(options.some((o) => o.trim() === 'Anna'), `voice options ${JSON.stringify(options)}`);
        await page.locator('#node-input-voice').selectOption(IDS.voice);
      });
      await check(`${tag}: voice dialog (from the tts dialog) opens, labels translated, reference info (11 s)`, async () => {
        await page.locator('#node-input-btn-voice-edit').click();
        await page.locator('#voxcpm-voice-presets').waitFor({ state: 'visible' });
        voiceOpen = true;
        assertTranslated(await dialogTexts(page), zh);
        const info = await settledText(page, '#voxcpm-voice-reference-info');
        assert(/\b11(\.\d)?\b/.test(info) && /Hz/.test(info) && !/✘/.test(info), `info ${JSON.stringify(info)}`);
        const state = await page.evaluate(() => {
          const $ = (globalThis as any).$;
          return { name: $('#node-config-input-name').val(), presets: $('#voxcpm-voice-presets').prop('disabled'), hint: $('#voxcpm-voice-ultimate').is(':visible'), server: $('#voxcpm-voice-server').val() };
        });
        assert(state.name === 'Anna' && state.presets === true && state.hint === true, `dialog ${JSON.stringify(state)}`);
        assert(state.server === IDS.server, `Preview's server ${JSON.stringify(state.server)}`);
      });
      if (voiceOpen) {
        await check(`${tag}: voice dialog: Preview speaks the cloned voice (reference and transcript sent, prompt empty)`, async () => {
          const line = zh ? '门铃响了。' : 'Someone is at the door.';
          const from = sim.requests.length;
          await page.locator('#voxcpm-voice-preview-text').fill(line);
          await page.locator('#voxcpm-voice-preview-button').click();
          const text = await settledText(page, '#voxcpm-voice-preview-result', 30_000);
          assert(/48000/.test(text) && !/✘/.test(text), `result ${JSON.stringify(text)}`);
          const sent = bodies(sim, from).find((b) => b.text === line);
          assert(sent && String(sent.audio).length > 10_000 && sent.reference_text === TRANSCRIPT && sent.prompt === '', `sent ${JSON.stringify(sent && { ...sent, audio: String(sent.audio).length })}`);
          await tidyTray(page);
          await shoot(page, zh ? 'voice-dialog-zh' : 'voice-dialog-en', TOP_TRAY);
        });
        await check(`${tag}: voice dialog closes back to the tts dialog`, async () => {
          await closeTray(page, '#node-config-dialog-cancel');
          await page.locator('#voxcpm-tts-tabs').waitFor({ state: 'visible' });
          // The tts node keeps its own prompt below: no voice.
          await page.evaluate(() => (globalThis as any).$('#node-input-voice').val('').trigger('change'));
        });
      }
      // The change that is deployed below: a name (and the preset's prompt) saved with Done.
      await check(`${tag}: tts dialog: rename and Done`, async () => {
        await page.locator('#node-input-name').fill(zh ? '洗衣机提醒' : 'Laundry done');
        await closeTray(page, '#node-dialog-ok');
        const state = await page.evaluate((id) => {
          const RED = (globalThis as any).RED;
          const n = RED.nodes.node(id);
          return { name: n.name, prompt: n.prompt, dirty: RED.nodes.dirty(), valid: n.valid };
        }, IDS.tts);
        assert(state.name === (zh ? '洗衣机提醒' : 'Laundry done') && state.prompt === PRESET_PROMPTS[preset], `saved ${JSON.stringify(state)}`);
        assert(state.dirty && state.valid, `dirty ${state.dirty}, valid ${state.valid}`);
      });
    }

    // 4. The clone dialog.
    let cloneOpen = false;
    const cloneBefore = sim.requests.length;
    await check(`${tag}: clone dialog opens, both tabs, labels translated`, async () => {
      await openEditor(page, IDS.clone);
      cloneOpen = true;
      await visitTabs(page, 'voxcpm-clone', ['voxcpm-clone-tab-output', 'voxcpm-clone-tab-voice'], zh, `clone-${locale}`);
    });
    if (cloneOpen) {
      await check(`${tag}: clone dialog: reference info (11 s) and its player`, async () => {
        const text = await settledText(page, '#voxcpm-reference-info');
        assert(/\b11(\.\d)?\b/.test(text) && /Hz/.test(text) && !/✘/.test(text), `info ${JSON.stringify(text)}`);
        assert(zh ? HAN.test(text) : !CJK.test(text), `info not translated: ${JSON.stringify(text)}`);
        await page.waitForFunction(() => /^blob:/.test((globalThis as any).document.getElementById('voxcpm-reference-audio').getAttribute('src') || ''), undefined, { timeout: 10_000 });
      });
      await check(`${tag}: clone dialog: transcript set, so ultimate mode (prompt and presets off)`, async () => {
        const state = await page.evaluate(() => {
          const $ = (globalThis as any).$;
          return { transcript: $('#node-input-referenceText').val(), presets: $('#voxcpm-presets').prop('disabled'), hint: $('#voxcpm-prompt-ultimate').is(':visible') };
        });
        assert(state.transcript === TRANSCRIPT, `transcript ${JSON.stringify(state.transcript)}`);
        assert(state.presets === true && state.hint === true, `presets disabled ${state.presets}, hint shown ${state.hint}`);
      });
      await check(`${tag}: clone dialog: Preview clones (48000 Hz, blob audio, reference and transcript sent)`, async () => {
        const line = zh ? '今天的会议将在下午三点开始。' : 'The meeting starts at three.';
        await page.locator('#voxcpm-preview-text').fill(line);
        await page.locator('#voxcpm-preview-button').click();
        const text = await settledText(page, '#voxcpm-preview-result', 30_000);
        assert(/48000/.test(text) && !/✘/.test(text), `result ${JSON.stringify(text)}`);
        const src = await page.locator('#voxcpm-preview-audio').getAttribute('src');
        assert(src && src.startsWith('blob:'), `audio src ${JSON.stringify(src)}`);
        const sent = bodies(sim, cloneBefore).find((b) => b.text === line);
        assert(sent, 'the simulator never got the preview text');
        assert(typeof sent.audio === 'string' && sent.audio.length > 10_000 && sent.reference_text === TRANSCRIPT && sent.prompt === '', `sent prompt ${JSON.stringify(sent.prompt)}, reference_text ${JSON.stringify(sent.reference_text)}, audio ${String(sent.audio).length} chars`);
        await tidyTray(page);
        await shoot(page, zh ? 'clone-dialog-zh' : 'clone-dialog-en', TOP_TRAY, zh);
      });
      await check(`${tag}: clone dialog: without a transcript a preset fills the prompt`, async () => {
        await page.locator('#node-input-referenceText').fill('');
        await page.waitForFunction(() => !(globalThis as any).$('#voxcpm-presets').prop('disabled'), undefined, { timeout: 3000 });
        await page.locator('#voxcpm-presets').selectOption('1');
        const prompt = await page.evaluate(() => (globalThis as any).$('#node-input-prompt').typedInput('value'));
        assert(prompt === PRESET_PROMPTS[1], `prompt ${JSON.stringify(prompt)}`);
      });
      await check(`${tag}: clone dialog: Cancel keeps the saved node`, async () => {
        await closeTray(page, '#node-dialog-cancel');
        const n = await page.evaluate((id) => {
          const node = (globalThis as any).RED.nodes.node(id);
          return { referenceText: node.referenceText, prompt: node.prompt };
        }, IDS.clone);
        assert(n.referenceText === TRANSCRIPT && n.prompt === '', `node now ${JSON.stringify(n)}`);
      });
    }

    // 5. Deploy, inject, debug sidebar.
    const deployed = await check(`${tag}: Deploy succeeds`, async () => {
      assert(await page.evaluate(() => (globalThis as any).RED.nodes.dirty()), 'nothing to deploy (the rename was not saved)');
      await page.locator('#red-ui-header-button-deploy').click();
      await page.waitForFunction(() => {
        const w = globalThis as any;
        return !w.RED.nodes.dirty() && w.document.querySelector('#red-ui-header-button-deploy').classList.contains('disabled');
      }, undefined, { timeout: 15_000 });
      const err = await page.locator('.red-ui-notification-error').count();
      assert(err === 0, 'an error notification is shown');
    });
    if (deployed) {
      await check(`${tag}: sidebar: the debug tab opens`, async () => {
        const tab = page.locator('#red-ui-tab-debug a.red-ui-tab-label');
        if (await tab.isVisible()) await tab.click();
        else await page.evaluate(() => (globalThis as any).RED.sidebar.show('debug'));
        await page.locator('#red-ui-tab-debug.active').waitFor({ timeout: 5000 });
        await page.evaluate(() => (globalThis as any).$('#red-ui-sidebar-content .red-ui-debug-content .red-ui-debug-msg').remove());
      });
      const injectBefore = sim.requests.length;
      await check(`${tag}: inject → voxcpm-tts → debug shows the audio (buffer, 48000 Hz)`, async () => {
        await page.locator(`[id="${IDS.inject}"] .red-ui-flow-node-button-button`).click();
        const msg = page.locator('.red-ui-debug-msg', { hasText: 'laundry audio' }).last();
        await msg.waitFor({ state: 'visible', timeout: 30_000 });
        const text = await msg.innerText();
        assert(/buffer\[\d+\]/.test(text) && /sampleRate/.test(text) && /48000/.test(text), `debug message ${JSON.stringify(text.slice(0, 300))}`);
        const sent = bodies(sim, injectBefore).find((b) => b.text === LAUNDRY);
        assert(sent && sent.prompt === PRESET_PROMPTS[preset], `the deployed node sent ${JSON.stringify(sent)}`);
        // Open the message, then its payload, for the picture.
        await msg.locator('.red-ui-debug-msg-object-header').first().click();
        await msg.locator('.red-ui-debug-msg-object-key', { hasText: 'payload' }).first().waitFor({ state: 'visible', timeout: 3000 }).catch(() => undefined);
      });
      await check(`${tag}: inject → voxcpm-clone → debug shows the cloned audio`, async () => {
        await page.locator(`[id="${IDS.injectClone}"] .red-ui-flow-node-button-button`).click();
        const msg = page.locator('.red-ui-debug-msg', { hasText: 'cloned speech' }).last();
        await msg.waitFor({ state: 'visible', timeout: 30_000 });
        const text = await msg.innerText();
        assert(/buffer\[\d+\]/.test(text) && /48000/.test(text), `debug message ${JSON.stringify(text.slice(0, 300))}`);
        const sent = bodies(sim, injectBefore).find((b) => b.text === CLONE_TEXT);
        assert(sent && sent.reference_text === TRANSCRIPT && String(sent.audio).length > 10_000, 'the clone request lacks its reference');
      });
      await check(`${tag}: the nodes show a green status`, async () => {
        await page.waitForFunction(
          (ids) => ids.every((id: string) => {
            const n = (globalThis as any).RED.nodes.node(id);
            return n && n.status && n.status.fill === 'green';
          }),
          [IDS.tts, IDS.clone],
          { timeout: 10_000 },
        );
      });
      // The picture: the flow from its top-left corner, no selection, no toast over the header.
      await page.mouse.click(700, 600);
      await page.evaluate(() => {
        const $ = (globalThis as any).$;
        $('#red-ui-workspace-chart').scrollTop(0).scrollLeft(0);
        $('#red-ui-notifications').hide();
      });
      await page.mouse.move(1270, 790);
      await page.waitForTimeout(300);
      await shoot(page, zh ? 'editor-zh' : 'editor-en', undefined, true);
      await page.evaluate(() => (globalThis as any).$('#red-ui-notifications').show());
    }

    // 6. Nothing went wrong in the page.
    await check(`${tag}: no page errors, console errors or failed requests`, async () => {
      assert(problems.length === 0, problems.slice(0, 5).join(' | '));
    });
  } finally {
    currentPage = undefined;
    await context.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const started = Date.now();
  let sim: VoxCpmSimulator | undefined;
  let nodeRed: NodeRedProcess | undefined;
  let browser: Browser | undefined;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-editor-'));
  try {
    await withDeadline('the editor test', RUN_LIMIT_MS, (async () => {
      sim = new VoxCpmSimulator({ voice: 'speech' });
      const simUrl = await sim.start(0);
      const executablePath = findChromium();
      const port = await freePort();
      // No NODE_RED_DISABLE_TELEMETRY here: the launcher's settings (as the demo's) must keep the prompt away.
      [nodeRed, browser] = await Promise.all([
        launchNodeRed({ userDir, port, flows: flows(simUrl), packageDir: PACKAGE_DIR, quiet: true }),
        chromium.launch({
          executablePath,
          headless: true,
          args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--mute-audio'],
        }),
      ]);
      console.log(`# Node-RED ${nodeRed.url}, simulator ${simUrl}, ${browser.version()} (${executablePath ?? "Playwright's own"}), artifacts ${ARTIFACTS}`);
      // Console messages the editor writes by itself that say nothing about this package: none so far.
      const consoleIgnored: RegExp[] = [];
      for (const locale of LOCALES) await runLocale(browser, nodeRed.url, sim, locale, consoleIgnored);
      // Node-RED's own start-up warnings (projects disabled, no credentials file yet) are not ours.
      await check('Node-RED logged no errors and no warnings from the voxcpm nodes', async () => {
        const bad = nodeRed!.output().split('\n').filter((l) => /\[error\]|\[warn\] \[voxcpm/.test(l));
        assert(bad.length === 0, bad.slice(0, 3).join(' | '));
      });
    })());
  } catch (err) {
    fail('the editor test ran to its end', err instanceof Error ? err.message.split('\n')[0] : String(err));
  } finally {
    await (browser as Browser | undefined)?.close().catch(() => undefined);
    const log = (nodeRed as NodeRedProcess | undefined)?.output();
    if (log !== undefined) fs.writeFileSync(path.join(ARTIFACTS, 'node-red.log'), log);
    await (nodeRed as NodeRedProcess | undefined)?.stop().catch(() => undefined);
    await (sim as VoxCpmSimulator | undefined)?.stop().catch(() => undefined);
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`editor: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    console.log(`editor: ${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  },
);
