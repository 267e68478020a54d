import type { NodeAPI } from 'node-red';
import registerServer = require('./voxcpm-server');
import registerTts = require('./voxcpm-tts');
import registerClone = require('./voxcpm-clone');
import registerVoice = require('./voxcpm-voice');

/**
 * The node set `voxcpm` (package.json node-red.nodes): the four node types in one set, as
 * Node-RED core's 10-mqtt does, so they share one editor file (voxcpm.html, which loads the
 * editor bundle resources/voxcpm-editor.js), one catalog per language (locales/<lang>/voxcpm.json)
 * and one help file per language (locales/<lang>/voxcpm.html).
 */
export = function register(RED: NodeAPI): void {
  registerServer(RED);
  registerVoice(RED);
  registerTts(RED);
  registerClone(RED);
};
