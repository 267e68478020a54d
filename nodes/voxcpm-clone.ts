import type { Node, NodeAPI } from 'node-red';
import { ReferenceFile } from './lib/reference';
import { buildCloneRequest } from './lib/request';
import { runFlowNode } from './glue/flow-node';
import type { CloneNodeDef } from './glue/types';

export = function register(RED: NodeAPI): void {
  function VoxcpmCloneNode(this: Node, def: CloneNodeDef): void {
    RED.nodes.createNode(this, def);
    const settings = { referenceText: def.referenceText ?? '', reference: def.reference ?? '' };
    // Relative reference paths start in Node-RED's user directory, where flows live.
    const referenceFile = new ReferenceFile(RED.settings.userDir ?? process.cwd());
    runFlowNode(RED, this, def, (input, common) => buildCloneRequest(input, { ...settings, ...common }, (file) => referenceFile.load(file)));
  }
  RED.nodes.registerType('voxcpm-clone', VoxcpmCloneNode);
};
