import type { Node, NodeDef } from 'node-red';
import type { VoxcpmService } from '../lib/service';

/** What a voxcpm-server config node exposes to the flow nodes that use it. */
export interface ServerNode extends Node {
  service: VoxcpmService;
}

export interface ServerNodeDef extends NodeDef {
  url: string;
  timeout: string | number;
  /** Answers larger than this many MB are cut off (default 100). */
  maxResponseMB?: string | number;
}

export interface FlowNodeDef extends NodeDef {
  server: string;
  prompt?: string;
}

export interface CloneNodeDef extends FlowNodeDef {
  reference?: string;
  referenceText?: string;
}
