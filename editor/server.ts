/** The voxcpm-server config node's dialog: servers, queue, cache, security, Test connection. */
import type { EditorNodeDef, EditorNodeInstance, EditorNodeProperties } from 'node-red';
import {
  AUTH_TYPES,
  headerNameProblem,
  SERVER_CREDENTIALS,
  SERVER_DEFAULTS,
  SERVER_NUMBER_RULES,
  serverUrlLines,
  serverUrlProblem,
} from '../nodes/lib/defaults';
import { COLOR, dialogValue, failureText, fillMissing, createTabs, numberSetting, showLine, validator, type Failure, type HttpStatus, type Translator } from './common';

export interface ServerProps extends EditorNodeProperties {
  url: string;
  timeout: number | string;
  concurrency: number | string;
  queueLimit: number | string;
  retries: number | string;
  maxResponseMB: number | string;
  maxText: number | string;
  warmup: boolean;
  cache: boolean;
  cacheSize: number | string;
  cacheDir: string;
  urlTtl: number | string;
  publicUrl: string;
  authType: string;
  headerName: string;
  tls: string;
  proxy: string;
}

export interface ServerCreds {
  token: string;
  username: string;
  password: string;
  headerValue: string;
  proxyUsername: string;
  proxyPassword: string;
}

/** The server URL setting: at least one line, each one the runtime takes (resolveEndpoint's rule). */
export function urlVerdict(t: Translator, value: unknown): true | string {
  const lines = serverUrlLines(value);
  if (lines.length === 0) return t._('voxcpm-server.errors.urlRequired');
  const bad = lines.find((l) => serverUrlProblem(l) !== undefined);
  return bad === undefined ? true : t._('voxcpm-server.errors.urlInvalid', { url: bad });
}

