'use strict';
/**
 * How numbers, scores and health read in the Jira issue view (pure). Any value may be missing, null, a string
 * or NaN in an older or newer property: it reads as an em dash, never as an error. The lozenge colours are
 * those of the OKR page in Confluence (done blue, on track green, at risk yellow, off track red, missed purple).
 */

const NO_VALUE = '—';

// appearance: a UI Kit Lozenge appearance; rank: how much attention it calls for (the glance shows the worst)
const HEALTH = {
  done: { words: 'Done', appearance: 'inprogress', rank: 0 },
  on_track: { words: 'On track', appearance: 'success', rank: 1 },
  not_measured: { words: 'Not measured', appearance: 'default', rank: 2 },
  at_risk: { words: 'At risk', appearance: 'moved', rank: 3 },
  off_track: { words: 'Off track', appearance: 'removed', rank: 4 },
  missed: { words: 'Missed', appearance: 'new', rank: 5 },
};

function isNumber(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A non-empty trimmed string, or null. */
function text(value) {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** 2 decimals at most, no trailing zeros; an em dash for no value. */
function number(value) {
  if (!isNumber(value)) {
    return NO_VALUE;
  }
  const rounded = Math.round(value * 100) / 100 + 0; // + 0 turns -0 into 0
  return Math.abs(rounded) < 1e15 ? String(rounded) : value.toPrecision(3);
}

/** `32%`, `4.5 days`, `120` */
function withUnit(value, unit) {
  const shown = number(value);
  const name = text(unit);
  if (!isNumber(value) || !name) {
    return shown;
  }
  return name === '%' ? `${shown}%` : `${shown} ${name}`;
}

function scoreText(score) {
  return isNumber(score) ? score.toFixed(2) : NO_VALUE;
}

/** A share (0.7) as a whole percentage (70%). */
function percent(share) {
  return isNumber(share) ? `${Math.round(share * 100) + 0}%` : NO_VALUE;
}

/** `output_without_outcome` → `Output without outcome` */
function spelled(name) {
  const phrase = String(name).replace(/_/g, ' ').trim();
  return phrase.charAt(0).toUpperCase() + phrase.slice(1);
}

/** The words, lozenge appearance and rank of a health value; an unknown one reads as itself, in grey. */
function health(value) {
  const name = text(value) || 'not_measured';
  const known = HEALTH[name] || { words: spelled(name), appearance: 'default', rank: HEALTH.not_measured.rank };
  return { key: name, words: known.words, appearance: known.appearance, rank: known.rank };
}

module.exports = { NO_VALUE, HEALTH, isNumber, text, number, withUnit, scoreText, percent, spelled, health };
