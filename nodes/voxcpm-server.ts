import type { NodeAPI } from 'node-red';
import { authHeaders } from './lib/auth';
import { VoxcpmError } from './lib/errors';
import { ServiceSettings, VoxcpmService } from './lib/service';
import type { ServerCredentials, ServerNode, ServerNodeDef, ServerState, ServerUser, TlsConfigNode } from './shared/types';

/** A short sentence for the optional warm-up at deploy: the model's cold start is paid here. */
const WARMUP_TEXT = '你好。';
/** Status updates to the users are batched: a burst of 1,000 messages must not flood the editor. */
const BROADCAST_MS = 100;

export = function register(RED: NodeAPI): void {
  function VoxcpmServerNode(this: ServerNode, def: ServerNodeDef): void {
    RED.nodes.createNode(this, def);
    const users = new Set<ServerUser>();
    let warmup: ServerState['warmup'];
    let started = false;
    let broadcastTimer: NodeJS.Timeout | undefined;

    const settings: ServiceSettings = {
      url: def.url,
      timeout: def.timeout,
      concurrency: def.concurrency,
      queueLimit: def.queueLimit,
      retries: def.retries,
      maxResponseMB: def.maxResponseMB,
      proxy: def.proxy,
    };
    let setupError: VoxcpmError | undefined;
    try {
      settings.headers = authHeaders(def.authType, def.headerName, this.credentials ?? {});
      if (def.tls) {
        const tlsNode = RED.nodes.getNode(def.tls) as TlsConfigNode | null;
        if (!tlsNode) throw new VoxcpmError('VOXCPM_CONFIG', 'The TLS configuration this server uses does not exist');
        const tls: Record<string, unknown> = {};
        tlsNode.addTLSOptions(tls);
        settings.tls = tls;
      }
    } catch (err) {
      if (!(err instanceof VoxcpmError)) throw err;
      setupError = err;
    }
    const creds = this.credentials ?? {};
    if (creds.proxyUsername) settings.proxyAuth = { username: creds.proxyUsername, password: creds.proxyPassword };
    this.service = new VoxcpmService({ ...settings, configError: setupError });
    const configError = setupError ?? this.service.configError;
    if (configError) {
      // Said once at deploy; every message through this server then fails with VOXCPM_CONFIG.
      this.error(configError.message);
    }

    this.state = () => ({ ...this.service.state(), warmup });

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
    credentials: {
      token: { type: 'password' },
      username: { type: 'text' },
      password: { type: 'password' },
      headerValue: { type: 'password' },
      proxyUsername: { type: 'text' },
      proxyPassword: { type: 'password' },
    },
  });
};
