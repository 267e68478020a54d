/** The voxcpm-clone dialog: the reference (path, upload, player), transcript, prompt, Preview, input and output. */
import type { EditorNodeDef, EditorNodeInstance } from 'node-red';
import { CLONE_DEFAULTS, REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS } from '../nodes/lib/defaults';
import { BlobPlayer, COLOR, failureText, flowNodeDef, prepareSynthesisDialog, readJson, showLine, synthesisDefaults, type Failure, type HttpStatus, type SynthesisProps, type Translator } from './common';

export interface CloneProps extends SynthesisProps {
  reference: string;
  referenceText: string;
}

/** The answer of GET voxcpm/reference/info. */
export interface ReferenceInfo extends Failure {
  ok?: boolean;
  duration?: number;
  sampleRate?: number;
  channels?: number;
}

export function channelsText(t: Translator, n: number | undefined): string {
  if (n === 1) return t._('voxcpm-clone.reference.mono');
  if (n === 2) return t._('voxcpm-clone.reference.stereo');
  return t._('voxcpm-clone.reference.channels', { count: n ?? '?' });
}

/** The line under the reference: length, rate and channels, and a warning outside the 3–30 s window. */
export function referenceInfoText(t: Translator, data: ReferenceInfo): { text: string; warn: boolean } {
  const duration = Number(data.duration);
  const text = t._('voxcpm-clone.reference.info', {
    seconds: Number.isFinite(duration) ? duration.toFixed(1) : '?',
    rate: data.sampleRate ?? '?',
    channels: channelsText(t, data.channels),
  });
  const warn = Number.isFinite(duration) && (duration < REFERENCE_MIN_SECONDS || duration > REFERENCE_MAX_SECONDS);
  return warn ? { text: `${text} — ${t._('voxcpm-clone.reference.lengthWarning')}`, warn } : { text, warn };
}

/** Ultimate cloning: a transcript is filled, so the API wants an empty prompt. */
export function isUltimate(referenceText: unknown): boolean {
  return String(referenceText ?? '').trim() !== '';
}

const preview = new BlobPlayer('voxcpm-preview-audio');
/** The current reference recording, as a blob URL (the editor's token cannot ride on <audio src>). */
const reference = new BlobPlayer('voxcpm-reference-audio');
/** Counts reference look-ups, so that a slow answer for an older path is dropped. */
let referenceSeq = 0;

function stopReference(): void {
  referenceSeq++;
  reference.stop();
}
function stopAll(): void {
  preview.stop();
  stopReference();
}

const D = CLONE_DEFAULTS;

export const cloneDef: EditorNodeDef<CloneProps> = {
  ...flowNodeDef('voxcpm-clone'),
  defaults: {
    ...(synthesisDefaults<CloneProps>() as EditorNodeDef<CloneProps>['defaults']),
    reference: { value: D.reference },
    referenceText: { value: D.referenceText },
  },
  oneditprepare() {
    prepare(this);
  },
  oneditsave: stopAll,
  oneditcancel: stopAll,
  oneditdelete: stopAll,
};

