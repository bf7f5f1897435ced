'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { health, number, percent, scoreText, spelled, withUnit } = require('../src/format');

test('numbers keep 2 decimals at most and no trailing zeros', () => {
  assert.equal(number(33.333333333333336), '33.33');
  assert.equal(number(6.0), '6');
  assert.equal(number(-0.001), '0');
  assert.equal(number(2.5), '2.5');
  assert.equal(number(1e20), '1.00e+20');
});

test('no value, NaN, an infinity or a string read as an em dash', () => {
  for (const value of [null, undefined, NaN, Infinity, '12', {}]) {
    assert.equal(number(value), '—');
    assert.equal(withUnit(value, '%'), '—');
    assert.equal(scoreText(value), '—');
    assert.equal(percent(value), '—');
  }
});

test('a percent unit sticks to the number, any other unit follows it', () => {
  assert.equal(withUnit(32, '%'), '32%');
  assert.equal(withUnit(4.5, 'days'), '4.5 days');
  assert.equal(withUnit(120, null), '120');
  assert.equal(withUnit(120, '  '), '120');
});

test('scores have 2 decimals, shares are whole percentages', () => {
  assert.equal(scoreText(0.4), '0.40');
  assert.equal(scoreText(1), '1.00');
  assert.equal(percent(0.4946), '49%');
  assert.equal(percent(-0.001), '0%');
});

test('each health has its words and the OKR page colour as lozenge appearance', () => {
  const seen = ['done', 'on_track', 'at_risk', 'off_track', 'missed', 'not_measured'].map((h) => {
    const { words, appearance } = health(h);
    return `${words}:${appearance}`;
  });
  assert.deepEqual(seen, [
    'Done:inprogress',
    'On track:success',
    'At risk:moved',
    'Off track:removed',
    'Missed:new',
    'Not measured:default',
  ]);
});

test('an unknown health reads as its own words in grey; a missing one as not measured', () => {
  assert.deepEqual(health('paused_for_review'), {
    key: 'paused_for_review',
    words: 'Paused for review',
    appearance: 'default',
    rank: health('not_measured').rank,
  });
  assert.equal(health(undefined).words, 'Not measured');
  assert.equal(health(42).words, 'Not measured');
});

test('flag names are spelled out', () => {
  assert.equal(spelled('output_without_outcome'), 'Output without outcome');
});
