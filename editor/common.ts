/**
 * What the three dialogs share: validators, messages, tabs, the presets menu, the sample-rate
 * menu, Preview, and the flow-node definition voxcpm-tts and voxcpm-clone are built from.
 *
 * Runs in the browser, bundled into resources/voxcpm-editor.js. Nothing here touches `RED`,
 * `$` or `document` when the module loads: only the functions do, when the editor calls them,
 * so the tests import this module in Node and call its pure parts.
 */
import type { EditorNodeDef, EditorNodeInstance, EditorNodeProperties, EditorNodePropertyDef, EditorRED } from 'node-red';
import { AUDIO_FORMATS, numberOk, OUTPUT_FORMATS, PRESETS, PROMPT_TYPES, SAMPLE_RATES, SYNTHESIS_DEFAULTS, type NumberRule } from '../nodes/lib/defaults';
import { LOUDNESS_RANGE, loudnessValue, MP3_BITRATES, mp3BitrateValue, SPEED_RANGE, speedValue } from '../nodes/lib/defaults';

declare global {
  /** The editor's global, there while the bundle runs in the browser. */
  const RED: EditorRED;
  /** jQuery UI's spinner, which the editor ships (no typings of its own here). */
  interface JQuery {
    spinner(options: { min?: number; step?: number }): JQuery;
  }
}

/** What a validator, a label or a message needs of the node: its translation function. */
export interface Translator {
  _(key: string, params?: Record<string, string | number>): string;
}

/**
 * A validator's answer: true, or the reason in the reader's language. Node-RED 3.1+ shows the
 * reason; @types/node-red still types validators as returning boolean, so `validator` casts once.
 */
export type Verdict = true | string;

export function validator<P extends EditorNodeProperties>(
  check: (this: Translator & Partial<P>, value: unknown) => Verdict,
): EditorNodePropertyDef<unknown, P>['validate'] {
  return check as unknown as EditorNodePropertyDef<unknown, P>['validate'];
}

/**
 * A number setting: the rule's bounds, or the message `key`. A property missing from an older
 * flow (undefined) is valid: the runtime then uses its default.
 */
export function numberSetting<P extends EditorNodeProperties>(key: string, rule: NumberRule): EditorNodePropertyDef<unknown, P>['validate'] {
  return validator<P>(function (value) {
    return value === undefined || numberOk(value, rule) ? true : this._(key);
  });
}

/**
 * The value of a field of the open dialog (`#node-input-x`), or undefined when no dialog shows
 * it (the validator then reads the saved value).
 */
