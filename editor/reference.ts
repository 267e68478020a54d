/**
 * The reference slot voxcpm-clone and voxcpm-voice share: a WAV on the Node-RED host (a path,
 * or uploaded), its length, rate and channels with the 3–30 s warning, and a player. Runs in
 * the browser; the pure parts (texts) are tested in Node.
 */
import { REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS } from '../nodes/lib/defaults';
import { BlobPlayer, COLOR, failureText, readJson, showLine, type Failure, type HttpStatus, type Translator } from './common';

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

/**
 * One dialog's reference slot. `field` is the path's input (`#node-input-reference`,
 * `#node-config-input-reference`); the other elements are `#<prefix>-upload`, `-file`,
 * `-player`, `-audio` and `-info` (distinct per dialog: a voice's dialog can open over a
 * clone node's, and both are in the page then).
 */
export class ReferenceSlot {
  private readonly player: BlobPlayer;
  /** Counts look-ups, so that a slow answer for an older path is dropped. */
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly field: string,
    private readonly prefix: string,
  ) {
    this.player = new BlobPlayer(`${prefix}-audio`);
  }

  /** The path in the field, trimmed. */
  path(): string {
    return String($(this.field).val() || '').trim();
  }

  /** Stops the player and drops answers still on their way. */
  stop(): void {
    this.seq++;
    clearTimeout(this.timer);
    this.player.stop();
  }

  /** Wires the slot of the open dialog: info and player for the path, and upload. */
  prepare(t: Translator): void {
    const info = $(`#${this.prefix}-info`);
    const infoFailure = (data?: Failure | null, xhr?: HttpStatus | null) =>
      showLine(info, failureText(t, 'voxcpm-clone.reference.failed', 'common.preview.noAnswer', data, xhr), COLOR.error);

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
          if (seq !== this.seq || !(blob instanceof Blob)) return;
          this.player.load(blob, false);
        })
        .fail((xhr: JQuery.jqXHR) => {
          const sent = raw as XMLHttpRequest | null;
          if (seq === this.seq) readJson(sent && sent.response, (data) => infoFailure(data, xhr));
        });
    };

    const refresh = () => {
      this.stop();
      const seq = this.seq;
      const path = this.path();
      $(`#${this.prefix}-player`).toggle(path !== '');
      if (path === '') {
        showLine(info, t._('voxcpm-clone.reference.none'), '');
        return;
      }
      showLine(info, t._('voxcpm-clone.reference.reading'), '', true);
      $.ajax({ url: `voxcpm/reference/info?path=${encodeURIComponent(path)}`, method: 'GET', dataType: 'json', cache: false })
        .done((data: ReferenceInfo | null) => {
          if (seq !== this.seq) return;
          if (!data || !data.ok) {
            infoFailure(data);
            return;
          }
          const shown = referenceInfoText(t, data);
          showLine(info, shown.text, shown.warn ? COLOR.warning : '');
          loadAudio(path, seq);
        })
        .fail((xhr: JQuery.jqXHR) => {
          if (seq === this.seq) infoFailure(xhr.responseJSON as Failure | undefined, xhr);
        });
    };

    let shownPath = this.path();
    $(this.field).on('input change', () => {
      // Node-RED fires "change" on every field once the dialog is ready: read the recording
      // again only when the path really changed.
      const path = this.path();
      if (path === shownPath) return;
      shownPath = path;
      clearTimeout(this.timer);
      this.timer = setTimeout(refresh, 400);
    });
    refresh();

    // Upload: the file's bytes go to Node-RED's user directory, never into the flow.
    $(`#${this.prefix}-upload`).on('click', (e) => {
      e.preventDefault();
      $(`#${this.prefix}-file`).trigger('click');
    });
    const field = this.field;
    const prefix = this.prefix;
    $(`#${prefix}-file`).on('change', function () {
      const input = this as HTMLInputElement;
      const file = input.files && input.files[0];
      if (!file) return;
      const button = $(`#${prefix}-upload`).prop('disabled', true);
      showLine(info, t._('voxcpm-clone.upload.running', { name: file.name }), '', true);
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
            $(field).val(data.path).trigger('change');
            refresh();
            RED.notify(t._('voxcpm-clone.upload.done', { path: data.path }), { type: 'success', timeout: 3000 });
          } else {
            infoFailure(data);
          }
        })
        .fail((xhr: JQuery.jqXHR) => {
          infoFailure(xhr.responseJSON as Failure | undefined, xhr);
          RED.notify(t._('voxcpm-clone.upload.failed'), 'error');
        })
        .always(() => {
          button.prop('disabled', false);
          input.value = '';
        });
    });
  }
}
