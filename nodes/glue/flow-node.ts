import type { Node, NodeAPI, NodeMessageInFlow, NodeStatus } from 'node-red';
import { encodeOutput, OutputFormat } from '../lib/audio';
import { internalError, isVoxcpmError, shownValue, typePhrase, VoxcpmError } from '../lib/errors';
import type { BuiltRequest, InputMessage } from '../lib/request';
import type { SpokenAudio } from '../lib/synthesis';
import type { Voice } from '../lib/voice';
import { audioSettingsOf, OUTPUT_FORMATS, readSettings, type AudioOverrides } from '../lib/node-settings';
import { localise } from './render-error';
import type { FlowNodeDef, ServerState, ServerUser, SpeechServer } from './types';
import { voiceNamed, voiceOf } from './voices';

/** What both builders take: the node's prompt for this message, the server's text limit, the named voices. */
export interface CommonSettings {
  prompt: string;
  maxTextChars: number;
  /** The voice msg.voice names, and the node's voice (voice.ts decides which applies). */
  messageVoice?: Voice;
  nodeVoice?: Voice;
}

/** Turns one message's input into a request body; throws VoxcpmError on bad input. */
export type RequestBuilder = (input: InputMessage, common: CommonSettings) => Promise<BuiltRequest>;

/** Status updates are batched so that a burst of messages does not flood the editor. */
const STATUS_MS = 100;

/** The properties of a message this node reads besides its text (and its audio overrides). */
interface ControlMessage extends NodeMessageInFlow, AudioOverrides {
  reset?: unknown;
  priority?: unknown;
  timeout?: unknown;
  cache?: unknown;
  outputFormat?: unknown;
  prompt?: unknown;
  audio?: unknown;
  referenceText?: unknown;
  voice?: unknown;
}

/**
 * The behaviour voxcpm-tts and voxcpm-clone share: resolve the server, turn
 * each message into a request, have it spoken (cache, queue, long text), send
 * the audio on, and report every failure once through done(err) so Catch
 * nodes see it.
 */