export function dialogValue(selector: string): string | undefined {
  if (typeof $ !== 'function') return undefined;
  const field = $(selector);
  const v = field.length ? field.val() : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A msg property name such as "payload" or "data.text", checked as Node-RED checks them. */
export function propertyOk(value: unknown, check?: (expr: string) => boolean): boolean {
  const s = String(value ?? '').trim();
  if (s === '') return false;
  return check ? check(s) === true : !/\s/.test(s);
}

/** Node-RED's property-expression check, when the editor has one. */
export function editorPropertyCheck(): ((expr: string) => boolean) | undefined {
  if (typeof RED === 'undefined') return undefined;
  const utils = RED.utils as Partial<EditorRED['utils']> | undefined;
  return utils && typeof utils.validatePropertyExpression === 'function' ? (s) => utils.validatePropertyExpression!(s) : undefined;
}

/** An error answer of an admin route, or of the request that carried it. */
export interface Failure {
  code?: string;
  message?: string;
}
export interface HttpStatus {
  status?: number;
  statusText?: string;
}

/** "✘ code — message" for an answer the route gave, "HTTP 502" when it gave none, else `noAnswerKey`. */
export function failureText(t: Translator, failedKey: string, noAnswerKey: string, data?: Failure | null, xhr?: HttpStatus | null): string {
  if (data && data.code) return t._(failedKey, { code: data.code, message: data.message || '' });
  if (xhr && xhr.status) return t._(failedKey, { code: `HTTP ${xhr.status}`, message: xhr.statusText || '' });
  return t._(noAnswerKey);
}

/** A menu's options and the one selected. */
export interface MenuChoices {
  options: Array<{ value: string; label: string }>;
  selected: string;
}

/**
 * A menu of `known` options with `saved` selected (`fallback` when it is absent or ""); a saved
 * value that `isKnown` does not accept (an imported flow's) is added, labelled by `unknownLabel`.
 */
function menuChoices(
  known: MenuChoices['options'],
  saved: unknown,
  fallback: string,
  isKnown: (selected: string) => boolean,
  unknownLabel: (value: string) => string,
): MenuChoices {
  const selected = saved === undefined || saved === null || saved === '' ? fallback : String(saved);
  const options = [...known];
  if (!isKnown(selected)) options.push({ value: selected, label: unknownLabel(selected) });
  return { options, selected };
}

/** Fills a <select> with a menu's options and selects its choice. */
function fillMenu(select: JQuery, menu: MenuChoices): void {
  for (const o of menu.options) $('<option>').val(o.value).text(o.label).appendTo(select);
  select.val(menu.selected);
}

/** The sample-rate menu: the list, plus whatever other rate an imported flow carries; and the choice. */
export function sampleRateChoices(t: Translator, saved: unknown): MenuChoices {
  const label = (r: number | string) => (Number(r) === 0 ? t._('common.option.rateAsServer') : t._('common.option.rate', { rate: r }));
  return menuChoices(
    SAMPLE_RATES.map((r) => ({ value: String(r), label: label(r) })),
    saved,
    '0',
    (selected) => SAMPLE_RATES.includes(Number(selected)),
    (rate) => t._('common.option.rate', { rate }),
  );
}

/** The audio-format menu: the choices of defaults.ts, plus an unknown value an imported flow carries (shown as it is, and invalid); and the choice. */
export function audioFormatChoices(t: Translator, saved: unknown): MenuChoices {
  const known = AUDIO_FORMATS.map((f) => ({ value: f as string, label: t._(`common.option.audio.${f}`) }));
  return menuChoices(known, saved, SYNTHESIS_DEFAULTS.audioFormat, (selected) => (AUDIO_FORMATS as readonly string[]).includes(selected), (value) => value);
}

// ---------------------------------------------------------------- audio steps (issue 10)

/** The MP3 bitrate menu: MP3_BITRATES, plus an unknown value an imported flow carries (invalid); and the choice. */
export function mp3BitrateChoices(t: Translator, saved: unknown): MenuChoices {
  const known = MP3_BITRATES.map((kbps) => ({ value: String(kbps), label: t._('common.option.kbps', { kbps }) }));
  return menuChoices(known, saved, String(SYNTHESIS_DEFAULTS.mp3Bitrate), (selected) => mp3BitrateValue(selected) !== undefined, (value) => value);
}

/** The audio settings of the open dialog, as Preview sends them: what the node will do to the audio. */
export interface PreviewAudio {
  audioFormat: string;
  mp3Bitrate: string;
  speed: string;
  loudness: string;
  sampleRate: string;
  leadIn: string;
}

function currentAudio(): PreviewAudio {
  const v = (id: string) => String($(`#node-input-${id}`).val() ?? '');
  return { audioFormat: v('audioFormat'), mp3Bitrate: v('mp3Bitrate'), speed: v('speed'), loudness: v('loudness'), sampleRate: v('sampleRate'), leadIn: v('leadIn') };
}

// ---------------------------------------------------------------- (end of audio steps)

/** Preview's success line from the answer's headers. */
export function previewOkText(t: Translator, rateHeader: string | null, durationHeader: string | null): string {
  const duration = Number(durationHeader);
  return t._('common.preview.ok', {
    rate: rateHeader || '?',
    seconds: Number.isFinite(duration) && duration > 0 ? duration.toFixed(1) : '?',
  });
}

// ---------------------------------------------------------------- DOM helpers

export const COLOR = {
  error: 'var(--red-ui-text-color-error, #c00)',
  success: 'var(--red-ui-text-color-success, #3a873a)',
  warning: 'var(--red-ui-text-color-warning, #b07b00)',
} as const;

/** Shows a line of text (with a spinner while something runs) in a result span. */
export function showLine(target: JQuery, text: string, color?: string, spin?: boolean): void {
  target.empty().css('color', color || '');
  if (spin) {
    $('<i class="fa fa-spinner fa-spin"></i>').appendTo(target);
    target.append(' ');
  }
  $('<span>').text(text).appendTo(target);
}

/**
 * Properties an older flow does not have yet: show (and so save) the defaults. `inputs` are
 * text fields and menus, `checks` checkboxes.
 */
export function fillMissing(
  node: object,
  prefix: string,
  defaults: Record<string, string | number | boolean>,
  inputs: readonly string[],
  checks: readonly string[] = [],
): void {
  const saved = node as Record<string, unknown>;
  for (const p of inputs) {
    if (saved[p] === undefined || saved[p] === null || saved[p] === '') $(`#${prefix}${p}`).val(String(defaults[p]));
  }
  for (const p of checks) {
    if (saved[p] === undefined) $(`#${prefix}${p}`).prop('checked', defaults[p] === true);
  }
}

/** The dialog's tabs: `ids` in order, labels from the catalog (`labelKeys`). */
export function createTabs(t: Translator, id: string, tabs: ReadonlyArray<{ id: string; label: string }>): void {
  const widget = RED.tabs.create({
    id,
    onchange: (tab: unknown) => {
      $(`#${id}-content`).children().hide();
      $(`#${(tab as { id: string }).id}`).show();
      RED.tray.resize();
    },
  } as Parameters<EditorRED['tabs']['create']>[0]);
  for (const tab of tabs) (widget as unknown as { addTab(tab: { id: string; label: string }): void }).addTab({ id: tab.id, label: t._(tab.label) });
  setTimeout(() => (widget as unknown as { resize(): void }).resize(), 0);
}

/** Reads a JSON error answer that arrived as a Blob (null when it is not JSON). */
export function readJson(blob: unknown, then: (data: Failure | null) => void): void {
  if (!(blob instanceof Blob) || typeof FileReader === 'undefined') {
    then(null);
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    let data: Failure | null;
    try {
      data = JSON.parse(String(reader.result)) as Failure;
    } catch {
      data = null;
    }
    then(data);
  };
  reader.onerror = () => then(null);
  reader.readAsText(blob);
}

/** An <audio> element that plays a blob URL this module made, and frees it when stopped. */
export class BlobPlayer {
  private url: string | null = null;
  constructor(private readonly elementId: string) {}

  stop(): void {
    const audio = document.getElementById(this.elementId) as HTMLAudioElement | null;
    if (audio) {
      audio.pause();
      audio.removeAttribute('src');
    }
    if (this.url) {
      URL.revokeObjectURL(this.url);
      this.url = null;
    }
  }

  /** Loads `blob` into the player (freeing the previous one); plays it when `play`. */
  load(blob: Blob, play: boolean): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = URL.createObjectURL(blob);
    const audio = document.getElementById(this.elementId) as HTMLAudioElement;
    audio.src = this.url;
    if (play) {
      const playing = audio.play() as Promise<void> | undefined; // older browsers return undefined
      if (playing && typeof playing.catch === 'function') playing.catch(() => undefined); // autoplay refused: the controls are there
    }
  }
}

