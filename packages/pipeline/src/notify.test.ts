import { describe, expect, it } from 'vitest';
import { notifyEventFor } from './notify.ts';

const ctx = (status: string, failuresBefore: number, previous: { status: string; pendingWithdrawals: number; invalid?: number } | null = null, pendingWithdrawals = 10, invalid = 0) => ({
  run: { status, pendingWithdrawals, invalid } as never,
  failuresBefore,
  previous: previous ? { invalid: 0, ...previous } : null,
});

describe('notifyEventFor (threshold 3)', () => {
  it('tells of a failure streak once, when it reaches the threshold', () => {
    expect([0, 1, 2, 3, 4, 5].map((before) => notifyEventFor(ctx('failed', before), 3))).toEqual([undefined, undefined, 'failure_streak', undefined, undefined, undefined]);
  });
  it('tells of a run that needs review, once while the feed stays the same', () => {
    expect(notifyEventFor(ctx('needs_review', 0), 3)).toBe('needs_review');
    expect(notifyEventFor(ctx('needs_review', 5), 3)).toBe('needs_review');
    expect(notifyEventFor(ctx('needs_review', 0, { status: 'succeeded', pendingWithdrawals: 0 }), 3)).toBe('needs_review');
    // The previous run already asked for review of as many datasets: nothing new to tell.
    expect(notifyEventFor(ctx('needs_review', 0, { status: 'needs_review', pendingWithdrawals: 10 }, 10), 3)).toBeUndefined();
    // The feed shrank further (or came partly back): told again.
    expect(notifyEventFor(ctx('needs_review', 0, { status: 'needs_review', pendingWithdrawals: 10 }, 14), 3)).toBe('needs_review');
  });
  it('tells of a recovery only after a streak that was told', () => {
    expect(notifyEventFor(ctx('succeeded', 2), 3)).toBeUndefined();
    expect(notifyEventFor(ctx('succeeded', 3), 3)).toBe('recovered');
    expect(notifyEventFor(ctx('unchanged', 7), 3)).toBe('recovered');
    expect(notifyEventFor(ctx('cancelled', 7), 3)).toBeUndefined();
  });
  it('with a threshold of 1, every first failure after a success is told', () => {
    expect(notifyEventFor(ctx('failed', 0), 1)).toBe('failure_streak');
    expect(notifyEventFor(ctx('succeeded', 1), 1)).toBe('recovered');
  });
  it('tells of invalid records in a run that loaded, once per change of their number', () => {
    expect(notifyEventFor(ctx('succeeded', 0, null, 0, 3), 3)).toBe('invalid_records');
    expect(notifyEventFor(ctx('succeeded', 0, { status: 'succeeded', pendingWithdrawals: 0, invalid: 3 }, 0, 3), 3)).toBeUndefined();
    expect(notifyEventFor(ctx('unchanged', 0, { status: 'succeeded', pendingWithdrawals: 0, invalid: 3 }, 0, 5), 3)).toBe('invalid_records');
    expect(notifyEventFor(ctx('succeeded', 0, { status: 'succeeded', pendingWithdrawals: 0, invalid: 3 }, 0, 0), 3)).toBeUndefined();
    // A recovery is told first; a failed run's invalid records go with its failure.
    expect(notifyEventFor(ctx('succeeded', 3, null, 0, 2), 3)).toBe('recovered');
    expect(notifyEventFor(ctx('failed', 0, null, 0, 2), 3)).toBeUndefined();
  });
});
