/**
 * The editor bundle's entry: resources/voxcpm-editor.js, loaded once by nodes/voxcpm.html
 * (`<script src="resources/@voxcpm/node-red-voxcpm/voxcpm-editor.js">`) before Node-RED adds
 * the dialogs' templates. Registers the three node types with the editor.
 */
import { registerClone } from './clone';
import { registerServer } from './server';
import { registerTts } from './tts';

registerServer();
registerTts();
registerClone();