// ---------------------------------------------------------------- the flow nodes

/** The settings of voxcpm-tts (and, with its reference, voxcpm-clone). */
export interface SynthesisProps extends EditorNodeProperties {
  server: string;
  text: string;
  output: string;
  prompt: string;
  promptType: string;
  maxChunk: number | string;
  pause: number | string;
  streaming: boolean;
  outputFormat: string;
  audioFormat: string;
  sampleRate: number | string;
  leadIn: number | string;
  /** A voxcpm-voice node's id, or ''. */
  voice: string;
  /** Markdown and emoji removed before sending (see nodes/lib/speech-text.ts). */
  cleanText: boolean;
  /** Numbers spelled out before sending. */
  normalizeNumbers: boolean;
  speed: number | string;
  loudness: number | string;
  mp3Bitrate: number | string;
}

/** The prompt's type in the open dialog, else the saved one. */
function currentPromptType(node: Partial<SynthesisProps>): string {
  return dialogValue('#node-input-promptType') ?? (node.promptType || 'str');
}

const D = SYNTHESIS_DEFAULTS;

/** The `defaults` of the settings voxcpm-tts and voxcpm-clone share (values from nodes/lib/defaults.ts). */
export function synthesisDefaults<P extends SynthesisProps>(): EditorNodeDef<SynthesisProps>['defaults'] {
  const property = validator<P>(function (v) {
    return v === undefined || propertyOk(v, editorPropertyCheck()) ? true : this._('common.errors.propertyInvalid');
  });
  const whole = (key: string, min: number) => numberSetting<P>(`common.errors.${key}`, { min, whole: true });
  return {
    name: { value: D.name },
    server: { value: D.server, type: 'voxcpm-server', required: true },
    text: { value: D.text, validate: property },
    output: { value: D.output, validate: property },
    prompt: {
      value: D.prompt,
      validate: validator<P>(function (v) {
        return currentPromptType(this) === 'str' || propertyOk(v, editorPropertyCheck()) ? true : this._('common.errors.promptPropertyInvalid');
      }),
    },
    promptType: {
      value: D.promptType,
      validate: validator<P>(function (v) {
        return v === undefined || v === '' || (PROMPT_TYPES as readonly unknown[]).includes(v) ? true : this._('common.errors.promptTypeInvalid');
      }),
    },
    maxChunk: { value: D.maxChunk, validate: whole('maxChunkInvalid', 10) },
    pause: { value: D.pause, validate: whole('pauseInvalid', 0) },
    streaming: { value: D.streaming },
    outputFormat: {
      value: D.outputFormat,
      validate: validator<P>(function (v) {
        return v === undefined || v === '' || (OUTPUT_FORMATS as readonly unknown[]).includes(v) ? true : this._('common.errors.outputFormatInvalid');
      }),
    },
    audioFormat: {
      value: D.audioFormat,
      validate: validator<P>(function (v) {
        return v === undefined || v === '' || (AUDIO_FORMATS as readonly unknown[]).includes(v) ? true : this._('common.errors.audioFormatInvalid');
      }),
    },
    sampleRate: { value: D.sampleRate, validate: whole('sampleRateInvalid', 0) },
    leadIn: { value: D.leadIn, validate: whole('leadInInvalid', 0) },
    voice: { value: D.voice, type: 'voxcpm-voice', required: false },
    cleanText: { value: D.cleanText, validate: switchSetting<P>('common.errors.switchInvalid') },
    normalizeNumbers: { value: D.normalizeNumbers, validate: switchSetting<P>('common.errors.switchInvalid') },
    // Audio steps: the rules of defaults.ts, as the runtime checks msg.speed and msg.loudness.
    speed: {
      value: D.speed,
      validate: validator<P>(function (v) {
        return v === undefined || v === '' || speedValue(v) !== undefined ? true : this._('common.errors.speedInvalid', { ...SPEED_RANGE });
      }),
    },
    loudness: {
      value: D.loudness,
      validate: validator<P>(function (v) {
        return v === undefined || loudnessValue(v) !== undefined ? true : this._('common.errors.loudnessInvalid', { ...LOUDNESS_RANGE });
      }),
    },
    mp3Bitrate: {
      value: D.mp3Bitrate,
      validate: validator<P>(function (v) {
        return v === undefined || v === '' || mp3BitrateValue(v) !== undefined ? true : this._('common.errors.mp3BitrateInvalid');
      }),
    },
  } as EditorNodeDef<SynthesisProps>['defaults'];
}

