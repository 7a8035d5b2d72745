import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedSlots, Slots } from '../../src/slots.ts';

describe('Slots', () => {
  it('hands out at most its limit, and a released slot can be taken again', () => {
    const slots = new Slots(2);
    const first = slots.tryTake();
    assert.ok(slots.tryTake());
    assert.equal(slots.tryTake(), undefined);
    first?.();
    assert.ok(slots.tryTake());
    assert.equal(slots.taken, 2);
  });

  it('weighs each taker by the units it asks for', () => {
    const memory = new Slots(100);
    const large = memory.tryTake(60);
    assert.ok(memory.tryTake(30));
    assert.equal(memory.tryTake(20), undefined, 'more than the 10 left');
    assert.ok(memory.tryTake(10));
    large?.();
    assert.equal(memory.taken, 40);
  });

  it('counts a release called twice once', () => {
    const slots = new Slots(1);
    const release = slots.tryTake();
    release?.();
    release?.();
    assert.equal(slots.taken, 0);
    assert.ok(slots.tryTake());
    assert.equal(slots.tryTake(), undefined);
  });
});

describe('KeyedSlots', () => {
  it('limits each key on its own', () => {
    const slots = new KeyedSlots(1);
    const alice = slots.tryTake('alice');
    assert.ok(alice);
    assert.equal(slots.tryTake('alice'), undefined);
    assert.ok(slots.tryTake('bob'));
  });

  it('forgets a key once it holds nothing, and a late second release does not free a newer holder', () => {
    const slots = new KeyedSlots(1);
    const first = slots.tryTake('alice');
    first?.();
    assert.equal(slots.keys, 0);
    const second = slots.tryTake('alice');
    assert.ok(second);
    first?.();
    assert.equal(slots.tryTake('alice'), undefined);
    assert.equal(slots.keys, 1);
  });
});
