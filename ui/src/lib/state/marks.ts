// Start-up marks: when the page reached each step of its first screen, for the start-up
// benchmark's breakdown (sent with the first `painted` report, logged by the backend).

const marks: [string, number][] = [];

/** Notes that the page reached `step` now. */
export function mark(step: string): void {
  if (marks.length < 32) marks.push([step, Math.round(performance.now())]);
}

/** "origin=<unix ms of the page's start> step=ms …" of the marks so far. */
export function marksReport(): string {
  const origin = Math.round(performance.timeOrigin);
  return [`origin=${origin}`, ...marks.map(([step, at]) => `${step}=${at}`)].join(' ');
}