/** A checkbox setting: a boolean (or absent, in an older flow: the default applies). */
function switchSetting<P extends SynthesisProps>(key: string) {
  return validator<P>(function (v) {
    return v === undefined || typeof v === 'boolean' || v === 'true' || v === 'false' ? true : this._(key);
  });
}

/** The parts of a flow node's definition voxcpm-tts and voxcpm-clone share. */
export function flowNodeDef(type: 'voxcpm-tts' | 'voxcpm-clone') {
  return {
    category: 'VoxCPM',
    color: '#7FC6B6',
    inputs: 1 as const,
    outputs: 1,
    icon: `${type}.svg`,
    paletteLabel(this: Translator) {
      return this._(`${type}.paletteLabel`);
    },
    label(this: Translator & { name?: string }) {
      return this.name || this._(`${type}.paletteLabel`);
    },
    labelStyle(this: { name?: string }) {
      return this.name ? 'node_label_italic' : '';
    },
    inputLabels(this: Translator) {
      return this._('common.inputLabel');
    },
    outputLabels(this: Translator) {
      return this._(`${type}.outputLabel`);
    },
  };
}

/** What the node-specific part of the dialog adds to Preview's request. */
export interface PreviewExtra {
  reference: string;
  referenceText: string;
}

/** A voxcpm-server's saved settings, as Preview sends them (the runtime uses its stored secrets). */
interface ServerView {
  url?: string;
  timeout?: string | number;
  authType?: string;
  headerName?: string;
  tls?: string;
  proxy?: string;
}

/** The dialog's settings that change how Preview splits and prepares the text. */
export interface PreviewText {
  maxChunk?: string | number;
  pause?: string | number;
  cleanText?: boolean;
  normalizeNumbers?: boolean;
}

