/**
 * The editor bundle's entry: resources/voxcpm-editor.js, loaded once by nodes/voxcpm.html
 * (`<script src="resources/@voxcpm/node-red-voxcpm/voxcpm-editor.js">`) before Node-RED adds
 * the dialogs' templates. Registers the four node types with the editor.
 */
import { registerClone } from './clone';
import { registerServer } from './server';
import { registerTts } from './tts';
import { registerVoice } from './voice';

registerServer();
registerVoice();
registerTts();
registerClone();
