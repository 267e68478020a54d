import type { NodeAPI } from 'node-red';
import { VoxcpmService } from './lib/service';
import type { ServerNode, ServerNodeDef } from './shared/types';

export = function register(RED: NodeAPI): void {
  function VoxcpmServerNode(this: ServerNode, def: ServerNodeDef): void {
    RED.nodes.createNode(this, def);
    this.service = new VoxcpmService({ url: def.url, timeout: def.timeout, maxResponseMB: def.maxResponseMB });
    if (this.service.configError) {
      // Said once at deploy; every message through this server then fails with VOXCPM_CONFIG.
      this.error(this.service.configError.message);
    }
    this.on('close', (done: () => void) => {
      this.service.close();
      done();
    });
  }
  RED.nodes.registerType('voxcpm-server', VoxcpmServerNode);
};