/** The body of POST voxcpm/preview. */
export function previewBody(
  type: string, serverId: string, server: ServerView, prompt: string, extra: PreviewExtra, text: string, prepared: PreviewText = {}, audio?: PreviewAudio,
) {
  return {
    server: {
      id: serverId,
      config: { url: server.url, timeout: server.timeout, authType: server.authType, headerName: server.headerName, tls: server.tls, proxy: server.proxy },
      credentials: {},
    },
    node: { type, prompt, reference: extra.reference, referenceText: extra.referenceText, ...prepared, ...audio },
    text,
  };
}

/**
 * The dialog parts voxcpm-tts and voxcpm-clone share: defaults for an older flow, the tabs,
 * the typed inputs, the presets menu, the sample-rate menu, the spinners and Preview.
 * `extra` gives Preview the node's own settings. Returns the presets menu.
 */
export function prepareSynthesisDialog(node: EditorNodeInstance<SynthesisProps>, type: 'voxcpm-tts' | 'voxcpm-clone', preview: BlobPlayer, extra: () => PreviewExtra): JQuery {
  fillMissing(
    node, 'node-input-', D,
    ['text', 'output', 'promptType', 'maxChunk', 'pause', 'outputFormat', 'audioFormat', 'sampleRate', 'leadIn', 'speed', 'loudness', 'mp3Bitrate'],
    ['streaming', 'cleanText', 'normalizeNumbers'],
  );

  createTabs(node, `${type}-tabs`, [
    { id: `${type}-tab-voice`, label: 'common.tabs.voice' },
    { id: `${type}-tab-output`, label: 'common.tabs.output' },
  ]);

  $('#node-input-text').typedInput({ default: 'msg', types: ['msg'] });
  $('#node-input-output').typedInput({ default: 'msg', types: ['msg'] });
  $('#node-input-prompt').typedInput({ default: 'str', types: [...PROMPT_TYPES], typeField: '#node-input-promptType' });

  const presets = preparePresets(node, $('#voxcpm-presets'), (prompt) => {
    $('#node-input-prompt').typedInput('type', 'str');
    $('#node-input-prompt').typedInput('value', prompt);
    $('#node-input-prompt').trigger('change');
  });

  // Audio format: the choices of defaults.ts, plus an unknown one an imported flow carries.
  const format = $('#node-input-audioFormat');
  fillMenu(format, audioFormatChoices(node, node.audioFormat));

  // MP3 bitrate: shown with the MP3 format only.
  fillMenu($('#node-input-mp3Bitrate'), mp3BitrateChoices(node, node.mp3Bitrate));
  const showBitrate = () => $('#voxcpm-row-mp3Bitrate').toggle(format.val() === 'mp3');
  format.on('change', showBitrate);
  showBitrate();
  $('#node-input-speed').spinner({ min: SPEED_RANGE.min, step: 0.1 });

  // Sample rate: the list, plus whatever other rate an imported flow carries.
  fillMenu($('#node-input-sampleRate'), sampleRateChoices(node, node.sampleRate));

  $('#node-input-maxChunk').spinner({ min: 10 });
  $('#node-input-pause').spinner({ min: 0, step: 50 });
  $('#node-input-leadIn').spinner({ min: 0, step: 100 });

  const prompt = $('#node-input-prompt');
  preparePreview(node, { prefix: 'voxcpm-preview', server: '#node-input-server' }, preview, () => ({
    type,
    prompt: prompt.typedInput('type') === 'str' ? String(prompt.typedInput('value')) : '',
    extra: extra(),
    // Preview prepares the text as the node will: its piece size, pause, cleaning and numbers.
    prepared: {
      maxChunk: String($('#node-input-maxChunk').val() ?? ''),
      pause: String($('#node-input-pause').val() ?? ''),
      cleanText: $('#node-input-cleanText').prop('checked') === true,
      normalizeNumbers: $('#node-input-normalizeNumbers').prop('checked') === true,
    },
    audio: currentAudio(),
  }));
  return presets;
}

/** The warnings Preview's answer carries (X-VoxCPM-Warnings: URI-encoded JSON list), [] when none or unreadable. */
export function previewWarnings(header: string | null): string[] {
  if (!header) return [];
  try {
    const list: unknown = JSON.parse(decodeURIComponent(header));
    return Array.isArray(list) ? list.filter((w): w is string => typeof w === 'string') : [];
  } catch {
    return [];
  }
}