export function runFlowNode(RED: NodeAPI, node: Node, def: FlowNodeDef, build: RequestBuilder): void {
  const type = def.type;
  // A status without numbers is sent as its catalog key: the editor translates it into the
  // language of whoever looks. One with numbers is translated here, in the runtime's language.
  const t = (key: string, params?: Record<string, string | number>) =>
    params ? RED._(`${type}.status.${key}`, params) : `${type}.status.${key}`;
  const server = RED.nodes.getNode(def.server) as unknown as SpeechServer | null;
  const settings = readSettings(def);
  const pending = new Set<Promise<void>>();
  const controllers = new Set<AbortController>();
  const warned = new Set<string>();
  let closing = false;
  let serverState: ServerState | undefined;
  let last: NodeStatus | undefined;
  let progress: { done: number; count: number } | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let shown = '';

  /** What is true now, in order of importance. */
  const currentStatus = (): NodeStatus => {
    if (!server) return { fill: 'red', shape: 'ring', text: t('noServer') };
    if (server.configError) return { fill: 'red', shape: 'ring', text: t('configError') };
    const mine = server.countOf(node.id);
    const queued = serverState?.queued ?? 0;
    if (progress) return { fill: 'blue', shape: 'dot', text: t('progress', { done: progress.done, count: progress.count }) };
    if (mine.running > 0) return { fill: 'blue', shape: 'dot', text: queued > 0 ? t('workingQueued', { count: queued }) : t('working') };
    const servers = serverState?.servers;
    if (servers && servers.total > 0 && servers.down === servers.total) {
      return { fill: 'red', shape: 'ring', text: mine.queued > 0 ? t('unreachableQueued', { count: queued }) : t('unreachable') };
    }
    if (mine.queued > 0) return { fill: 'yellow', shape: 'dot', text: t('queued', { count: queued }) };
    if (servers && servers.down > 0) return { fill: 'yellow', shape: 'ring', text: t('partial', { down: servers.down, total: servers.total }) };
    if (last) return last;
    const w = serverState?.warmup;
    if (w?.state === 'running') return { fill: 'blue', shape: 'ring', text: t('warming') };
    if (w?.state === 'done') return { fill: 'green', shape: 'ring', text: t('warm', { seconds: (w.seconds ?? 0).toFixed(1) }) };
    if (w?.state === 'failed') return { fill: 'red', shape: 'ring', text: t('warmFailed', { code: w.code ?? '' }) };
    if (servers && servers.up > 0) return { fill: 'green', shape: 'ring', text: t('ready') };
    return {};
  };
  const render = () => {
    statusTimer = undefined;
    const s = withVoice(currentStatus());
    const key = JSON.stringify(s);
    if (key !== shown) {
      shown = key;
      node.status(s);
    }
  };
  const updateStatus = (now = false) => {
    if (closing) return;
    if (now) {
      clearTimeout(statusTimer);
      render();
    } else if (!statusTimer) {
      statusTimer = setTimeout(render, STATUS_MS);
    }
  };

  // ---- named voices: the node's voice setting, msg.voice, the voice shown in the status
  /** The name of the voice the last message spoke with. */
  let lastVoice: string | undefined;
  /** The node's voice; VOXCPM_CONFIG when it names a voice that is not deployed. */
  const nodeVoice = (): Voice | undefined => {
    if (!def.voice) return undefined;
    const voice = voiceOf(RED, def.voice);
    if (!voice) throw new VoxcpmError('VOXCPM_CONFIG', 'node.noVoice', { type });
    return voice;
  };
  // A node set to read its text or prompt from msg.voice (flows older than named voices) keeps
  // doing so: there msg.voice is that text, not a voice's name.
  const voiceIsOwnProperty = settings.textProperty === 'voice' || (def.promptType === 'msg' && (def.prompt ?? '').trim() === 'voice');
  /** The voice of a message: msg.voice (looked up among the deployed voices), and the node's. */
  const voicesOf = (msg: ControlMessage): Pick<CommonSettings, 'messageVoice' | 'nodeVoice'> => ({
    messageVoice: voiceIsOwnProperty ? undefined : voiceNamed(RED, msg.voice),
    nodeVoice: nodeVoice(),
  });
  /** A status with the voice spoken with appended (translated here: a catalog key cannot carry a name). */
  const withVoice = (s: NodeStatus): NodeStatus => {
    let name = lastVoice;
    if (name === undefined && def.voice) name = voiceOf(RED, def.voice)?.name.trim();
    if (!name || s.text === undefined || s.text === '') return s;
    const text = String(s.text);
    return { ...s, text: `${text.startsWith(`${type}.status.`) ? RED._(text) : text} · ${name}` };
  };

  const user: ServerUser = {
    serverChanged(state) {
      serverState = state;
      updateStatus();
    },
  };
  if (server) server.register(user);
  updateStatus(true);

  // The same warning for every message would flood the log: say each kind once per deploy.
  const warnOnce = (kind: string, message: string) => {
    if (warned.has(kind)) return;
    warned.add(kind);
    node.warn(message);
  };

  /** The node's prompt for this message: a literal, or read from msg / flow / global context. */
  const nodePrompt = (msg: NodeMessageInFlow): Promise<string> =>
    new Promise((resolve, reject) => {
      const from = def.promptType || 'str';
      const name = def.prompt ?? '';
      if (from === 'str') return resolve(name);
      RED.util.evaluateNodeProperty(name, from, node, msg, (err: Error | null, value: unknown) => {
        if (err) return reject(new VoxcpmError('VOXCPM_INPUT_INVALID', 'node.promptUnreadable', { from, name }));
        if (value === undefined || value === null) return resolve('');
        if (typeof value !== 'string') {
          return reject(new VoxcpmError('VOXCPM_INPUT_INVALID', 'node.promptNotText', { from, name, type: typePhrase(value) }));
        }
        resolve(value);
      });
    });

  /** Puts the audio, and what is known of it, on the message. */
  const deliver = (msg: NodeMessageInFlow, audio: SpokenAudio, format: OutputFormat) => {
    const { info, contentType } = audio;
    RED.util.setMessageProperty(msg, settings.outputProperty, encodeOutput(audio.file, format, contentType), true);
    Object.assign(msg, {
      sampleRate: info.sampleRate,
      duration: Math.round(info.duration * 1000) / 1000,
      channels: info.channels,
      bitDepth: info.bitDepth,
      contentType,
      cached: audio.cached,
    });
    // An MP3 has no bit depth: none is said (not one left from an earlier node).
    if (info.bitDepth === undefined) delete (msg as { bitDepth?: unknown }).bitDepth;
    // What flows on may be changed in place downstream; speakers get an unchanging copy,
    // at a .wav or .mp3 link by its content type.
    const url = server?.publishes ? server.publish(audio.kept ?? Buffer.from(audio.file), audio.contentType, (text) => node.warn(text)) : undefined;
    if (url) Object.assign(msg, { url });
    if (audio.reportedSampleRate !== undefined) {
      warnOnce(
        'rate-mismatch',
        `The server said sample_rate ${audio.reportedSampleRate} but its WAV header says ${info.sampleRate} Hz: the header is used`,
      );
    }
  };

  const handle = async (msg: ControlMessage, send: (m: NodeMessageInFlow) => void, signal: AbortSignal): Promise<void> => {
    if (!server) {
      throw new VoxcpmError('VOXCPM_CONFIG', 'node.noServer', { type });
    }
    const priority = numberField(msg.priority, 'msg.priority', () => true) ?? 0;
    const timeout = numberField(msg.timeout, 'msg.timeout', (n) => n > 0);
    const format = (msg.outputFormat ?? settings.outputFormat) as OutputFormat;
    if (!OUTPUT_FORMATS.includes(format)) {
      throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'node.badOutputFormat', { formats: OUTPUT_FORMATS.join(', ') });
    }
    const audioSettings = audioSettingsOf(msg, settings);
    const input: InputMessage = {
      payload: RED.util.getMessageProperty(msg, settings.textProperty),
      prompt: msg.prompt,
      audio: msg.audio,
      referenceText: msg.referenceText,
    };
    const request = await build(input, { prompt: await nodePrompt(msg), maxTextChars: server.maxTextChars, ...voicesOf(msg) });
    for (const w of request.warnings) warnOnce(w.kind, w.message);
    // msg.voice on the output: the voice used, as its node names it.
    if (request.voice !== undefined) msg.voice = request.voice;
    lastVoice = request.voice;
    const started = Date.now();
    const options = {
      owner: node.id,
      priority,
      timeoutMs: timeout === undefined ? undefined : timeout * 1000,
      signal,
      audioDigest: request.audioDigest,
      cache: msg.cache !== false && msg.cache !== 'false',
      keep: server.publishes,
      // Ignored SSML tags are said for every message that has them (they differ); the rest once per deploy.
      onWarning: (kind: string, message: string) => (kind === 'ssml-ignored' ? node.warn(message) : warnOnce(kind, message)),
      onProgress: (done: number, count: number) => {
        progress = count > 1 && done < count ? { done, count } : undefined;
        updateStatus();
      },
    };
    updateStatus(true);
    let seconds = 0;
    if (settings.streaming) {
      // Each piece leaves as soon as it is ready, with msg.parts as the split node sets them.
      const id = RED.util.generateId();
      await server.speakPieces(request.body, audioSettings, options, (piece) => {
        const out = RED.util.cloneMessage(msg);
        deliver(out, piece, format);
        Object.assign(out, { parts: { id, index: piece.index, count: piece.count, type: 'array', len: 1 } });
        seconds += piece.info.duration;
        send(out);
      });
    } else {
      const audio = await server.speak(request.body, audioSettings, options);
      deliver(msg, audio, format);
      seconds = audio.info.duration;
      send(msg);
    }
    last = {
      fill: 'green',
      shape: 'dot',
      text: t('done', { duration: seconds.toFixed(1), elapsed: ((Date.now() - started) / 1000).toFixed(1) }),
    };
  };

  node.on('input', (msg: NodeMessageInFlow, send, done) => {
    const m = msg as ControlMessage;
    if (m.reset !== undefined && m.reset !== false) {
      // Like the core delay and trigger nodes: a reset message only resets.
      const reason = new VoxcpmError('VOXCPM_ABORTED', 'node.reset');
      for (const ac of controllers) ac.abort(reason);
      last = undefined;
      updateStatus(true);
      done();
      return;
    }
    const ac = new AbortController();
    controllers.add(ac);
    const work = handle(m, send, ac.signal).then(
      () => done(),
      (err: unknown) => {
        if (closing) {
          // The node is being stopped or redeployed: the message ends quietly.
          done();
          return;
        }
        // Anything else is a bug of ours, not the server's fault: VOXCPM_INTERNAL, its stack in the debug log.
        if (!isVoxcpmError(err)) node.debug(`VOXCPM_INTERNAL: ${err instanceof Error ? (err.stack ?? String(err)) : String(err)}`);
        const error = isVoxcpmError(err) ? err : internalError(err);
        last = { fill: 'red', shape: 'ring', text: error.code };
        done(localise(RED, error));
      },
    );
    const tracked = work.finally(() => {
      controllers.delete(ac);
      pending.delete(tracked);
      if (controllers.size === 0) progress = undefined;
      updateStatus();
    });
    pending.add(tracked);
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    closing = true;
    clearTimeout(statusTimer);
    const reason = new VoxcpmError('VOXCPM_ABORTED', 'node.stopped');
    for (const ac of controllers) ac.abort(reason);
    server?.deregister(user);
    // done() only once nothing of this node is left running.
    void Promise.allSettled([...pending]).then(() => {
      node.status({});
      done();
    });
  });
}

/** An optional numeric control property (msg.priority, msg.timeout); numeric strings count. */
function numberField(value: unknown, name: string, ok: (n: number) => boolean): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n) || !ok(n)) {
    throw new VoxcpmError('VOXCPM_INPUT_INVALID', name === 'msg.timeout' ? 'node.badPositiveNumber' : 'node.badNumber', { name, value: shownValue(value) });
  }
  return n;
}
