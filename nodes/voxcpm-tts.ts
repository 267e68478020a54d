import type { Node, NodeAPI } from 'node-red';
import { buildTtsRequest } from './lib/request';
import { runSynthesisNode } from './shared/synthesis-node';
import type { FlowNodeDef } from './shared/types';

export = function register(RED: NodeAPI): void {
  function VoxcpmTtsNode(this: Node, def: FlowNodeDef): void {
    RED.nodes.createNode(this, def);
    runSynthesisNode(RED, this, def, async (input, common) => buildTtsRequest(input, common));
  }
  RED.nodes.registerType('voxcpm-tts', VoxcpmTtsNode);
};
