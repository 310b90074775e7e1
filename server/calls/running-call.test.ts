// A call keeps the questions its server asked for its activity entry, but not without end.
import { describe, expect, it } from 'vitest';
import type { Question } from '../questions/book.js';
import { MAX_RECORDED_QUESTIONS, RunningCall } from './running-call.js';

describe('RunningCall', () => {
  it(`keeps the first ${MAX_RECORDED_QUESTIONS} ended questions of a server that asks on and on`, () => {
    const call = new RunningCall('call-1', 'request-1', 'server', 'tool', 'api', 'stream', 'api-key');
    for (let i = 0; i < MAX_RECORDED_QUESTIONS + 25; i++) {
      call.reportQuestion({ id: `q${i}`, state: 'cancelled' } as Question);
    }
    expect(call.endedQuestions).toHaveLength(MAX_RECORDED_QUESTIONS);
    expect(call.endedQuestions![0]!.id).toBe('q0');
  });
});