function prepare(node: EditorNodeInstance<CloneProps>): void {
  const field = (id: string) => String($(id).val() || '').trim();
  const presets = prepareSynthesisDialog(node, 'voxcpm-clone', preview, () => ({
    reference: field('#node-input-reference'),
    referenceText: String($('#node-input-referenceText').val() ?? ''),
  }));

  // Ultimate cloning: with a transcript the API wants an empty prompt, so the prompt is greyed
  // out while the transcript is filled, and the hint says why.
  const updateUltimate = () => {
    const ultimate = isUltimate($('#node-input-referenceText').val());
    const prompt = $('#node-input-prompt');
    try {
      // Node-RED 3.1+ has these commands; its typings do not list them yet.
      (prompt as unknown as { typedInput(command: 'disable' | 'enable'): void }).typedInput(ultimate ? 'disable' : 'enable');
    } catch {
      // typedInput without disable/enable (older Node-RED): the field stays usable.
    }
    prompt.prop('disabled', ultimate);
    presets.prop('disabled', ultimate);
    $('.voxcpm-prompt-row').css('opacity', ultimate ? 0.5 : 1);
    $('#voxcpm-prompt-ultimate').toggle(ultimate);
  };
  $('#node-input-referenceText').on('input change keyup', updateUltimate);
  updateUltimate();

  // The reference: its length, rate and channels, and a player.
  const info = $('#voxcpm-reference-info');
  const infoFailure = (data?: Failure | null, xhr?: HttpStatus | null) =>
    showLine(info, failureText(node, 'voxcpm-clone.reference.failed', 'common.preview.noAnswer', data, xhr), COLOR.error);

  const loadAudio = (path: string, seq: number) => {
    let raw: XMLHttpRequest | null = null;
    $.ajax({
      url: `voxcpm/reference?path=${encodeURIComponent(path)}`,
      method: 'GET',
      cache: false,
      xhr: () => {
        raw = ($.ajaxSettings.xhr as () => XMLHttpRequest)();
        return raw;
      },
      xhrFields: { responseType: 'blob' },
    })
      .done((blob: unknown) => {
        if (seq !== referenceSeq || !(blob instanceof Blob)) return;
        reference.load(blob, false);
      })
      .fail((xhr: JQuery.jqXHR) => {
        const sent = raw as XMLHttpRequest | null;
        if (seq === referenceSeq) readJson(sent && sent.response, (data) => infoFailure(data, xhr));
      });
  };

  const refresh = () => {
    stopReference();
    const seq = referenceSeq;
    const path = field('#node-input-reference');
    $('#voxcpm-reference-player').toggle(path !== '');
    if (path === '') {
      showLine(info, node._('voxcpm-clone.reference.none'), '');
      return;
    }
    showLine(info, node._('voxcpm-clone.reference.reading'), '', true);
    $.ajax({ url: `voxcpm/reference/info?path=${encodeURIComponent(path)}`, method: 'GET', dataType: 'json', cache: false })
      .done((data: ReferenceInfo | null) => {
        if (seq !== referenceSeq) return;
        if (!data || !data.ok) {
          infoFailure(data);
          return;
        }
        const shown = referenceInfoText(node, data);
        showLine(info, shown.text, shown.warn ? COLOR.warning : '');
        loadAudio(path, seq);
      })
      .fail((xhr: JQuery.jqXHR) => {
        if (seq === referenceSeq) infoFailure(xhr.responseJSON as Failure | undefined, xhr);
      });
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  let shownPath = field('#node-input-reference');
  $('#node-input-reference').on('input change', function () {
    // Node-RED fires "change" on every field once the dialog is ready: read the recording
    // again only when the path really changed.
    const path = String($(this).val() || '').trim();
    if (path === shownPath) return;
    shownPath = path;
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  refresh();

  // Upload: the file's bytes go to Node-RED's user directory, never into the flow.
  $('#voxcpm-reference-upload').on('click', (e) => {
    e.preventDefault();
    $('#voxcpm-reference-file').trigger('click');
  });
  $('#voxcpm-reference-file').on('change', function () {
    const input = this as HTMLInputElement;
    const file = input.files && input.files[0];
    if (!file) return;
    const button = $('#voxcpm-reference-upload').prop('disabled', true);
    showLine(info, node._('voxcpm-clone.upload.running', { name: file.name }), '', true);
    $.ajax({
      url: `voxcpm/reference?name=${encodeURIComponent(file.name)}`,
      method: 'POST',
      contentType: 'audio/wav',
      processData: false,
      data: file,
      dataType: 'json',
    })
      .done((data: (Failure & { ok?: boolean; path?: string }) | null) => {
        if (data && data.ok && data.path) {
          $('#node-input-reference').val(data.path).trigger('change');
          clearTimeout(timer);
          refresh();
          RED.notify(node._('voxcpm-clone.upload.done', { path: data.path }), { type: 'success', timeout: 3000 });
        } else {
          infoFailure(data);
        }
      })
      .fail((xhr: JQuery.jqXHR) => {
        infoFailure(xhr.responseJSON as Failure | undefined, xhr);
        RED.notify(node._('voxcpm-clone.upload.failed'), 'error');
      })
      .always(() => {
        button.prop('disabled', false);
        input.value = '';
      });
  });
}

export function registerClone(): void {
  RED.nodes.registerType<CloneProps>('voxcpm-clone', cloneDef);
}
