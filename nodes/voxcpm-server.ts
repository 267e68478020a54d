import type { NodeAPI } from 'node-red';
import type { VoxcpmError } from './lib/errors';
import { localise, renderIn } from './glue/render-error';
import { Synthesizer } from './lib/synthesis';
import { registerAdminRoutes } from './glue/admin-routes';
import { audioStore, audioUrl, linkProblem, notKeptText, registerAudioLinks } from './glue/audio-links';
import type { AudioContentType } from './lib/url-store';
import { serviceSettings } from './glue/server-settings';
import type { ServerCredentials, ServerNode, ServerNodeDef, ServerState, ServerUser } from './glue/types';

import { SERVER_CREDENTIALS, SERVER_DEFAULTS, WARMUP_TEXT } from './lib/defaults';
/** Status updates to the users are batched: a burst of 1,000 messages must not flood the editor. */
const BROADCAST_MS = 100;
/** Seconds a result stays downloadable at msg.url unless set otherwise. */
const DEFAULT_URL_TTL = SERVER_DEFAULTS.urlTtl;

export = function register(RED: NodeAPI): void {
  registerAdminRoutes(RED);
  registerAudioLinks(RED);
  function VoxcpmServerNode(this: ServerNode, def: ServerNodeDef): void {
    RED.nodes.createNode(this, def);
    const users = new Set<ServerUser>();
    let warmup: ServerState['warmup'];
    let started = false;
    let broadcastTimer: NodeJS.Timeout | undefined;

    const settings = serviceSettings(RED, def, this.credentials ?? {});
    settings.onCacheError = (err) => this.warn(`Disk cache: ${err.message}`);
    const synthesizer = Synthesizer.fromSettings(settings);
    this.synthesizer = synthesizer;
    this.service = synthesizer.service;
    const configError = synthesizer.configError;
    Object.assign(this, {
      configError,
      maxTextChars: synthesizer.limits.maxTextChars,
      speak: synthesizer.speak.bind(synthesizer),
      speakPieces: synthesizer.speakPieces.bind(synthesizer),
      countOf: (owner: string) => synthesizer.countOf(owner),
    });
    if (configError) {
      // Said once at deploy; every message through this server then fails with VOXCPM_CONFIG.
      this.error(localise(RED, configError).message);
    }

    this.state = () => ({ ...this.service.state(), warmup });

    const ttlSeconds = def.urlTtl === undefined || def.urlTtl === '' ? DEFAULT_URL_TTL : Number(def.urlTtl);
    this.publishes = ttlSeconds > 0;
    this.publish = (audio: Buffer, contentType: AudioContentType, warn: (text: string) => void) => {
      if (!this.publishes) return undefined;
      const kept = audioStore.put(audio, contentType, ttlSeconds * 1000, (err) => {
        warn(renderIn(RED, 'links.lateFailure', { detail: err.message }));
      });
      if ('refused' in kept) {
        warn(notKeptText(RED, kept, audio.length, ttlSeconds));
        return undefined;
      }
      return audioUrl(RED, kept.token, kept.extension, def.publicUrl);
    };
    const problem = this.publishes ? linkProblem(RED) : undefined;
    if (problem) this.warn(renderIn(RED, problem));

    const broadcast = () => {
      if (broadcastTimer) return;
      broadcastTimer = setTimeout(() => {
        broadcastTimer = undefined;
        const state = this.state();
        for (const u of users) u.serverChanged(state);
      }, BROADCAST_MS);
    };
    this.service.on('change', broadcast);

    const warmUp = () => {
      warmup = { state: 'running' };
      broadcast();
      const t0 = Date.now();
      this.service
        .synthesize({ text: WARMUP_TEXT, prompt: '', audio: '', reference_text: '' }, { owner: this.id })
        .then(
          () => (warmup = { state: 'done', seconds: (Date.now() - t0) / 1000 }),
          (err: VoxcpmError) => (warmup = { state: 'failed', code: err.code }),
        )
        .finally(broadcast);
    };

    this.register = (user: ServerUser) => {
      users.add(user);
      if (!started && !configError) {
        // Probes and the warm-up start with the first node that uses this server.
        started = true;
        this.service.start();
        if (def.warmup) warmUp();
      }
      user.serverChanged(this.state());
    };
    this.deregister = (user: ServerUser) => {
      users.delete(user);
    };

    this.on('close', (done: () => void) => {
      clearTimeout(broadcastTimer);
      this.service.removeAllListeners('change');
      this.service.close().then(done, done);
    });
  }

  RED.nodes.registerType<ServerNode, ServerNodeDef, object, ServerCredentials>('voxcpm-server', VoxcpmServerNode, {
    credentials: SERVER_CREDENTIALS,
  });
};