/** The presets menu (`menu`, a <select>): a pick hands its prompt to `apply`; the menu resets so the same preset can be picked again. */
export function preparePresets(t: Translator, menu: JQuery, apply: (prompt: string) => void): JQuery {
  $('<option>').val('').text(t._('common.presets.choose')).appendTo(menu);
  PRESETS.forEach((p, i) => {
    $('<option>').val(String(i)).text(t._(`common.presets.${p.key}`)).attr('title', p.prompt).appendTo(menu);
  });
  menu.on('change', () => {
    const chosen = String(menu.val() ?? '');
    const p = PRESETS[Number(chosen)];
    if (chosen !== '' && p) apply(p.prompt);
    menu.val('');
  });
  return menu;
}

/** Where a dialog's Preview lives: `#<prefix>-button`, `-hint`, `-text`, `-result`, and its server picker. */
export interface PreviewIds {
  prefix: string;
  /** The <select> or config-node input holding the server's id. */
  server: string;
}

/** What Preview speaks with: the node type whose rules apply, the prompt, the reference. */
export interface PreviewRequest {
  type: string;
  prompt: string;
  extra: PreviewExtra;
  /** The dialog's text settings (piece size, pause, cleaning, numbers); absent: the node defaults. */
  prepared?: PreviewText;
  /** The dialog's audio settings (format, bitrate, speed, loudness, rate, lead-in); absent: the defaults. */
  audio?: PreviewAudio;
}

/** Preview: speaks the text with this dialog's voice through the selected server. */
export function preparePreview(node: Translator, ids: PreviewIds, player: BlobPlayer, request: () => PreviewRequest): void {
  const result = $(`#${ids.prefix}-result`);
  const button = $(`#${ids.prefix}-button`);
  const selectedServer = () => {
    const id = String($(ids.server).val() ?? '');
    return id && id !== '_ADD_' ? id : '';
  };
  const update = () => {
    const has = selectedServer() !== '';
    button.prop('disabled', !has);
    $(`#${ids.prefix}-hint`).toggle(!has);
  };
  $(ids.server).on('change', update);
  update();

  const showFailure = (data: Failure | null, xhr?: HttpStatus | null) =>
    showLine(result, failureText(node, 'common.preview.failed', 'common.preview.noAnswer', data, xhr), COLOR.error);

  button.on('click', (e) => {
    e.preventDefault();
    const id = selectedServer();
    if (!id) return;
    const server = (RED.nodes.node(id) ?? {}) as ServerView;
    const field = $(`#${ids.prefix}-text`);
    const text = String(field.val() ?? '').trim() || field.attr('placeholder') || '';
    const what = request();
    const body = previewBody(what.type, id, server, what.prompt, what.extra, text, what.prepared, what.audio);
    let raw: XMLHttpRequest | null = null;
    button.prop('disabled', true);
    showLine(result, node._('common.preview.running'), '', true);
    $.ajax({
      url: 'voxcpm/preview',
      method: 'POST',
      contentType: 'application/json',
      data: JSON.stringify(body),
      xhr: () => {
        raw = ($.ajaxSettings.xhr as () => XMLHttpRequest)();
        return raw;
      },
      xhrFields: { responseType: 'blob' },
    })
      .done((blob: unknown) => {
        const xhr = raw as XMLHttpRequest | null;
        const contentType = (xhr && xhr.getResponseHeader('Content-Type')) || '';
        if (!/^audio\//i.test(contentType) || !(blob instanceof Blob)) {
          readJson(xhr && xhr.response, (data) => showFailure(data, xhr));
          return;
        }
        player.stop();
        player.load(blob, true);
        const said = previewWarnings(xhr!.getResponseHeader('X-VoxCPM-Warnings'));
        const ok = previewOkText(node, xhr!.getResponseHeader('X-VoxCPM-Sample-Rate'), xhr!.getResponseHeader('X-VoxCPM-Duration'));
        showLine(result, said.length > 0 ? `${ok} · ⚠ ${said.join(' · ')}` : ok, said.length > 0 ? COLOR.warning : COLOR.success);
      })
      .fail((xhr: JQuery.jqXHR) => {
        const sent = raw as XMLHttpRequest | null;
        readJson(sent && sent.response, (data) => showFailure(data, xhr));
      })
      .always(update);
  });
}
