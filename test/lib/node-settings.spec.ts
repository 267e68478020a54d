/**
 * nodes/lib/node-settings.ts: the one reading of a flow node's settings, used by the deployed
 * node and by Preview (their results through the runtime: output.spec.ts, admin-routes.spec.ts).
 */
import assert from 'node:assert/strict';
import { VoxcpmError } from '../../nodes/lib/errors';
import { SYNTHESIS_DEFAULTS } from '../../nodes/lib/defaults';
import { audioSettingsOf, readSettings } from '../../nodes/lib/node-settings';

const invalid = (pattern: RegExp) => (err: unknown) => err instanceof VoxcpmError && err.code === 'VOXCPM_INPUT_INVALID' && pattern.test(err.message);

describe('lib/node-settings', () => {
  it('an empty dialog (an older flow) gets every default of defaults.ts', () => {
    const settings = readSettings({});
    assert.deepEqual(
      { ...settings, nodeSteps: undefined },
      {
        textProperty: 'payload',
        outputProperty: 'payload',
        maxChunk: SYNTHESIS_DEFAULTS.maxChunk,
        pause: SYNTHESIS_DEFAULTS.pause,
        sampleRate: SYNTHESIS_DEFAULTS.sampleRate,
        leadIn: SYNTHESIS_DEFAULTS.leadIn,
        cleanText: SYNTHESIS_DEFAULTS.cleanText,
        normalizeNumbers: SYNTHESIS_DEFAULTS.normalizeNumbers,
        streaming: false,
        outputFormat: 'wav',
        nodeAudioFormat: SYNTHESIS_DEFAULTS.audioFormat,
        nodeSteps: undefined,
      },
    );
    assert.deepEqual(audioSettingsOf({}, settings), {
      maxChunk: SYNTHESIS_DEFAULTS.maxChunk,
      pause: SYNTHESIS_DEFAULTS.pause,
      sampleRate: SYNTHESIS_DEFAULTS.sampleRate,
      leadIn: SYNTHESIS_DEFAULTS.leadIn,
      audioFormat: SYNTHESIS_DEFAULTS.audioFormat,
      cleanText: SYNTHESIS_DEFAULTS.cleanText,
      normalizeNumbers: SYNTHESIS_DEFAULTS.normalizeNumbers,
      speed: SYNTHESIS_DEFAULTS.speed,
      loudness: null,
      mp3Bitrate: SYNTHESIS_DEFAULTS.mp3Bitrate,
    });
  });

  it('typed values as the dialog sends them: numbers as text, switches as "true"/"false", a negative number 0, junk the default', () => {
    const settings = readSettings({
      maxChunk: '80', pause: '-5', sampleRate: 'fast', leadIn: '', cleanText: 'false', normalizeNumbers: 'true',
      audioFormat: 'mp3', speed: '1.5', loudness: '-16', mp3Bitrate: '32', streaming: 'true', outputFormat: 'base64',
    });
    assert.deepEqual(audioSettingsOf({}, settings), {
      maxChunk: 80, pause: 0, sampleRate: SYNTHESIS_DEFAULTS.sampleRate, leadIn: SYNTHESIS_DEFAULTS.leadIn,
      audioFormat: 'mp3', cleanText: false, normalizeNumbers: true, speed: 1.5, loudness: -16, mp3Bitrate: 32,
    });
    assert.equal(settings.streaming, true);
    assert.equal(settings.outputFormat, 'base64');
    // Booleans mean the same as their text; anything else is the default.
    assert.deepEqual(readSettings({ cleanText: false, normalizeNumbers: true }), readSettings({ cleanText: 'false', normalizeNumbers: 'true' }));
    assert.equal(readSettings({ cleanText: 'yes' }).cleanText, SYNTHESIS_DEFAULTS.cleanText);
  });

  it('a bad setting is refused with the setting\'s name and the value quoted; a message\'s with msg.*', () => {
    assert.throws(() => audioSettingsOf({}, readSettings({ audioFormat: 'flac' })), invalid(/^audioFormat is "flac"; it must be one of wav, wav16, mp3$/));
    assert.throws(() => audioSettingsOf({}, readSettings({ audioFormat: 7 })), invalid(/^audioFormat is 7;/));
    assert.throws(() => audioSettingsOf({ audioFormat: 'ogg' }, readSettings({})), invalid(/^msg\.audioFormat is "ogg";/));
    assert.throws(() => audioSettingsOf({}, readSettings({ speed: '9' })), invalid(/^speed is "9"/));
    assert.throws(() => audioSettingsOf({ cleanText: 'yes' }, readSettings({})), invalid(/msg\.cleanText/));
    // The format is checked first.
    assert.throws(() => audioSettingsOf({ speed: 9 }, readSettings({ audioFormat: 'flac' })), invalid(/^audioFormat/));
  });

  it('a message\'s properties beat the node\'s; null or absent leave them', () => {
    const settings = readSettings({ audioFormat: 'wav16', cleanText: true, speed: 2, loudness: -20 });
    const mine = audioSettingsOf({ audioFormat: 'wav', cleanText: 'false', speed: 1, loudness: '' }, settings);
    assert.deepEqual([mine.audioFormat, mine.cleanText, mine.speed, mine.loudness], ['wav', false, 1, null]);
    const theirs = audioSettingsOf({ audioFormat: null, cleanText: null, speed: null, loudness: null }, settings);
    assert.deepEqual([theirs.audioFormat, theirs.cleanText, theirs.speed, theirs.loudness], ['wav16', true, 2, -20]);
  });
});
