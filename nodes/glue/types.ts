import type { Node, NodeDef } from 'node-red';
import type { AuthCredentials } from '../lib/auth';
import type { VoxcpmError } from '../lib/errors';
import type { ServiceState, VoxcpmService } from '../lib/service';
import type { Synthesizer } from '../lib/synthesis';
import type { Voice } from '../lib/voice';
import type { AudioContentType } from '../lib/url-store';

/** What a flow node shows about its server: the queue, the servers' health, the warm-up. */
export interface ServerState extends ServiceState {
  warmup?: { state: 'running' | 'done' | 'failed'; seconds?: number; code?: string };
}

/** A flow node that uses a voxcpm-server, told of its state as it changes (as the core MQTT nodes are). */
export interface ServerUser {
  serverChanged(state: ServerState): void;
}

/** The credentials of a voxcpm-server, kept in Node-RED's credential store. */
export interface ServerCredentials extends AuthCredentials {
  proxyUsername?: string;
  proxyPassword?: string;
}

/**
 * What a voxcpm-server offers the flow nodes that use it: speaking, their
 * counts in its queue, its configuration error, publishing at msg.url, and
 * its state as it changes. Nothing of its inner service or cache.
 */
export interface SpeechServer {
  /** A bad setting: every message reports it. */
  readonly configError?: VoxcpmError;
  /** Characters of text, prompt or transcript one message may have (the server's text limit). */
  readonly maxTextChars: number;
  speak: Synthesizer['speak'];
  speakPieces: Synthesizer['speakPieces'];
  /** Queued and running requests of one flow node. */
  countOf(owner: string): { queued: number; running: number };
  register(user: ServerUser): void;
  deregister(user: ServerUser): void;
  /** Whether results are served at msg.url. */
  publishes: boolean;
  /**
   * Serves a result over HTTP for its link life; its URL (msg.url), or undefined
   * when that is off or the result cannot be kept (then `warn` is told why, as it
   * is of a late failure). `audio` must be a copy nothing will change; `contentType`
   * decides the link's extension (.wav, .mp3) and what it is served as.
   */
  publish(audio: Buffer, contentType: AudioContentType, warn: (text: string) => void): string | undefined;
}

/** The voxcpm-server config node: what it offers flow nodes, and what it holds. */
export interface ServerNode extends Node<ServerCredentials>, SpeechServer {
  /** The queue in front of the servers (state, probes, warm-up); flow nodes use SpeechServer only. */
  service: VoxcpmService;
  /** The pipeline messages go through. */
  synthesizer: Synthesizer;
  state(): ServerState;
}

export interface ServerNodeDef extends NodeDef {
  url: string;
  timeout?: string | number;
  concurrency?: string | number;
  queueLimit?: string | number;
  retries?: string | number;
  /** Answers larger than this many MB are cut off (default 100). */
  maxResponseMB?: string | number;
  /** Texts longer than this many characters are refused before any work (default 20,000). */
  maxText?: string | number;
  authType?: string;
  headerName?: string;
  /** The id of a tls-config node, for https. */
  tls?: string;
  proxy?: string;
  warmup?: boolean;
  cache?: boolean | string;
  cacheSize?: string | number;
  cacheDir?: string;
  /** Seconds a result stays downloadable at msg.url, and the base URL speakers reach Node-RED at. */
  urlTtl?: string | number;
  publicUrl?: string;
}

/** Node-RED's tls-config node, as the core HTTP request node uses it. */
export interface TlsConfigNode extends Node {
  addTLSOptions(options: Record<string, unknown>): void;
}

export interface FlowNodeDef extends NodeDef {
  server: string;
  /** The msg property holding the text (default payload) and the one receiving the audio. */
  text?: string;
  output?: string;
  prompt?: string;
  /** Where the prompt comes from: str (the text itself), msg, flow or global. */
  promptType?: string;
  maxChunk?: string | number;
  pause?: string | number;
  sampleRate?: string | number;
  leadIn?: string | number;
  streaming?: boolean | string;
  outputFormat?: string;
  /** wav (the server's samples) or wav16 (16-bit PCM); msg.audioFormat overrides it. */
  audioFormat?: string;
  /** The id of a voxcpm-voice node, or ''; msg.voice (a voice's name) overrides it. */
  voice?: string;
  /** Markdown and emoji removed before sending (default on); msg.cleanText overrides it. */
  cleanText?: boolean | string;
  /** Numbers spelled out before sending (default off); msg.normalizeNumbers overrides it. */
  normalizeNumbers?: boolean | string;
  /** Audio steps (issue 10): playback speed (0.5–2, 1 = unchanged), target LUFS ('' = off), MP3 kbps; msg.* overrides each. */
  speed?: string | number;
  loudness?: string | number;
  mp3Bitrate?: string | number;
}

export interface CloneNodeDef extends FlowNodeDef {
  reference?: string;
  referenceText?: string;
}

// ---------------------------------------------------------------- named voices

/** The settings of a voxcpm-voice config node (the reference is a path: its audio never enters the flow). */
export interface VoiceNodeDef extends NodeDef {
  prompt?: string;
  reference?: string;
  referenceText?: string;
}

/** A deployed voxcpm-voice node: the named voice the flow nodes speak with. */
export interface VoiceNode extends Node {
  voice: Voice;
}
