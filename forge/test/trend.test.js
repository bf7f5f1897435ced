'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { sparkline, trendText } = require('../src/trend');

const level = { kind: 'level', unit: '%', baseline: 40, target: 15 };

test('recorded readings read as a sparkline and the last values, oldest first', () => {
  assert.equal(trendText({ ...level, trend: [40, 38, 35, 33.333] }), '█▆▃▁ 40 → 38 → 35 → 33.33%');
  assert.equal(trendText({ ...level, trend: { values: [1, 2, 3, 4, 5] } }), '▁▃▅▆█ 2 → 3 → 4 → 5%');
  assert.equal(trendText({ ...level, trend: [33] }), '33% (first reading)');
});

test('readings that are not numbers are left out', () => {
  assert.equal(trendText({ ...level, trend: [40, null, 'x', 35] }), '█▁ 40 → 35%');
});

test('a flat series draws a level line', () => {
  assert.equal(sparkline([3, 3, 3]), '▄▄▄');
});

test('without readings a level KR reads against its baseline, the target telling which way is better', () => {
  assert.equal(trendText({ ...level, current: 33.3 }), 'better than the baseline of 40%');
  assert.equal(trendText({ ...level, current: 45 }), 'worse than the baseline of 40%');
  assert.equal(trendText({ ...level, current: 40 }), 'at the baseline of 40%');
  assert.equal(trendText({ unit: 'hours', current: 6, baseline: 12, target: 4 }), 'better than the baseline of 12 hours');
  assert.equal(trendText({ ...level, target: 40, current: 41 }), 'above the baseline of 40%');
});

test('a cap or an accumulating KR without readings, or a KR without numbers, has no trend', () => {
  assert.equal(trendText({ kind: 'cap', current: 4, baseline: 6, target: 2 }), null);
  assert.equal(trendText({ kind: 'accumulate', current: 4, baseline: 0, target: 10 }), null);
  assert.equal(trendText({ kind: 'level', current: null, baseline: 40, target: 15 }), null);
  assert.equal(trendText({}), null);
});

test('a trend already in words is shown as it is', () => {
  assert.equal(trendText({ trend: ' rising for 3 weeks ' }), 'rising for 3 weeks');
});
