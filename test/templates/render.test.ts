/** The `{{name}}` renderer: what is a variable, single-pass substitution, and the 400 naming missing/extra names. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { renderMessages, variablesOf } from '../../src/templates/render.js';

describe('variablesOf', () => {
  it('finds {{name}} and {{ name }}, sorted and unique; other braces are text', () => {
    const msgs = [{ role: 'user' as const, content: 'Hi {{ b }} {{a}} {{a}} {b} {{}} {{1x}} {{ a b }} {{x-y_z}}' }];
    expect(variablesOf(msgs)).toEqual(['a', 'b', 'x-y_z']);
  });
});

describe('renderMessages', () => {
  const msgs = [{ role: 'system' as const, content: 'About {{topic}}' }, { role: 'user' as const, content: '{{q}} ({{topic}})' }];

  it('fills every occurrence; a value containing {{x}} is inserted as text, never expanded again', () => {
    expect(renderMessages('t', 1, msgs, { topic: '{{q}}', q: 'Why $& $1?' })).toEqual([
      { role: 'system', content: 'About {{q}}' },
      { role: 'user', content: 'Why $& $1? ({{q}})' },
    ]);
  });

  it('writes numbers and booleans as text and takes input_text parts', () => {
    expect(renderMessages('t', 1, msgs, { topic: 42, q: { type: 'input_text', text: 'ok' } })[1]!.content).toBe('ok (42)');
    expect(renderMessages('t', 1, msgs, { topic: false, q: 'x' })[0]!.content).toBe('About false');
  });

  it('refuses missing and unexpected variables together, naming each', () => {
    const err = (() => {
      try {
        renderMessages('greet', 3, msgs, { topic: 'x', extra: 'y', other: 'z' });
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(err).toBeInstanceOf(GatewayError);
    expect(err!.status).toBe(400);
    expect(err!.param).toBe('prompt.variables');
    expect(err!.message).toBe("Prompt template 'greet' version 3: missing variable 'q'; unexpected variables 'extra', 'other' (it uses 'q', 'topic').");
  });

  it('refuses object, array and null values by name', () => {
    for (const bad of [null, [], { type: 'input_image' }]) {
      expect(() => renderMessages('t', 1, msgs, { topic: bad, q: 'x' })).toThrow(/prompt variable 'topic'/);
    }
  });
});