/** An http(s) URL with a host and no user name or password; `bare` also allows "host:port" (editor-only rule). */
export function httpUrlOk(value: unknown, bare: boolean): boolean {
  let s = String(value).trim();
  if (/\s/.test(s)) return false;
  if (bare && !/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `http://${s}`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && u.username === '' && u.password === '' && u.port !== '0' && !/^[0-9]+$/.test(u.hostname);
}

const empty = (v: unknown) => v === undefined || v === null || String(v).trim() === '';
const D = SERVER_DEFAULTS;
const R = SERVER_NUMBER_RULES;

export const serverDef: EditorNodeDef<ServerProps, ServerCreds> = {
  category: 'config',
  defaults: {
    name: { value: D.name },
    // Required: an empty value is refused here, with a message.
    url: { value: D.url, validate: validator<ServerProps>(function (v) { return urlVerdict(this, v); }) },
    timeout: { value: D.timeout, validate: numberSetting('voxcpm-server.errors.timeoutInvalid', R.timeout) },
    concurrency: { value: D.concurrency, validate: numberSetting('voxcpm-server.errors.concurrencyInvalid', R.concurrency) },
    queueLimit: { value: D.queueLimit, validate: numberSetting('voxcpm-server.errors.queueLimitInvalid', R.queueLimit) },
    retries: { value: D.retries, validate: numberSetting('voxcpm-server.errors.retriesInvalid', R.retries) },
    maxResponseMB: { value: D.maxResponseMB, validate: numberSetting('voxcpm-server.errors.maxResponseInvalid', R.maxResponseMB) },
    maxText: { value: D.maxText, validate: numberSetting('voxcpm-server.errors.maxTextInvalid', R.maxText) },
    warmup: { value: D.warmup },
    cache: { value: D.cache },
    cacheSize: { value: D.cacheSize, validate: numberSetting('voxcpm-server.errors.cacheSizeInvalid', R.cacheSize) },
    cacheDir: { value: D.cacheDir },
    urlTtl: { value: D.urlTtl, validate: numberSetting('voxcpm-server.errors.urlTtlInvalid', R.urlTtl) },
    publicUrl: {
      value: D.publicUrl,
      validate: validator<ServerProps>(function (v) {
        return empty(v) || httpUrlOk(v, false) ? true : this._('voxcpm-server.errors.publicUrlInvalid', { url: String(v).trim() });
      }),
    },
    authType: {
      value: D.authType,
      validate: validator<ServerProps>(function (v) {
        return v === undefined || v === '' || (AUTH_TYPES as readonly unknown[]).includes(v) ? true : this._('voxcpm-server.errors.authTypeInvalid');
      }),
    },
    headerName: {
      value: D.headerName,
      // Needed only for a custom header (the type shown in the open dialog, else the saved one);
      // the credentials themselves are never checked here: the editor only knows whether they are set.
      validate: validator<ServerProps>(function (v) {
        const type = dialogValue('#node-config-input-authType') ?? (this.authType || 'none');
        return type !== 'header' || headerNameProblem(v ?? '') === undefined ? true : this._('voxcpm-server.errors.headerNameInvalid');
      }),
    },
    tls: { value: D.tls, type: 'tls-config', required: false },
    proxy: {
      value: D.proxy,
      validate: validator<ServerProps>(function (v) {
        return empty(v) || httpUrlOk(v, true) ? true : this._('voxcpm-server.errors.proxyInvalid');
      }),
    },
  },
  credentials: SERVER_CREDENTIALS,
  paletteLabel() {
    return this._('voxcpm-server.paletteLabel');
  },
  label() {
    const lines = serverUrlLines(this.url);
    if (this.name) return this.name;
    if (lines.length > 1) return this._('voxcpm-server.labelMany', { url: lines[0], more: lines.length - 1 });
    return lines[0] || this._('voxcpm-server.paletteLabel');
  },
  oneditprepare() {
    prepare(this);
  },
  oneditsave() {
    if (!$('#node-config-input-usetls').is(':checked')) {
      // "_ADD_" is the config picker's "none": Node-RED saves it as "".
      $('#node-config-input-tls').val('_ADD_');
    }
  },
};

/** The answer of POST voxcpm/test. */
interface TestAnswer extends Failure {
  ok?: boolean;
  latencyMs?: number;
  seconds?: number;
  sampleRate?: number;
  endpoint?: string;
}

/** Test connection's success line. */
export function testOkText(t: Translator, data: TestAnswer): string {
  const ms = typeof data.latencyMs === 'number' ? data.latencyMs : (data.seconds || 0) * 1000;
  return t._('voxcpm-server.test.ok', { rate: data.sampleRate ?? '?', seconds: (ms / 1000).toFixed(ms < 100 ? 2 : 1) });
}

const NUMBERS = ['timeout', 'concurrency', 'queueLimit', 'retries', 'maxResponseMB', 'maxText', 'cacheSize', 'urlTtl'] as const;

function prepare(node: EditorNodeInstance<ServerProps>): void {
  const input = (p: string) => $(`#node-config-input-${p}`);
  fillMissing(node, 'node-config-input-', D, [...NUMBERS, 'authType'], ['warmup', 'cache']);

  createTabs(node, 'voxcpm-server-tabs', [
    { id: 'voxcpm-server-tab-connection', label: 'voxcpm-server.tabs.connection' },
    { id: 'voxcpm-server-tab-queue', label: 'voxcpm-server.tabs.queue' },
    { id: 'voxcpm-server-tab-cache', label: 'voxcpm-server.tabs.cache' },
    { id: 'voxcpm-server-tab-security', label: 'voxcpm-server.tabs.security' },
  ]);

  // The spinners' floor: the smallest value the rule allows (1 where it must be above 0).
  for (const p of NUMBERS) input(p).spinner({ min: R[p].min + ('above' in R[p] ? 1 : 0) });

  // Cache: the size and folder only matter while the cache is on.
  const updateCache = () => {
    const on = input('cache').is(':checked');
    $('.voxcpm-cache-row').css('opacity', on ? 1 : 0.5).find('input').prop('disabled', !on);
  };
  input('cache').on('change', updateCache);
  updateCache();

  // Authentication: only the fields of the selected type.
  const updateAuth = () => {
    const type = String(input('authType').val() || 'none');
    $('.voxcpm-auth-row').hide();
    $(`.voxcpm-auth-${type}`).show();
    input('headerName').trigger('change');
    RED.tray.resize();
  };
  input('authType').on('change', updateAuth);
  updateAuth();

  // TLS: like the core HTTP request node, a checkbox shows the tls-config picker.
  const updateTls = () => {
    $('#voxcpm-server-row-tls').toggle(input('usetls').is(':checked'));
    RED.tray.resize();
  };
  input('usetls').prop('checked', !!node.tls).on('change', updateTls);
  updateTls();

  RED.popover.tooltip($('#voxcpm-test-button'), node._('voxcpm-server.test.tooltip'));
  prepareTest(node, input);
}

/**
 * Test connection: the dialog's current values, saved or not. A password field that holds a
 * stored secret shows the placeholder __PWRD__; it is sent as is and the runtime then uses the
 * stored value.
 */
function prepareTest(node: EditorNodeInstance<ServerProps>, input: (p: string) => JQuery): void {
  const result = $('#voxcpm-test-result');
  const value = (p: string) => input(p).val();
  const showFailure = (data?: Failure | null, xhr?: HttpStatus | null) => {
    result.removeAttr('title');
    showLine(result, failureText(node, 'voxcpm-server.test.failed', 'voxcpm-server.test.noAnswer', data, xhr), COLOR.error);
  };
  $('#voxcpm-test-button').on('click', function (e) {
    e.preventDefault();
    const button = $(this);
    let tls = input('usetls').is(':checked') ? String(value('tls') ?? '') : '';
    if (!tls || tls === '_ADD_') tls = '';
    const body = {
      id: node.id,
      config: {
        url: value('url'),
        timeout: value('timeout'),
        authType: value('authType') || 'none',
        headerName: value('headerName'),
        tls,
        proxy: value('proxy'),
      },
      credentials: {
        token: value('token'),
        username: value('username'),
        password: value('password'),
        headerValue: value('headerValue'),
        proxyUsername: value('proxyUsername'),
        proxyPassword: value('proxyPassword'),
      },
    };
    button.prop('disabled', true);
    showLine(result, node._('voxcpm-server.test.running'), '', true);
    $.ajax({ url: 'voxcpm/test', method: 'POST', contentType: 'application/json', dataType: 'json', data: JSON.stringify(body) })
      .done((data: TestAnswer | null) => {
        if (data && data.ok) {
          showLine(result, testOkText(node, data), COLOR.success);
          if (data.endpoint) result.attr('title', data.endpoint);
        } else {
          showFailure(data);
        }
      })
      .fail((xhr: JQuery.jqXHR) => showFailure(xhr.responseJSON as Failure | undefined, xhr))
      .always(() => button.prop('disabled', false));
  });
}

export function registerServer(): void {
  RED.nodes.registerType<ServerProps, ServerCreds>('voxcpm-server', serverDef);
}
