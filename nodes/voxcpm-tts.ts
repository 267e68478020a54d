import type { Node, NodeAPI } from 'node-red';
import { buildTtsVoiceRequest } from './lib/request';
import { runFlowNode } from './glue/flow-node';
import type { FlowNodeDef } from './glue/types';

export = function register(RED: NodeAPI): void {
  function VoxcpmTtsNode(this: Node, def: FlowNodeDef): void {
    RED.nodes.createNode(this, def);
    runFlowNode(RED, this, def, (input, common) => buildTtsVoiceRequest(input, common));
  }
  RED.nodes.registerType('voxcpm-tts', VoxcpmTtsNode);
};
