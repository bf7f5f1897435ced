'use strict';
/**
 * A KR's trend in words (pure): from recorded readings when the property carries them (`trend`: numbers oldest
 * first, or {values: [...]}), else, for a level KR, where its current value stands against its baseline.
 * A cap or an accumulating KR grows over its cycle by nature, so its baseline says nothing of its trend.
 */

const { isNumber, number, withUnit } = require('./format');

const SPARKS = '▁▂▃▄▅▆▇█';
const SHOWN = 8; // readings drawn
const LISTED = 4; // readings written out

function readings(trend) {
  const values = Array.isArray(trend) ? trend : trend && Array.isArray(trend.values) ? trend.values : [];
  return values.filter(isNumber);
}

/** The readings as block heights, oldest first. */
function sparkline(values) {
  const shown = values.slice(-SHOWN);
  const low = Math.min(...shown);
  const high = Math.max(...shown);
  if (high === low) {
    return SPARKS[3].repeat(shown.length);
  }
  return shown.map((v) => SPARKS[Math.round(((v - low) / (high - low)) * (SPARKS.length - 1))]).join('');
}

/** `▁▄█ 20 → 30 → 40%` */
function readingsText(values, unit) {
  if (values.length === 1) {
    return `${withUnit(values[0], unit)} (first reading)`;
  }
  const listed = values.slice(-LISTED);
  const last = listed.pop();
  return `${sparkline(values)} ${[...listed.map(number), withUnit(last, unit)].join(' → ')}`;
}

/** `better than the baseline of 40%`: which way is better comes from where the target lies. */
function againstBaseline(status) {
  const { current, baseline, target, unit } = status;
  if (!isNumber(current) || !isNumber(baseline)) {
    return null;
  }
  const of = `the baseline of ${withUnit(baseline, unit)}`;
  if (current === baseline) {
    return `at ${of}`;
  }
  const better = isNumber(target) ? Math.sign(target - baseline) : 0;
  if (better === 0) {
    return `${current > baseline ? 'above' : 'below'} ${of}`;
  }
  return `${(current - baseline) * better > 0 ? 'better' : 'worse'} than ${of}`;
}

/** The trend's words, or null when nothing tells it. */
function trendText(status) {
  const values = readings(status.trend);
  if (values.length > 0) {
    return readingsText(values, status.unit);
  }
  if (typeof status.trend === 'string' && status.trend.trim() !== '') {
    return status.trend.trim();
  }
  const kind = status.kind === undefined || status.kind === null ? 'level' : status.kind;
  return kind === 'level' ? againstBaseline(status) : null;
}

module.exports = { sparkline, trendText };
